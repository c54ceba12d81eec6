// Tenancy end to end: API keys, access rules, per-tenant rate limits and signed handles,
// with the gateway binary against the emulator binary over loopback.
#include <algorithm>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/databricks/gateway/v1/catalog.grpc.pb.h"
#include "proto/databricks/gateway/v1/delta.grpc.pb.h"
#include "proto/databricks/gateway/v1/jobs.grpc.pb.h"
#include "proto/databricks/gateway/v1/sql.grpc.pb.h"
#include "tests/integration/flood.h"
#include "tests/integration/proto/health.grpc.pb.h"
#include "tests/integration/stack.h"

namespace gateway {
namespace {

namespace v1 = ::databricks::gateway::v1;
using ::gateway::testing::Context;
using ::gateway::testing::ErrorInfoOf;
using ::gateway::testing::Flood;
using ::gateway::testing::Hammer;
using ::gateway::testing::Sha256Hex;
using ::gateway::testing::Stack;
using ::gateway::testing::StackOptions;
using ::testing::HasSubstr;

constexpr char kEmulator[] = R"yaml(
jobs:
  pending_seconds: 30
sql:
  warehouses:
    - {id: wh1, name: Main, state: RUNNING}
    - {id: wh2, name: Other, state: RUNNING}
  timings: [{contains: "slow_marker", execution_seconds: 60}]
catalog:
  catalogs: {main: [default, beta_sales], analytics: [default]}
)yaml";

std::string GatewayYaml() {
  return absl::StrReplaceAll(R"yaml(
credential_pools:
  - name: shared
    workspace: default
    credentials:
      - {name: pat, type: pat, token: {env: DATABRICKS_TOKEN}}
tenants:
  - name: alpha
    api_key_sha256: [ALPHA]
    credential_pool: shared
  - name: gamma
    api_key_sha256: [GAMMA]
    credential_pool: shared
  - name: beta
    api_key_sha256: [BETA]
    credential_pool: shared
    access:
      methods: ["SqlService/GetWarehouse", "SqlService/ListWarehouses", "DeltaService/DeleteRows",
                "CatalogService/*"]
      warehouses: [wh1]
      schemas: ["main.beta_*"]
  - name: slow
    api_key_sha256: [SLOW]
    credential_pool: shared
    quota: {requests_per_second: 20, burst: 5}
  - name: fast
    api_key_sha256: [FAST]
    credential_pool: shared
    quota: {requests_per_second: 60, burst: 15}
  - name: quiet
    api_key_sha256: [QUIET]
    credential_pool: shared
    quota: {requests_per_second: 1000, burst: 100}
security:
  handle_signing_key: {env: HANDLE_KEY}
)yaml",
                             {{"ALPHA", Sha256Hex("alpha-key")},
                              {"GAMMA", Sha256Hex("gamma-key")},
                              {"BETA", Sha256Hex("beta-key")},
                              {"SLOW", Sha256Hex("slow-key")},
                              {"FAST", Sha256Hex("fast-key")},
                              {"QUIET", Sha256Hex("quiet-key")}});
}

class TenancyTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StackOptions options;
    options.emulator_yaml = kEmulator;
    options.workspace_yaml =
        "    default_warehouse_id: wh1\n"
        "    rate_limit_rps: 100000\n"
        "    rate_limit_burst: 100000\n";
    options.gateway_yaml = GatewayYaml();
    options.gateway_env = {{"HANDLE_KEY", "integration-handle-signing-key-padded-to-32-bytes"}};
    stack_ = new Stack("tenancy", options);
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(stack_->ok()) << stack_->error(); }

  static grpc::Status GetWarehouse(v1::SqlService::Stub& stub) {
    v1::GetWarehouseRequest request;
    request.set_id("wh1");
    v1::GetWarehouseResponse response;
    return stub.GetWarehouse(Context().get(), request, &response);
  }

  static Stack* stack_;
};

Stack* TenancyTest::stack_ = nullptr;

TEST_F(TenancyTest, MissingAndUnknownKeysAreRefusedAlikeAndHealthNeedsNone) {
  stack_->ResetCounters();
  auto anonymous = v1::SqlService::NewStub(stack_->channel());
  auto stranger = v1::SqlService::NewStub(stack_->ChannelWithKey("no-such-key"));
  const grpc::Status missing = GetWarehouse(*anonymous);
  const grpc::Status unknown = GetWarehouse(*stranger);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(missing.error_message(), unknown.error_message());
  EXPECT_THAT(missing.error_message(), HasSubstr("missing or unknown API key"));
  EXPECT_EQ(stack_->EmulatorApiRequests(), 0);

  auto health = ::grpc::health::v1::Health::NewStub(stack_->channel());
  ::grpc::health::v1::HealthCheckRequest request;
  ::grpc::health::v1::HealthCheckResponse response;
  ASSERT_TRUE(health->Check(Context().get(), request, &response).ok());
  EXPECT_EQ(response.status(), ::grpc::health::v1::HealthCheckResponse::SERVING);

  const std::string metrics = stack_->Metrics();
  EXPECT_THAT(metrics, HasSubstr("gateway_auth_refused_total{reason=\"missing_key\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("gateway_auth_refused_total{reason=\"unknown_key\"} 1"));
}

TEST_F(TenancyTest, AccessRulesRefuseBeforeAnythingReachesDatabricks) {
  auto channel = stack_->ChannelWithKey("beta-key");
  stack_->ResetCounters();

  auto jobs = v1::JobsService::NewStub(channel);
  v1::ListRunsRequest list;
  v1::ListRunsResponse runs;
  grpc::Status status = jobs->ListRuns(Context().get(), list, &runs);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            "tenant 'beta' may not call JobsService/ListRuns: access.methods allows only "
            "SqlService/GetWarehouse, SqlService/ListWarehouses, DeltaService/DeleteRows, "
            "CatalogService/*");
  EXPECT_EQ(ErrorInfoOf(status).reason, "ACCESS_DENIED");
  EXPECT_EQ(ErrorInfoOf(status).metadata["rule"], "access.methods");

  auto sql = v1::SqlService::NewStub(channel);
  v1::GetWarehouseRequest get_warehouse;
  get_warehouse.set_id("wh2");
  v1::GetWarehouseResponse warehouse;
  status = sql->GetWarehouse(Context().get(), get_warehouse, &warehouse);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            "tenant 'beta' may not use warehouse 'wh2': access.warehouses allows only wh1");

  auto delta = v1::DeltaService::NewStub(channel);
  v1::DeleteRowsRequest remove;
  remove.mutable_table()->set_table("t");  // main.default.t by the workspace defaults
  v1::DeleteRowsResponse removed;
  status = delta->DeleteRows(Context().get(), remove, &removed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(status.error_message(),
            "tenant 'beta' may not touch schema main.default: access.schemas allows only "
            "main.beta_*");
  EXPECT_EQ(stack_->EmulatorApiRequests(), 0) << "a refused call reached Databricks";

  // Listings show only what the rules reach.
  auto catalog = v1::CatalogService::NewStub(channel);
  v1::ListCatalogsResponse catalogs;
  ASSERT_TRUE(catalog->ListCatalogs(Context().get(), {}, &catalogs).ok());
  ASSERT_EQ(catalogs.catalogs_size(), 1);
  EXPECT_EQ(catalogs.catalogs(0).name(), "main");
  v1::ListSchemasRequest schemas_request;
  schemas_request.set_catalog_name("main");
  v1::ListSchemasResponse schemas;
  ASSERT_TRUE(catalog->ListSchemas(Context().get(), schemas_request, &schemas).ok());
  ASSERT_EQ(schemas.schemas_size(), 1);
  EXPECT_EQ(schemas.schemas(0).name(), "beta_sales");
}

TEST_F(TenancyTest, HandlesAreBoundToTheTenantThatGotThem) {
  auto alpha_jobs = v1::JobsService::NewStub(stack_->ChannelWithKey("alpha-key"));
  auto gamma_jobs = v1::JobsService::NewStub(stack_->ChannelWithKey("gamma-key"));
  v1::SubmitRunRequest submit;
  submit.set_run_name("alpha's run");
  v1::Task* task = submit.add_tasks();
  task->set_task_key("main");
  task->set_existing_cluster_id("cluster-1");
  task->mutable_notebook_task()->set_notebook_path("/Workspace/alpha");
  v1::SubmitRunResponse submitted;
  ASSERT_TRUE(alpha_jobs->SubmitRun(Context().get(), submit, &submitted).ok());
  const std::string handle = submitted.run_id();
  const std::string raw_id = handle.substr(0, handle.find('.'));
  ASSERT_NE(raw_id, handle) << "the handle is not signed";

  for (const std::string& presented : {handle, raw_id}) {
    v1::GetRunRequest get;
    get.set_run_id(presented);
    v1::GetRunResponse run;
    grpc::Status status = gamma_jobs->GetRun(Context().get(), get, &run);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND) << presented;
    EXPECT_EQ(status.error_message(), absl::StrCat("run '", presented, "' does not exist"));

    v1::CancelRunRequest cancel;
    cancel.set_run_id(presented);
    v1::CancelRunResponse cancelled;
    EXPECT_EQ(gamma_jobs->CancelRun(Context().get(), cancel, &cancelled).error_code(),
              grpc::StatusCode::NOT_FOUND);

    v1::WaitRunRequest wait;
    wait.set_run_id(presented);
    auto context = Context();
    auto reader = gamma_jobs->WaitRun(context.get(), wait);
    v1::WaitRunResponse update;
    EXPECT_FALSE(reader->Read(&update));
    EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
  }
  v1::GetRunRequest get;
  get.set_run_id(handle);
  v1::GetRunResponse run;
  ASSERT_TRUE(alpha_jobs->GetRun(Context().get(), get, &run).ok());
  EXPECT_EQ(run.run().run_id(), handle);
  EXPECT_EQ(run.run().state().life_cycle_state_text(), "PENDING") << "gamma's cancel reached it";

  // Statements: the same, and the raw statement id opens nothing either.
  auto alpha_sql = v1::SqlService::NewStub(stack_->ChannelWithKey("alpha-key"));
  auto gamma_sql = v1::SqlService::NewStub(stack_->ChannelWithKey("gamma-key"));
  v1::ExecuteStatementRequest execute;
  execute.set_statement("SELECT 'slow_marker'");
  execute.set_wait_timeout_seconds(0);
  v1::ExecuteStatementResponse executed;
  ASSERT_TRUE(alpha_sql->ExecuteStatement(Context().get(), execute, &executed).ok());
  const std::string statement = executed.statement_id();
  for (const std::string& presented : {statement, statement.substr(0, statement.rfind('.'))}) {
    v1::GetStatementRequest get_statement;
    get_statement.set_statement_id(presented);
    v1::GetStatementResponse got;
    EXPECT_EQ(gamma_sql->GetStatement(Context().get(), get_statement, &got).error_code(),
              grpc::StatusCode::NOT_FOUND);
    v1::CancelStatementRequest cancel;
    cancel.set_statement_id(presented);
    v1::CancelStatementResponse cancelled;
    EXPECT_EQ(gamma_sql->CancelStatement(Context().get(), cancel, &cancelled).error_code(),
              grpc::StatusCode::NOT_FOUND);
  }
  v1::GetStatementRequest get_statement;
  get_statement.set_statement_id(statement);
  v1::GetStatementResponse got;
  ASSERT_TRUE(alpha_sql->GetStatement(Context().get(), get_statement, &got).ok());
  EXPECT_NE(got.status().state(), v1::StatementStatus::CANCELED);
  v1::CancelStatementRequest cancel;
  cancel.set_statement_id(statement);
  v1::CancelStatementResponse cancelled;
  EXPECT_TRUE(alpha_sql->CancelStatement(Context().get(), cancel, &cancelled).ok());
}

// The median and 99th percentile latency of `calls` GetWarehouse calls, one every 20 ms.
std::pair<absl::Duration, absl::Duration> Latency(const std::shared_ptr<grpc::Channel>& channel,
                                                  int calls, int* failures) {
  auto stub = v1::SqlService::NewStub(channel);
  std::vector<absl::Duration> took;
  for (int i = 0; i < calls; ++i) {
    const absl::Time start = absl::Now();
    v1::GetWarehouseRequest request;
    request.set_id("wh1");
    v1::GetWarehouseResponse response;
    if (!stub->GetWarehouse(Context().get(), request, &response).ok()) ++*failures;
    took.push_back(absl::Now() - start);
    absl::SleepFor(absl::Milliseconds(20));
  }
  std::sort(took.begin(), took.end());
  return {took[took.size() / 2], took[took.size() * 99 / 100]};
}

TEST_F(TenancyTest, TwoTenantsHammeredConcurrentlyEachGetTheirOwnLimit) {
  // Idle long enough for both buckets to be full.
  absl::SleepFor(absl::Seconds(1));
  const absl::Time until = absl::Now() + absl::Seconds(3);
  Flood slow;
  Flood fast;
  std::thread a([&] { slow = Hammer(stack_->ChannelWithKey("slow-key"), 3, until); });
  std::thread b([&] { fast = Hammer(stack_->ChannelWithKey("fast-key"), 3, until); });
  a.join();
  b.join();
  const double slow_bound = 5 + 20 * absl::ToDoubleSeconds(slow.window());
  const double fast_bound = 15 + 60 * absl::ToDoubleSeconds(fast.window());
  std::cout << "slow: " << slow.admitted << " admitted, " << slow.limited << " limited over "
            << slow.window() << " (burst + rate x elapsed = " << slow_bound << ")\n"
            << "fast: " << fast.admitted << " admitted, " << fast.limited << " limited over "
            << fast.window() << " (burst + rate x elapsed = " << fast_bound << ")\n";
  EXPECT_EQ(slow.other + fast.other, 0);
  EXPECT_GT(slow.limited, 0);
  EXPECT_GT(fast.limited, 0);
  // Within one call, plus what the client cannot see: the window (first call to last
  // admitted) is measured on the client, a little off the gateway's decisions
  // (rate × kClientSkewSeconds of slack).
  EXPECT_NEAR(slow.admitted, slow_bound, 1.0 + 20 * ::gateway::testing::kClientSkewSeconds);
  EXPECT_NEAR(fast.admitted, fast_bound, 1.0 + 60 * ::gateway::testing::kClientSkewSeconds);
}

TEST_F(TenancyTest, OneTenantsFloodDoesNotDelayAnother) {
  auto quiet = stack_->ChannelWithKey("quiet-key");
  int failures = 0;
  const auto [alone_p50, alone_p99] = Latency(quiet, 100, &failures);
  const absl::Time until = absl::Now() + absl::Seconds(4);
  std::thread flood([&] { Hammer(stack_->ChannelWithKey("slow-key"), 4, until); });
  const auto [flood_p50, flood_p99] = Latency(quiet, 100, &failures);
  flood.join();
  std::cout << "quiet tenant alone: p50 " << alone_p50 << ", p99 " << alone_p99
            << "; during another tenant's flood: p50 " << flood_p50 << ", p99 " << flood_p99
            << "\n";
  EXPECT_EQ(failures, 0);
  // The flood is refused cheaply, so the quiet tenant's median moves by noise only: a few
  // milliseconds on these 2-core machines, where the flooding client shares the cores.
  EXPECT_LT(flood_p50, alone_p50 + absl::Milliseconds(5));
}

}  // namespace
}  // namespace gateway
