// The Databricks Gateway process: flags → configuration → Gateway → signals.
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "server/app/gateway.h"
#include "server/app/version.h"
#include "server/common/log.h"
#include "server/config/config.h"

namespace {

constexpr char kUsage[] = R"(Usage: gateway --config=PATH [--check]

A gRPC gateway in front of the Databricks REST APIs (Jobs, SQL, Delta, Catalog).

Flags:
  --config=PATH   the YAML configuration file (docs/configuration.md). Required.
  --check         validate the configuration, print it with secrets redacted, and exit.
  --version       print the version and exit.
  --help          print this help and exit.

Environment (seed 004 section 6.1): DATABRICKS_HOST, DATABRICKS_TOKEN,
DATABRICKS_CLIENT_ID, DATABRICKS_CLIENT_SECRET, AZURE_TENANT_ID, AZURE_CLIENT_ID,
AZURE_CLIENT_SECRET, DATABRICKS_WAREHOUSE_ID, DATABRICKS_CATALOG, DATABRICKS_SCHEMA,
DATABRICKS_TIMEOUT_SECS, DATABRICKS_RATE_LIMIT and DATABRICKS_MAX_RETRIES describe the
workspace named "default" and override the file for it.

Signals: SIGTERM or SIGINT drains in-flight calls (server.drain_seconds) and exits 0;
SIGHUP reloads the configuration file, keeping the old one if the new one is invalid; so
does a change of the file's contents, checked every server.config_poll_seconds (1).

Exit status: 0 after a clean shutdown or a passing --check; 2 for bad flags or an invalid
configuration (every error is listed with its YAML path); 1 when serving fails to start.
)";

struct Flags {
  std::string config_path;
  bool check = false;
};

// Parses argv; on --help/--version or a bad flag, prints and returns the exit status.
std::optional<int> ParseFlags(int argc, char** argv, Flags& flags) {
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--version") {
      std::cout << "gateway " << gateway::app::kVersion << "\n";
      return 0;
    }
    if (arg == "--check") {
      flags.check = true;
    } else if (absl::StartsWith(arg, "--config=")) {
      flags.config_path = arg.substr(std::string("--config=").size());
    } else if (arg == "--config" && i + 1 < argc) {
      flags.config_path = argv[++i];
    } else {
      std::cerr << "gateway: unknown flag \"" << arg << "\"\n\n" << kUsage;
      return 2;
    }
  }
  if (flags.config_path.empty()) {
    std::cerr << "gateway: --config=PATH is required\n\n" << kUsage;
    return 2;
  }
  return std::nullopt;
}

}  // namespace

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, which turns on absl::Mutex's deadlock detection:
  // a global lock and a lock-order graph update on every Lock(). The unit tests keep it;
  // the server does not pay it on every call (docs/performance.md).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  Flags flags;
  if (std::optional<int> exit_status = ParseFlags(argc, argv, flags)) return *exit_status;

  gateway::Logger logger(&std::cerr, gateway::LogLevel::kInfo);
  const gateway::EnvReader env = gateway::ProcessEnv();
  absl::StatusOr<gateway::config::GatewayConfig> config =
      gateway::config::LoadConfigFile(flags.config_path, env);
  if (!config.ok()) {
    std::cerr << "gateway: invalid configuration " << config.status().message() << "\n";
    return 2;
  }
  if (flags.check) {
    std::cout << gateway::config::RedactedYaml(*config);
    return 0;
  }

  // Signals are taken by the thread below (sigwait); block them before any other thread
  // exists so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const std::string grpc_address = config->server.grpc_address;
  const std::string admin_address = config->server.admin_address;
  absl::StatusOr<std::unique_ptr<gateway::app::Gateway>> gateway =
      gateway::app::Gateway::Start(*std::move(config), flags.config_path, env, &logger);
  if (!gateway.ok()) {
    logger.Error("cannot start", {{"error", gateway.status().message()}});
    return 1;
  }
  auto host = [](const std::string& address) { return address.substr(0, address.rfind(':')); };
  const std::string grpc_listen = absl::StrCat(host(grpc_address), ":", (*gateway)->grpc_port());
  const std::string admin_listen = absl::StrCat(host(admin_address), ":", (*gateway)->admin_port());
  logger.Info("gateway serving", {{"version", gateway::app::kVersion},
                                  {"grpc_address", grpc_listen},
                                  {"admin_address", admin_listen}});
  std::cout << "gateway listening: grpc=" << grpc_listen << " admin=http://" << admin_listen
            << std::endl;

  while (true) {
    int signal_number = 0;
    if (sigwait(&signals, &signal_number) != 0) continue;
    if (signal_number == SIGHUP) {
      logger.Info("SIGHUP: reloading configuration");
      (*gateway)->Reload().IgnoreError();
      continue;
    }
    logger.Info(signal_number == SIGINT ? "SIGINT: shutting down" : "SIGTERM: shutting down");
    (*gateway)->Shutdown();
    return 0;
  }
}
