// Record and replay end to end: a session of calls runs against the emulator through a
// gateway that records every upstream exchange (record.path); then the same session runs
// through a fresh gateway against an emulator that only replays that recording
// (--replay). Every answer must be the same, and the recording must hold no secret.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/databricks/gateway/v1/catalog.grpc.pb.h"
#include "proto/databricks/gateway/v1/delta.grpc.pb.h"
#include "proto/databricks/gateway/v1/jobs.grpc.pb.h"
#include "proto/databricks/gateway/v1/sql.grpc.pb.h"
#include "tests/integration/stack.h"

namespace gateway {
namespace {

namespace v1 = ::databricks::gateway::v1;
using ::gateway::testing::Context;
using ::gateway::testing::kStackToken;
using ::gateway::testing::ParseText;
using ::gateway::testing::ReadFile;
using ::gateway::testing::Stack;
using ::gateway::testing::StackOptions;
using ::gateway::testing::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kEmulator[] = R"yaml(
jobs:
  pending_seconds: 0.2
  running_seconds: 0.3
  terminating_seconds: 0.1
sql:
  chunk_rows: 3
  warehouses:
    - {id: wh1, name: Main, state: RUNNING}
catalog:
  catalogs: {main: [default, sales]}
)yaml";

std::string StatusText(const grpc::Status& status) {
  return status.ok() ? "OK" : absl::StrCat(status.error_code(), " ", status.error_message());
}

// The session: what each call answered, as text. Calls that write use fixed names and
// tokens, so the requests are the same every time.
std::vector<std::string> Session(const Stack& stack) {
  std::vector<std::string> seen;
  auto channel = stack.channel();
  auto jobs = v1::JobsService::NewStub(channel);
  auto sql = v1::SqlService::NewStub(channel);
  auto delta = v1::DeltaService::NewStub(channel);
  auto catalog = v1::CatalogService::NewStub(channel);

  // A run, submitted and followed to its end.
  v1::SubmitRunResponse submitted;
  grpc::Status status = jobs->SubmitRun(Context().get(), ParseText<v1::SubmitRunRequest>(R"pb(
                                          run_name: "replayed"
                                          idempotency_token: "replay-session-1"
                                          tasks {
                                            task_key: "main"
                                            existing_cluster_id: "c1"
                                            notebook_task { notebook_path: "/Workspace/replayed" }
                                          })pb"),
                                        &submitted);
  seen.push_back(absl::StrCat("submit: ", StatusText(status), " ", submitted.run_id()));
  v1::WaitRunRequest wait;
  wait.set_run_id(submitted.run_id());
  auto context = Context();
  auto reader = jobs->WaitRun(context.get(), wait);
  v1::WaitRunResponse update;
  v1::WaitRunResponse last;
  while (reader->Read(&update)) last = update;
  status = reader->Finish();
  seen.push_back(
      absl::StrCat("wait: ", StatusText(status), " ",
                   v1::RunState::LifeCycleState_Name(last.run().state().life_cycle_state()), " ",
                   v1::RunState::ResultState_Name(last.run().state().result_state())));

  // A throttled call: the emulator's 429 with Retry-After is in the recording too.
  stack.SetFaults(R"([{"endpoint": "GET /api/2.0/sql/warehouses/{id}", "kind": "status",
                       "status": 429, "error_code": "REQUEST_LIMIT_EXCEEDED",
                       "retry_after_seconds": 1, "count": 1}])");
  v1::GetWarehouseRequest get_warehouse;
  get_warehouse.set_id("wh1");
  v1::GetWarehouseResponse warehouse;
  status = sql->GetWarehouse(Context().get(), get_warehouse, &warehouse);
  seen.push_back(absl::StrCat("warehouse: ", StatusText(status), " ", warehouse.warehouse().name(),
                              " ", v1::Warehouse::State_Name(warehouse.warehouse().state())));
  stack.SetFaults("[]");

  // A statement with a named parameter.
  v1::ExecuteStatementResponse executed;
  status = sql->ExecuteStatement(Context().get(), ParseText<v1::ExecuteStatementRequest>(R"pb(
                                   statement: "SELECT :n * 2 AS doubled"
                                   parameters {
                                     name: "n"
                                     value { int_value: 21 }
                                   })pb"),
                                 &executed);
  seen.push_back(
      absl::StrCat("statement: ", StatusText(status), " ", executed.result().ShortDebugString()));

  // A Delta table, written and read back in chunks through result links.
  status = sql->ExecuteStatement(
      Context().get(), ParseText<v1::ExecuteStatementRequest>(R"pb(
        statement: "CREATE TABLE IF NOT EXISTS main.default.replayed_people (id BIGINT, name STRING)"
      )pb"),
      &executed);
  seen.push_back(absl::StrCat("create: ", StatusText(status)));
  v1::WriteTableResponse written;
  status = delta->WriteTable(Context().get(), ParseText<v1::WriteTableRequest>(R"pb(
                               table { table: "replayed_people" }
                               columns: "id"
                               columns: "name"
                               mode: WRITE_MODE_OVERWRITE
                               rows {
                                 values { int_value: 1 }
                                 values { string_value: "ann" }
                               }
                               rows {
                                 values { int_value: 2 }
                                 values { string_value: "bo" }
                               }
                               rows {
                                 values { int_value: 3 }
                                 values { string_value: "cy" }
                               }
                               rows {
                                 values { int_value: 4 }
                                 values { string_value: "di" }
                               }
                               rows {
                                 values { int_value: 5 }
                                 values { string_value: "ed" }
                               })pb"),
                             &written);
  seen.push_back(absl::StrCat("write: ", StatusText(status), " ", written.ShortDebugString()));
  auto read_context = Context();
  auto rows = delta->ReadTable(read_context.get(), ParseText<v1::ReadTableRequest>(R"pb(
                                 table { table: "replayed_people" }
                                 order_by: "id")pb"));
  v1::ReadTableResponse message;
  std::vector<std::string> names;
  while (rows->Read(&message)) {
    for (const v1::Row& row : message.chunk().rows()) names.push_back(row.values(1).string_value());
  }
  status = rows->Finish();
  seen.push_back(absl::StrCat("read: ", StatusText(status), " ", absl::StrJoin(names, ",")));

  // The catalog.
  v1::ListSchemasRequest list;
  list.set_catalog_name("main");
  v1::ListSchemasResponse schemas;
  status = catalog->ListSchemas(Context().get(), list, &schemas);
  std::vector<std::string> schema_names;
  for (const auto& schema : schemas.schemas()) schema_names.push_back(schema.name());
  seen.push_back(
      absl::StrCat("schemas: ", StatusText(status), " ", absl::StrJoin(schema_names, ",")));
  return seen;
}

TEST(ReplayTest, ARecordedSessionReplaysWithTheSameAnswersAndNoSecret) {
  const std::string recording = TempDir() + "/session.jsonl";
  std::vector<std::string> recorded;
  {
    StackOptions options;
    options.emulator_yaml = kEmulator;
    options.workspace_yaml = "    default_warehouse_id: wh1\n";
    options.gateway_yaml = absl::StrCat("record:\n  path: ", recording, "\n");
    Stack stack("record", options);
    ASSERT_TRUE(stack.ok()) << stack.error();
    recorded = Session(stack);
  }
  for (const std::string& answer : recorded) {
    EXPECT_THAT(answer, HasSubstr(": OK")) << "the recorded session itself failed";
  }
  EXPECT_THAT(recorded, ::testing::Contains(HasSubstr("read: OK ann,bo,cy,di,ed")));

  const std::string text = ReadFile(recording);
  ASSERT_FALSE(text.empty());
  EXPECT_THAT(text, Not(HasSubstr(kStackToken)));
  EXPECT_THAT(text, Not(HasSubstr("dapi")));
  EXPECT_THAT(text, HasSubstr("\"authorization\":\"[REDACTED]\""));
  EXPECT_THAT(text, HasSubstr("REQUEST_LIMIT_EXCEEDED"));

  StackOptions options;
  options.emulator_yaml = kEmulator;
  options.workspace_yaml = "    default_warehouse_id: wh1\n";
  options.emulator_replay = recording;
  Stack replay("replay", options);
  ASSERT_TRUE(replay.ok()) << replay.error();
  EXPECT_EQ(Session(replay), recorded);

  // A request the recording does not have is named, with the closest one it has.
  auto jobs = v1::JobsService::NewStub(replay.channel());
  v1::GetRunRequest unknown;
  unknown.set_run_id("987654");
  v1::GetRunResponse run;
  const grpc::Status status = jobs->GetRun(Context().get(), unknown, &run);
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.error_message(),
              HasSubstr("replay: no recorded exchange matches GET /api/2.2/jobs/runs/get"));
  EXPECT_THAT(status.error_message(), HasSubstr("run_id=987654"));
  EXPECT_THAT(status.error_message(), HasSubstr("the closest recorded request is #"));
}

}  // namespace
}  // namespace gateway
