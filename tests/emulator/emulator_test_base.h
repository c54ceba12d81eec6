// A fixture that runs the emulator in-process on a free loopback port with a manual clock and
// talks to it over real HTTP.
#ifndef TESTS_EMULATOR_EMULATOR_TEST_BASE_H_
#define TESTS_EMULATOR_EMULATOR_TEST_BASE_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/common/json.h"
#include "tests/emulator/config.h"
#include "tests/emulator/emulator.h"
#include "tests/harness/process.h"

namespace emulator {

// Clock starts at 2026-01-01T00:00:00Z.
inline constexpr int64_t kStartMs = 1767225600000;
inline constexpr char kToken[] = "dapi-test-token";

inline constexpr char kBaseConfig[] = R"(
clock: {manual: true, start: "2026-01-01T00:00:00Z"}
auth:
  tokens:
    - {token: dapi-test-token, principal: alice}
    - {token: dapi-bob-token, principal: bob}
  oauth_clients:
    - {client_id: m2m-client, client_secret: m2m-secret}
  oauth_token_ttl_seconds: 60
  azure_principals:
    - {tenant_id: tenant-1, client_id: az-client, client_secret: az-secret}
  azure_token_ttl_seconds: 120
  azure_extra_resources: [test-management-resource]
jobs:
  pending_seconds: 1
  running_seconds: 2
  terminating_seconds: 0.5
  outcomes:
    - match: {notebook_path: "/fail*"}
      result_state: FAILED
      error: "Exception: boom"
      error_trace: "Traceback: boom"
    - match: {notebook_path: "/internal"}
      internal_error: true
    - match: {parameter: "answer=42"}
      notebook_output: "forty-two"
sql:
  chunk_rows: 2
  timings:
    - {contains: "/*slow*/", execution_seconds: 20}
    - {contains: "/*glacial*/", execution_seconds: 7200}
  warehouses:
    - {id: wh, name: Main, state: RUNNING}
    - {id: cold, name: Cold, state: STOPPED}
  warehouse_start_seconds: 30
)";

struct Reply {
  int status = 0;
  gateway::json::Value body;
  std::string raw;
  std::string retry_after;
};

class EmulatorTest : public ::testing::Test {
 protected:
  // Starts the emulator with kBaseConfig plus `extra_yaml` (top-level keys it adds).
  void Start(const std::string& extra_yaml = "") {
    absl::StatusOr<EmulatorOptions> options = ParseOptionsYaml(kBaseConfig + extra_yaml);
    ASSERT_TRUE(options.ok()) << options.status();
    absl::StatusOr<std::unique_ptr<Emulator>> emulator = Emulator::Start(*std::move(options));
    ASSERT_TRUE(emulator.ok()) << emulator.status();
    emulator_ = *std::move(emulator);
  }
  void SetUp() override { Start(); }

  Reply Call(const std::string& method, const std::string& target, const std::string& body = "",
             const std::string& token = kToken,
             std::vector<std::pair<std::string, std::string>> headers = {}) {
    if (!token.empty()) headers.emplace_back("Authorization", absl::StrCat("Bearer ", token));
    absl::StatusOr<gateway::testing::HttpResponse> response =
        gateway::testing::HttpRequest(emulator_->port(), method, target, body, headers);
    Reply reply;
    if (!response.ok()) {
      reply.status = -1;
      reply.raw = std::string(response.status().message());
      return reply;
    }
    reply.status = response->status;
    reply.raw = response->body;
    reply.retry_after = response->Header("retry-after");
    absl::StatusOr<gateway::json::Value> parsed = gateway::json::Parse(response->body);
    if (parsed.ok()) reply.body = *std::move(parsed);
    return reply;
  }
  Reply Get(const std::string& target, const std::string& token = kToken) {
    return Call("GET", target, "", token);
  }
  Reply Post(const std::string& target, const std::string& body,
             const std::string& token = kToken) {
    return Call("POST", target, body, token);
  }
  void Advance(double seconds) {
    Reply r = Call("POST", "/emulator/v1/clock/advance",
                   absl::StrCat("{\"ms\":", static_cast<int64_t>(seconds * 1000), "}"), "");
    ASSERT_EQ(r.status, 200) << r.raw;
  }
  // Walks a dotted path ("state.life_cycle_state", "tasks.0.run_id") through a JSON value.
  static gateway::json::Value At(const gateway::json::Value& v, const std::string& path) {
    const gateway::json::Value* current = &v;
    size_t start = 0;
    while (current != nullptr && start <= path.size()) {
      const size_t dot = path.find('.', start);
      const std::string part = path.substr(start, dot == std::string::npos ? dot : dot - start);
      if (current->is_array()) {
        const size_t index = std::stoul(part);
        current = index < current->as_array().size() ? &current->as_array()[index] : nullptr;
      } else {
        current = current->Find(part);
      }
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    return current == nullptr ? gateway::json::Value() : *current;
  }
  static std::string Str(const gateway::json::Value& v, const std::string& path) {
    const gateway::json::Value found = At(v, path);
    return found.is_string() ? found.as_string() : found.is_null() ? "" : found.Dump();
  }

  std::unique_ptr<Emulator> emulator_;
};

}  // namespace emulator

#endif  // TESTS_EMULATOR_EMULATOR_TEST_BASE_H_
