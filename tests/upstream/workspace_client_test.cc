// The upstream client against the emulator over loopback: connection reuse, retries and
// Retry-After, idempotency, deadlines, the circuit breaker and the workspace rate limit.
#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "server/common/error_details.h"
#include "tests/upstream/upstream_test_base.h"

namespace gateway::upstream {
namespace {

TEST_F(UpstreamTest, SequentialRequestsReuseOneConnection) {
  StartEmulator();
  WorkspaceOptions options = Workspace();
  options.max_connections = 4;
  options.rate_limit_rps = 1e9;  // this test is about connections, not the workspace limit
  BeastHttpClient* http = nullptr;
  std::unique_ptr<WorkspaceClient> client = MakeClient(options, &http);
  for (int i = 0; i < 10'000; ++i) {
    absl::StatusOr<HttpResponse> response = Send(*client, Get(kWarehouses));
    ASSERT_TRUE(response.ok()) << i << ": " << response.status();
    ASSERT_EQ(response->status, 200) << response->body;
  }
  EXPECT_EQ(http->connections_opened(), 1);
  EXPECT_EQ(http->connections_reused(), 9'999);
  EXPECT_EQ(ApiConnectionsAccepted(), 1);
  EXPECT_EQ(Metric("databricks_connections_opened_total", {{"workspace", "default"}}), 1);
  EXPECT_EQ(Metric("databricks_api_requests_total",
                   {{"workspace", "default"}, {"operation", "test.get"}}),
            10'000);
}

TEST_F(UpstreamTest, ConcurrentCallersNeverOpenMoreThanThePool) {
  StartEmulator();
  WorkspaceOptions options = Workspace();
  options.max_connections = 3;
  options.rate_limit_rps = 1e9;
  BeastHttpClient* http = nullptr;
  std::unique_ptr<WorkspaceClient> client = MakeClient(options, &http);
  std::atomic<int> failures{0};
  std::vector<std::thread> callers;
  callers.reserve(8);
  for (int t = 0; t < 8; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        absl::StatusOr<HttpResponse> response = Send(*client, Get(kWarehouses));
        if (!response.ok() || response->status != 200) ++failures;
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(failures, 0);
  EXPECT_LE(http->connections_opened(), 3);
  EXPECT_LE(ApiConnectionsAccepted(), 3);
  EXPECT_EQ(Counter("requests", kWarehousesRoute), 1'600);
}

TEST_F(UpstreamTest, RetryAfterIsWaitedOut) {
  StartEmulator(R"(
faults:
  - {endpoint: "GET /api/2.0/sql/warehouses", kind: status, status: 429,
     error_code: REQUEST_LIMIT_EXCEEDED, retry_after_seconds: 2, count: 1}
)");
  std::unique_ptr<WorkspaceClient> client = MakeClient(Workspace());
  absl::StatusOr<HttpResponse> response = Send(*client, Get(kWarehouses));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  const std::vector<int64_t> arrivals = Arrivals(kWarehousesRoute);
  ASSERT_EQ(arrivals.size(), 2u);
  EXPECT_GE(arrivals[1] - arrivals[0], 2'000'000) << "the retry came before Retry-After";
  EXPECT_EQ(Metric("databricks_rate_limits_total", {{"workspace", "default"}}), 1);
  EXPECT_EQ(Metric("databricks_api_retries_total",
                   {{"workspace", "default"}, {"error_type", "rate_limited"}}),
            1);
}

TEST_F(UpstreamTest, RetryAfterBeyondTheDeadlineEndsWithRetryInfo) {
  StartEmulator(R"(
faults:
  - {endpoint: "GET /api/2.0/sql/warehouses", kind: status, status: 429,
     error_code: REQUEST_LIMIT_EXCEEDED, retry_after_seconds: 5}
)");
  std::unique_ptr<WorkspaceClient> client = MakeClient(Workspace());
  const absl::Time start = absl::Now();
  absl::StatusOr<HttpResponse> response = Send(*client, Get(kWarehouses, absl::Seconds(1)));
  EXPECT_LT(absl::Now() - start, absl::Seconds(1)) << "it should not wait for a hopeless retry";
  ASSERT_EQ(response.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(GetRetryDelay(response.status()), absl::Seconds(5));
  EXPECT_EQ(GetErrorReason(response.status()).reason, "REQUEST_LIMIT_EXCEEDED");
  EXPECT_EQ(GetErrorReason(response.status()).domain, kDatabricksDomain);
  EXPECT_EQ(Counter("requests", kWarehousesRoute), 1);
}

TEST_F(UpstreamTest, BackoffWithoutRetryAfterGrows) {
  StartEmulator(R"(
faults:
  - {endpoint: "GET /api/2.0/sql/warehouses", kind: status, status: 503}
)");
  WorkspaceOptions options = Workspace();
  options.retry.base_backoff_ms = 20;
  options.retry.max_backoff_ms = 1000;
  options.retry.max_retries = 3;
  options.circuit_breaker.failure_threshold = 1'000'000;  // keep the breaker out of this test
  std::unique_ptr<WorkspaceClient> client = MakeClient(options);
  constexpr int kCalls = 25;
  for (int i = 0; i < kCalls; ++i) {
    absl::StatusOr<HttpResponse> response = Send(*client, Get(kWarehouses));
    ASSERT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  }
  const std::vector<int64_t> arrivals = Arrivals(kWarehousesRoute);
  ASSERT_EQ(arrivals.size(), static_cast<size_t>(kCalls * 4));  // 1 + max_retries each
  double mean_gap_ms[3] = {0, 0, 0};
  for (int call = 0; call < kCalls; ++call) {
    for (int retry = 0; retry < 3; ++retry) {
      const double gap_ms = (arrivals[call * 4 + retry + 1] - arrivals[call * 4 + retry]) / 1e3;
      // Full jitter: at most base·2^retry, plus the round trip.
      EXPECT_LE(gap_ms, (20 << retry) + 30) << "call " << call << " retry " << retry;
      mean_gap_ms[retry] += gap_ms / kCalls;
    }
  }
  // Uniform over a doubling range: means near 10, 20 and 40 ms.
  EXPECT_GT(mean_gap_ms[1], mean_gap_ms[0]);
  EXPECT_GT(mean_gap_ms[2], mean_gap_ms[1]);
  EXPECT_GT(mean_gap_ms[2], 2 * mean_gap_ms[0]);
}

constexpr char kSubmitRoute[] = "POST /api/2.2/jobs/runs/submit";

std::string SubmitBody(const std::string& token) {
  std::string body =
      R"({"run_name":"r","tasks":[{"task_key":"t","notebook_task":{"notebook_path":"/x"}}])";
  if (!token.empty()) absl::StrAppend(&body, R"(,"idempotency_token":")", token, "\"");
  return body + "}";
}

TEST_F(UpstreamTest, PostWithoutIdempotencyTokenIsNotRetried) {
  StartEmulator(R"(
faults:
  - {endpoint: "POST /api/2.2/jobs/runs/submit", kind: status, status: 503, count: 1}
)");
  std::unique_ptr<WorkspaceClient> client = MakeClient(Workspace());
  absl::StatusOr<HttpResponse> response =
      Send(*client, Post("/api/2.2/jobs/runs/submit", SubmitBody(""), /*idempotent=*/false));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(Counter("requests", kSubmitRoute), 1);
}

TEST_F(UpstreamTest, ThrottledPostIsRetriedEvenWithoutIdempotency) {
  // A 429 means Databricks refused the request before acting on it.
  StartEmulator(R"(
faults:
  - {endpoint: "POST /api/2.2/jobs/runs/submit", kind: status, status: 429, count: 1,
     retry_after_seconds: 1, error_code: REQUEST_LIMIT_EXCEEDED}
)");
  std::unique_ptr<WorkspaceClient> client = MakeClient(Workspace());
  absl::StatusOr<HttpResponse> response =
      Send(*client, Post("/api/2.2/jobs/runs/submit", SubmitBody(""), /*idempotent=*/false));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(Counter("requests", kSubmitRoute), 2);
}

TEST_F(UpstreamTest, PostWithIdempotencyTokenIsRetriedAndCreatesOneRun) {
  // The first answer is lost after the run was created: the connection is reset.
  StartEmulator(R"(
faults:
  - {endpoint: "POST /api/2.2/jobs/runs/submit", kind: reset_after, count: 1}
)");
  std::unique_ptr<WorkspaceClient> client = MakeClient(Workspace());
  absl::StatusOr<HttpResponse> response =
      Send(*client, Post("/api/2.2/jobs/runs/submit", SubmitBody("token-1"), /*idempotent=*/true));
  ASSERT_TRUE(response.ok()) << response.status();
  ASSERT_EQ(response->status, 200) << response->body;
  EXPECT_EQ(Counter("requests", kSubmitRoute), 2);
  EXPECT_EQ(Counter("faults", absl::StrCat("reset_after ", kSubmitRoute)), 1);

  absl::StatusOr<HttpResponse> runs = Send(*client, Get("/api/2.2/jobs/runs/list"));
  ASSERT_TRUE(runs.ok()) << runs.status();
  absl::StatusOr<json::Value> listed = json::Parse(runs->body);
  ASSERT_TRUE(listed.ok());
  ASSERT_NE(listed->Find("runs"), nullptr) << runs->body;
  EXPECT_EQ(listed->Find("runs")->as_array().size(), 1u) << runs->body;
}

TEST_F(UpstreamTest, DeadlineAbandonsTheRequestAndClosesTheConnection) {
  StartEmulator(R"(
faults:
  - {endpoint: "GET /api/2.0/sql/warehouses", kind: latency, latency_ms: 5000, count: 1}
)");
  std::unique_ptr<WorkspaceClient> client = MakeClient(Workspace());
  const absl::Time start = absl::Now();
  absl::StatusOr<HttpResponse> response = Send(*client, Get(kWarehouses, absl::Milliseconds(200)));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(response.status().code(), absl::StatusCode::kDeadlineExceeded) << response.status();
  EXPECT_GE(took, absl::Milliseconds(195));
  EXPECT_LT(took, absl::Milliseconds(700));
  // The emulator sees the client hang up long before its 5 s answer would have been sent.
  EXPECT_TRUE(testing::PollUntil([&] { return Counter("connections", "requests_abandoned") == 1; },
                                 absl::Seconds(2)));
  EXPECT_EQ(
      Metric("databricks_errors_total", {{"workspace", "default"}, {"error_type", "timeout"}}), 1);
  // The next call gets a fresh connection, not the abandoned one.
  absl::StatusOr<HttpResponse> next = Send(*client, Get(kWarehouses));
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(ApiConnectionsAccepted(), 2);
}

TEST_F(UpstreamTest, BreakerOpensFailsFastHalfOpensAndCloses) {
  StartEmulator(R"(
faults:
  - {endpoint: "GET /api/2.0/sql/warehouses", kind: status, status: 500,
     error_code: INTERNAL_ERROR, count: 3}
)");
  WorkspaceOptions options = Workspace();
  options.circuit_breaker.failure_threshold = 3;
  options.circuit_breaker.open_seconds = 1;
  std::unique_ptr<WorkspaceClient> client = MakeClient(options);
  const std::map<std::string, std::string> workspace = {{"workspace", "default"}};
  std::vector<double> states = {Metric("databricks_circuit_breaker_state", workspace)};

  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Send(*client, Get(kWarehouses)).status().code(), absl::StatusCode::kInternal);
  }
  states.push_back(Metric("databricks_circuit_breaker_state", workspace));

  const absl::Time start = absl::Now();
  absl::StatusOr<HttpResponse> fast = Send(*client, Get(kWarehouses));
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(50));
  EXPECT_EQ(fast.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(fast.status().message(), "circuit breaker")) << fast.status();
  EXPECT_EQ(GetErrorReason(fast.status()).reason, "CIRCUIT_BREAKER_OPEN");
  EXPECT_TRUE(GetRetryDelay(fast.status()).has_value());
  EXPECT_EQ(Counter("requests", kWarehousesRoute), 3) << "an open breaker sent a request";
  EXPECT_EQ(Metric("databricks_circuit_breaker_rejected_total", workspace), 1);

  ASSERT_TRUE(
      testing::PollUntil([&] { return Metric("databricks_circuit_breaker_state", workspace) == 1; },
                         absl::Seconds(3)));
  states.push_back(Metric("databricks_circuit_breaker_state", workspace));

  absl::StatusOr<HttpResponse> probe = Send(*client, Get(kWarehouses));
  ASSERT_TRUE(probe.ok()) << probe.status();
  EXPECT_EQ(probe->status, 200);
  states.push_back(Metric("databricks_circuit_breaker_state", workspace));
  EXPECT_EQ(states, (std::vector<double>{0, 2, 1, 0}));
}

TEST_F(UpstreamTest, WorkspaceLimitHoldsUnderEightCallers) {
  StartEmulator();
  WorkspaceOptions options = Workspace();
  options.rate_limit_rps = 20;
  options.rate_limit_burst = 1;
  std::unique_ptr<WorkspaceClient> client = MakeClient(options);
  const absl::Time end = absl::Now() + absl::Milliseconds(2500);
  std::atomic<int> failures{0};
  std::vector<std::thread> callers;
  callers.reserve(8);
  for (int t = 0; t < 8; ++t) {
    callers.emplace_back([&] {
      while (absl::Now() < end) {
        absl::StatusOr<HttpResponse> response = Send(*client, Get(kWarehouses));
        if (!response.ok() || response->status != 200) ++failures;
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(failures, 0);
  const std::vector<int64_t> arrivals = Arrivals(kWarehousesRoute);
  ASSERT_GE(arrivals.size(), 40u) << "the limiter starved the callers";
  // In every window of one second starting at an arrival: at most rate + burst.
  for (size_t i = 0; i < arrivals.size(); ++i) {
    size_t in_window = 0;
    for (size_t j = i; j < arrivals.size() && arrivals[j] < arrivals[i] + 1'000'000; ++j) {
      ++in_window;
    }
    EXPECT_LE(in_window, 21u) << "window starting at request " << i;
  }
  EXPECT_GT(Metric("databricks_workspace_limit_queued_total", {{"workspace", "default"}}), 0);
}

// A request whose deadline comes before its turn is refused at once, saying when budget
// frees, and never sent.
TEST_F(UpstreamTest, WorkspaceLimitRefusesWhatCannotBeSentBeforeItsDeadline) {
  StartEmulator();
  WorkspaceOptions options = Workspace();
  options.rate_limit_rps = 1;
  options.rate_limit_burst = 1;
  std::unique_ptr<WorkspaceClient> client = MakeClient(options);
  ASSERT_TRUE(Send(*client, Get(kWarehouses)).ok());
  Call hurried = Get(kWarehouses);
  hurried.deadline = absl::Now() + absl::Milliseconds(100);
  const absl::Time asked = absl::Now();
  absl::StatusOr<HttpResponse> refused = Send(*client, hurried);
  EXPECT_LT(absl::Now() - asked, absl::Milliseconds(50)) << "refused at once, not at the deadline";
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "before its deadline"))
      << refused.status();
  EXPECT_EQ(GetErrorReason(refused.status()).reason, "WORKSPACE_RATE_LIMITED");
  EXPECT_EQ(GetErrorReason(refused.status()).domain, kGatewayDomain);
  ASSERT_TRUE(GetRetryDelay(refused.status()).has_value());
  EXPECT_GT(*GetRetryDelay(refused.status()), absl::Milliseconds(500));
  EXPECT_EQ(Counter("requests", kWarehousesRoute), 1);
}

TEST_F(UpstreamTest, DatabricksErrorsBecomeStatusesWithDetails) {
  StartEmulator();
  std::unique_ptr<WorkspaceClient> client = MakeClient(Workspace());
  absl::StatusOr<HttpResponse> missing = Send(*client, Get("/api/2.2/jobs/runs/get?run_id=999"));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound) << missing.status();
  EXPECT_EQ(GetErrorReason(missing.status()).reason, "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(GetErrorReason(missing.status()).domain, kDatabricksDomain);

  Call unauthenticated = Get(kWarehouses);
  unauthenticated.headers = {{"Authorization", "Bearer dapi-wrong"}};
  absl::StatusOr<HttpResponse> refused = Send(*client, unauthenticated);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnauthenticated) << refused.status();
  EXPECT_EQ(Metric("databricks_errors_total",
                   {{"workspace", "default"}, {"error_type", "authentication"}}),
            1);
  EXPECT_EQ(
      Metric("databricks_errors_total", {{"workspace", "default"}, {"error_type", "server_error"}}),
      0);
}

TEST_F(UpstreamTest, UnreachableWorkspaceIsUnavailable) {
  StartEmulator();
  WorkspaceOptions options = Workspace();
  const int port = emulator_->port();
  emulator_.reset();  // nothing listens there now
  options.host = absl::StrCat("http://127.0.0.1:", port);
  options.retry.max_retries = 1;
  options.retry.base_backoff_ms = 1;
  std::unique_ptr<WorkspaceClient> client = MakeClient(options);
  absl::StatusOr<HttpResponse> response = Send(*client, Get(kWarehouses));
  EXPECT_EQ(response.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(response.status().message(), absl::StrCat("127.0.0.1:", port)))
      << response.status();
  EXPECT_EQ(GetErrorReason(response.status()).reason, "DATABRICKS_UNREACHABLE");
  EXPECT_EQ(
      Metric("databricks_errors_total", {{"workspace", "default"}, {"error_type", "connection"}}),
      2);
}

// Identical reads of one object in flight share one request; every caller gets its answer.
TEST_F(UpstreamTest, IdenticalReadsInFlightShareOneRequest) {
  StartEmulator(R"(
faults:
  - {endpoint: "GET /api/2.2/jobs/runs/get", kind: latency, latency_ms: 300, count: 1}
)");
  std::unique_ptr<WorkspaceClient> client = MakeClient(Workspace());
  auto read = [] {
    Call call = Get("/api/2.2/jobs/runs/get?run_id=999");
    call.operation = "jobs.runs.get";
    return call;
  };
  std::vector<std::thread> callers;
  std::vector<absl::StatusCode> codes(10, absl::StatusCode::kOk);
  callers.emplace_back([&] { codes[0] = Send(*client, read()).status().code(); });
  absl::SleepFor(absl::Milliseconds(50));  // the first read is on its way
  for (int i = 1; i < 10; ++i) {
    callers.emplace_back([&, i] { codes[i] = Send(*client, read()).status().code(); });
  }
  for (std::thread& caller : callers) caller.join();
  EXPECT_EQ(Counter("requests", "GET /api/2.2/jobs/runs/get"), 1);
  EXPECT_EQ(codes, std::vector<absl::StatusCode>(10, absl::StatusCode::kNotFound))
      << "every caller gets the one answer";
  EXPECT_EQ(Metric("databricks_coalesced_total",
                   {{"workspace", "default"}, {"operation", "jobs.runs.get"}}),
            9);
  // Once answered, the next read is a request of its own.
  EXPECT_EQ(Send(*client, read()).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Counter("requests", "GET /api/2.2/jobs/runs/get"), 2);
}

// A read that ran out of its caller's time does not end the calls that joined it with more
// time left: they send their own.
TEST_F(UpstreamTest, ACoalescedReadThatTimesOutLeavesTheOthersTheirOwnTime) {
  StartEmulator(R"(
faults:
  - {endpoint: "GET /api/2.2/jobs/runs/get", kind: latency, latency_ms: 500, count: 1}
)");
  std::unique_ptr<WorkspaceClient> client = MakeClient(Workspace());
  Call hurried = Get("/api/2.2/jobs/runs/get?run_id=999", absl::Milliseconds(200));
  hurried.operation = "jobs.runs.get";
  Call patient = Get("/api/2.2/jobs/runs/get?run_id=999");
  patient.operation = "jobs.runs.get";
  absl::StatusCode hurried_code = absl::StatusCode::kOk;
  std::thread first([&] { hurried_code = Send(*client, hurried).status().code(); });
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(Send(*client, patient).status().code(), absl::StatusCode::kNotFound);
  first.join();
  EXPECT_EQ(hurried_code, absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Counter("requests", "GET /api/2.2/jobs/runs/get"), 2);
}

}  // namespace
}  // namespace gateway::upstream
