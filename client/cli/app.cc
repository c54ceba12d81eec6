#include "client/cli/app.h"

#include <unistd.h>

#include <fstream>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/cli/command.h"
#include "client/cli/progress.h"
#include "yaml-cpp/yaml.h"

namespace gateway::cli {
namespace {

constexpr char kUsage[] =
    "dbgw: the command-line client of the Databricks gateway.\n"
    "\n"
    "Usage: dbgw SERVICE COMMAND [flags] [arguments]\n"
    "       dbgw SERVICE COMMAND --help\n";

constexpr char kConfiguration[] =
    "Configuration (flags override the environment, which overrides the file):\n"
    "  DBGW_TARGET          the gateway's address (default 127.0.0.1:50051, as `make run`)\n"
    "  DBGW_API_KEY         the tenant's API key (or --api-key-file; never a flag)\n"
    "  DBGW_CONFIG          the config file (default $XDG_CONFIG_HOME/dbgw/config.yaml or\n"
    "                       ~/.config/dbgw/config.yaml, when it exists). Keys: target, tls,\n"
    "                       ca_file, cert_file, key_file, api_key_file, timeout, output.\n"
    "\n"
    "Output: --output table (default), csv (a header row) or json (one object; lists and\n"
    "rows as JSON Lines). Waits, row streams and table loads draw a progress line on the\n"
    "terminal's stderr when stdout and stderr are terminals; never when piped.\n"
    "\n"
    "Exit codes:\n"
    "  0  success\n"
    "  1  Databricks failed: a run, statement or table load failed, or Databricks answered\n"
    "     the call with an error\n"
    "  2  usage: bad flags, arguments, input files or configuration (nothing was sent)\n"
    "  3  the gateway refused the caller: unknown API key, or denied by the tenant's rules\n"
    "  4  throttled: RESOURCE_EXHAUSTED from the tenant's limits or Databricks\n"
    "  5  the gateway refused the call otherwise (invalid, not found, precondition, breaker)\n"
    "  6  the gateway could not be reached or did not answer in time\n"
    "Errors print the gRPC code, the message, and the retry delay, quota and reason the\n"
    "gateway gave.\n";

std::vector<Command> AllCommands() {
  std::vector<Command> all;
  for (auto group : {JobsCommands, SqlCommands, DeltaCommands, CatalogCommands}) {
    for (Command& command : group()) all.push_back(std::move(command));
  }
  return all;
}

std::string TopHelp(const std::vector<Command>& commands) {
  std::string help = absl::StrCat(kUsage, "\nCommands:\n");
  for (const Command& command : commands) {
    std::string left = absl::StrCat("  ", command.spec.path);
    if (!command.spec.arguments.empty()) absl::StrAppend(&left, " ", command.spec.arguments);
    if (left.size() < 34) {
      left.resize(34, ' ');
    } else {
      absl::StrAppend(&left, "\n", std::string(34, ' '));
    }
    absl::StrAppend(&help, left, command.spec.summary, "\n");
  }
  absl::StrAppend(&help, "\nGlobal flags:\n");
  CommandSpec none;
  const std::string global = CommandHelp(none, GlobalFlags());
  absl::StrAppend(&help, global.substr(global.find("Global flags:\n") + 14), "\n", kConfiguration);
  return help;
}

std::string EnvOr(const std::map<std::string, std::string>& env, const std::string& name) {
  auto it = env.find(name);
  return it == env.end() ? "" : it->second;
}

// The config file to read: explicit ones must exist, the default one may not.
absl::StatusOr<std::string> ConfigPath(const ParsedArgs& args,
                                       const std::map<std::string, std::string>& env,
                                       bool* required) {
  *required = true;
  if (args.Has("config")) return args.Get("config");
  if (!EnvOr(env, "DBGW_CONFIG").empty()) return EnvOr(env, "DBGW_CONFIG");
  *required = false;
  if (!EnvOr(env, "XDG_CONFIG_HOME").empty()) {
    return absl::StrCat(EnvOr(env, "XDG_CONFIG_HOME"), "/dbgw/config.yaml");
  }
  if (!EnvOr(env, "HOME").empty())
    return absl::StrCat(EnvOr(env, "HOME"), "/.config/dbgw/config.yaml");
  return std::string();
}

absl::Status ApplyConfigFile(const std::string& path, Settings* settings) {
  const std::string where = absl::StrCat("config ", path);
  try {
    const YAML::Node root = YAML::LoadFile(path);
    if (root.IsNull()) return absl::OkStatus();
    if (!root.IsMap())
      return absl::InvalidArgumentError(absl::StrCat(where, ": must be a mapping"));
    static const std::set<std::string> kKeys = {"target",   "tls",          "ca_file", "cert_file",
                                                "key_file", "api_key_file", "timeout", "output"};
    for (const auto& entry : root) {
      const auto key = entry.first.as<std::string>();
      if (kKeys.count(key) == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": unknown key '", key, "' (known: ", absl::StrJoin(kKeys, ", "), ")"));
      }
      const YAML::Node value = entry.second;
      if (key == "target") settings->client.target = value.as<std::string>();
      if (key == "tls") settings->client.tls = value.as<bool>();
      if (key == "ca_file") settings->client.ca_file = value.as<std::string>();
      if (key == "cert_file") settings->client.cert_file = value.as<std::string>();
      if (key == "key_file") settings->client.key_file = value.as<std::string>();
      if (key == "api_key_file") settings->client.api_key_file = value.as<std::string>();
      if (key == "timeout") {
        absl::Duration timeout;
        if (!absl::ParseDuration(value.as<std::string>(), &timeout) ||
            timeout <= absl::ZeroDuration()) {
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": timeout: \"", value.as<std::string>(), "\" is not a positive duration"));
        }
        settings->client.timeout = timeout;
        settings->timeout = timeout;
      }
      if (key == "output") {
        absl::StatusOr<Format> format = ParseFormat(value.as<std::string>());
        if (!format.ok())
          return absl::InvalidArgumentError(absl::StrCat(
              where, ": output: ", value.as<std::string>(), " is not one of table, json, csv"));
        settings->format = *format;
      }
    }
  } catch (const YAML::BadFile&) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": cannot read it"));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<FlagSpec>& GlobalFlags() {
  static const auto* flags = new std::vector<FlagSpec>{
      {"target", "HOST:PORT", "the gateway (default $DBGW_TARGET, else 127.0.0.1:50051)"},
      {"tls", "", "connect with TLS"},
      {"ca-file", "FILE", "PEM roots for the gateway's certificate (with --tls)"},
      {"cert-file", "FILE", "PEM client certificate for mTLS (with --key-file)"},
      {"key-file", "FILE", "PEM client key for mTLS"},
      {"api-key-file", "FILE", "read the API key from FILE (default $DBGW_API_KEY)"},
      {"timeout", "DURATION", "deadline of each call, e.g. 30s (default 60s; waits: none)"},
      {"output", "FORMAT", "table, json or csv (-o)"},
      {"config", "FILE", "the config file (default $DBGW_CONFIG or ~/.config/dbgw/config.yaml)"},
      {"no-progress", "", "no progress line even on a terminal"},
      {"help", "", "help for the command (-h)"},
  };
  return *flags;
}

absl::StatusOr<Settings> Settle(const ParsedArgs& args,
                                const std::map<std::string, std::string>& env) {
  Settings settings;
  bool required = false;
  absl::StatusOr<std::string> config = ConfigPath(args, env, &required);
  if (!config.ok()) return config.status();
  if (!config->empty() && (required || ::access(config->c_str(), F_OK) == 0)) {
    if (absl::Status s = ApplyConfigFile(*config, &settings); !s.ok()) return s;
  }
  if (!EnvOr(env, "DBGW_TARGET").empty()) settings.client.target = EnvOr(env, "DBGW_TARGET");
  if (!EnvOr(env, "DBGW_API_KEY").empty()) {
    settings.client.api_key = EnvOr(env, "DBGW_API_KEY");
    settings.client.api_key_file.clear();
  }
  if (args.Has("target")) settings.client.target = args.Get("target");
  if (args.Has("tls")) settings.client.tls = true;
  if (args.Has("ca-file")) settings.client.ca_file = args.Get("ca-file");
  if (args.Has("cert-file")) settings.client.cert_file = args.Get("cert-file");
  if (args.Has("key-file")) settings.client.key_file = args.Get("key-file");
  if (args.Has("api-key-file")) {
    settings.client.api_key.clear();
    settings.client.api_key_file = args.Get("api-key-file");
  }
  if (args.Has("timeout")) {
    absl::StatusOr<absl::Duration> timeout = args.GetDuration("timeout", absl::Seconds(60));
    if (!timeout.ok()) return timeout.status();
    settings.client.timeout = *timeout;
    settings.timeout = *timeout;
  }
  if (args.Has("output")) {
    absl::StatusOr<Format> format = ParseFormat(args.Get("output"));
    if (!format.ok()) return format.status();
    settings.format = *format;
  }
  settings.progress = !args.Has("no-progress");
  return settings;
}

int Run(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
        std::ostream& out, std::ostream& err) {
  const std::vector<Command> commands = AllCommands();
  // The command is the longest run of leading words naming one ("jobs submit").
  const Command* command = nullptr;
  size_t words = 0;
  for (const Command& candidate : commands) {
    const std::vector<std::string> path = absl::StrSplit(candidate.spec.path, ' ');
    if (path.size() <= args.size() && std::equal(path.begin(), path.end(), args.begin())) {
      command = &candidate;
      words = path.size();
    }
  }
  if (command == nullptr) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
      out << TopHelp(commands);
      return args.empty() ? kExitUsage : kExitOk;
    }
    // A known service with an unknown command: list that service's commands.
    std::string service_commands;
    for (const Command& candidate : commands) {
      if (absl::StartsWith(candidate.spec.path, args[0] + " ")) {
        absl::StrAppend(&service_commands, "  dbgw ", candidate.spec.path, "\n");
      }
    }
    if (!service_commands.empty()) {
      if (args.size() == 1 || args[1] == "--help" || args[1] == "-h") {
        out << "Commands of dbgw " << args[0] << ":\n" << service_commands;
        return args.size() == 1 ? kExitUsage : kExitOk;
      }
      err << "dbgw: unknown command \"" << args[0] << " " << args[1] << "\"; the " << args[0]
          << " commands are:\n"
          << service_commands;
      return kExitUsage;
    }
    err << "dbgw: unknown command \"" << args[0] << "\" (see dbgw --help)\n";
    return kExitUsage;
  }
  const std::vector<std::string> rest(args.begin() + static_cast<long>(words), args.end());
  absl::StatusOr<ParsedArgs> parsed = Parse(command->spec, GlobalFlags(), rest);
  if (!parsed.ok()) {
    err << "dbgw: " << parsed.status().message() << " (see dbgw " << command->spec.path
        << " --help)\n";
    return kExitUsage;
  }
  if (parsed->Has("help")) {
    out << CommandHelp(command->spec, GlobalFlags());
    return kExitOk;
  }
  absl::StatusOr<Settings> settings = Settle(*parsed, env);
  if (!settings.ok()) {
    err << "dbgw: " << settings.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<client::GatewayClient>> client =
      client::GatewayClient::Create(settings->client);
  if (!client.ok()) {
    err << "dbgw: " << client.status().message() << "\n";
    return kExitUsage;
  }
  ProgressLine progress(settings->progress && ProgressLine::Interactive(), STDERR_FILENO, out);
  Printer printer(settings->format, [&progress](const std::string& text) { progress.Print(text); });
  Context context{command->spec, *parsed, **client, printer, progress, err, {}, {}};
  context.call.timeout = settings->client.timeout;
  context.wait.timeout = settings->timeout.value_or(absl::InfiniteDuration());
  const int code = command->run(context);
  progress.Finish();
  out.flush();
  return code;
}

}  // namespace gateway::cli
