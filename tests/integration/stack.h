// The real emulator binary and the real gateway binary, started on free loopback ports for
// a test and stopped with it. Tests talk gRPC to the gateway and use the emulator's control
// API (/emulator/v1/…) to script faults and read its counters.
#ifndef TESTS_INTEGRATION_STACK_H_
#define TESTS_INTEGRATION_STACK_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "grpcpp/grpcpp.h"
#include "server/common/json.h"
#include "tests/harness/process.h"

namespace gateway::testing {

// The PAT the emulator accepts and the gateway calls with (DATABRICKS_TOKEN).
inline constexpr char kStackToken[] = "dapi-integration-0123456789abcdef";

// How far a client's clock reading of a call may be from the gateway's decision on it (the
// rate-limit tests measure windows on the client): a millisecond or two, but tens of
// milliseconds in a sanitizer build (.bazelrc defines DBGW_SANITIZER_BUILD), whose gateway
// runs every call several times slower.
#ifdef DBGW_SANITIZER_BUILD
inline constexpr double kClientSkewSeconds = 0.05;
#else
inline constexpr double kClientSkewSeconds = 0.002;
#endif

// The integration tests' record/replay mode (tests/integration/record_replay_test.cc). With
// GATEWAY_TEST_RECORD_DIR set, each stack's gateway records its upstream exchanges
// (`record:`) in DIR/NAME.jsonl, NAME being the stack's name. With GATEWAY_TEST_REPLAY_DIR
// set, each stack's emulator answers from the file of the same name (--replay) instead of
// emulating. Its control API still counts requests, so tests that read counters pass too.
inline constexpr char kRecordDirVariable[] = "GATEWAY_TEST_RECORD_DIR";
inline constexpr char kReplayDirVariable[] = "GATEWAY_TEST_REPLAY_DIR";

struct StackOptions {
  // Emulator config after its auth section (jobs:, sql:, …).
  std::string emulator_yaml;
  // More keys of the emulator's auth section, indented two spaces ("  oauth_clients: …").
  // The stack token is always accepted.
  std::string emulator_auth_yaml;
  // More PATs the emulator accepts besides the stack token.
  std::vector<std::string> emulator_tokens;
  // Keys appended to the gateway's server section ("  tls: {…}\n").
  std::string server_yaml;
  // server.admin_address of the gateway (tests reach it on 127.0.0.1 whatever it binds).
  std::string admin_address = "127.0.0.1:0";
  // server.drain_seconds of the gateway.
  int drain_seconds = 5;
  // Keys appended to the gateway's default workspace ("    default_warehouse_id: wh1\n").
  std::string workspace_yaml;
  // Top-level sections appended to the gateway config (tenants:, credential_pools:,
  // security:, redis:). "{emulator}" is replaced by the emulator's URL.
  std::string gateway_yaml;
  // Environment of the gateway besides DATABRICKS_TOKEN (the stack token).
  std::map<std::string, std::string> gateway_env;
  // A gateway recording the emulator answers from (--replay) instead of emulating.
  std::string emulator_replay;
};

class Stack {
 public:
  // Starts the emulator with `emulator_yaml` (its auth section is added: the stack token)
  // and the gateway against it with `gateway_yaml` appended to the default workspace's
  // settings (indented keys such as "    default_warehouse_id: wh1\n"). `name` names the
  // log files. Failures are fatal to the test (ASSERT in the caller via ok()).
  Stack(const std::string& name, const std::string& emulator_yaml,
        const std::string& workspace_yaml = "");
  Stack(const std::string& name, const StackOptions& options);
  ~Stack();

  // Whether both processes started; the reason is in error() otherwise.
  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  // The gateway's gRPC address ("127.0.0.1:PORT"), for channels of other credentials.
  const std::string& target() const { return target_; }
  // A channel whose calls carry `authorization: Bearer <api_key>`.
  std::shared_ptr<grpc::Channel> ChannelWithKey(const std::string& api_key) const;
  // The emulator's base URL ("http://127.0.0.1:PORT").
  std::string emulator_url() const;
  // The gateway config file (rewrite it and Reload to change the configuration).
  const std::string& gateway_config() const { return gateway_config_; }
  // Sends SIGHUP to the gateway.
  void Reload() const;
  // Sends SIGTERM to the gateway (it drains), and waits up to `timeout` for it to exit: its
  // exit status, or nullopt while it still runs.
  void TerminateGateway() const;
  std::optional<int> WaitGatewayExit(absl::Duration timeout);
  // The gateway's /readyz: its status and body.
  std::pair<int, std::string> Readiness() const;

  // An emulator control request; the parsed JSON answer (null when not JSON).
  json::Value Control(const std::string& method, const std::string& path,
                      const std::string& body = "") const;
  // requests served by the emulator for `endpoint` ("POST /api/2.0/sql/statements"), and
  // their sum over every /api/ endpoint.
  int64_t EmulatorRequests(const std::string& endpoint) const;
  int64_t EmulatorApiRequests() const;
  void ResetCounters() const { Control("POST", "/emulator/v1/counters/reset"); }
  // Replaces the emulator's fault rules with `faults_json` (a JSON array); "[]" clears them.
  void SetFaults(const std::string& faults_json) const;

  // The gateway's /metrics text.
  std::string Metrics() const;
  std::string GatewayLog() const { return ReadFile(gateway_log_); }
  // The gateway's audit trail (audit.path is a file of the stack's).
  std::string AuditLog() const { return ReadFile(audit_log_); }
  // The gateway's admin port (/metrics, /config, /readyz).
  int admin_port() const { return admin_port_; }
  // The gateway's and the emulator's process ids (for benchmarks that read /proc).
  pid_t gateway_pid() const { return gateway_->pid(); }
  pid_t emulator_pid() const { return emulator_->pid(); }
  // The emulator's port on 127.0.0.1.
  int emulator_port() const { return emulator_port_; }
  std::string EmulatorLog() const { return ReadFile(emulator_log_); }

 private:
  std::string error_;
  void Start(const std::string& name, const StackOptions& options);

  std::string emulator_log_;
  std::string gateway_log_;
  std::string gateway_config_;
  std::string audit_log_;
  std::string target_;
  std::unique_ptr<Subprocess> emulator_;
  std::unique_ptr<Subprocess> gateway_;
  int emulator_port_ = 0;
  int admin_port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
};

// The google.rpc.ErrorInfo in a status' details (empty when there is none).
struct StatusErrorInfo {
  std::string reason;
  std::string domain;
  std::map<std::string, std::string> metadata;
};
StatusErrorInfo ErrorInfoOf(const grpc::Status& status);

// A message from its text format; a text that does not parse fails the test.
template <typename T>
T ParseText(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

// The hex SHA-256 of an API key, as tenants[].api_key_sha256 holds it.
std::string Sha256Hex(const std::string& api_key);

// The value of one series in Prometheus text, `series` as printed ("name" or
// 'name{a="x",b="y"}', labels in name order); 0 when it is absent.
double SeriesValue(const std::string& metrics_text, const std::string& series);

// A ClientContext with a deadline `timeout` from now.
std::unique_ptr<grpc::ClientContext> Context(absl::Duration timeout = absl::Seconds(30));

}  // namespace gateway::testing

#endif  // TESTS_INTEGRATION_STACK_H_
