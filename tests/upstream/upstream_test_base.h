// A fixture for the upstream client's tests: the emulator in-process on a free loopback
// port with the real clock, a WorkspaceClient pointed at it, and helpers to read the
// emulator's counters and journal and the gateway's metrics.
#ifndef TESTS_UPSTREAM_UPSTREAM_TEST_BASE_H_
#define TESTS_UPSTREAM_UPSTREAM_TEST_BASE_H_

#include <future>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "server/common/json.h"
#include "server/metrics/upstream_metrics.h"
#include "server/upstream/beast_http_client.h"
#include "server/upstream/workspace_client.h"
#include "tests/emulator/config.h"
#include "tests/emulator/emulator.h"
#include "tests/harness/process.h"

namespace gateway::upstream {

inline constexpr char kToken[] = "dapi-upstream-test";
inline constexpr char kWarehouses[] = "/api/2.0/sql/warehouses";
inline constexpr char kWarehousesRoute[] = "GET /api/2.0/sql/warehouses";

class UpstreamTest : public ::testing::Test {
 protected:
  // Starts the emulator; `extra_yaml` adds top-level keys (faults, throttles).
  void StartEmulator(const std::string& extra_yaml = "") {
    const std::string yaml = absl::StrCat(R"(
auth:
  tokens: [{token: dapi-upstream-test, principal: upstream}]
sql:
  warehouses: [{id: wh, name: Main, state: RUNNING}]
)",
                                          extra_yaml);
    absl::StatusOr<emulator::EmulatorOptions> options = emulator::ParseOptionsYaml(yaml);
    ASSERT_TRUE(options.ok()) << options.status();
    absl::StatusOr<std::unique_ptr<emulator::Emulator>> started =
        emulator::Emulator::Start(*std::move(options));
    ASSERT_TRUE(started.ok()) << started.status();
    emulator_ = *std::move(started);
  }

  // Workspace options for the emulator, with the defaults of a real deployment.
  WorkspaceOptions Workspace() const {
    WorkspaceOptions options;
    options.name = "default";
    options.host = emulator_->base_url();
    options.allow_plaintext = true;
    return options;
  }

  // A WorkspaceClient over a BeastHttpClient; `http_out` (optional) sees the HTTP client.
  std::unique_ptr<WorkspaceClient> MakeClient(const WorkspaceOptions& options,
                                              BeastHttpClient** http_out = nullptr) {
    absl::StatusOr<std::unique_ptr<BeastHttpClient>> http = BeastHttpClient::Create(
        HttpClientOptionsFor(options, &metrics_->ForWorkspace(options.name)));
    EXPECT_TRUE(http.ok()) << http.status();
    if (http_out != nullptr) *http_out = http->get();
    return std::make_unique<WorkspaceClient>(options, *std::move(http),
                                             metrics_->ForWorkspace(options.name));
  }

  static Call Get(const std::string& path, absl::Duration timeout = absl::Seconds(30)) {
    Call call;
    call.method = Method::kGet;
    call.path = path;
    call.headers = {{"Authorization", absl::StrCat("Bearer ", kToken)}};
    call.deadline = absl::Now() + timeout;
    call.operation = "test.get";
    call.idempotent = true;
    return call;
  }

  static Call Post(const std::string& path, std::string body, bool idempotent) {
    Call call = Get(path);
    call.method = Method::kPost;
    call.body = std::move(body);
    call.operation = "test.post";
    call.idempotent = idempotent;
    return call;
  }

  // Sends and waits for the answer.
  static absl::StatusOr<HttpResponse> Send(WorkspaceClient& client, Call call) {
    std::promise<absl::StatusOr<HttpResponse>> promise;
    std::future<absl::StatusOr<HttpResponse>> future = promise.get_future();
    client.Send(std::move(call), [&promise](absl::StatusOr<HttpResponse> result) {
      promise.set_value(std::move(result));
    });
    return future.get();
  }

  json::Value Control(const std::string& method, const std::string& what) {
    ++control_connections_;  // the harness opens one connection per request
    absl::StatusOr<testing::HttpResponse> reply =
        testing::HttpRequest(emulator_->port(), method, absl::StrCat("/emulator/v1/", what));
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok()) return json::Value();
    absl::StatusOr<json::Value> body = json::Parse(reply->body);
    EXPECT_TRUE(body.ok()) << body.status();
    return body.ok() ? *std::move(body) : json::Value();
  }

  int64_t Counter(const std::string& group, const std::string& key) {
    const json::Value counters = Control("GET", "counters");
    const json::Value* value = counters.Find(group) ? counters.Find(group)->Find(key) : nullptr;
    return value == nullptr ? 0 : value->as_int();
  }

  // Connections the emulator accepted for API requests (its counter less the test's own
  // control requests, this one included).
  int64_t ApiConnectionsAccepted() {
    const int64_t accepted = Counter("connections", "accepted");
    return accepted - control_connections_;
  }

  // Arrival times (µs) of the journal's requests to `route`, oldest first.
  std::vector<int64_t> Arrivals(const std::string& route) {
    const json::Value journal = Control("GET", "requests");
    std::vector<int64_t> times;
    for (const json::Value& entry : journal.Find("requests")->as_array()) {
      if (entry.Find("route")->as_string() == route) times.push_back(entry.Find("at_us")->as_int());
    }
    return times;
  }

  // The value of one series in the gateway's registry; -1 when absent.
  double Metric(const std::string& name, const std::map<std::string, std::string>& labels) {
    for (const prometheus::MetricFamily& family : registry_->Collect()) {
      if (family.name != name) continue;
      for (const prometheus::ClientMetric& metric : family.metric) {
        std::map<std::string, std::string> have;
        for (const auto& label : metric.label) have[label.name] = label.value;
        bool match = true;
        for (const auto& [key, value] : labels) match &= have[key] == value;
        if (!match) continue;
        if (family.type == prometheus::MetricType::Gauge) return metric.gauge.value;
        if (family.type == prometheus::MetricType::Counter) return metric.counter.value;
      }
    }
    return -1;
  }

  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
  std::unique_ptr<metrics::UpstreamMetrics> metrics_ =
      std::make_unique<metrics::UpstreamMetrics>(*registry_);
  std::unique_ptr<emulator::Emulator> emulator_;
  int64_t control_connections_ = 0;
};

}  // namespace gateway::upstream

#endif  // TESTS_UPSTREAM_UPSTREAM_TEST_BASE_H_
