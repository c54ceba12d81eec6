// Dry run end to end: `x-dry-run: true` on a call, or a tenant with `dry_run: true`, makes
// the gateway authenticate, authorize, rate-limit and map the call, then answer with the
// requests it would send (trailing metadata x-dry-run-requests-bin) and send none. Every
// mutating method is tried; the emulator's counters prove nothing reached it.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/databricks/gateway/v1/delta.grpc.pb.h"
#include "proto/databricks/gateway/v1/jobs.grpc.pb.h"
#include "proto/databricks/gateway/v1/sql.grpc.pb.h"
#include "server/common/json.h"
#include "tests/integration/stack.h"

namespace gateway {
namespace {

namespace v1 = ::databricks::gateway::v1;
using ::gateway::testing::Context;
using ::gateway::testing::ParseText;
using ::gateway::testing::Sha256Hex;
using ::gateway::testing::Stack;
using ::gateway::testing::StackOptions;
using ::testing::HasSubstr;

constexpr char kEmulator[] = R"yaml(
sql:
  warehouses:
    - {id: wh1, name: Main, state: RUNNING}
)yaml";

std::string GatewayYaml() {
  return absl::StrReplaceAll(R"yaml(
credential_pools:
  - name: shared
    workspace: default
    credentials:
      - {name: pat, type: pat, token: {env: DATABRICKS_TOKEN}}
tenants:
  - name: live
    api_key_sha256: [LIVE]
    credential_pool: shared
  - name: rehearsal
    api_key_sha256: [REHEARSAL]
    credential_pool: shared
    dry_run: true
  - name: rationed
    api_key_sha256: [RATIONED]
    credential_pool: shared
    dry_run: true
    quota: {requests_per_second: 0.1, burst: 1}
security:
  handle_signing_key: {env: HANDLE_KEY}
)yaml",
                             {{"LIVE", Sha256Hex("live-key")},
                              {"REHEARSAL", Sha256Hex("rehearsal-key")},
                              {"RATIONED", Sha256Hex("rationed-key")}});
}

// `value[key]`, or null when `value` is not an object with `key`.
const json::Value& Get(const json::Value& value, absl::string_view key) {
  static const json::Value kNull;
  const json::Value* found = value.is_object() ? value.Find(key) : nullptr;
  return found != nullptr ? *found : kNull;
}

// `value[key]` as text: a string as it is, anything else as JSON ("" when absent).
std::string Text(const json::Value& value, absl::string_view key) {
  const json::Value& field = Get(value, key);
  if (field.is_string()) return field.as_string();
  return field.is_null() ? "" : field.Dump();
}

// What one call returned: its status, the requests of its dry run (null when the trailer
// is absent) and whether its response was empty.
struct Outcome {
  grpc::Status status;
  json::Value requests;
  bool empty_response = false;
};

json::Value DryRunRequests(const grpc::ClientContext& context) {
  const auto& trailers = context.GetServerTrailingMetadata();
  auto found = trailers.find("x-dry-run-requests-bin");
  if (found == trailers.end()) return json::Value();
  absl::StatusOr<json::Value> parsed =
      json::Parse(absl::string_view(found->second.data(), found->second.size()));
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  if (!parsed.ok()) return json::Value();
  EXPECT_EQ(Get(*parsed, "dry_run"), json::Value(true)) << parsed->Dump();
  return Get(*parsed, "requests");
}

std::unique_ptr<grpc::ClientContext> DryContext(const std::string& header = "true") {
  auto context = Context();
  if (!header.empty()) context->AddMetadata("x-dry-run", header);
  return context;
}

class DryRunTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    StackOptions options;
    options.emulator_yaml = kEmulator;
    options.workspace_yaml = "    default_warehouse_id: wh1\n";
    options.gateway_yaml = GatewayYaml();
    options.gateway_env = {{"HANDLE_KEY", "dry-run-handle-signing-key-padded-to-32-bytes"}};
    stack_ = new Stack("dry_run", options);
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(stack_->ok()) << stack_->error();
    auto live = stack_->ChannelWithKey("live-key");
    jobs_ = v1::JobsService::NewStub(live);
    sql_ = v1::SqlService::NewStub(live);
    delta_ = v1::DeltaService::NewStub(live);
  }

  // A unary call with `x-dry-run: header` (none when empty).
  template <typename Stub, typename Request, typename Response>
  Outcome Unary(grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                Stub& stub, const Request& request, const std::string& header = "true") {
    auto context = DryContext(header);
    Response response;
    Outcome out;
    out.status = (stub.*method)(context.get(), request, &response);
    out.requests = DryRunRequests(*context);
    out.empty_response = response.ByteSizeLong() == 0;
    return out;
  }

  // A server-streaming call with `x-dry-run: true`; fails the test if it sent a message.
  template <typename Stub, typename Request, typename Response>
  Outcome Stream(std::unique_ptr<grpc::ClientReader<Response>> (Stub::*method)(grpc::ClientContext*,
                                                                               const Request&),
                 Stub& stub, const Request& request) {
    auto context = DryContext();
    auto reader = (stub.*method)(context.get(), request);
    Response message;
    int messages = 0;
    while (reader->Read(&message)) ++messages;
    Outcome out;
    out.status = reader->Finish();
    out.requests = DryRunRequests(*context);
    out.empty_response = messages == 0;
    return out;
  }

  static Stack* stack_;
  std::unique_ptr<v1::JobsService::Stub> jobs_;
  std::unique_ptr<v1::SqlService::Stub> sql_;
  std::unique_ptr<v1::DeltaService::Stub> delta_;
};

Stack* DryRunTest::stack_ = nullptr;

// The one request of `outcome`, checked to be `method` `path` for `operation`.
const json::Value& OnlyRequest(const Outcome& outcome, const std::string& method,
                               const std::string& path, const std::string& operation) {
  static const json::Value kNone;
  EXPECT_TRUE(outcome.status.ok()) << outcome.status.error_message();
  EXPECT_TRUE(outcome.empty_response);
  if (!outcome.requests.is_array() || outcome.requests.as_array().size() != 1) {
    ADD_FAILURE() << "expected one request, got " << outcome.requests.Dump();
    return kNone;
  }
  const json::Value& request = outcome.requests.as_array()[0];
  EXPECT_EQ(Text(request, "method"), method) << request.Dump();
  EXPECT_EQ(Text(request, "path"), path) << request.Dump();
  EXPECT_EQ(Text(request, "operation"), operation) << request.Dump();
  EXPECT_TRUE(Get(request, "authorization").is_null());
  return request;
}

// The SQL statement request of a Delta dry run: its statement text.
std::string StatementOf(const Outcome& outcome) {
  const json::Value& request =
      OnlyRequest(outcome, "POST", "/api/2.0/sql/statements", "sql.statements.execute");
  const json::Value& body = Get(request, "body");
  EXPECT_EQ(Text(body, "warehouse_id"), "wh1") << request.Dump();
  return Text(body, "statement");
}

TEST_F(DryRunTest, EveryMutatingMethodReturnsItsRequestAndSendsNothing) {
  // Real handles of the live tenant, made before the counters are reset.
  v1::SubmitRunResponse submitted;
  ASSERT_TRUE(jobs_
                  ->SubmitRun(Context().get(), ParseText<v1::SubmitRunRequest>(R"pb(
                                run_name: "real"
                                tasks {
                                  task_key: "main"
                                  existing_cluster_id: "c1"
                                  notebook_task { notebook_path: "/real" }
                                })pb"),
                              &submitted)
                  .ok());
  v1::ExecuteStatementResponse executed;
  ASSERT_TRUE(
      sql_->ExecuteStatement(Context().get(),
                             ParseText<v1::ExecuteStatementRequest>(R"pb(statement: "SELECT 1")pb"),
                             &executed)
          .ok());
  // The counters see real calls (so that the zero at the end means something).
  ASSERT_GE(stack_->EmulatorApiRequests(), 2);
  stack_->ResetCounters();

  // Jobs.
  Outcome submit =
      Unary(&v1::JobsService::Stub::SubmitRun, *jobs_, ParseText<v1::SubmitRunRequest>(R"pb(
        run_name: "nightly"
        idempotency_token: "tok-1"
        tasks {
          task_key: "main"
          existing_cluster_id: "c1"
          notebook_task { notebook_path: "/etl/nightly" }
        })pb"));
  const json::Value& submit_request =
      OnlyRequest(submit, "POST", "/api/2.2/jobs/runs/submit", "jobs.runs.submit");
  // As it would be sent: with the tenant's mark (server/auth/ownership.h).
  EXPECT_EQ(Text(Get(submit_request, "body"), "run_name"), "[gw:live] nightly");
  EXPECT_THAT(submit_request.Dump(), HasSubstr("/etl/nightly"));
  // The caller's token, made the tenant's, as it would be sent.
  EXPECT_THAT(Text(Get(submit_request, "body"), "idempotency_token"),
              ::testing::StartsWith("gw-t-"));

  v1::CancelRunRequest cancel;
  cancel.set_run_id(submitted.run_id());
  const Outcome cancel_run = Unary(&v1::JobsService::Stub::CancelRun, *jobs_, cancel);
  const json::Value& cancel_request =
      OnlyRequest(cancel_run, "POST", "/api/2.2/jobs/runs/cancel", "jobs.runs.cancel");
  EXPECT_TRUE(Get(Get(cancel_request, "body"), "run_id").is_int()) << cancel_request.Dump();

  // SQL.
  Outcome statement = Unary(&v1::SqlService::Stub::ExecuteStatement, *sql_,
                            ParseText<v1::ExecuteStatementRequest>(R"pb(
                              statement: "SELECT * FROM t WHERE id = :id"
                              parameters {
                                name: "id"
                                value { int_value: 7 }
                              })pb"));
  const json::Value& statement_request =
      OnlyRequest(statement, "POST", "/api/2.0/sql/statements", "sql.statements.execute");
  EXPECT_EQ(Text(Get(statement_request, "body"), "statement"), "SELECT * FROM t WHERE id = :id");
  EXPECT_THAT(Text(Get(statement_request, "body"), "parameters"), HasSubstr("\"id\""));

  v1::CancelStatementRequest cancel_statement;
  cancel_statement.set_statement_id(executed.statement_id());
  Outcome cancelled = Unary(&v1::SqlService::Stub::CancelStatement, *sql_, cancel_statement);
  ASSERT_TRUE(cancelled.status.ok()) << cancelled.status.error_message();
  ASSERT_TRUE(cancelled.requests.is_array());
  ASSERT_EQ(cancelled.requests.as_array().size(), 1u);
  const std::string cancel_path = Text(cancelled.requests.as_array()[0], "path");
  EXPECT_THAT(cancel_path, ::testing::StartsWith("/api/2.0/sql/statements/"));
  EXPECT_THAT(cancel_path, ::testing::EndsWith("/cancel"));

  // Delta: each operation's exact SQL and named parameters.
  EXPECT_THAT(StatementOf(Unary(&v1::DeltaService::Stub::WriteTable, *delta_,
                                ParseText<v1::WriteTableRequest>(R"pb(
                                  table { table: "people" }
                                  columns: "id"
                                  columns: "name"
                                  mode: WRITE_MODE_APPEND
                                  rows {
                                    values { int_value: 1 }
                                    values { string_value: "ann" }
                                  })pb"))),
              HasSubstr("INSERT INTO `main`.`default`.`people`"));

  Outcome merge =
      Unary(&v1::DeltaService::Stub::MergeInto, *delta_, ParseText<v1::MergeIntoRequest>(R"pb(
        target { table: "stock" }
        source_columns: "id"
        source_columns: "qty"
        source_rows {
          values { int_value: 1 }
          values { int_value: 11 }
        }
        merge_keys: "id"
        when_matched { update_all: true }
        when_not_matched { insert_all: true })pb"));
  EXPECT_THAT(StatementOf(merge), HasSubstr("MERGE INTO `main`.`default`.`stock`"));

  Outcome deleted =
      Unary(&v1::DeltaService::Stub::DeleteRows, *delta_, ParseText<v1::DeleteRowsRequest>(R"pb(
        table { table: "people" }
        where {
          predicate: "id = :gone"
          parameters {
            name: "gone"
            value { int_value: 3 }
          }
        })pb"));
  EXPECT_THAT(StatementOf(deleted), HasSubstr("DELETE FROM `main`.`default`.`people` WHERE"));
  ASSERT_TRUE(deleted.requests.is_array());
  ASSERT_FALSE(deleted.requests.as_array().empty());
  const std::string parameters = Text(Get(deleted.requests.as_array()[0], "body"), "parameters");
  EXPECT_THAT(parameters, HasSubstr("\"gone\""));
  EXPECT_THAT(parameters, HasSubstr("\"3\""));

  EXPECT_THAT(StatementOf(Unary(&v1::DeltaService::Stub::UpdateRows, *delta_,
                                ParseText<v1::UpdateRowsRequest>(R"pb(
                                  table { table: "people" }
                                  set {
                                    column: "name"
                                    value { string_value: "x" }
                                  }
                                  all_rows: true)pb"))),
              HasSubstr("UPDATE `main`.`default`.`people` SET"));

  EXPECT_THAT(StatementOf(Unary(&v1::DeltaService::Stub::OptimizeTable, *delta_,
                                ParseText<v1::OptimizeTableRequest>(R"pb(
                                  table { table: "people" }
                                  zorder_by: "id")pb"))),
              HasSubstr("OPTIMIZE `main`.`default`.`people`"));

  EXPECT_THAT(StatementOf(Unary(&v1::DeltaService::Stub::VacuumTable, *delta_,
                                ParseText<v1::VacuumTableRequest>(R"pb(
                                  table { table: "people" }
                                  retain_hours: 200)pb"))),
              HasSubstr("VACUUM `main`.`default`.`people`"));

  EXPECT_THAT(StatementOf(Unary(&v1::DeltaService::Stub::RestoreTable, *delta_,
                                ParseText<v1::RestoreTableRequest>(R"pb(
                                  table { table: "people" }
                                  to { version: 1 })pb"))),
              HasSubstr("RESTORE TABLE `main`.`default`.`people`"));

  EXPECT_THAT(StatementOf(Unary(&v1::DeltaService::Stub::CloneTable, *delta_,
                                ParseText<v1::CloneTableRequest>(R"pb(
                                  source { table: "people" }
                                  target { table: "people_copy" }
                                  clone_type: DEEP)pb"))),
              HasSubstr("CLONE `main`.`default`.`people`"));

  EXPECT_THAT(StatementOf(Unary(&v1::DeltaService::Stub::ConvertToDelta, *delta_,
                                ParseText<v1::ConvertToDeltaRequest>(R"pb(
                                  parquet_path: "s3://bucket/events")pb"))),
              HasSubstr("CONVERT TO DELTA parquet.`s3://bucket/events`"));

  // LoadTables: every wave's statement, in wave order, and no progress messages.
  Outcome load =
      Stream(&v1::DeltaService::Stub::LoadTables, *delta_, ParseText<v1::LoadTablesRequest>(R"pb(
        tables {
          name { table: "l_top" }
          query: "SELECT * FROM l_mid"
        }
        tables {
          name { table: "l_base" }
          query: "SELECT 1 AS x"
        }
        tables {
          name { table: "l_mid" }
          query: "SELECT * FROM l_base"
        })pb"));
  ASSERT_TRUE(load.status.ok()) << load.status.error_message();
  EXPECT_TRUE(load.empty_response);
  ASSERT_TRUE(load.requests.is_array());
  ASSERT_EQ(load.requests.as_array().size(), 3u) << load.requests.Dump();
  const std::vector<std::string> order = {"l_base", "l_mid", "l_top"};
  for (size_t i = 0; i < order.size(); ++i) {
    const std::string sql = Text(Get(load.requests.as_array()[i], "body"), "statement");
    EXPECT_THAT(sql, HasSubstr("`" + order[i] + "`")) << i;
  }

  // Nothing of the above reached Databricks.
  EXPECT_EQ(stack_->EmulatorApiRequests(), 0);
}

TEST_F(DryRunTest, AFlowThatNeedsAnAnswerStopsAtTheFirstRequest) {
  stack_->ResetCounters();
  // ReadTable streams only after the statement answered: the dry run shows the SELECT.
  Outcome read = Stream(&v1::DeltaService::Stub::ReadTable, *delta_,
                        ParseText<v1::ReadTableRequest>(R"pb(table { table: "people" }
                                                             limit: 3)pb"));
  EXPECT_THAT(StatementOf(read), HasSubstr("SELECT * FROM `main`.`default`.`people`"));
  EXPECT_TRUE(read.empty_response);
  EXPECT_EQ(stack_->EmulatorApiRequests(), 0);
}

TEST_F(DryRunTest, InvalidRequestsAndHeadersAreStillRefused) {
  stack_->ResetCounters();
  // Mapping runs as usual: a SubmitRun without tasks is refused, not reported.
  Outcome empty = Unary(&v1::JobsService::Stub::SubmitRun, *jobs_, v1::SubmitRunRequest());
  EXPECT_EQ(empty.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(empty.requests.is_null());

  Outcome maybe = Unary(&v1::JobsService::Stub::CancelRun, *jobs_, v1::CancelRunRequest(), "maybe");
  EXPECT_EQ(maybe.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(maybe.status.error_message(), HasSubstr("x-dry-run"));
  EXPECT_THAT(maybe.status.error_message(), HasSubstr("'maybe'"));
  EXPECT_EQ(stack_->EmulatorApiRequests(), 0);
}

TEST_F(DryRunTest, ADryRunTenantNeverReachesDatabricksEvenWhenAskingNotTo) {
  stack_->ResetCounters();
  auto jobs = v1::JobsService::NewStub(stack_->ChannelWithKey("rehearsal-key"));
  const auto request = ParseText<v1::SubmitRunRequest>(R"pb(
    run_name: "rehearsed"
    tasks {
      task_key: "main"
      existing_cluster_id: "c1"
      notebook_task { notebook_path: "/r" }
    })pb");
  for (const std::string header : {"", "false", "FALSE"}) {
    Outcome outcome = Unary(&v1::JobsService::Stub::SubmitRun, *jobs, request, header);
    OnlyRequest(outcome, "POST", "/api/2.2/jobs/runs/submit", "jobs.runs.submit");
  }
  EXPECT_EQ(stack_->EmulatorApiRequests(), 0);
}

TEST_F(DryRunTest, DryRunCallsCountAgainstTheTenantsRateLimit) {
  auto sql = v1::SqlService::NewStub(stack_->ChannelWithKey("rationed-key"));
  v1::ExecuteStatementRequest request;
  request.set_statement("SELECT 1");
  Outcome first = Unary(&v1::SqlService::Stub::ExecuteStatement, *sql, request);
  EXPECT_TRUE(first.status.ok()) << first.status.error_message();
  Outcome second = Unary(&v1::SqlService::Stub::ExecuteStatement, *sql, request);
  EXPECT_EQ(second.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(second.requests.is_null());
}

}  // namespace
}  // namespace gateway
