// SqlService and CatalogService end to end: the gateway binary against the emulator binary.
// Seed 004 section 4.2: SQL execute, SQL pagination across several chunks, SQL timeout,
// list catalogs, list tables; plus typed values, failures with their SQL state, streams
// that cancel their statement, warehouses and paging of the catalog.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/databricks/gateway/v1/catalog.grpc.pb.h"
#include "proto/databricks/gateway/v1/sql.grpc.pb.h"
#include "tests/integration/stack.h"

namespace gateway {
namespace {

namespace v1 = ::databricks::gateway::v1;
using ::gateway::testing::Context;
using ::gateway::testing::ErrorInfoOf;
using ::gateway::testing::PollUntil;
using ::gateway::testing::Stack;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kEmulator[] = R"yaml(
sql:
  chunk_rows: 3
  warehouse_start_seconds: 1
  timings: [{contains: "slow_marker", execution_seconds: 60}]
  warehouses:
    - {id: wh1, name: Main, state: RUNNING}
    - {id: cold, name: Cold, state: STOPPED}
catalog:
  catalogs: {main: [default, sales], analytics: [default], archive: [default]}
)yaml";

class SqlTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = new Stack("sql", kEmulator, "    default_warehouse_id: wh1\n");
    if (!stack_->ok()) return;
    // Ten rows of every scalar type the tests read back.
    auto stub = v1::SqlService::NewStub(stack_->channel());
    for (const char* sql :
         {"CREATE TABLE main.default.typed (id BIGINT, name STRING, score DOUBLE, ok BOOLEAN, "
          "day DATE, at TIMESTAMP, price DECIMAL(10,2), note STRING)",
          "INSERT INTO main.default.typed SELECT id, concat('name-', id), id * 1.5, id % 2 = 0, "
          "CAST('2026-01-02' AS DATE), CAST('2026-01-02T03:04:05.000Z' AS TIMESTAMP), "
          "CAST(id AS DECIMAL(10,2)) / 4, NULL FROM range(10)"}) {
      v1::ExecuteStatementRequest request;
      request.set_statement(sql);
      v1::ExecuteStatementResponse response;
      grpc::Status status = stub->ExecuteStatement(Context().get(), request, &response);
      setup_error_ = !status.ok() ? status.error_message()
                     : response.status().state() != v1::StatementStatus::SUCCEEDED
                         ? absl::StrCat(sql, ": ", response.status().error().message())
                         : "";
      if (!setup_error_.empty()) return;
    }
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(stack_->ok()) << stack_->error();
    ASSERT_EQ(setup_error_, "");
    sql_ = v1::SqlService::NewStub(stack_->channel());
    catalog_ = v1::CatalogService::NewStub(stack_->channel());
  }

  static v1::ExecuteStatementRequest Statement(const std::string& sql) {
    v1::ExecuteStatementRequest request;
    request.set_statement(sql);
    return request;
  }

  // The header and chunks of a StreamStatementResults call, and its status.
  struct Streamed {
    v1::StreamHeader header;
    std::vector<v1::ResultChunk> chunks;
    grpc::Status status;
  };
  Streamed Stream(const v1::StreamStatementResultsRequest& request,
                  absl::Duration timeout = absl::Seconds(30)) {
    auto context = Context(timeout);
    auto reader = sql_->StreamStatementResults(context.get(), request);
    Streamed out;
    v1::StreamStatementResultsResponse message;
    while (reader->Read(&message)) {
      if (message.has_header()) out.header = message.header();
      if (message.has_chunk()) out.chunks.push_back(message.chunk());
    }
    out.status = reader->Finish();
    return out;
  }

  static Stack* stack_;
  static std::string setup_error_;
  std::unique_ptr<v1::SqlService::Stub> sql_;
  std::unique_ptr<v1::CatalogService::Stub> catalog_;
};

Stack* SqlTest::stack_ = nullptr;
std::string SqlTest::setup_error_;

TEST_F(SqlTest, ExecuteStatementReturnsTypedValuesAndBindsParameters) {
  v1::ExecuteStatementRequest request = Statement(
      "SELECT id, name, score, ok, day, at, price, note FROM main.default.typed WHERE id = :id");
  v1::SqlParameter* id = request.add_parameters();
  id->set_name("id");
  id->mutable_value()->set_int_value(3);
  v1::ExecuteStatementResponse response;
  const grpc::Status status = sql_->ExecuteStatement(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_EQ(response.status().state(), v1::StatementStatus::SUCCEEDED)
      << response.status().error().message();
  EXPECT_FALSE(response.statement_id().empty());
  const v1::Schema& schema = response.manifest().schema();
  ASSERT_EQ(schema.columns_size(), 8);
  EXPECT_EQ(schema.columns(0).type_name(), v1::ColumnSchema::LONG);
  EXPECT_EQ(schema.columns(6).type_name(), v1::ColumnSchema::DECIMAL);
  EXPECT_EQ(schema.columns(6).type_precision(), 10);
  EXPECT_EQ(schema.columns(6).type_scale(), 2);
  ASSERT_EQ(response.result().rows_size(), 1);
  const v1::Row& row = response.result().rows(0);
  EXPECT_EQ(row.values(0).int_value(), 3);
  EXPECT_EQ(row.values(1).string_value(), "name-3");
  EXPECT_DOUBLE_EQ(row.values(2).double_value(), 4.5);
  EXPECT_FALSE(row.values(3).bool_value());
  EXPECT_EQ(row.values(3).kind_case(), v1::Value::kBoolValue);
  EXPECT_EQ(row.values(4).date_value().year(), 2026);
  EXPECT_EQ(row.values(4).date_value().month(), 1);
  EXPECT_EQ(row.values(4).date_value().day(), 2);
  EXPECT_EQ(row.values(5).timestamp_value().seconds(), 1767323045);  // 2026-01-02T03:04:05Z
  EXPECT_EQ(row.values(6).decimal_value(), "0.75");
  EXPECT_TRUE(row.values(7).null_value());
  EXPECT_THAT(stack_->Metrics(), HasSubstr("databricks_sql_query_duration_seconds_count{state="
                                           "\"SUCCEEDED\",workspace=\"default\"}"));
}

TEST_F(SqlTest, StreamStatementResultsDeliversEveryChunkInOrder) {
  stack_->ResetCounters();
  v1::StreamStatementResultsRequest request;
  *request.mutable_execute() = Statement("SELECT id FROM main.default.typed ORDER BY id");
  const Streamed streamed = Stream(request);
  ASSERT_TRUE(streamed.status.ok()) << streamed.status.error_message();
  EXPECT_EQ(streamed.header.manifest().total_row_count(), 10);
  EXPECT_EQ(streamed.header.manifest().total_chunk_count(), 4);  // chunk_rows: 3
  ASSERT_EQ(streamed.chunks.size(), 4u);
  std::vector<int64_t> ids;
  for (size_t i = 0; i < streamed.chunks.size(); ++i) {
    EXPECT_EQ(streamed.chunks[i].info().chunk_index(), static_cast<int>(i));
    EXPECT_EQ(streamed.chunks[i].has_next_chunk_index(), i + 1 < streamed.chunks.size());
    for (const v1::Row& row : streamed.chunks[i].rows()) ids.push_back(row.values(0).int_value());
  }
  EXPECT_THAT(ids, ElementsAre(0, 1, 2, 3, 4, 5, 6, 7, 8, 9));
  // The rows came through presigned links, never with the credential.
  EXPECT_EQ(stack_->EmulatorRequests("GET /emulator-files/{id}"), 4);
}

TEST_F(SqlTest, ChunksOfAnExecutedStatementCanBeFetchedOneByOneAndAttachedTo) {
  v1::ExecuteStatementResponse executed;
  ASSERT_TRUE(sql_->ExecuteStatement(Context().get(),
                                     Statement("SELECT id FROM main.default.typed ORDER BY id"),
                                     &executed)
                  .ok());
  ASSERT_EQ(executed.manifest().total_chunk_count(), 4);
  ASSERT_EQ(executed.result().rows_size(), 3);
  v1::GetResultChunkRequest request;
  request.set_statement_id(executed.statement_id());
  request.set_chunk_index(3);
  v1::GetResultChunkResponse chunk;
  ASSERT_TRUE(sql_->GetResultChunk(Context().get(), request, &chunk).ok());
  ASSERT_EQ(chunk.chunk().rows_size(), 1);
  EXPECT_EQ(chunk.chunk().rows(0).values(0).int_value(), 9);
  EXPECT_EQ(chunk.chunk().info().row_offset(), 9);

  request.set_chunk_index(4);
  const grpc::Status beyond = sql_->GetResultChunk(Context().get(), request, &chunk);
  EXPECT_EQ(beyond.error_code(), grpc::StatusCode::OUT_OF_RANGE);

  v1::StreamStatementResultsRequest attach;
  attach.set_statement_id(executed.statement_id());
  const Streamed streamed = Stream(attach);
  ASSERT_TRUE(streamed.status.ok()) << streamed.status.error_message();
  EXPECT_EQ(streamed.header.statement_id(), executed.statement_id());
  EXPECT_EQ(streamed.chunks.size(), 4u);
}

TEST_F(SqlTest, FailedStatementCarriesDatabricksErrorCodeAndSqlState) {
  v1::ExecuteStatementResponse response;
  ASSERT_TRUE(sql_->ExecuteStatement(Context().get(), Statement("SELECT * FROM main.default.nope"),
                                     &response)
                  .ok());
  EXPECT_EQ(response.status().state(), v1::StatementStatus::FAILED);
  EXPECT_EQ(response.status().sql_state(), "42P01");
  EXPECT_THAT(response.status().error().message(), HasSubstr("TABLE_OR_VIEW_NOT_FOUND"));

  v1::StreamStatementResultsRequest request;
  *request.mutable_execute() = Statement("SELECT * FROM main.default.nope");
  const Streamed streamed = Stream(request);
  // The Spark error class decides the code when Databricks' error code is generic.
  EXPECT_EQ(streamed.status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(streamed.status.error_message(), HasSubstr("TABLE_OR_VIEW_NOT_FOUND"));
  const testing::StatusErrorInfo info = ErrorInfoOf(streamed.status);
  EXPECT_EQ(info.domain, "databricks.com");
  EXPECT_EQ(info.reason, response.status().error().error_code());
  EXPECT_EQ(info.metadata.at("sql_state"), "42P01");
  EXPECT_EQ(info.metadata.at("error_class"), "TABLE_OR_VIEW_NOT_FOUND");
}

TEST_F(SqlTest, WaitTimeoutWithCancelEndsASlowStatementCanceled) {
  v1::ExecuteStatementRequest request = Statement("SELECT 'slow_marker' AS s");
  request.set_wait_timeout_seconds(5);
  request.set_on_wait_timeout(v1::ExecuteStatementRequest::CANCEL);
  v1::ExecuteStatementResponse response;
  ASSERT_TRUE(sql_->ExecuteStatement(Context().get(), request, &response).ok());
  EXPECT_EQ(response.status().state(), v1::StatementStatus::CANCELED);
}

TEST_F(SqlTest, StreamDeadlineCancelsTheStatementUpstream) {
  stack_->ResetCounters();
  v1::StreamStatementResultsRequest request;
  *request.mutable_execute() = Statement("SELECT 'slow_marker' AS s, 2 AS n");
  const Streamed streamed = Stream(request, absl::Seconds(3));
  EXPECT_EQ(streamed.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_TRUE(PollUntil(
      [] { return stack_->EmulatorRequests("POST /api/2.0/sql/statements/{id}/cancel") == 1; },
      absl::Seconds(5)));
}

TEST_F(SqlTest, CancellingTheStreamCancelsTheStatement) {
  stack_->ResetCounters();
  grpc::ClientContext context;
  v1::StreamStatementResultsRequest request;
  *request.mutable_execute() = Statement("SELECT 'slow_marker' AS s, 3 AS n");
  auto reader = sql_->StreamStatementResults(&context, request);
  ASSERT_TRUE(
      PollUntil([] { return stack_->EmulatorRequests("POST /api/2.0/sql/statements") == 1; },
                absl::Seconds(5)));
  context.TryCancel();
  v1::StreamStatementResultsResponse message;
  EXPECT_FALSE(reader->Read(&message));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  // The statement id arrives with the execute answer, held at most 10 s.
  EXPECT_TRUE(PollUntil(
      [] { return stack_->EmulatorRequests("POST /api/2.0/sql/statements/{id}/cancel") == 1; },
      absl::Seconds(15)));
}

TEST_F(SqlTest, BadRequestsAndHandlesNeverReachDatabricks) {
  stack_->ResetCounters();
  v1::ExecuteStatementResponse response;
  v1::ExecuteStatementRequest bad_wait = Statement("SELECT 1");
  bad_wait.set_wait_timeout_seconds(3);
  grpc::Status status = sql_->ExecuteStatement(Context().get(), bad_wait, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "wait_timeout_seconds: must be 0 or between 5 and 50, got 3");

  v1::ExecuteStatementRequest bad_parameter = Statement("SELECT :x");
  bad_parameter.add_parameters()->set_name("x; DROP");
  status = sql_->ExecuteStatement(Context().get(), bad_parameter, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("is not a parameter name"));

  v1::GetStatementRequest get;
  get.set_statement_id("../../api/2.0/jobs");
  v1::GetStatementResponse statement;
  status = sql_->GetStatement(Context().get(), get, &statement);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(stack_->EmulatorApiRequests(), 0);
}

TEST_F(SqlTest, WarehousesAreListedReadAndStartedUntilRunning) {
  v1::ListWarehousesResponse list;
  ASSERT_TRUE(sql_->ListWarehouses(Context().get(), v1::ListWarehousesRequest(), &list).ok());
  ASSERT_EQ(list.warehouses_size(), 2);

  v1::GetWarehouseRequest get;
  get.set_id("wh1");
  v1::GetWarehouseResponse warehouse;
  ASSERT_TRUE(sql_->GetWarehouse(Context().get(), get, &warehouse).ok());
  EXPECT_EQ(warehouse.warehouse().state(), v1::Warehouse::RUNNING);
  EXPECT_EQ(warehouse.warehouse().name(), "Main");

  v1::StartWarehouseRequest start;
  start.set_id("cold");
  start.set_wait_until_running(true);
  v1::StartWarehouseResponse started;
  ASSERT_TRUE(sql_->StartWarehouse(Context().get(), start, &started).ok());
  EXPECT_EQ(started.warehouse().state(), v1::Warehouse::RUNNING);

  get.set_id("missing");
  const grpc::Status missing = sql_->GetWarehouse(Context().get(), get, &warehouse);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::NOT_FOUND) << missing.error_message();
}

TEST_F(SqlTest, CatalogsPageAndSchemasAndTablesAreListed) {
  std::vector<std::string> catalogs;
  std::string token;
  int pages = 0;
  do {
    v1::ListCatalogsRequest request;
    request.set_page_size(1);
    request.set_page_token(token);
    v1::ListCatalogsResponse response;
    ASSERT_TRUE(catalog_->ListCatalogs(Context().get(), request, &response).ok());
    for (const v1::CatalogInfo& c : response.catalogs()) catalogs.push_back(c.name());
    token = response.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 20);
  EXPECT_THAT(catalogs, ::testing::IsSupersetOf({"main", "analytics", "archive"}));
  EXPECT_GE(pages, 3);

  v1::ListSchemasRequest schemas_request;
  schemas_request.set_catalog_name("main");
  v1::ListSchemasResponse schemas;
  ASSERT_TRUE(catalog_->ListSchemas(Context().get(), schemas_request, &schemas).ok());
  std::vector<std::string> names;
  for (const v1::SchemaInfo& s : schemas.schemas()) names.push_back(s.name());
  EXPECT_THAT(names, ::testing::IsSupersetOf({"default", "sales"}));

  v1::ListTablesRequest tables_request;
  tables_request.set_catalog_name("main");
  tables_request.set_schema_name("default");
  v1::ListTablesResponse tables;
  ASSERT_TRUE(catalog_->ListTables(Context().get(), tables_request, &tables).ok());
  bool found = false;
  for (const v1::TableInfo& t : tables.tables()) {
    if (t.name() != "typed") continue;
    found = true;
    EXPECT_EQ(t.full_name(), "main.default.typed");
    EXPECT_EQ(t.columns_size(), 8);
  }
  EXPECT_TRUE(found);

  v1::GetTableRequest get;
  get.mutable_table()->set_table("typed");  // the default catalog and schema
  v1::GetTableResponse table;
  ASSERT_TRUE(catalog_->GetTable(Context().get(), get, &table).ok());
  EXPECT_EQ(table.table().data_source_format(), "DELTA");
  EXPECT_EQ(table.table().columns(6).type_text(), "decimal(10,2)");

  get.mutable_table()->set_table("nope");
  grpc::Status status = catalog_->GetTable(Context().get(), get, &table);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ErrorInfoOf(status).reason, "TABLE_DOES_NOT_EXIST");

  get.mutable_table()->set_table("a.b");
  status = catalog_->GetTable(Context().get(), get, &table);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("table.table"));
}

}  // namespace
}  // namespace gateway
