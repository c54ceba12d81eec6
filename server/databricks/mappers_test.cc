// Table-style tests of the pure mappers: JSON ↔ proto by reflection, typed result values,
// request builders and their validation.
#include <cmath>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/json.h"
#include "server/databricks/catalog.h"
#include "server/databricks/jobs.h"
#include "server/databricks/json_proto.h"
#include "server/databricks/sql.h"

namespace gateway::databricks {
namespace {

using ::testing::HasSubstr;

json::Value ParseOrDie(const std::string& text) {
  absl::StatusOr<json::Value> v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : json::Value();
}

TEST(JsonProtoTest, NumbersStayNumbersAndEnumsAreNames) {
  v1::RunNowRequest request;
  request.set_job_id(9007199254740993);  // not representable as a double
  request.add_only("a");
  (*request.mutable_job_parameters())["day"] = "2026-11-21";
  request.mutable_queue()->set_enabled(true);
  EXPECT_EQ(MessageToJson(request).Dump(),
            R"({"job_id":9007199254740993,"job_parameters":{"day":"2026-11-21"},)"
            R"("only":["a"],"queue":{"enabled":true}})");
  v1::NotebookTask task;
  task.set_source(v1::NotebookTask::GIT);
  EXPECT_EQ(MessageToJson(task).Dump(), R"({"source":"GIT"})");
}

TEST(JsonProtoTest, NumericIdsBecomeTextAndUnknownEnumsKeepTheirText) {
  v1::Run run;
  ASSERT_TRUE(MergeJson(ParseOrDie(R"({"run_id": 123, "job_id": "45", "unknown_field": [1],
      "state": {"life_cycle_state": "HIBERNATING", "result_state": "SUCCESS"},
      "tasks": [{"run_id": 7, "task_key": "t", "start_time": 1.7e12}]})"),
                        &run)
                  .ok());
  EXPECT_EQ(run.run_id(), "123");
  EXPECT_EQ(run.job_id(), 45);
  EXPECT_EQ(run.state().life_cycle_state(), v1::RunState::LIFE_CYCLE_STATE_UNSPECIFIED);
  EXPECT_EQ(run.state().life_cycle_state_text(), "HIBERNATING");
  EXPECT_EQ(run.state().result_state(), v1::RunState::SUCCESS);
  EXPECT_EQ(run.state().result_state_text(), "SUCCESS");
  ASSERT_EQ(run.tasks_size(), 1);
  EXPECT_EQ(run.tasks(0).run_id(), "7");
  EXPECT_EQ(run.tasks(0).start_time(), 1700000000000);
}

TEST(JsonProtoTest, WrongTypesNameThePath) {
  v1::Run run;
  const absl::Status status =
      MergeJson(ParseOrDie(R"({"tasks": [{"task_key": "a"}, {"start_time": {}}]})"), &run);
  EXPECT_EQ(status.message(), "tasks[1].start_time: expected an integer, got object");
}

v1::ColumnSchema Column(v1::ColumnSchema::TypeName type) {
  v1::ColumnSchema column;
  column.set_name("c");
  column.set_type_name(type);
  return column;
}

TEST(ParseCellTest, EveryTypeBecomesItsTypedValue) {
  struct Case {
    v1::ColumnSchema::TypeName type;
    std::string cell;      // JSON
    std::string expected;  // the Value in text format
  };
  const Case cases[] = {
      {v1::ColumnSchema::BOOLEAN, R"("true")", "bool_value: true"},
      {v1::ColumnSchema::INT, R"("-12")", "int_value: -12"},
      {v1::ColumnSchema::LONG, R"("9223372036854775807")", "int_value: 9223372036854775807"},
      {v1::ColumnSchema::DOUBLE, R"("2.5")", "double_value: 2.5"},
      {v1::ColumnSchema::DECIMAL, R"("12.30")", "decimal_value: \"12.30\""},
      {v1::ColumnSchema::STRING, R"("x")", "string_value: \"x\""},
      {v1::ColumnSchema::BINARY, R"("aGk=")", "bytes_value: \"hi\""},
      {v1::ColumnSchema::DATE, R"("2026-11-21")", "date_value { year: 2026 month: 11 day: 21 }"},
      {v1::ColumnSchema::TIMESTAMP, R"("2026-01-02T03:04:05.5Z")",
       "timestamp_value { seconds: 1767323045 nanos: 500000000 }"},
      {v1::ColumnSchema::TIMESTAMP_NTZ, R"("2026-01-02T03:04:05")",
       "timestamp_value { seconds: 1767323045 }"},
      {v1::ColumnSchema::TIMESTAMP, R"("2026-01-02 04:04:05+01:00")",
       "timestamp_value { seconds: 1767323045 }"},
      {v1::ColumnSchema::ARRAY, R"("[1,2]")", "string_value: \"[1,2]\""},
      {v1::ColumnSchema::INT, "null", "null_value: true"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<v1::Value> value = ParseCell(ParseOrDie(c.cell), Column(c.type));
    ASSERT_TRUE(value.ok()) << c.cell << ": " << value.status();
    EXPECT_EQ(value->ShortDebugString(), c.expected) << c.cell;
  }
  absl::StatusOr<v1::Value> nan =
      ParseCell(ParseOrDie(R"("NaN")"), Column(v1::ColumnSchema::FLOAT));
  ASSERT_TRUE(nan.ok());
  EXPECT_TRUE(std::isnan(nan->double_value()));
}

TEST(ParseCellTest, UnreadableValuesAreInternalNamingTheColumn) {
  v1::ColumnSchema column = Column(v1::ColumnSchema::INT);
  column.set_type_text("INT");
  const absl::Status status = ParseCell(ParseOrDie(R"("twelve")"), column).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(status.message(), HasSubstr("column 'c' (INT): cannot read \"twelve\""));
}

TEST(StatementTest, ParametersTravelAsTextWithTheirTypes) {
  StatementSpec spec;
  spec.statement = "SELECT :a, :b, :c";
  spec.warehouse_id = "wh1";
  v1::SqlParameter a;
  a.set_name("a");
  a.mutable_value()->set_int_value(7);
  v1::SqlParameter b;
  b.set_name("b");
  b.mutable_value()->mutable_date_value()->set_year(2026);
  b.mutable_value()->mutable_date_value()->set_month(2);
  b.mutable_value()->mutable_date_value()->set_day(3);
  v1::SqlParameter c;
  c.set_name("c");
  c.set_type("DECIMAL(10,2)");
  spec.parameters = {a, b, c};
  absl::StatusOr<ApiRequest> request = BuildExecuteStatement(spec, absl::Seconds(10), false);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->body.Find("parameters")->Dump(),
            R"js([{"name":"a","value":"7","type":"BIGINT"},)js"
            R"js({"name":"b","value":"2026-02-03","type":"DATE"},)js"
            R"js({"name":"c","type":"DECIMAL(10,2)"}])js");
  EXPECT_EQ(request->body.Find("wait_timeout")->as_string(), "10s");
  EXPECT_EQ(request->body.Find("on_wait_timeout")->as_string(), "CONTINUE");
  EXPECT_FALSE(request->idempotent);  // a repeated execute runs the statement twice

  spec.parameters[2].set_type("INT); DROP TABLE t; --");
  EXPECT_THAT(BuildExecuteStatement(spec, absl::Seconds(10), false).status().message(),
              HasSubstr("is not a SQL type name"));
  spec.warehouse_id = "";
  EXPECT_THAT(BuildExecuteStatement(spec, absl::Seconds(10), false).status().message(),
              HasSubstr("warehouse_id"));
}

TEST(StatementTest, DecimalParametersKeepTheirScale) {
  auto type_of = [](const std::string& text) {
    v1::SqlParameter parameter;
    parameter.set_name("d");
    parameter.mutable_value()->set_decimal_value(text);
    absl::StatusOr<ParameterText> out = ParameterToText(parameter);
    return out.ok() ? out->type : out.status().ToString();
  };
  EXPECT_EQ(type_of("10.50"), "DECIMAL(4,2)");
  EXPECT_EQ(type_of("-0.5"), "DECIMAL(2,1)");
  EXPECT_EQ(type_of("007"), "DECIMAL(1,0)");
  EXPECT_EQ(type_of(".25"), "DECIMAL(3,2)");
  EXPECT_EQ(type_of("1e5"), "DECIMAL");  // not plain: Databricks judges the value
  EXPECT_EQ(type_of(std::string(39, '9')), "DECIMAL");
}

TEST(StatementTest, WarehouseIdsAreUrlSafeNames) {
  StatementSpec spec;
  spec.statement = "SELECT 1";
  spec.warehouse_id = "emulator-warehouse_2";  // the local configuration's id
  EXPECT_TRUE(BuildExecuteStatement(spec, absl::Seconds(10), false).ok());
  spec.warehouse_id = "wh/../../jobs";
  EXPECT_THAT(BuildExecuteStatement(spec, absl::Seconds(10), false).status().message(),
              HasSubstr("warehouse_id: a warehouse id is letters, digits, '-' and '_'"));
  spec.warehouse_id = "";
  EXPECT_THAT(BuildExecuteStatement(spec, absl::Seconds(10), false).status().message(),
              HasSubstr("warehouse_id: required: none given and no default warehouse is "
                        "configured"));
}

TEST(StatementTest, FailureMapsTheErrorCodeAndKeepsTheSqlState) {
  v1::StatementStatus status;
  status.set_state(v1::StatementStatus::FAILED);
  status.set_state_text("FAILED");
  status.set_sql_state("42P01");
  status.mutable_error()->set_error_code("BAD_REQUEST");
  status.mutable_error()->set_message("[TABLE_OR_VIEW_NOT_FOUND] nope");
  const absl::Status failure = StatementFailure(status, "s-1");
  // BAD_REQUEST says little; the Spark error class in the message decides the code.
  EXPECT_EQ(failure.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(failure.message(), "[TABLE_OR_VIEW_NOT_FOUND] nope");
  status.mutable_error()->set_message("[PARSE_SYNTAX_ERROR] Syntax error at or near 'x'");
  EXPECT_EQ(StatementFailure(status, "s-1").code(), absl::StatusCode::kInvalidArgument);
  status.mutable_error()->set_message("[TABLE_OR_VIEW_ALREADY_EXISTS] there");
  EXPECT_EQ(StatementFailure(status, "s-1").code(), absl::StatusCode::kAlreadyExists);
  status.set_state(v1::StatementStatus::CANCELED);
  EXPECT_EQ(StatementFailure(status, "s-1").code(), absl::StatusCode::kCancelled);
}

TEST(JobsMapperTest, LibrariesTakeDatabricksShapeBothWays) {
  v1::SubmitRunRequest request;
  v1::Task* task = request.add_tasks();
  task->set_task_key("t");
  task->mutable_spark_jar_task()->set_main_class_name("Main");
  task->add_libraries()->set_pypi_package("requests==2.32.0");
  task->add_libraries()->set_maven_coordinates("g:a:1");
  task->add_libraries()->set_jar("dbfs:/x.jar");
  absl::StatusOr<ApiRequest> api = BuildSubmitRun(request, "tok", "");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->body.Find("tasks")->as_array()[0].Find("libraries")->Dump(),
            R"([{"pypi":{"package":"requests==2.32.0"}},{"maven":{"coordinates":"g:a:1"}},)"
            R"({"jar":"dbfs:/x.jar"}])");
  EXPECT_EQ(api->body.Find("idempotency_token")->as_string(), "tok");
  EXPECT_TRUE(api->idempotent);

  v1::Job job;
  ASSERT_TRUE(ParseJob(ParseOrDie(R"({"job_id": 1, "settings": {"tasks": [{"task_key": "t",
      "libraries": [{"pypi": {"package": "p"}}, {"maven": {"coordinates": "m"}}]}]}})"),
                       &job)
                  .ok());
  EXPECT_EQ(job.settings().tasks(0).libraries(0).pypi_package(), "p");
  EXPECT_EQ(job.settings().tasks(0).libraries(1).maven_coordinates(), "m");
}

TEST(JobsMapperTest, ListRequestsCarryOnlyWhatWasAsked) {
  v1::ListRunsRequest request;
  request.set_job_id(5);
  request.set_active_only(true);
  absl::StatusOr<ApiRequest> api = BuildListRuns(request, "abc/=", "");
  ASSERT_TRUE(api.ok());
  EXPECT_EQ(api->path,
            "/api/2.2/jobs/runs/list?job_id=5&active_only=true&limit=20&page_token=abc%2F%3D");
  request.set_completed_only(true);
  EXPECT_EQ(BuildListRuns(request, "", "").status().message(),
            "active_only: cannot be combined with completed_only");
}

TEST(JobsMapperTest, TenantsObjectsCarryTheirMark) {
  v1::SubmitRunRequest submit;
  submit.set_run_name("nightly");
  v1::Task* task = submit.add_tasks();
  task->set_task_key("t");
  task->mutable_spark_jar_task()->set_main_class_name("Main");
  (*task->mutable_new_cluster()->mutable_custom_tags())["team"] = "a";
  absl::StatusOr<ApiRequest> api = BuildSubmitRun(submit, "tok", "team-a");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->body.Find("run_name")->as_string(), "[gw:team-a] nightly");
  EXPECT_EQ(api->body.Find("tasks")->as_array()[0].Find("new_cluster")->Find("custom_tags")->Dump(),
            R"({"team":"a","gateway_tenant":"team-a"})");

  // A caller cannot claim the tag, nor another tenant's name mark.
  (*task->mutable_new_cluster()->mutable_custom_tags())["gateway_tenant"] = "team-b";
  EXPECT_EQ(BuildSubmitRun(submit, "tok", "team-a").status().message(),
            "tasks[0].new_cluster.custom_tags.gateway_tenant: is set by the gateway to the "
            "calling tenant; remove it");
  v1::Run run;
  run.set_run_name("[gw:team-a] [gw:team-b] x");
  EXPECT_TRUE(RunOwnedBy(run, "team-a"));
  EXPECT_FALSE(RunOwnedBy(run, "team-b"));
  EXPECT_FALSE(RunOwnedBy(run, "team"));
  UnmarkRun(&run, "team-a");
  EXPECT_EQ(run.run_name(), "[gw:team-b] x");

  v1::CreateJobRequest create;
  create.mutable_settings()->set_name("etl");
  *create.mutable_settings()->add_tasks() = submit.tasks(0);
  create.mutable_settings()->mutable_tasks(0)->mutable_new_cluster()->clear_custom_tags();
  api = BuildCreateJob(create, "team-a");
  ASSERT_TRUE(api.ok()) << api.status();
  EXPECT_EQ(api->body.Find("name")->as_string(), "[gw:team-a] etl");
  EXPECT_EQ(api->body.Find("tags")->Dump(), R"({"gateway_tenant":"team-a"})");
  (*create.mutable_settings()->mutable_tags())["gateway_tenant"] = "team-b";
  EXPECT_EQ(BuildCreateJob(create, "team-a").status().code(), absl::StatusCode::kInvalidArgument);

  v1::Job job;
  (*job.mutable_settings()->mutable_tags())["gateway_tenant"] = "team-a";
  EXPECT_TRUE(JobOwnedBy(job, "team-a"));
  EXPECT_FALSE(JobOwnedBy(job, "team-b"));
  EXPECT_FALSE(JobOwnedBy(v1::Job(), "team-a"));
  EXPECT_TRUE(JobOwnedBy(v1::Job(), ""));

  v1::ListJobsRequest list;
  list.set_name("etl");
  api = BuildListJobs(list, "", "team-a");
  ASSERT_TRUE(api.ok());
  EXPECT_EQ(api->path, "/api/2.2/jobs/list?name=%5Bgw%3Ateam-a%5D%20etl&limit=100");
}

TEST(JobsMapperTest, ListCursorsRoundTripAndRefuseForgeries) {
  for (const ListCursor& cursor : {ListCursor{"", 0}, ListCursor{"CAE=/x", 3}}) {
    absl::StatusOr<ListCursor> back = DecodeListCursor(EncodeListCursor(cursor));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(back->upstream_token, cursor.upstream_token);
    EXPECT_EQ(back->skip, cursor.skip);
  }
  for (const char* forged : {"abc", "-1.YQ", "x.YQ", "1000.YQ", "1.***"}) {
    EXPECT_EQ(DecodeListCursor(forged).status().message(),
              "page_token: is not a next_page_token this gateway returned")
        << forged;
  }
}

TEST(CatalogMapperTest, NamesAreValidatedAndEncoded) {
  v1::TableName name;
  name.set_catalog("main");
  name.set_schema("sales");
  name.set_table("orders-2026");
  absl::StatusOr<ApiRequest> api = BuildGetTable(name);
  ASSERT_TRUE(api.ok());
  EXPECT_EQ(api->path, "/api/2.1/unity-catalog/tables/main.sales.orders-2026");
  name.set_table("a/../b");
  EXPECT_EQ(BuildGetTable(name).status().code(), absl::StatusCode::kInvalidArgument);
  v1::ListTablesRequest list;
  list.set_catalog_name("main");
  list.set_schema_name("sales");
  EXPECT_EQ(BuildListTables(list)->path,
            "/api/2.1/unity-catalog/tables?catalog_name=main&schema_name=sales&max_results=0");
}

}  // namespace
}  // namespace gateway::databricks
