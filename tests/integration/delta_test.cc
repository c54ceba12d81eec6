// DeltaService end to end: the gateway binary against the emulator binary. Seed 004 section
// 4.2: Delta read, append, overwrite, merge, delete, update, time travel by version and by
// timestamp, optimize, vacuum, schema evolution, type widening, rate-limit handling (429) and
// the circuit breaker; plus clone, convert-to-delta, LoadTables (chain, diamond, cycle,
// missing dependency, partial failure, concurrency limit, empty input) and an injection
// corpus against every method that never reaches the emulator.
#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/databricks/gateway/v1/delta.grpc.pb.h"
#include "proto/databricks/gateway/v1/sql.grpc.pb.h"
#include "tests/integration/stack.h"

namespace gateway {
namespace {

namespace v1 = ::databricks::gateway::v1;
using ::gateway::testing::Context;
using ::gateway::testing::ParseText;
using ::gateway::testing::Stack;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

constexpr char kEmulator[] = R"yaml(
sql:
  chunk_rows: 4
  timings: [{contains: "slow_load", execution_seconds: 1}]
  warehouses:
    - {id: wh1, name: Main, state: RUNNING}
)yaml";

// Row values as text, for compact assertions: "1|ann|NULL".
std::string RowText(const v1::Row& row) {
  std::vector<std::string> parts;
  for (const v1::Value& v : row.values()) {
    switch (v.kind_case()) {
      case v1::Value::kIntValue:
        parts.push_back(absl::StrCat(v.int_value()));
        break;
      case v1::Value::kStringValue:
        parts.push_back(v.string_value());
        break;
      case v1::Value::kDoubleValue:
        parts.push_back(absl::StrCat(v.double_value()));
        break;
      case v1::Value::kDecimalValue:
        parts.push_back(v.decimal_value());
        break;
      case v1::Value::kBoolValue:
        parts.emplace_back(v.bool_value() ? "true" : "false");
        break;
      default:
        parts.emplace_back("NULL");
    }
  }
  return absl::StrJoin(parts, "|");
}

class DeltaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    stack_ = new Stack("delta", kEmulator, "    default_warehouse_id: wh1\n");
  }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(stack_->ok()) << stack_->error();
    delta_ = v1::DeltaService::NewStub(stack_->channel());
    sql_ = v1::SqlService::NewStub(stack_->channel());
  }

  // Runs SQL through the gateway's SqlService (setup only) and expects it to succeed.
  void Sql(const std::string& statement) {
    v1::ExecuteStatementRequest request;
    request.set_statement(statement);
    v1::ExecuteStatementResponse response;
    const grpc::Status status = sql_->ExecuteStatement(Context().get(), request, &response);
    ASSERT_TRUE(status.ok()) << statement << ": " << status.error_message();
    ASSERT_EQ(response.status().state(), v1::StatementStatus::SUCCEEDED)
        << statement << ": " << response.status().error().message();
  }

  struct Read {
    v1::StreamHeader header;
    std::vector<std::string> rows;
    grpc::Status status;
  };
  Read ReadTable(const std::string& request_text) {
    auto context = Context();
    auto reader = delta_->ReadTable(context.get(), ParseText<v1::ReadTableRequest>(request_text));
    Read out;
    v1::ReadTableResponse message;
    while (reader->Read(&message)) {
      if (message.has_header()) out.header = message.header();
      for (const v1::Row& row : message.chunk().rows()) out.rows.push_back(RowText(row));
    }
    out.status = reader->Finish();
    return out;
  }
  // Every row of a table, ordered by its first column.
  std::vector<std::string> Rows(const std::string& table, const std::string& order = "id") {
    Read read = ReadTable(absl::StrCat("table { table: '", table, "' } order_by: '", order, "'"));
    EXPECT_TRUE(read.status.ok()) << read.status.error_message();
    return read.rows;
  }

  template <typename Request, typename Response>
  Response Call(grpc::Status (v1::DeltaService::Stub::*method)(grpc::ClientContext*, const Request&,
                                                               Response*),
                const std::string& request_text, grpc::Status* status = nullptr) {
    Response response;
    grpc::Status s =
        (delta_.get()->*method)(Context().get(), ParseText<Request>(request_text), &response);
    if (status != nullptr) {
      *status = s;
    } else {
      EXPECT_TRUE(s.ok()) << request_text << ": " << s.error_message();
    }
    return response;
  }

  struct Load {
    std::vector<v1::LoadTablesResponse> events;
    grpc::Status status;
  };
  Load LoadTables(const v1::LoadTablesRequest& request) {
    auto context = Context();
    auto reader = delta_->LoadTables(context.get(), request);
    Load out;
    v1::LoadTablesResponse event;
    while (reader->Read(&event)) out.events.push_back(event);
    out.status = reader->Finish();
    return out;
  }

  static Stack* stack_;
  std::unique_ptr<v1::DeltaService::Stub> delta_;
  std::unique_ptr<v1::SqlService::Stub> sql_;
};

Stack* DeltaTest::stack_ = nullptr;

TEST_F(DeltaTest, AppendOverwriteAndReadWithColumnsFilterOrderAndLimit) {
  Sql("CREATE TABLE main.default.people (id BIGINT, name STRING, score DOUBLE)");
  auto written = Call(&v1::DeltaService::Stub::WriteTable, R"pb(
    table { table: "people" }
    columns: "id"
    columns: "name"
    columns: "score"
    mode: WRITE_MODE_APPEND
    rows {
      values { int_value: 1 }
      values { string_value: "ann" }
      values { double_value: 1.5 }
    }
    rows {
      values { int_value: 2 }
      values { string_value: "o'brien; --" }
      values { null_value: true }
    }
    rows {
      values { int_value: 3 }
      values { string_value: "cy" }
      values { double_value: 3 }
    })pb");
  EXPECT_EQ(written.metrics().num_inserted_rows(), 3);
  EXPECT_THAT(Rows("people"), ElementsAre("1|ann|1.5", "2|o'brien; --|NULL", "3|cy|3"));

  Read read = ReadTable(R"pb(
    table { catalog: "main" schema: "default" table: "people" }
    columns: "name"
    filter {
      predicate: "id >= :low AND score IS NOT NULL"
      parameters {
        name: "low"
        value { int_value: 2 }
      }
    }
    order_by: "id"
    limit: 5)pb");
  ASSERT_TRUE(read.status.ok()) << read.status.error_message();
  EXPECT_THAT(read.rows, ElementsAre("cy"));
  EXPECT_FALSE(read.header.statement_id().empty());
  ASSERT_EQ(read.header.manifest().schema().columns_size(), 1);

  EXPECT_THAT(ReadTable("table { table: 'people' } order_by: 'id' limit: 2").rows,
              ElementsAre("1|ann|1.5", "2|o'brien; --|NULL"));

  written = Call(&v1::DeltaService::Stub::WriteTable, R"pb(
    table { table: "people" }
    columns: "name"
    columns: "id"
    mode: WRITE_MODE_OVERWRITE
    rows {
      values { string_value: "dee" }
      values { int_value: 9 }
    })pb");
  EXPECT_EQ(written.metrics().num_inserted_rows(), 1);
  EXPECT_THAT(Rows("people"), ElementsAre("9|dee|NULL"));
  EXPECT_THAT(stack_->Metrics(),
              HasSubstr("databricks_delta_operations_total{operation=\"write\",result=\"success\","
                        "workspace=\"default\"} 2"));
}

TEST_F(DeltaTest, ReadStreamsEveryChunkOfALargeTable) {
  Sql("CREATE TABLE main.default.many (id BIGINT, v STRING)");
  Sql("INSERT INTO main.default.many SELECT id, concat('v', id) FROM range(30)");
  Read read = ReadTable("table { table: 'many' } order_by: 'id'");
  ASSERT_TRUE(read.status.ok()) << read.status.error_message();
  ASSERT_EQ(read.rows.size(), 30u);
  EXPECT_EQ(read.rows.front(), "0|v0");
  EXPECT_EQ(read.rows.back(), "29|v29");
  EXPECT_EQ(read.header.manifest().total_chunk_count(), 8);  // 4 rows a chunk
}

TEST_F(DeltaTest, ReplaceWhereReplacesOnlyTheMatchingRows) {
  Sql("CREATE TABLE main.default.daily (day STRING, id BIGINT, v STRING)");
  Sql("INSERT INTO main.default.daily VALUES ('d1', 1, 'a'), ('d2', 2, 'b'), ('d2', 3, 'c')");
  // Columns in another order than the table's, one left out (NULL).
  auto written = Call(&v1::DeltaService::Stub::WriteTable, R"pb(
    table { table: "daily" }
    columns: "v"
    columns: "day"
    mode: WRITE_MODE_REPLACE_WHERE
    rows {
      values { string_value: "new" }
      values { string_value: "d2" }
    }
    replace_where {
      predicate: "day = :d"
      parameters {
        name: "d"
        value { string_value: "d2" }
      }
    })pb");
  EXPECT_EQ(written.metrics().num_inserted_rows(), 1);
  EXPECT_THAT(Rows("daily", "day"), ElementsAre("d1|1|a", "d2|NULL|new"));
}

TEST_F(DeltaTest, MergeUpdatesInsertsAndDeletesInOneStatement) {
  Sql("CREATE TABLE main.default.stock (id BIGINT, qty BIGINT, note STRING)");
  Sql("INSERT INTO main.default.stock VALUES (1, 10, 'keep'), (2, 20, 'old'), (3, 30, 'gone')");
  auto merged = Call(&v1::DeltaService::Stub::MergeInto, R"pb(
    target { table: "stock" }
    source_columns: "id"
    source_columns: "qty"
    source_rows {
      values { int_value: 1 }
      values { int_value: 11 }
    }
    source_rows {
      values { int_value: 2 }
      values { int_value: 0 }
    }
    source_rows {
      values { int_value: 4 }
      values { int_value: 40 }
    }
    merge_keys: "id"
    when_matched {
      condition {
        predicate: "s.qty = :zero"
        parameters {
          name: "zero"
          value { int_value: 0 }
        }
      }
      delete: true
    }
    when_matched {
      update {
        assignments { column: "qty" source_column: "qty" }
        assignments {
          column: "note"
          value { string_value: "updated" }
        }
      }
    }
    when_not_matched {
      insert {
        assignments { column: "id" source_column: "id" }
        assignments { column: "qty" source_column: "qty" }
        assignments {
          column: "note"
          value { string_value: "new" }
        }
      }
    }
    when_not_matched_by_source {
      condition {
        predicate: "t.note = :n"
        parameters {
          name: "n"
          value { string_value: "gone" }
        }
      }
      delete: true
    })pb");
  EXPECT_EQ(merged.metrics().num_updated_rows(), 1);
  EXPECT_EQ(merged.metrics().num_inserted_rows(), 1);
  EXPECT_EQ(merged.metrics().num_deleted_rows(), 2);
  EXPECT_THAT(Rows("stock"), ElementsAre("1|11|updated", "4|40|new"));
}

TEST_F(DeltaTest, DeleteAndUpdateNeedAFilterOrAllRows) {
  Sql("CREATE TABLE main.default.items (id BIGINT, state STRING)");
  Sql("INSERT INTO main.default.items VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')");
  auto updated = Call(&v1::DeltaService::Stub::UpdateRows, R"pb(
    table { table: "items" }
    set {
      column: "state"
      value { string_value: "x" }
    }
    where {
      predicate: "id IN (:a, :b)"
      parameters {
        name: "a"
        value { int_value: 1 }
      }
      parameters {
        name: "b"
        value { int_value: 2 }
      }
    })pb");
  EXPECT_EQ(updated.metrics().num_affected_rows(), 2);
  auto deleted = Call(&v1::DeltaService::Stub::DeleteRows, R"pb(
    table { table: "items" }
    where {
      predicate: "state = :s"
      parameters {
        name: "s"
        value { string_value: "x" }
      }
    })pb");
  EXPECT_EQ(deleted.metrics().num_affected_rows(), 2);
  EXPECT_THAT(Rows("items"), ElementsAre("3|c", "4|d"));

  grpc::Status status;
  Call(&v1::DeltaService::Stub::DeleteRows, "table { table: 'items' }", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("set all_rows explicitly"));
  Call(&v1::DeltaService::Stub::UpdateRows,
       "table { table: 'items' } all_rows: true set { column: 'state' value { string_value: 'z' } "
       "}");
  EXPECT_THAT(Rows("items"), ElementsAre("3|z", "4|z"));
  Call(&v1::DeltaService::Stub::DeleteRows, "table { table: 'items' } all_rows: true");
  EXPECT_TRUE(Rows("items").empty());
}

TEST_F(DeltaTest, TimeTravelByVersionAndTimestampHistoryAndRestore) {
  Sql("CREATE TABLE main.default.tt (id BIGINT)");  // version 0
  Sql("INSERT INTO main.default.tt VALUES (1)");    // version 1
  Sql("INSERT INTO main.default.tt VALUES (2)");    // version 2
  EXPECT_THAT(ReadTable("table { table: 'tt' } as_of { version: 1 }").rows, ElementsAre("1"));

  auto history = Call(&v1::DeltaService::Stub::DescribeHistory, "table { table: 'tt' }");
  ASSERT_EQ(history.entries_size(), 3);
  EXPECT_EQ(history.entries(0).version(), 2);
  EXPECT_EQ(history.entries(0).operation(), "WRITE");
  EXPECT_EQ(history.entries(0).operation_metrics().at("numOutputRows"), "1");
  EXPECT_EQ(history.entries(2).operation(), "CREATE TABLE");
  EXPECT_EQ(Call(&v1::DeltaService::Stub::DescribeHistory, "table { table: 'tt' } limit: 1")
                .entries_size(),
            1);

  // The timestamp of version 1 reads version 1.
  v1::ReadTableRequest by_time;
  by_time.mutable_table()->set_table("tt");
  *by_time.mutable_as_of()->mutable_timestamp() = history.entries(1).timestamp();
  std::string text;
  google::protobuf::TextFormat::PrintToString(by_time, &text);
  EXPECT_THAT(ReadTable(text).rows, ElementsAre("1"));

  auto restored =
      Call(&v1::DeltaService::Stub::RestoreTable, "table { table: 'tt' } to { version: 1 }");
  EXPECT_GE(restored.num_removed_files(), 1);
  EXPECT_THAT(Rows("tt"), ElementsAre("1"));
  EXPECT_EQ(Call(&v1::DeltaService::Stub::DescribeHistory, "table { table: 'tt' } limit: 1")
                .entries(0)
                .operation(),
            "RESTORE");
}

TEST_F(DeltaTest, OptimizeCompactsAndVacuumDeletesOldFiles) {
  Sql("CREATE TABLE main.default.small (id BIGINT, k STRING)");
  for (int i = 0; i < 3; ++i)
    Sql(absl::StrCat("INSERT INTO main.default.small VALUES (", i, ", 'k')"));
  auto optimized =
      Call(&v1::DeltaService::Stub::OptimizeTable, "table { table: 'small' } zorder_by: 'id'");
  EXPECT_EQ(optimized.num_files_added(), 1);
  EXPECT_EQ(optimized.num_files_removed(), 3);
  EXPECT_EQ(optimized.metrics().at("zOrderStats.strategyName"), "all");

  grpc::Status status;
  Call(&v1::DeltaService::Stub::VacuumTable, "table { table: 'small' } retain_hours: 1", &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("retention"));

  // Eight days later the three compacted files are past the default retention.
  stack_->Control("POST", "/emulator/v1/clock/advance",
                  absl::StrCat(R"({"seconds": )", 8 * 86400, "}"));
  auto dry = Call(&v1::DeltaService::Stub::VacuumTable, "table { table: 'small' } dry_run: true");
  EXPECT_EQ(dry.num_files(), 3);
  EXPECT_EQ(dry.files_size(), 3);
  auto vacuumed = Call(&v1::DeltaService::Stub::VacuumTable, "table { table: 'small' }");
  ASSERT_TRUE(vacuumed.has_num_files());
  EXPECT_EQ(vacuumed.num_files(), 3);
  EXPECT_THAT(Rows("small"), ElementsAre("0|k", "1|k", "2|k"));
}

TEST_F(DeltaTest, SchemaEvolutionChecksFirstAndWidensOnlyLegally) {
  Sql("CREATE TABLE main.default.evolving (id INT, amount DECIMAL(10,2))");
  Sql("INSERT INTO main.default.evolving VALUES (1, 2.50)");
  const std::string change = R"pb(
    table { table: "evolving" }
    add_columns { name: "note" type: "STRING" comment: "free text" }
    widen_columns { column: "id" new_type: "BIGINT" }
    widen_columns { column: "amount" new_type: "DECIMAL(12,2)" })pb";
  auto checked = Call(&v1::DeltaService::Stub::EvolveSchema, change + " check_only: true");
  EXPECT_TRUE(checked.compatible());
  ASSERT_EQ(checked.schema().columns_size(), 3);
  EXPECT_EQ(checked.schema().columns(0).type_text(), "bigint");
  // Nothing changed yet.
  auto before = Call(&v1::DeltaService::Stub::GetTableSchema, "table { table: 'evolving' }");
  ASSERT_EQ(before.schema().columns_size(), 2);
  EXPECT_EQ(before.schema().columns(0).type_name(), v1::ColumnSchema::INT);

  auto refused = Call(&v1::DeltaService::Stub::EvolveSchema, R"pb(
    table { table: "evolving" }
    add_columns { name: "ok" type: "INT" }
    widen_columns { column: "amount" new_type: "INT" })pb");
  EXPECT_FALSE(refused.compatible());
  ASSERT_EQ(refused.incompatibilities_size(), 1);
  EXPECT_EQ(refused.incompatibilities(0).column(), "amount");
  EXPECT_THAT(refused.incompatibilities(0).reason(), HasSubstr("is not a widening Delta allows"));
  EXPECT_EQ(Call(&v1::DeltaService::Stub::GetTableSchema, "table { table: 'evolving' }")
                .schema()
                .columns_size(),
            2);

  auto evolved = Call(&v1::DeltaService::Stub::EvolveSchema, change);
  EXPECT_TRUE(evolved.compatible());
  auto after = Call(&v1::DeltaService::Stub::GetTableSchema, "table { table: 'evolving' }");
  ASSERT_EQ(after.schema().columns_size(), 3);
  EXPECT_EQ(after.schema().columns(0).type_name(), v1::ColumnSchema::LONG);
  EXPECT_EQ(after.schema().columns(1).type_precision(), 12);
  EXPECT_EQ(after.schema().columns(2).name(), "note");
  EXPECT_EQ(after.schema().columns(2).comment(), "free text");
  EXPECT_THAT(Rows("evolving"), ElementsAre("1|2.50|NULL"));
  // The first version still has the first schema.
  auto first = Call(&v1::DeltaService::Stub::GetTableSchema,
                    "table { table: 'evolving' } as_of { version: 0 }");
  ASSERT_EQ(first.schema().columns_size(), 2);
  EXPECT_EQ(first.schema().columns(0).type_name(), v1::ColumnSchema::INT);
}

TEST_F(DeltaTest, CloneDeepAndShallowAndConvertParquetToDelta) {
  Sql("CREATE TABLE main.default.origin (id BIGINT)");
  Sql("INSERT INTO main.default.origin VALUES (1), (2)");
  Sql("INSERT INTO main.default.origin VALUES (3)");
  auto deep = Call(&v1::DeltaService::Stub::CloneTable, R"pb(
    source { table: "origin" }
    target { table: "origin_deep" }
    clone_type: DEEP)pb");
  EXPECT_EQ(deep.source_num_of_files(), 2);
  EXPECT_EQ(deep.num_copied_files(), 2);
  EXPECT_THAT(Rows("origin_deep"), ElementsAre("1", "2", "3"));
  auto shallow = Call(&v1::DeltaService::Stub::CloneTable, R"pb(
    source { table: "origin" }
    target { table: "origin_v1" }
    clone_type: SHALLOW
    source_version { version: 1 })pb");
  EXPECT_EQ(shallow.num_copied_files(), 0);
  EXPECT_THAT(Rows("origin_v1"), ElementsAre("1", "2"));
  grpc::Status status;
  Call(&v1::DeltaService::Stub::CloneTable, R"pb(
         source { table: "origin" }
         target { table: "origin_deep" }
         clone_type: DEEP)pb",
       &status);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::ALREADY_EXISTS) << status.error_message();

  Sql("CREATE TABLE main.default.legacy (id BIGINT) USING PARQUET");
  Sql("INSERT INTO main.default.legacy VALUES (7)");
  Call(&v1::DeltaService::Stub::DescribeHistory, "table { table: 'legacy' }", &status);
  EXPECT_FALSE(status.ok());
  Call(&v1::DeltaService::Stub::ConvertToDelta, "parquet_table { table: 'legacy' }");
  auto history = Call(&v1::DeltaService::Stub::DescribeHistory, "table { table: 'legacy' }");
  ASSERT_EQ(history.entries_size(), 1);
  EXPECT_EQ(history.entries(0).operation(), "CONVERT");
  EXPECT_THAT(Rows("legacy"), ElementsAre("7"));
}

v1::TableDefinition* Define(v1::LoadTablesRequest* request, const std::string& name,
                            const std::string& query) {
  v1::TableDefinition* table = request->add_tables();
  table->mutable_name()->set_table(name);
  table->set_query(query);
  return table;
}

// The table events of a load, as "table:STATE".
std::vector<std::string> TableEvents(const std::vector<v1::LoadTablesResponse>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    if (e.has_table()) {
      out.push_back(absl::StrCat(e.table().table().substr(e.table().table().rfind('.') + 1), ":",
                                 v1::TableLoadState_Name(e.table().state())));
    }
  }
  return out;
}

TEST_F(DeltaTest, LoadTablesRunsAChainAndADiamondInWaves) {
  Sql("CREATE TABLE main.default.raw_orders (id BIGINT, amount BIGINT)");
  Sql("INSERT INTO main.default.raw_orders VALUES (1, 10), (2, 20), (3, 30)");
  v1::LoadTablesRequest request;
  Define(&request, "l_total",
         "SELECT b.id, b.amount + s.amount AS total FROM l_big b JOIN l_small s ON b.id > s.id");
  Define(&request, "l_clean", "SELECT id, amount FROM raw_orders WHERE amount > 0");
  Define(&request, "l_big", "SELECT * FROM l_clean WHERE amount >= 20");
  Define(&request, "l_small", "SELECT * FROM main.default.l_clean WHERE amount < 20");
  Load load = LoadTables(request);
  ASSERT_TRUE(load.status.ok()) << load.status.error_message();
  ASSERT_GE(load.events.size(), 2u);
  ASSERT_TRUE(load.events.front().has_plan());
  const v1::LoadPlan& plan = load.events.front().plan();
  ASSERT_EQ(plan.waves_size(), 3);
  EXPECT_THAT(plan.waves(0).tables(), ElementsAre("main.default.l_clean"));
  EXPECT_THAT(plan.waves(1).tables(), ElementsAre("main.default.l_big", "main.default.l_small"));
  EXPECT_THAT(plan.waves(2).tables(), ElementsAre("main.default.l_total"));
  const std::vector<std::string> tables = TableEvents(load.events);
  EXPECT_EQ(std::count_if(tables.begin(), tables.end(),
                          [](const std::string& e) { return absl::EndsWith(e, "SUCCEEDED"); }),
            4);
  int waves = 0;
  for (const auto& e : load.events) waves += e.has_wave() ? 1 : 0;
  EXPECT_EQ(waves, 3);
  ASSERT_TRUE(load.events.back().has_summary());
  EXPECT_EQ(load.events.back().summary().succeeded_size(), 4);
  EXPECT_THAT(Rows("l_big"), ElementsAre("2|20", "3|30"));
  // l_total joins both sides of the diamond: l_small holds only (1, 10).
  EXPECT_THAT(Rows("l_total"), ElementsAre("2|30", "3|40"));
}

TEST_F(DeltaTest, LoadTablesSkipsDependantsOfAFailureAndFinishesTheRest) {
  v1::LoadTablesRequest request;
  Define(&request, "f_broken", "SELECT * FROM main.default.no_such_table");
  Define(&request, "f_after", "SELECT * FROM f_broken");
  Define(&request, "f_later", "SELECT 1 AS x")->add_depends_on()->set_table("f_after");
  Define(&request, "f_fine", "SELECT 1 AS x");
  Load load = LoadTables(request);
  ASSERT_TRUE(load.status.ok()) << load.status.error_message();
  EXPECT_THAT(
      TableEvents(load.events),
      ::testing::IsSupersetOf({"f_broken:TABLE_LOAD_FAILED", "f_fine:TABLE_LOAD_SUCCEEDED",
                               "f_after:TABLE_LOAD_SKIPPED", "f_later:TABLE_LOAD_SKIPPED"}));
  const v1::LoadSummary& summary = load.events.back().summary();
  EXPECT_THAT(summary.succeeded(), ElementsAre("main.default.f_fine"));
  EXPECT_THAT(summary.skipped(),
              UnorderedElementsAre("main.default.f_after", "main.default.f_later"));
  ASSERT_EQ(summary.failed().count("main.default.f_broken"), 1u);
  EXPECT_THAT(summary.failed().at("main.default.f_broken"), HasSubstr("TABLE_OR_VIEW_NOT_FOUND"));
  for (const auto& e : load.events) {
    if (e.has_table() && e.table().table() == "main.default.f_later") {
      EXPECT_EQ(e.table().error(), "depends on main.default.f_after, which was skipped");
    }
  }
}

TEST_F(DeltaTest, LoadTablesRefusesCyclesAndMissingDependenciesBeforeRunningAnything) {
  stack_->ResetCounters();
  v1::LoadTablesRequest cycle;
  Define(&cycle, "c_a", "SELECT * FROM c_b");
  Define(&cycle, "c_b", "SELECT * FROM c_a");
  Define(&cycle, "c_ok", "SELECT 1 AS x");
  Load load = LoadTables(cycle);
  EXPECT_EQ(load.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(load.status.error_message(), HasSubstr("cycle: main.default.c_a → main.default.c_b"));
  EXPECT_TRUE(load.events.empty());

  v1::LoadTablesRequest missing;
  Define(&missing, "m_a", "SELECT 1 AS x")->add_depends_on()->set_table("m_ghost");
  load = LoadTables(missing);
  EXPECT_EQ(load.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(load.status.error_message(),
              HasSubstr("main.default.m_ghost is not a table of this request"));
  EXPECT_EQ(stack_->EmulatorApiRequests(), 0);

  load = LoadTables(v1::LoadTablesRequest());
  ASSERT_TRUE(load.status.ok()) << load.status.error_message();
  ASSERT_EQ(load.events.size(), 2u);
  EXPECT_EQ(load.events[0].plan().waves_size(), 0);
  EXPECT_EQ(load.events[1].summary().succeeded_size(), 0);
}

TEST_F(DeltaTest, LoadTablesNeverRunsMoreThanTheConcurrencyLimit) {
  v1::LoadTablesRequest request;
  for (int i = 0; i < 5; ++i) {
    Define(&request, absl::StrCat("p_", i), absl::StrCat("SELECT ", i, " AS slow_load"));
  }
  request.set_max_concurrency(2);
  const absl::Time start = absl::Now();
  Load load = LoadTables(request);
  ASSERT_TRUE(load.status.ok()) << load.status.error_message();
  int running = 0;
  int most = 0;
  for (const std::string& e : TableEvents(load.events)) {
    if (absl::EndsWith(e, "RUNNING")) most = std::max(most, ++running);
    if (absl::EndsWith(e, "SUCCEEDED") || absl::EndsWith(e, "FAILED")) --running;
  }
  EXPECT_EQ(most, 2);
  // Five one-second statements, two at a time: at least three seconds.
  EXPECT_GE(absl::Now() - start, absl::Seconds(3));
  EXPECT_EQ(load.events.back().summary().succeeded_size(), 5);
}

TEST_F(DeltaTest, ThrottledStatementsAreRetriedAfterRetryAfter) {
  stack_->SetFaults(R"([{"endpoint": "POST /api/2.0/sql/statements", "kind": "status",
                         "status": 429, "count": 1, "retry_after_seconds": 1,
                         "error_code": "REQUEST_LIMIT_EXCEEDED"}])");
  stack_->ResetCounters();
  Sql("CREATE TABLE main.default.throttled (id BIGINT)");
  stack_->SetFaults("[]");
  EXPECT_EQ(stack_->EmulatorRequests("POST /api/2.0/sql/statements"), 2);
  auto history = Call(&v1::DeltaService::Stub::DescribeHistory, "table { table: 'throttled' }");
  EXPECT_EQ(history.entries_size(), 1);
  EXPECT_THAT(stack_->Metrics(), HasSubstr("databricks_rate_limits_total"));
}

// The injection corpus: every case is refused in the gateway and nothing reaches Databricks.
TEST_F(DeltaTest, InjectionAttemptsAreRefusedAndNeverReachTheEmulator) {
  const std::vector<std::string> names = {
      "t; DROP TABLE x",     "t`--",       "t' OR '1'='1",    "t/*x*/", "t\xD0\xB0",  // Cyrillic а
      "t\xEF\xBC\x9B",                                                                // fullwidth ;
      std::string(300, 'a'), "(SELECT 1)", "t UNION SELECT 1"};
  const std::vector<std::string> predicates = {
      "id = 1",                               // a literal
      "id = :a; DROP TABLE t",                // a second statement
      "id = :a -- comment",                   // a comment
      "id = :a /* c */",                      // a comment
      "id IN (SELECT id FROM secrets)",       // a subquery
      "id = :a UNION SELECT * FROM secrets",  // UNION
      "id = :a OR `x` = `y`` OR 1",           // a back-quote escape
      "lower(name) = :a",                     // a function
      "id = :a OR name = 'x'",                // a string literal
      "id\xEF\xBC\x9D:a",                     // fullwidth =
  };
  using Check = std::function<grpc::Status(const std::string& name, const std::string& pred)>;
  auto filter = [](const std::string& pred) {
    v1::Filter f;
    f.set_predicate(pred);
    if (pred.find(":a") != std::string::npos) {
      v1::SqlParameter* p = f.add_parameters();
      p->set_name("a");
      p->mutable_value()->set_int_value(1);
    }
    return f;
  };
  auto call = [this](auto method, const auto& request, auto* response) {
    return (delta_.get()->*method)(Context().get(), request, response);
  };
  const std::vector<std::pair<std::string, Check>> methods = {
      {"ReadTable",
       [&](const std::string& name, const std::string& pred) {
         v1::ReadTableRequest r;
         r.mutable_table()->set_table(name);
         if (!pred.empty()) *r.mutable_filter() = filter(pred);
         auto context = Context();
         auto reader = delta_->ReadTable(context.get(), r);
         v1::ReadTableResponse m;
         while (reader->Read(&m)) {
         }
         return reader->Finish();
       }},
      {"WriteTable",
       [&](const std::string& name, const std::string& pred) {
         v1::WriteTableRequest r;
         r.mutable_table()->set_table(name);
         r.add_columns(pred.empty() ? "id" : name);
         r.add_rows()->add_values()->set_int_value(1);
         r.set_mode(v1::WRITE_MODE_APPEND);
         if (!pred.empty()) {
           r.mutable_table()->set_table("people");
           r.set_mode(v1::WRITE_MODE_REPLACE_WHERE);
           *r.mutable_replace_where() = filter(pred);
         }
         v1::WriteTableResponse out;
         return call(&v1::DeltaService::Stub::WriteTable, r, &out);
       }},
      {"MergeInto",
       [&](const std::string& name, const std::string& pred) {
         v1::MergeIntoRequest r;
         r.mutable_target()->set_table(pred.empty() ? name : "people");
         r.add_source_columns("id");
         r.add_source_rows()->add_values()->set_int_value(1);
         r.add_merge_keys("id");
         v1::MergeMatchedClause* m = r.add_when_matched();
         m->set_delete_(true);
         if (!pred.empty()) *m->mutable_condition() = filter(pred);
         v1::MergeIntoResponse out;
         return call(&v1::DeltaService::Stub::MergeInto, r, &out);
       }},
      {"DeleteRows",
       [&](const std::string& name, const std::string& pred) {
         v1::DeleteRowsRequest r;
         r.mutable_table()->set_table(pred.empty() ? name : "people");
         if (pred.empty()) r.set_all_rows(true);
         if (!pred.empty()) *r.mutable_where() = filter(pred);
         v1::DeleteRowsResponse out;
         return call(&v1::DeltaService::Stub::DeleteRows, r, &out);
       }},
      {"UpdateRows",
       [&](const std::string& name, const std::string& pred) {
         v1::UpdateRowsRequest r;
         r.mutable_table()->set_table("people");
         v1::Assignment* a = r.add_set();
         a->set_column(pred.empty() ? name : "name");
         a->mutable_value()->set_string_value("x");
         if (pred.empty()) r.set_all_rows(true);
         if (!pred.empty()) *r.mutable_where() = filter(pred);
         v1::UpdateRowsResponse out;
         return call(&v1::DeltaService::Stub::UpdateRows, r, &out);
       }},
      {"OptimizeTable",
       [&](const std::string& name, const std::string& pred) {
         v1::OptimizeTableRequest r;
         r.mutable_table()->set_table("people");
         if (pred.empty()) r.add_zorder_by(name);
         if (!pred.empty()) *r.mutable_where() = filter(pred);
         v1::OptimizeTableResponse out;
         return call(&v1::DeltaService::Stub::OptimizeTable, r, &out);
       }},
      {"VacuumTable",
       [&](const std::string& name, const std::string&) {
         v1::VacuumTableRequest r;
         r.mutable_table()->set_schema(name);
         r.mutable_table()->set_table("people");
         v1::VacuumTableResponse out;
         return call(&v1::DeltaService::Stub::VacuumTable, r, &out);
       }},
      {"DescribeHistory",
       [&](const std::string& name, const std::string&) {
         v1::DescribeHistoryRequest r;
         r.mutable_table()->set_catalog(name);
         r.mutable_table()->set_table("people");
         v1::DescribeHistoryResponse out;
         return call(&v1::DeltaService::Stub::DescribeHistory, r, &out);
       }},
      {"RestoreTable",
       [&](const std::string& name, const std::string&) {
         v1::RestoreTableRequest r;
         r.mutable_table()->set_table(name);
         r.mutable_to()->set_version(0);
         v1::RestoreTableResponse out;
         return call(&v1::DeltaService::Stub::RestoreTable, r, &out);
       }},
      {"GetTableSchema",
       [&](const std::string& name, const std::string&) {
         v1::GetTableSchemaRequest r;
         r.mutable_table()->set_table(name);
         v1::GetTableSchemaResponse out;
         return call(&v1::DeltaService::Stub::GetTableSchema, r, &out);
       }},
      {"EvolveSchema",
       [&](const std::string& name, const std::string&) {
         v1::EvolveSchemaRequest r;
         r.mutable_table()->set_table("people");
         v1::NewColumn* c = r.add_add_columns();
         c->set_name("note");
         c->set_type(absl::StrCat("STRING COMMENT '", name, "'"));
         v1::NewColumn* d = r.add_add_columns();
         d->set_name(name);
         d->set_type("INT");
         v1::EvolveSchemaResponse out;
         return call(&v1::DeltaService::Stub::EvolveSchema, r, &out);
       }},
      {"CloneTable",
       [&](const std::string& name, const std::string&) {
         v1::CloneTableRequest r;
         r.mutable_source()->set_table("people");
         r.mutable_target()->set_table(name);
         r.set_clone_type(v1::CloneTableRequest::DEEP);
         v1::CloneTableResponse out;
         return call(&v1::DeltaService::Stub::CloneTable, r, &out);
       }},
      {"ConvertToDelta",
       [&](const std::string& name, const std::string&) {
         v1::ConvertToDeltaRequest r;
         r.mutable_parquet_table()->set_table(name);
         v1::ConvertToDeltaResponse out;
         return call(&v1::DeltaService::Stub::ConvertToDelta, r, &out);
       }},
      {"LoadTables",
       [&](const std::string& name, const std::string& pred) {
         v1::LoadTablesRequest r;
         v1::TableDefinition* t = r.add_tables();
         t->mutable_name()->set_table(pred.empty() ? name : "loaded");
         t->set_query(pred.empty() ? "SELECT 1 AS x"
                                   : absl::StrCat("SELECT * FROM people WHERE ", pred));
         auto context = Context();
         auto reader = delta_->LoadTables(context.get(), r);
         v1::LoadTablesResponse m;
         while (reader->Read(&m)) {
         }
         return reader->Finish();
       }},
  };
  stack_->ResetCounters();
  int cases = 0;
  for (const auto& [method, check] : methods) {
    for (const std::string& name : names) {
      const grpc::Status status = check(name, "");
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << method << " name " << name << ": " << status.error_message();
      EXPECT_EQ(stack_->EmulatorApiRequests(), 0) << method << " name " << name;
      ++cases;
    }
  }
  for (const char* method :
       {"ReadTable", "WriteTable", "MergeInto", "DeleteRows", "UpdateRows", "OptimizeTable"}) {
    const auto& check = std::find_if(methods.begin(), methods.end(), [&](const auto& m) {
                          return m.first == method;
                        })->second;
    for (const std::string& pred : predicates) {
      const grpc::Status status = check("", pred);
      EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
          << method << " predicate " << pred << ": " << status.error_message();
      EXPECT_EQ(stack_->EmulatorApiRequests(), 0) << method << " predicate " << pred;
      ++cases;
    }
  }
  // A CTAS query may have subqueries and comments (the SQL reader knows where they end),
  // but never a second statement or text the reader cannot read.
  for (const std::string& pred :
       {std::string("id = 1; DROP TABLE people"),
        std::string("id = 1 /* /* */ ; DROP TABLE people -- */"), std::string("id = 'x")}) {
    const grpc::Status status = methods.back().second("", pred);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << pred;
    ++cases;
  }
  // A storage path is written inside back quotes: only URI characters pass.
  for (const std::string& path : {std::string("s3://b/x`; DROP TABLE t"),
                                  std::string("s3://b/x' OR 1"), std::string("relative/dir"),
                                  std::string("s3://b/x y"), std::string("s3://b/x\xEF\xBC\x9B")}) {
    v1::ConvertToDeltaRequest r;
    r.set_parquet_path(path);
    v1::ConvertToDeltaResponse out;
    const grpc::Status status = call(&v1::DeltaService::Stub::ConvertToDelta, r, &out);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << path;
    ++cases;
  }
  EXPECT_EQ(cases, 14 * 9 + 6 * 10 + 3 + 5);
  EXPECT_EQ(stack_->EmulatorApiRequests(), 0)
      << stack_->Control("GET", "/emulator/v1/counters").Dump();
}

// The breaker: a workspace failing every statement opens it, calls then fail fast without
// reaching Databricks, and it closes again after open_seconds.
TEST(DeltaBreakerTest, OpensAfterFailuresFailsFastAndCloses) {
  Stack stack("delta-breaker", kEmulator,
              "    default_warehouse_id: wh1\n"
              "    retry: {max_retries: 0}\n"
              "    circuit_breaker: {failure_threshold: 3, open_seconds: 2}\n");
  ASSERT_TRUE(stack.ok()) << stack.error();
  auto delta = v1::DeltaService::NewStub(stack.channel());
  auto history = [&]() {
    v1::DescribeHistoryRequest request;
    request.mutable_table()->set_table("missing_is_fine");
    v1::DescribeHistoryResponse response;
    return delta->DescribeHistory(Context().get(), request, &response);
  };
  stack.SetFaults(R"([{"endpoint": "POST /api/2.0/sql/statements", "kind": "status",
                       "status": 503, "error_code": "TEMPORARILY_UNAVAILABLE"}])");
  for (int i = 0; i < 3; ++i) EXPECT_EQ(history().error_code(), grpc::StatusCode::UNAVAILABLE);
  stack.ResetCounters();
  const grpc::Status fast = history();
  EXPECT_EQ(fast.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(fast.error_message(), HasSubstr("circuit"));
  EXPECT_EQ(stack.EmulatorApiRequests(), 0);
  EXPECT_THAT(stack.Metrics(),
              HasSubstr("databricks_circuit_breaker_state{workspace=\"default\"} 2"));

  stack.SetFaults("[]");
  ASSERT_TRUE(::gateway::testing::PollUntil(
      [&] {
        // The table does not exist: Databricks answered, so the breaker let the call through.
        return history().error_code() == grpc::StatusCode::NOT_FOUND;
      },
      absl::Seconds(10)));
  EXPECT_THAT(stack.Metrics(),
              HasSubstr("databricks_circuit_breaker_state{workspace=\"default\"} 0"));
}

}  // namespace
}  // namespace gateway
