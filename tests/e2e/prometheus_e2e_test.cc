// The shipped dashboard and alert rules against the real gateway, through a real Prometheus.
//
// One emulator, one gateway (three tenants, a pool of two PATs, an OAuth pool, Redis for
// global limits) and Debian's Prometheus scraping the gateway every second and evaluating
// deploy/prometheus/alerts.yaml, whose `for:` durations this test's copy shortens to 2 s
// (the expressions are the shipped ones). The tests run in order, each one a phase:
//   - normal traffic fires nothing;
//   - each alert fires under the real fault it describes, injected through the emulator,
//     Redis or a signal, and carries the labels an operator would act on;
//   - every dashboard query returns data through Prometheus' HTTP API, as Grafana would
//     ask; every metric the dashboard and the rules name is in the scrape; and
//     docs/metrics.md documents exactly the families the gateway exports.
#include <atomic>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "proto/databricks/gateway/v1/catalog.grpc.pb.h"
#include "proto/databricks/gateway/v1/delta.grpc.pb.h"
#include "proto/databricks/gateway/v1/jobs.grpc.pb.h"
#include "proto/databricks/gateway/v1/sql.grpc.pb.h"
#include "server/common/json.h"
#include "tests/harness/process.h"
#include "tests/harness/prometheus.h"
#include "tests/harness/redis.h"
#include "tests/integration/flood.h"
#include "tests/integration/stack.h"
#include "yaml-cpp/yaml.h"

namespace gateway {
namespace {

namespace v1 = ::databricks::gateway::v1;
using ::gateway::testing::Alert;
using ::gateway::testing::Context;
using ::gateway::testing::GetWarehouse;
using ::gateway::testing::PollUntil;
using ::gateway::testing::PrometheusOptions;
using ::gateway::testing::PrometheusServer;
using ::gateway::testing::ReadFile;
using ::gateway::testing::RedisServer;
using ::gateway::testing::Runfile;
using ::gateway::testing::SeriesValue;
using ::gateway::testing::Sha256Hex;
using ::gateway::testing::Stack;
using ::gateway::testing::StackOptions;
using ::gateway::testing::TempDir;
using ::gateway::testing::WriteFile;

constexpr char kPatA[] = "dapi-e2e-pat-a-3c1f9e0b7a6d5c4b";
constexpr char kPatB[] = "dapi-e2e-pat-b-8e2d7c6b5a4f3e2d";
constexpr char kTeamKey[] = "e2e-team-key";
constexpr char kTinyKey[] = "e2e-tiny-key";
constexpr char kRobotKey[] = "e2e-robot-key";
// How long a test phase may drive its fault before its alert must have fired.
constexpr absl::Duration kFireTimeout = absl::Seconds(90);

// The alert rules with every `for:` shortened, nothing else changed.
std::string TestRules() {
  const std::string shipped = ReadFile(Runfile("deploy/prometheus/alerts.yaml"));
  return std::regex_replace(shipped, std::regex(R"((\n\s+for:) \S+)"), "$1 2s");
}

// The alert an operator would see: one with this name whose labels include `labels`.
struct Expected {
  std::string name;
  std::map<std::string, std::string> labels;
};

bool Matches(const Alert& alert, const Expected& expected) {
  if (alert.name != expected.name || alert.state != "firing") return false;
  for (const auto& [key, value] : expected.labels) {
    auto it = alert.labels.find(key);
    if (it == alert.labels.end() || it->second != value) return false;
  }
  return true;
}

std::string Describe(const std::vector<Alert>& alerts) {
  std::vector<std::string> lines;
  for (const Alert& a : alerts) {
    std::vector<std::string> labels;
    for (const auto& [k, v] : a.labels) labels.push_back(absl::StrCat(k, "=", v));
    lines.push_back(absl::StrCat(a.state, " ", absl::StrJoin(labels, ","), " value=", a.value));
  }
  return lines.empty() ? "(no alert pending or firing)" : absl::StrJoin(lines, "\n");
}

// The metric names an expression reads (the project's families and `up`).
std::set<std::string> MetricNames(const std::string& expr) {
  static const std::regex kName(R"([a-zA-Z_:][a-zA-Z0-9_:]*)");
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), kName);
       it != std::sregex_iterator(); ++it) {
    const std::string name = it->str();
    if (absl::StartsWith(name, "databricks_") || absl::StartsWith(name, "gateway_") ||
        absl::StartsWith(name, "grpc_server_") || name == "up") {
      names.insert(name);
    }
  }
  return names;
}

class PrometheusE2ETest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start("e2e");
    if (!redis.ok()) {
      setup_error_ = redis.status().ToString();
      return;
    }
    redis_ = redis->release();

    StackOptions options;
    options.emulator_tokens = {kPatA, kPatB};
    // OAuth tokens outlive the emulator's clock jump (ARunOverAnHourFiresJobDurationHigh).
    options.emulator_auth_yaml =
        "  oauth_clients: [{client_id: e2e-robot, client_secret: e2e-robot-secret-5b7d}]\n"
        "  oauth_token_ttl_seconds: 31536000\n";
    options.emulator_yaml = R"yaml(
jobs:
  pending_seconds: 0.2
  running_seconds: 0.5
  terminating_seconds: 0.1
  outcomes:
    - match: {notebook_path: "/Workspace/e2e/fail*"}
      result_state: FAILED
      error: "Exception: scripted failure"
    - match: {notebook_path: "/Workspace/e2e/two-hours*"}
      running_seconds: 7200
    - match: {notebook_path: "/Workspace/e2e/slow*"}
      running_seconds: 600
sql:
  execution_seconds: 0.01
  warehouses: [{id: wh1, name: Main, state: RUNNING}]
)yaml";
    // pacing.min_rate: the throttling test needs Databricks to refuse more than a request
    // a second, which the budget, learning from the 429s, would otherwise stop sending.
    options.workspace_yaml = R"yaml(    default_warehouse_id: wh1
    rate_limit_rps: 100000
    rate_limit_burst: 100000
    pacing: {min_rate: 50}
    retry: {max_retries: 3, base_backoff_ms: 5, max_backoff_ms: 20}
    circuit_breaker: {failure_threshold: 5, open_seconds: 3}
)yaml";
    options.drain_seconds = 60;
    options.gateway_yaml = absl::StrCat(R"yaml(
credential_pools:
  - name: pats
    workspace: default
    eject_base_seconds: 600
    credentials:
      - {name: a, type: pat, token: {env: PAT_A}}
      - {name: b, type: pat, token: {env: PAT_B}}
  - name: oauth
    workspace: default
    credentials:
      - name: robot
        type: oauth_m2m
        client_id: e2e-robot
        client_secret: {env: ROBOT_SECRET}
tenants:
  - name: team
    api_key_sha256: [")yaml",
                                        Sha256Hex(kTeamKey), R"yaml("]
    credential_pool: pats
    quota: {requests_per_second: 100000, burst: 100000, max_concurrent: 1000, global: true}
  - name: tiny
    api_key_sha256: [")yaml",
                                        Sha256Hex(kTinyKey), R"yaml("]
    credential_pool: pats
    access: {methods: ["SqlService/*"]}
    quota: {requests_per_second: 1, burst: 1}
  - name: robot
    api_key_sha256: [")yaml",
                                        Sha256Hex(kRobotKey), R"yaml("]
    credential_pool: oauth
redis:
  enabled: true
  address: )yaml",
                                        redis_->address(), R"yaml(
  replica_count: 1
security:
  handle_signing_key: {env: HANDLE_KEY}
)yaml");
    options.gateway_env = {{"PAT_A", kPatA},
                           {"PAT_B", kPatB},
                           {"ROBOT_SECRET", "e2e-robot-secret-5b7d"},
                           {"HANDLE_KEY", "e2e-handle-signing-key-0123-padded-to-32-bytes"}};
    stack_ = new Stack("e2e", options);
    if (!stack_->ok()) {
      setup_error_ = stack_->error();
      return;
    }
    instance_ = absl::StrCat("127.0.0.1:", stack_->admin_port());

    const std::string rules = absl::StrCat(TempDir(), "/alerts-for-2s.yaml");
    WriteFile(rules, TestRules());
    PrometheusOptions prometheus_options;
    prometheus_options.job = "databricks-gateway";
    prometheus_options.targets = {instance_};
    prometheus_options.rule_files = {rules};
    absl::StatusOr<std::unique_ptr<PrometheusServer>> prometheus =
        PrometheusServer::Start("e2e", prometheus_options);
    if (!prometheus.ok()) {
      setup_error_ = prometheus.status().ToString();
      return;
    }
    prometheus_ = prometheus->release();
    // Prometheus hands targets to its scraper a few seconds after it is ready; until then
    // absent(up) holds, and the test copy of GatewayScrapeMissing (for: 2s) fires. The
    // phases start once the gateway has been scraped.
    const bool scraped = PollUntil(
        [] {
          absl::StatusOr<json::Value> up =
              prometheus_->Query(R"(up{job="databricks-gateway"} == 1)");
          return up.ok() && !up->as_array().empty();
        },
        absl::Seconds(30));
    if (!scraped) setup_error_ = "Prometheus never scraped the gateway:\n" + prometheus_->log();
  }

  static void TearDownTestSuite() {
    delete prometheus_;
    delete stack_;
    delete redis_;
  }

  void SetUp() override { ASSERT_EQ(setup_error_, ""); }

  static std::shared_ptr<grpc::Channel> Team() { return stack_->ChannelWithKey(kTeamKey); }

  // Calls `call` from `threads` threads (none: no load) until every alert in `expected` is
  // firing or kFireTimeout passes; returns the firing alerts that matched.
  static std::vector<Alert> DriveUntilFiring(const std::vector<Expected>& expected,
                                             const std::function<void()>& call, int threads = 2) {
    std::atomic<bool> stop{false};
    std::vector<std::thread> workers;
    workers.reserve(threads);
    for (int i = 0; i < threads; ++i) {
      workers.emplace_back([&] {
        while (!stop.load()) call();
      });
    }
    std::vector<Alert> matched;
    std::vector<Alert> last;
    PollUntil(
        [&] {
          absl::StatusOr<std::vector<Alert>> alerts = prometheus_->Alerts();
          if (!alerts.ok()) return false;
          last = *alerts;
          matched.clear();
          for (const Expected& e : expected) {
            for (const Alert& a : last) {
              if (Matches(a, e)) {
                matched.push_back(a);
                break;
              }
            }
          }
          return matched.size() == expected.size();
        },
        kFireTimeout);
    stop = true;
    for (std::thread& t : workers) t.join();
    if (matched.size() != expected.size()) {
      ADD_FAILURE() << "not every expected alert fired within " << kFireTimeout
                    << "; Prometheus' alerts:\n"
                    << Describe(last);
    }
    return matched;
  }

  static const Alert* Find(const std::vector<Alert>& alerts, const std::string& name) {
    for (const Alert& a : alerts) {
      if (a.name == name) return &a;
    }
    return nullptr;
  }

  static inline std::string setup_error_;
  static inline RedisServer* redis_ = nullptr;
  static inline Stack* stack_ = nullptr;
  static inline PrometheusServer* prometheus_ = nullptr;
  static inline std::string instance_;
};

// Submits a one-task notebook run; its run id, or "" with the failure recorded.
std::string SubmitNotebook(v1::JobsService::Stub& jobs, const std::string& path) {
  v1::SubmitRunRequest submit;
  submit.set_run_name(path);
  v1::Task* task = submit.add_tasks();
  task->set_task_key("main");
  task->set_existing_cluster_id("cluster-1");
  task->mutable_notebook_task()->set_notebook_path(path);
  v1::SubmitRunResponse submitted;
  const grpc::Status status = jobs.SubmitRun(Context().get(), submit, &submitted);
  EXPECT_TRUE(status.ok()) << path << ": " << status.error_message();
  return submitted.run_id();
}

// Watches a run with WaitRun to its end; the stream's status and its last message.
grpc::Status WaitToEnd(v1::JobsService::Stub& jobs, const std::string& run_id,
                       v1::WaitRunResponse* last) {
  v1::WaitRunRequest wait;
  wait.set_run_id(run_id);
  auto context = Context();
  auto reader = jobs.WaitRun(context.get(), wait);
  while (reader->Read(last)) {
  }
  return reader->Finish();
}

// A bit of everything the dashboard shows: jobs (a success and a failure, watched to the
// end), SQL, Delta, Catalog, an OAuth tenant, a refused key, a denied method, a reload.
void NormalTraffic(Stack& stack, const std::string& key, const std::string& table) {
  auto team = stack.ChannelWithKey(key);
  auto jobs = v1::JobsService::NewStub(team);
  for (const char* path : {"/Workspace/e2e/etl", "/Workspace/e2e/fail-nightly"}) {
    const std::string run_id = SubmitNotebook(*jobs, path);
    ASSERT_FALSE(run_id.empty());
    v1::WaitRunResponse last;
    ASSERT_TRUE(WaitToEnd(*jobs, run_id, &last).ok());
  }

  auto sql = v1::SqlService::NewStub(team);
  for (const std::string& statement :
       {absl::StrCat("CREATE TABLE main.default.", table, " (id BIGINT, kind STRING)"),
        absl::StrCat("INSERT INTO main.default.", table, " SELECT id, 'click' FROM range(100)"),
        absl::StrCat("SELECT kind, count(*) FROM main.default.", table, " GROUP BY kind")}) {
    v1::ExecuteStatementRequest request;
    request.set_statement(statement);
    v1::ExecuteStatementResponse response;
    ASSERT_TRUE(sql->ExecuteStatement(Context().get(), request, &response).ok()) << statement;
    ASSERT_EQ(response.status().state(), v1::StatementStatus::SUCCEEDED) << statement;
  }

  auto delta = v1::DeltaService::NewStub(team);
  v1::WriteTableRequest write;
  write.mutable_table()->set_table(table);
  write.add_columns("id");
  write.add_columns("kind");
  v1::Row* row = write.add_rows();
  row->add_values()->set_int_value(1000);
  row->add_values()->set_string_value("view");
  write.set_mode(v1::WRITE_MODE_APPEND);
  v1::WriteTableResponse written;
  ASSERT_TRUE(delta->WriteTable(Context().get(), write, &written).ok());
  v1::ReadTableRequest read;
  read.mutable_table()->set_table(table);
  auto context = Context();
  auto reader = delta->ReadTable(context.get(), read);
  v1::ReadTableResponse rows;
  while (reader->Read(&rows)) {
  }
  ASSERT_TRUE(reader->Finish().ok());
  v1::DescribeHistoryRequest history;
  history.mutable_table()->set_table(table);
  v1::DescribeHistoryResponse versions;
  ASSERT_TRUE(delta->DescribeHistory(Context().get(), history, &versions).ok());

  auto catalog = v1::CatalogService::NewStub(team);
  v1::ListTablesRequest tables;
  tables.set_catalog_name("main");
  tables.set_schema_name("default");
  v1::ListTablesResponse listed;
  ASSERT_TRUE(catalog->ListTables(Context().get(), tables, &listed).ok());

  // The OAuth tenant, a tenant calling outside its methods, and a key nobody has.
  ASSERT_TRUE(GetWarehouse(stack.ChannelWithKey(kRobotKey)).ok());
  v1::ListCatalogsResponse catalogs;
  EXPECT_EQ(v1::CatalogService::NewStub(stack.ChannelWithKey(kTinyKey))
                ->ListCatalogs(Context().get(), v1::ListCatalogsRequest(), &catalogs)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(GetWarehouse(stack.ChannelWithKey("nobody's key")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  stack.Reload();
}

TEST_F(PrometheusE2ETest, NormalTrafficFiresNoAlert) {
  NormalTraffic(*stack_, kTeamKey, "events");
  // Both the scrape and the rules have seen the traffic, several evaluations long.
  const absl::Time after = absl::Now() + absl::Seconds(3);
  ASSERT_TRUE(PollUntil(
      [&] {
        absl::StatusOr<json::Value> result =
            prometheus_->Query(R"(sum(grpc_server_handled_total{grpc_method="DescribeHistory"}))");
        return result.ok() && !result->as_array().empty() && absl::Now() > after;
      },
      absl::Seconds(30)))
      << "Prometheus never scraped the traffic:\n"
      << prometheus_->log();

  // Every rule loaded and evaluates without error.
  absl::StatusOr<json::Value> rules = prometheus_->Api("rules?type=alert");
  ASSERT_TRUE(rules.ok()) << rules.status();
  int loaded = 0;
  for (const json::Value& group : (*rules)["groups"].as_array()) {
    for (const json::Value& rule : group.Find("rules")->as_array()) {
      ++loaded;
      EXPECT_EQ(rule.Find("health")->as_string(), "ok") << rule.Dump();
    }
  }
  EXPECT_EQ(loaded, 12);

  absl::StatusOr<std::vector<Alert>> alerts = prometheus_->Alerts();
  ASSERT_TRUE(alerts.ok()) << alerts.status();
  EXPECT_TRUE(alerts->empty()) << Describe(*alerts);
}

TEST_F(PrometheusE2ETest, ServerErrorsFireHighErrorRateAndOpenTheBreaker) {
  stack_->SetFaults(R"([{"endpoint": "*", "kind": "status", "status": 500,
                         "error_code": "INTERNAL_ERROR", "message": "e2e outage"}])");
  auto team = Team();
  const std::vector<Alert> fired = DriveUntilFiring(
      {{"DatabricksHighErrorRate", {{"workspace", "default"}}},
       {"DatabricksCircuitBreakerOpen", {{"workspace", "default"}, {"instance", instance_}}}},
      [&] { GetWarehouse(team); });
  stack_->SetFaults("[]");
  if (const Alert* a = Find(fired, "DatabricksHighErrorRate")) {
    EXPECT_GT(a->value, 0.05);
  }
  if (const Alert* a = Find(fired, "DatabricksCircuitBreakerOpen")) {
    EXPECT_EQ(a->value, 2);
  }
}

// Throttling everything also teaches the budget that Databricks allows GetWarehouse far less
// than the configured rate: GatewayBudgetBelowHalf.
TEST_F(PrometheusE2ETest, ThrottlingFiresRateLimitedAndBudgetBelowHalf) {
  // Retry-After: 0 lets each credential be throttled again at once, so a few seconds
  // reach the alert's average of more than one 429 a second over 5 minutes.
  stack_->SetFaults(R"([{"endpoint": "*", "kind": "status", "status": 429, "retry_after_seconds": 0,
                         "error_code": "REQUEST_LIMIT_EXCEEDED"}])");
  auto team = Team();
  const std::vector<Alert> fired = DriveUntilFiring(
      {{"DatabricksRateLimited", {{"workspace", "default"}}},
       {"GatewayBudgetBelowHalf", {{"workspace", "default"}, {"operation", "sql.warehouses.get"}}}},
      [&] { GetWarehouse(team); }, 4);
  stack_->SetFaults("[]");
  if (const Alert* a = Find(fired, "DatabricksRateLimited")) {
    EXPECT_GT(a->value, 1);
  }
  if (const Alert* a = Find(fired, "GatewayBudgetBelowHalf")) {
    EXPECT_LT(a->value, 50'000);  // half of rate_limit_rps
  }
  // The pool is whole again before the next phase.
  EXPECT_TRUE(PollUntil(
      [] {
        return SeriesValue(stack_->Metrics(), R"(gateway_credential_pool_usable{pool="pats"})") ==
               2;
      },
      absl::Seconds(30)));
}

TEST_F(PrometheusE2ETest, ARunOverAnHourFiresJobDurationHigh) {
  auto jobs = v1::JobsService::NewStub(Team());
  const std::string run_id = SubmitNotebook(*jobs, "/Workspace/e2e/two-hours");
  ASSERT_FALSE(run_id.empty());
  // The emulator's clock jumps past the run's end; the gateway watches it finish.
  stack_->Control("POST", "/emulator/v1/clock/advance", R"({"seconds": 7300})");
  v1::WaitRunResponse last;
  ASSERT_TRUE(WaitToEnd(*jobs, run_id, &last).ok());
  ASSERT_TRUE(last.terminal());

  const std::vector<Alert> fired =
      DriveUntilFiring({{"DatabricksJobDurationHigh", {{"workspace", "default"}}}}, nullptr, 0);
  if (const Alert* a = Find(fired, "DatabricksJobDurationHigh")) {
    EXPECT_GT(a->value, 3600);
  }
}

TEST_F(PrometheusE2ETest, ATenantOverItsQuotaFiresThrottledHard) {
  auto tiny = stack_->ChannelWithKey(kTinyKey);
  const std::vector<Alert> fired = DriveUntilFiring(
      {{"GatewayTenantThrottledHard", {{"tenant", "tiny"}}}}, [&] { GetWarehouse(tiny); });
  if (const Alert* a = Find(fired, "GatewayTenantThrottledHard")) {
    EXPECT_GT(a->value, 0.5);
  }
}

TEST_F(PrometheusE2ETest, RedisDownFiresRedisFallback) {
  ASSERT_TRUE(redis_->Stop().ok());
  auto team = Team();
  DriveUntilFiring({{"GatewayRedisFallback", {{"instance", instance_}}}},
                   [&] { GetWarehouse(team); });
  EXPECT_TRUE(redis_->Restart().ok());
}

TEST_F(PrometheusE2ETest, ARevokedCredentialFiresAuthFailuresAndPoolDegraded) {
  stack_->Control("POST", "/emulator/v1/credentials/revoke",
                  absl::StrCat(R"({"token": ")", kPatB, R"("})"));
  auto team = Team();
  const std::vector<Alert> fired =
      DriveUntilFiring({{"DatabricksAuthFailures", {{"workspace", "default"}}},
                        {"GatewayCredentialPoolDegraded", {{"pool", "pats"}, {"credential", "b"}}}},
                       [&] { GetWarehouse(team); });
  if (const Alert* a = Find(fired, "GatewayCredentialPoolDegraded")) {
    EXPECT_EQ(a->value, 2) << "credential b is not ejected";
  }
}

TEST_F(PrometheusE2ETest, EveryCredentialRevokedFiresPoolEmpty) {
  stack_->Control("POST", "/emulator/v1/credentials/revoke",
                  absl::StrCat(R"({"token": ")", kPatA, R"("})"));
  auto team = Team();
  DriveUntilFiring({{"GatewayCredentialPoolEmpty", {{"pool", "pats"}, {"instance", instance_}}}},
                   [&] { GetWarehouse(team); });
}

// Grafana's variables as a user would pick them: this replica, tenant team; the rate
// window long enough to hold every phase of this test.
std::string Substitute(const std::string& expr, const std::string& instance) {
  return absl::StrReplaceAll(
      expr, {{"$__rate_interval", "5m"}, {"$instance", instance}, {"$tenant", "team"}});
}

TEST_F(PrometheusE2ETest, EveryDashboardQueryReturnsData) {
  absl::StatusOr<json::Value> dashboard =
      json::Parse(ReadFile(Runfile("deploy/grafana/databricks-gateway.json")));
  ASSERT_TRUE(dashboard.ok()) << dashboard.status();
  // Rates need two samples of a series: traffic again (on the OAuth tenant, the PATs being
  // revoked), until Prometheus sees statements finishing now.
  NormalTraffic(*stack_, kRobotKey, "robot_events");
  ASSERT_TRUE(PollUntil(
      [] {
        absl::StatusOr<json::Value> r =
            prometheus_->Query("rate(databricks_sql_query_duration_seconds_count[5m]) > 0");
        return r.ok() && !r->as_array().empty();
      },
      absl::Seconds(30)));

  // The variables' own queries (label_values) find this replica and the tenants.
  absl::StatusOr<json::Value> instances =
      prometheus_->Api("label/instance/values?match[]=gateway_build_info");
  ASSERT_TRUE(instances.ok()) << instances.status();
  EXPECT_EQ(instances->Dump(), absl::StrCat(R"([")", instance_, R"("])"));
  absl::StatusOr<json::Value> tenants =
      prometheus_->Api("label/tenant/values?match[]=gateway_ratelimit_decisions_total");
  ASSERT_TRUE(tenants.ok()) << tenants.status();
  EXPECT_EQ(tenants->Dump(), R"(["robot","team","tiny"])");

  int queries = 0;
  for (const json::Value& panel : (*dashboard)["panels"].as_array()) {
    const json::Value* targets = panel.Find("targets");
    if (targets == nullptr) continue;
    const std::string title = panel.Find("title")->as_string();
    for (const json::Value& target : targets->as_array()) {
      const std::string expr = Substitute(target.Find("expr")->as_string(), instance_);
      ++queries;
      absl::StatusOr<json::Value> result = prometheus_->Query(expr);
      ASSERT_TRUE(result.ok()) << title << ": " << expr << ": " << result.status();
      int finite = 0;
      for (const json::Value& sample : result->as_array()) {
        const std::string value = (*sample.Find("value")).as_array()[1].as_string();
        if (value != "NaN" && value != "+Inf" && value != "-Inf") ++finite;
      }
      EXPECT_GT(finite, 0) << "panel \"" << title << "\" shows no data: " << expr << " → "
                           << result->Dump();
    }
  }
  EXPECT_GE(queries, 30);
  std::cout << queries << " dashboard queries answered with data\n";
}

// The names a scrape exports: sample names and families (# TYPE lines).
std::set<std::string> ScrapedNames(const std::string& text, std::set<std::string>* families) {
  std::set<std::string> samples;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "# TYPE ")) {
      std::vector<std::string> parts = absl::StrSplit(line, ' ');
      if (parts.size() >= 3) families->insert(parts[2]);
      continue;
    }
    if (absl::StartsWith(line, "#")) continue;
    samples.insert(std::string(line.substr(0, line.find_first_of("{ "))));
  }
  return samples;
}

TEST_F(PrometheusE2ETest, EveryMetricTheDashboardAndRulesReadIsScrapedAndDocumented) {
  std::set<std::string> families;
  const std::set<std::string> scraped = ScrapedNames(stack_->Metrics(), &families);
  ASSERT_FALSE(scraped.empty());

  std::set<std::string> used;
  absl::StatusOr<json::Value> dashboard =
      json::Parse(ReadFile(Runfile("deploy/grafana/databricks-gateway.json")));
  ASSERT_TRUE(dashboard.ok());
  for (const json::Value& panel : (*dashboard)["panels"].as_array()) {
    if (const json::Value* targets = panel.Find("targets")) {
      for (const json::Value& t : targets->as_array()) {
        for (const std::string& n : MetricNames(t.Find("expr")->as_string())) used.insert(n);
      }
    }
  }
  const YAML::Node rules = YAML::LoadFile(Runfile("deploy/prometheus/alerts.yaml"));
  for (const YAML::Node& group : rules["groups"]) {
    for (const YAML::Node& rule : group["rules"]) {
      for (const std::string& n : MetricNames(rule["expr"].as<std::string>())) used.insert(n);
    }
  }
  used.erase("up");  // Prometheus' own, per target
  for (const std::string& name : used) {
    EXPECT_TRUE(scraped.count(name) > 0) << name << " is read by the dashboard or the rules "
                                         << "but the gateway does not export it";
  }
  EXPECT_GE(used.size(), 25u);  // 30 today; guards the extraction

  // docs/metrics.md: a table row per family ("| `name` |" or "| ★ `name` |").
  std::set<std::string> documented;
  static const std::regex kRow(R"(^\| (?:★ )?`([a-z_:]+)` \|)");
  for (absl::string_view line : absl::StrSplit(ReadFile(Runfile("docs/metrics.md")), '\n')) {
    std::smatch match;
    const std::string text(line);
    if (std::regex_search(text, match, kRow)) documented.insert(match[1]);
  }
  std::cout << families.size() << " families exported, " << documented.size() << " documented, "
            << used.size() << " read by the dashboard and the rules\n";
  EXPECT_GE(families.size(), 30u);  // 38 today; guards the parse
  for (const std::string& family : families) {
    EXPECT_TRUE(documented.count(family) > 0)
        << family << " is exported but not in docs/metrics.md";
  }
  for (const std::string& family : documented) {
    EXPECT_TRUE(families.count(family) > 0) << family << " is in docs/metrics.md but not exported";
  }
}

TEST_F(PrometheusE2ETest, AStuckDrainFiresDrainStuckAndTheExitFiresScrapeMissing) {
  // A run that outlives the drain window, watched by the OAuth tenant (whose pool is
  // healthy), keeps the gateway draining after SIGTERM.
  auto jobs = v1::JobsService::NewStub(stack_->ChannelWithKey(kRobotKey));
  const std::string run_id = SubmitNotebook(*jobs, "/Workspace/e2e/slow");
  ASSERT_FALSE(run_id.empty());
  v1::WaitRunRequest wait;
  wait.set_run_id(run_id);
  auto watch = Context(absl::Seconds(120));
  auto reader = jobs->WaitRun(watch.get(), wait);
  v1::WaitRunResponse first;
  ASSERT_TRUE(reader->Read(&first)) << "WaitRun sent nothing";

  stack_->TerminateGateway();
  DriveUntilFiring({{"GatewayDrainStuck", {{"instance", instance_}}}}, nullptr, 0);
  EXPECT_EQ(stack_->Readiness().first, 503);

  // The watcher gives up; with nothing in flight the gateway exits at once.
  watch->TryCancel();
  v1::WaitRunResponse message;
  while (reader->Read(&message)) {
  }
  reader->Finish();
  EXPECT_EQ(stack_->WaitGatewayExit(absl::Seconds(30)), 0);

  DriveUntilFiring({{"GatewayScrapeMissing", {{"instance", instance_}}}}, nullptr, 0);
}

}  // namespace
}  // namespace gateway
