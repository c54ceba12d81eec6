#include "tests/integration/stack.h"

#include <algorithm>
#include <csignal>

#include "absl/base/const_init.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "proto/google/rpc/error_details.pb.h"
#include "proto/google/rpc/status.pb.h"
#include "server/auth/tenants.h"

namespace gateway::testing {

namespace {

// Adds `authorization: Bearer KEY` to every call of a channel.
class ApiKeyInterceptor : public grpc::experimental::Interceptor {
 public:
  explicit ApiKeyInterceptor(std::string value) : value_(std::move(value)) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert({"authorization", value_});
    }
    methods->Proceed();
  }

 private:
  const std::string value_;
};

class ApiKeyFactory : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit ApiKeyFactory(std::string key) : value_("Bearer " + std::move(key)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo*) override {
    return new ApiKeyInterceptor(value_);
  }

 private:
  const std::string value_;
};

// The session file of a stack in the integration tests' record/replay mode: DIR/NAME.jsonl,
// where DIR is the value of `variable` (empty when it is not set). A name used again in the
// same process gets a number ("delta-2"), so that each stack has a file of its own and a
// replay meets the stacks in the order they were recorded.
std::string SessionFile(const char* variable, const std::string& name) {
  const char* dir = std::getenv(variable);
  if (dir == nullptr || *dir == '\0') return "";
  static absl::Mutex mu(absl::kConstInit);
  static auto* uses = new std::map<std::string, int>();
  absl::MutexLock lock(&mu);
  const int use = ++(*uses)[absl::StrCat(variable, "/", name)];
  return absl::StrCat(dir, "/", name, use == 1 ? "" : absl::StrCat("-", use), ".jsonl");
}

}  // namespace

Stack::Stack(const std::string& name, const std::string& emulator_yaml,
             const std::string& workspace_yaml) {
  StackOptions options;
  options.emulator_yaml = emulator_yaml;
  options.workspace_yaml = workspace_yaml;
  Start(name, options);
}

Stack::Stack(const std::string& name, const StackOptions& options) { Start(name, options); }

void Stack::Start(const std::string& name, const StackOptions& options) {
  const std::string dir = TempDir();
  emulator_log_ = absl::StrCat(dir, "/", name, "-emulator.log");
  gateway_log_ = absl::StrCat(dir, "/", name, "-gateway.log");
  const std::string emulator_config = absl::StrCat(dir, "/", name, "-emulator.yaml");
  std::string tokens = absl::StrCat("{token: ", kStackToken, ", principal: integration}");
  for (const std::string& token : options.emulator_tokens) {
    absl::StrAppend(&tokens, ", {token: ", token, ", principal: integration}");
  }
  WriteFile(emulator_config, absl::StrCat("auth:\n  tokens: [", tokens, "]\n",
                                          options.emulator_auth_yaml, options.emulator_yaml));
  std::vector<std::string> emulator_argv = {Runfile("tests/emulator/databricks_emulator"),
                                            "--config=" + emulator_config, "--port=0"};
  std::string replay = options.emulator_replay;
  if (replay.empty()) replay = SessionFile(kReplayDirVariable, name);
  if (!replay.empty()) emulator_argv.push_back("--replay=" + replay);
  absl::StatusOr<Subprocess> emulator = Subprocess::Start(emulator_argv, {}, emulator_log_);
  if (!emulator.ok()) {
    error_ = emulator.status().ToString();
    return;
  }
  emulator_ = std::make_unique<Subprocess>(*std::move(emulator));
  std::optional<std::string> line = emulator_->ReadLine(absl::Seconds(30));
  // "emulator listening: http://127.0.0.1:PORT"
  if (!line.has_value() || !absl::SimpleAtoi(line->substr(line->rfind(':') + 1), &emulator_port_)) {
    error_ = absl::StrCat("the emulator did not start:\n", EmulatorLog());
    return;
  }

  gateway_config_ = absl::StrCat(dir, "/", name, "-gateway.yaml");
  audit_log_ = absl::StrCat(dir, "/", name, "-audit.jsonl");
  const std::string record = SessionFile(kRecordDirVariable, name);
  WriteFile(
      gateway_config_,
      absl::StrCat(R"yaml(server:
  grpc_address: 127.0.0.1:0
  admin_address: )yaml",
                   options.admin_address, "\n  drain_seconds: ", options.drain_seconds, "\n",
                   options.server_yaml, R"yaml(workspaces:
  - name: default
    host: http://127.0.0.1:)yaml",
                   emulator_port_, R"yaml(
    allow_plaintext: true
)yaml",
                   options.workspace_yaml,
                   absl::StrReplaceAll(options.gateway_yaml, {{"{emulator}", emulator_url()}}),
                   record.empty() ? "" : absl::StrCat("record:\n  path: ", record, "\n"),
                   absl::StrCat("audit:\n  path: ", audit_log_, "\n")));
  std::map<std::string, std::string> env = options.gateway_env;
  env["DATABRICKS_TOKEN"] = kStackToken;
  absl::StatusOr<Subprocess> gateway = Subprocess::Start(
      {Runfile("server/gateway"), "--config=" + gateway_config_}, env, gateway_log_);
  if (!gateway.ok()) {
    error_ = gateway.status().ToString();
    return;
  }
  gateway_ = std::make_unique<Subprocess>(*std::move(gateway));
  line = gateway_->ReadLine(absl::Seconds(30));
  // "gateway listening: grpc=127.0.0.1:P admin=http://127.0.0.1:Q"
  if (!line.has_value() || line->find("grpc=") == std::string::npos) {
    error_ = absl::StrCat("the gateway did not start:\n", GatewayLog());
    return;
  }
  std::string target = line->substr(line->find("grpc=") + 5);
  target.resize(std::min(target.size(), target.find(' ')));
  if (!absl::SimpleAtoi(line->substr(line->rfind(':') + 1), &admin_port_)) {
    error_ = absl::StrCat("unexpected listening line: ", *line);
    return;
  }
  target_ = target;
  channel_ = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
}

std::shared_ptr<grpc::Channel> Stack::ChannelWithKey(const std::string& api_key) const {
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> factories;
  factories.push_back(std::make_unique<ApiKeyFactory>(api_key));
  grpc::ChannelArguments args;
  // A separate connection per key, so one tenant's flood shares no HTTP/2 stream limit.
  args.SetString("gateway-test-api-key", api_key);
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      target_, grpc::InsecureChannelCredentials(), args, std::move(factories));
}

std::string Stack::emulator_url() const {
  return absl::StrCat("http://127.0.0.1:", emulator_port_);
}

void Stack::Reload() const { gateway_->Signal(SIGHUP); }

void Stack::TerminateGateway() const { gateway_->Signal(SIGTERM); }

std::optional<int> Stack::WaitGatewayExit(absl::Duration timeout) {
  return gateway_->Wait(timeout);
}

std::pair<int, std::string> Stack::Readiness() const {
  absl::StatusOr<HttpResponse> response = HttpRequest(admin_port_, "GET", "/readyz");
  if (!response.ok()) return {0, std::string(response.status().message())};
  return {response->status, response->body};
}

Stack::~Stack() {
  // Stop the gateway first so it never sees the emulator vanish mid-call.
  if (gateway_ != nullptr) {
    gateway_->Signal(SIGTERM);
    gateway_->Wait(absl::Seconds(10));
  }
  if (emulator_ != nullptr) {
    emulator_->Signal(SIGTERM);
    emulator_->Wait(absl::Seconds(10));
  }
}

json::Value Stack::Control(const std::string& method, const std::string& path,
                           const std::string& body) const {
  absl::StatusOr<HttpResponse> response = HttpRequest(emulator_port_, method, path, body);
  if (!response.ok()) return json::Value();
  absl::StatusOr<json::Value> parsed = json::Parse(response->body);
  return parsed.ok() ? *std::move(parsed) : json::Value();
}

int64_t Stack::EmulatorRequests(const std::string& endpoint) const {
  const json::Value counters = Control("GET", "/emulator/v1/counters");
  const json::Value* requests = counters.Find("requests");
  const json::Value* count = requests != nullptr ? requests->Find(endpoint) : nullptr;
  return count != nullptr && count->is_int() ? count->as_int() : 0;
}

int64_t Stack::EmulatorApiRequests() const {
  const json::Value counters = Control("GET", "/emulator/v1/counters");
  const json::Value* requests = counters.Find("requests");
  int64_t total = 0;
  if (requests == nullptr || !requests->is_object()) return 0;
  for (const auto& [endpoint, count] : requests->as_object()) {
    if (endpoint.find(" /api/") != std::string::npos && count.is_int()) total += count.as_int();
  }
  return total;
}

void Stack::SetFaults(const std::string& faults_json) const {
  Control("PUT", "/emulator/v1/faults", absl::StrCat(R"({"faults":)", faults_json, "}"));
}

std::string Stack::Metrics() const {
  absl::StatusOr<HttpResponse> response = HttpRequest(admin_port_, "GET", "/metrics");
  return response.ok() ? response->body : "";
}

StatusErrorInfo ErrorInfoOf(const grpc::Status& status) {
  StatusErrorInfo out;
  google::rpc::Status details;
  if (!details.ParseFromString(status.error_details())) return out;
  for (const google::protobuf::Any& any : details.details()) {
    google::rpc::ErrorInfo info;
    if (any.UnpackTo(&info)) {
      out.reason = info.reason();
      out.domain = info.domain();
      out.metadata.insert(info.metadata().begin(), info.metadata().end());
    }
  }
  return out;
}

std::string Sha256Hex(const std::string& api_key) {
  const auth::Digest digest = auth::Sha256(api_key);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

double SeriesValue(const std::string& metrics_text, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(metrics_text, '\n')) {
    if (absl::ConsumePrefix(&line, series) && absl::ConsumePrefix(&line, " ")) {
      double value = 0;
      if (absl::SimpleAtod(line, &value)) return value;
    }
  }
  return 0;
}

std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return context;
}

}  // namespace gateway::testing
