// Delta statements as built from requests (the exact SQL and parameters), the schema
// evolution rules, and the parsing of each statement's documented result columns.
#include "server/databricks/delta.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace gateway::databricks {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const NameDefaults kDefaults{"main", "default"};

template <typename T>
T Parse(const std::string& text) {
  T message;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &message)) << text;
  return message;
}

std::vector<std::string> Names(const DeltaStatement& s) {
  std::vector<std::string> names;
  for (const auto& p : s.parameters) names.push_back(p.name());
  return names;
}

TEST(DeltaBuildTest, ReadTableSelectsWithTimeTravelFilterOrderAndLimit) {
  auto s = BuildReadTable(Parse<v1::ReadTableRequest>(R"pb(
                            table { schema: "sales" table: "orders" }
                            columns: "id"
                            columns: "day"
                            filter {
                              predicate: "day >= :from"
                              parameters {
                                name: "from"
                                value { string_value: "x" }
                              }
                            }
                            limit: 10
                            as_of { version: 3 }
                            order_by: "id")pb"),
                          kDefaults);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->sql,
            "SELECT `id`, `day` FROM `main`.`sales`.`orders` VERSION AS OF 3 WHERE `day` >= :from "
            "ORDER BY `id` LIMIT 10");
  EXPECT_THAT(Names(*s), ElementsAre("from"));

  s = BuildReadTable(
      Parse<v1::ReadTableRequest>(R"pb(table { table: "t" }
                                       as_of { timestamp { seconds: 1785542400 } })pb"),
      kDefaults);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->sql,
            "SELECT * FROM `main`.`default`.`t` TIMESTAMP AS OF '2026-08-01T00:00:00.000000Z'");
}

TEST(DeltaBuildTest, WriteTableBindsEveryValueAndWritesNullAsNull) {
  const auto request = Parse<v1::WriteTableRequest>(R"pb(
    table { table: "t" }
    columns: "id"
    columns: "name"
    mode: WRITE_MODE_APPEND
    rows {
      values { int_value: 1 }
      values { string_value: "a'; DROP TABLE x --" }
    }
    rows {
      values { int_value: 2 }
      values { null_value: true }
    })pb");
  auto s = BuildWriteTable(request, kDefaults, {});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->sql,
            "INSERT INTO `main`.`default`.`t` (`id`, `name`) VALUES (:gw_1, :gw_2), (:gw_3, NULL)");
  ASSERT_EQ(s->parameters.size(), 3u);
  EXPECT_EQ(s->parameters[1].value().string_value(), "a'; DROP TABLE x --");

  v1::WriteTableRequest overwrite = request;
  overwrite.set_mode(v1::WRITE_MODE_OVERWRITE);
  EXPECT_THAT(BuildWriteTable(overwrite, kDefaults, {})->sql,
              HasSubstr("INSERT OVERWRITE `main`.`default`.`t` (`id`, `name`) VALUES"));
}

TEST(DeltaBuildTest, ReplaceWhereWritesInTableOrderWithNullForMissingColumns) {
  auto request = Parse<v1::WriteTableRequest>(R"pb(
    table { table: "t" }
    columns: "name"
    columns: "day"
    mode: WRITE_MODE_REPLACE_WHERE
    rows {
      values { string_value: "a" }
      values { string_value: "2026-01-01" }
    }
    replace_where {
      predicate: "day = :d"
      parameters {
        name: "d"
        value { string_value: "2026-01-01" }
      }
    })pb");
  auto s = BuildWriteTable(request, kDefaults, {"day", "id", "name"});
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(
      s->sql,
      "INSERT INTO `main`.`default`.`t` REPLACE WHERE `day` = :d VALUES (:gw_2, NULL, :gw_3)");
  EXPECT_THAT(Names(*s), ElementsAre("d", "gw_2", "gw_3"));
  EXPECT_THAT(BuildWriteTable(request, kDefaults, {"day", "id"}).status().message(),
              HasSubstr("columns: 'name' is not a column of the table"));
}

TEST(DeltaBuildTest, WriteTableRefusesWhatItCannotWriteAtomically) {
  v1::WriteTableRequest request;
  request.mutable_table()->set_table("t");
  request.add_columns("id");
  request.set_mode(v1::WRITE_MODE_APPEND);
  EXPECT_THAT(CheckWriteTable(request, kDefaults).message(), HasSubstr("rows: at least one row"));
  for (int i = 0; i <= kMaxWriteRows; ++i) request.add_rows()->add_values()->set_int_value(i);
  EXPECT_THAT(CheckWriteTable(request, kDefaults).message(),
              HasSubstr("rows: at most 10000 rows in one request, got 10001; split the write"));
  request.clear_rows();
  request.add_rows()->add_values()->set_bytes_value("\x01");
  EXPECT_THAT(CheckWriteTable(request, kDefaults).message(), HasSubstr("BINARY"));
  request.clear_rows();
  request.add_rows();
  EXPECT_THAT(CheckWriteTable(request, kDefaults).message(),
              HasSubstr("rows[0]: has 0 values for 1 columns"));
  request.clear_mode();
  request.mutable_rows(0)->add_values()->set_int_value(1);
  EXPECT_THAT(CheckWriteTable(request, kDefaults).message(), HasSubstr("mode: required"));
}

TEST(DeltaBuildTest, MergeBuildsSourceRowsKeysAndEveryClauseKind) {
  auto s =
      BuildMergeInto(Parse<v1::MergeIntoRequest>(R"pb(
                       target { table: "t" }
                       source_columns: "id"
                       source_columns: "v"
                       source_rows {
                         values { int_value: 1 }
                         values { string_value: "a" }
                       }
                       source_rows {
                         values { int_value: 2 }
                         values { null_value: true }
                       }
                       merge_keys: "id"
                       when_matched {
                         condition { predicate: "s.v IS NULL" }
                         delete: true
                       }
                       when_matched { update { assignments { column: "v" source_column: "v" } } }
                       when_not_matched { insert_all: true }
                       when_not_matched_by_source {
                         condition {
                           predicate: "t.v = :old"
                           parameters {
                             name: "old"
                             value { string_value: "x" }
                           }
                         }
                         update {
                           assignments {
                             column: "v"
                             value { string_value: "gone" }
                           }
                         }
                       })pb"),
                     kDefaults);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->sql,
            "MERGE INTO `main`.`default`.`t` AS `t` USING (SELECT :gw_1 AS `id`, :gw_2 AS `v` "
            "UNION ALL SELECT :gw_3, NULL) AS `s` ON `t`.`id` = `s`.`id` "
            "WHEN MATCHED AND `s`.`v` IS NULL THEN DELETE "
            "WHEN MATCHED THEN UPDATE SET `v` = `s`.`v` "
            "WHEN NOT MATCHED THEN INSERT * "
            "WHEN NOT MATCHED BY SOURCE AND `t`.`v` = :old THEN UPDATE SET `v` = :gw_5");
  EXPECT_THAT(Names(*s), ElementsAre("gw_1", "gw_2", "gw_3", "old", "gw_5"));
}

TEST(DeltaBuildTest, MergeRefusesBadKeysSourcesAndConditions) {
  const std::string base = R"pb(
    target { table: "t" }
    source_columns: "id"
    source_rows { values { int_value: 1 } })pb";
  struct Case {
    std::string extra;
    std::string message;
  };
  const Case cases[] = {
      {R"pb(when_not_matched { insert_all: true })pb", "merge_keys: at least one key"},
      {R"pb(merge_keys: "k"
            when_not_matched { insert_all: true })pb",
       "merge_keys[0]: 'k' is not one of source_columns"},
      {R"pb(merge_keys: "id")pb", "at least one WHEN clause"},
      {R"pb(merge_keys: "id"
            when_not_matched {
              condition { predicate: "t.id = s.id" }
              insert_all: true
            })pb",
       "when_not_matched[0].condition.predicate"},
      {R"pb(merge_keys: "id"
            when_matched { update { assignments { column: "x" source_column: "nope" } } })pb",
       "when_matched[0].update.assignments[0].source_column: 'nope' is not one of source_columns"},
      {R"pb(merge_keys: "id"
            when_matched {
              condition {
                predicate: "s.id = :gw_1"
                parameters { name: "gw_1" }
              }
              delete: true
            })pb",
       "reserved for the gateway"},
  };
  for (const Case& c : cases) {
    auto s = BuildMergeInto(Parse<v1::MergeIntoRequest>(base + c.extra), kDefaults);
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << c.extra;
    EXPECT_THAT(s.status().message(), HasSubstr(c.message)) << c.extra;
  }
}

TEST(DeltaBuildTest, DeleteAndUpdateNeedAFilterOrAnExplicitAllRows) {
  EXPECT_THAT(
      BuildDeleteRows(Parse<v1::DeleteRowsRequest>(R"pb(table { table: "t" })pb"), kDefaults)
          .status()
          .message(),
      HasSubstr("where: required; to delete every row, set all_rows explicitly"));
  EXPECT_EQ(BuildDeleteRows(Parse<v1::DeleteRowsRequest>(R"pb(table { table: "t" }
                                                              all_rows: true)pb"),
                            kDefaults)
                ->sql,
            "DELETE FROM `main`.`default`.`t`");
  auto update = BuildUpdateRows(Parse<v1::UpdateRowsRequest>(R"pb(
                                  table { table: "t" }
                                  set {
                                    column: "v"
                                    value { double_value: 1.5 }
                                  }
                                  set { column: "w" default_value: true }
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
                                  })pb"),
                                kDefaults);
  ASSERT_TRUE(update.ok()) << update.status();
  EXPECT_EQ(update->sql,
            "UPDATE `main`.`default`.`t` SET `v` = :gw_1, `w` = DEFAULT WHERE `id` IN ( :a, :b )");
  EXPECT_THAT(BuildUpdateRows(Parse<v1::UpdateRowsRequest>(R"pb(
                                table { table: "t" }
                                all_rows: true
                                set { column: "v" source_column: "v" })pb"),
                              kDefaults)
                  .status()
                  .message(),
              HasSubstr("set[0].source_column: there is no source row here"));
}

TEST(DeltaBuildTest, MaintenanceStatements) {
  EXPECT_EQ(BuildOptimizeTable(Parse<v1::OptimizeTableRequest>(R"pb(table { table: "t" }
                                                                    zorder_by: "a"
                                                                    zorder_by: "b")pb"),
                               kDefaults)
                ->sql,
            "OPTIMIZE `main`.`default`.`t` ZORDER BY (`a`, `b`)");
  EXPECT_EQ(BuildVacuumTable(Parse<v1::VacuumTableRequest>(R"pb(table { table: "t" }
                                                                retain_hours: 200
                                                                dry_run: true)pb"),
                             kDefaults)
                ->sql,
            "VACUUM `main`.`default`.`t` RETAIN 200 HOURS DRY RUN");
  EXPECT_EQ(BuildDescribeHistory(Parse<v1::DescribeHistoryRequest>(R"pb(table { table: "t" }
                                                                        limit: 5)pb"),
                                 kDefaults)
                ->sql,
            "DESCRIBE HISTORY `main`.`default`.`t` LIMIT 5");
  EXPECT_EQ(BuildRestoreTable(Parse<v1::RestoreTableRequest>(R"pb(table { table: "t" }
                                                                  to { version: 2 })pb"),
                              kDefaults)
                ->sql,
            "RESTORE TABLE `main`.`default`.`t` TO VERSION AS OF 2");
  EXPECT_THAT(
      BuildRestoreTable(Parse<v1::RestoreTableRequest>(R"pb(table { table: "t" })pb"), kDefaults)
          .status()
          .message(),
      HasSubstr("to: required"));
  EXPECT_EQ(BuildCloneTable(Parse<v1::CloneTableRequest>(R"pb(
                              source { table: "s" }
                              target { table: "c" }
                              clone_type: DEEP
                              replace: true
                              source_version { version: 1 })pb"),
                            kDefaults)
                ->sql,
            "CREATE OR REPLACE TABLE `main`.`default`.`c` DEEP CLONE `main`.`default`.`s` "
            "VERSION AS OF 1");
  EXPECT_EQ(
      BuildConvertToDelta(Parse<v1::ConvertToDeltaRequest>(
                              R"pb(parquet_path: "s3://bucket/dir=1"
                                   no_statistics: true
                                   partition_columns { name: "day" type: "date" })pb"),
                          kDefaults)
          ->sql,
      "CONVERT TO DELTA parquet.`s3://bucket/dir=1` NO STATISTICS PARTITIONED BY (`day` DATE)");
  EXPECT_THAT(
      BuildConvertToDelta(
          Parse<v1::ConvertToDeltaRequest>(R"pb(parquet_path: "s3://b/x` ; DROP")pb"), kDefaults)
          .status()
          .message(),
      HasSubstr("parquet_path: character at position 8 is not allowed"));
}

TEST(SqlTypeTest, ParsesPrimitivesAndDecimals) {
  EXPECT_EQ(ParseSqlType("bigint", "f")->name, v1::ColumnSchema::LONG);
  EXPECT_EQ(ParseSqlType(" Decimal( 12 , 3 ) ", "f")->text, "DECIMAL(12,3)");
  EXPECT_EQ(ParseSqlType("decimal", "f")->text, "DECIMAL(10,0)");
  EXPECT_THAT(ParseSqlType("DECIMAL(40,2)", "f").status().message(), HasSubstr("precision"));
  EXPECT_THAT(ParseSqlType("INT); DROP TABLE t", "f").status().message(),
              HasSubstr("is not a SQL type the gateway accepts"));
  EXPECT_THAT(ParseSqlType("array<int>", "f").status().message(), HasSubstr("complex types"));
  EXPECT_EQ(ParseSqlType("array<int>", "f", true)->name, v1::ColumnSchema::ARRAY);
}

TEST(SqlTypeTest, OnlyDeltasWideningsAreAllowed) {
  auto refusal = [](const char* from, const char* to) {
    return WideningRefusal(*ParseSqlType(from, "f"), *ParseSqlType(to, "f"));
  };
  for (const auto& [from, to] :
       std::vector<std::pair<const char*, const char*>>{{"TINYINT", "SMALLINT"},
                                                        {"SMALLINT", "INT"},
                                                        {"INT", "BIGINT"},
                                                        {"BYTE", "LONG"},
                                                        {"INT", "DOUBLE"},
                                                        {"INT", "DECIMAL(10,0)"},
                                                        {"BIGINT", "DECIMAL(20,0)"},
                                                        {"FLOAT", "DOUBLE"},
                                                        {"DECIMAL(10,2)", "DECIMAL(12,4)"},
                                                        {"DATE", "TIMESTAMP_NTZ"}}) {
    EXPECT_EQ(refusal(from, to), "") << from << " → " << to;
  }
  for (const auto& [from, to] :
       std::vector<std::pair<const char*, const char*>>{{"BIGINT", "INT"},
                                                        {"BIGINT", "DOUBLE"},
                                                        {"STRING", "INT"},
                                                        {"INT", "STRING"},
                                                        {"DOUBLE", "FLOAT"},
                                                        {"DECIMAL(10,2)", "DECIMAL(10,3)"},
                                                        {"DATE", "TIMESTAMP"},
                                                        {"INT", "DECIMAL(9,0)"}}) {
    EXPECT_THAT(refusal(from, to), HasSubstr("is not a widening Delta allows")) << from;
  }
}

TEST(SchemaEvolutionTest, CompatibleChangesBecomeStatements) {
  auto current = Parse<v1::Schema>(R"pb(
    columns { name: "id" type_name: INT type_text: "int" }
    columns { name: "amount" type_name: DECIMAL type_text: "decimal(10,2)" })pb");
  auto plan =
      PlanSchemaEvolution(Parse<v1::EvolveSchemaRequest>(R"pb(
                            table { table: "t" }
                            add_columns { name: "note" type: "string" comment: "free text; kept" }
                            widen_columns { column: "id" new_type: "BIGINT" })pb"),
                          current, kDefaults);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->incompatibilities.empty());
  ASSERT_EQ(plan->statements.size(), 3u);
  EXPECT_EQ(plan->statements[0].sql,
            "ALTER TABLE `main`.`default`.`t` ADD COLUMNS (`note` STRING COMMENT 'free text; "
            "kept')");
  EXPECT_EQ(plan->statements[1].sql,
            "ALTER TABLE `main`.`default`.`t` SET TBLPROPERTIES ('delta.enableTypeWidening' = "
            "'true')");
  EXPECT_EQ(plan->statements[2].sql,
            "ALTER TABLE `main`.`default`.`t` ALTER COLUMN `id` TYPE BIGINT");
  ASSERT_EQ(plan->after.columns_size(), 3);
  EXPECT_EQ(plan->after.columns(0).type_text(), "bigint");
  EXPECT_EQ(plan->after.columns(2).name(), "note");
}

TEST(SchemaEvolutionTest, AnyIncompatibilityMeansNoStatements) {
  auto current = Parse<v1::Schema>(R"pb(
    columns { name: "id" type_name: LONG type_text: "bigint" }
    columns { name: "name" type_name: STRING type_text: "string" })pb");
  auto plan = PlanSchemaEvolution(Parse<v1::EvolveSchemaRequest>(R"pb(
                                    table { table: "t" }
                                    add_columns { name: "name" type: "string" }
                                    add_columns { name: "ok" type: "int" }
                                    widen_columns { column: "id" new_type: "INT" }
                                    widen_columns { column: "ghost" new_type: "INT" })pb"),
                                  current, kDefaults);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->statements.empty());
  ASSERT_EQ(plan->incompatibilities.size(), 3u);
  EXPECT_EQ(plan->incompatibilities[0].reason(), "the column already exists");
  EXPECT_EQ(plan->incompatibilities[1].reason(), "BIGINT → INT is not a widening Delta allows");
  EXPECT_EQ(plan->incompatibilities[2].reason(), "no such column");
  EXPECT_THAT(CheckEvolveSchema(Parse<v1::EvolveSchemaRequest>(R"pb(
                                  table { table: "t" }
                                  add_columns { name: "c" type: "int" comment: "it's" })pb"),
                                kDefaults)
                  .message(),
              HasSubstr("add_columns[0].comment: character ''' at position 2 is not allowed"));
}

// A result as the gateway reads it: a schema and typed rows.
ResultRows Result(const std::string& schema, const std::string& rows) {
  ResultRows result;
  result.schema = Parse<v1::Schema>(schema);
  const auto chunk = Parse<v1::ResultChunk>(rows);
  result.rows.assign(chunk.rows().begin(), chunk.rows().end());
  return result;
}

TEST(DeltaParseTest, DmlMetricsReadWhatIsThere) {
  v1::DmlMetrics metrics;
  ASSERT_TRUE(ParseDmlMetrics(Result(R"pb(columns { name: "num_affected_rows" }
                                          columns { name: "num_updated_rows" }
                                          columns { name: "num_deleted_rows" }
                                          columns { name: "num_inserted_rows" })pb",
                                     R"pb(rows {
                                            values { int_value: 5 }
                                            values { int_value: 2 }
                                            values { int_value: 1 }
                                            values { int_value: 2 }
                                          })pb"),
                              &metrics)
                  .ok());
  EXPECT_EQ(metrics.num_affected_rows(), 5);
  EXPECT_EQ(metrics.num_updated_rows(), 2);
  EXPECT_EQ(metrics.num_deleted_rows(), 1);
  EXPECT_EQ(metrics.num_inserted_rows(), 2);
  const absl::Status missing =
      ParseDmlMetrics(Result(R"pb(columns { name: "x" })pb", ""), &metrics);
  EXPECT_EQ(missing.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(missing.message(), HasSubstr("no column 'num_affected_rows'"));
}

TEST(DeltaParseTest, OptimizeFlattensItsMetricsStruct) {
  v1::OptimizeTableResponse out;
  ASSERT_TRUE(
      ParseOptimize(
          Result(
              R"pb(columns { name: "path" }
                   columns { name: "metrics" })pb",
              R"pb(rows {
                     values { string_value: "s3://x" }
                     values {
                       string_value: "{\"numFilesAdded\":1,\"numFilesRemoved\":4,\"filesAdded\":{\"min\":10},\"zOrderStats\":null}"
                     }
                   })pb"),
          &out)
          .ok());
  EXPECT_EQ(out.num_files_added(), 1);
  EXPECT_EQ(out.num_files_removed(), 4);
  EXPECT_EQ(out.metrics().at("filesAdded.min"), "10");
  EXPECT_EQ(out.metrics().count("zOrderStats"), 0u);
}

TEST(DeltaParseTest, HistoryEntriesAndTheVacuumEndCount) {
  const ResultRows history = Result(
      R"pb(columns { name: "version" }
           columns { name: "timestamp" }
           columns { name: "operation" }
           columns { name: "operationMetrics" }
           columns { name: "readVersion" }
           columns { name: "isBlindAppend" })pb",
      R"pb(rows {
             values { int_value: 4 }
             values { timestamp_value { seconds: 100 } }
             values { string_value: "VACUUM END" }
             values { string_value: "{\"numDeletedFiles\":\"3\"}" }
             values { int_value: 3 }
             values { bool_value: false }
           }
           rows {
             values { int_value: 0 }
             values { timestamp_value { seconds: 50 } }
             values { string_value: "WRITE" }
             values { string_value: "{}" }
             values { null_value: true }
             values { bool_value: true }
           })pb");
  v1::DescribeHistoryResponse out;
  ASSERT_TRUE(ParseHistory(history, &out).ok());
  ASSERT_EQ(out.entries_size(), 2);
  EXPECT_EQ(out.entries(0).version(), 4);
  EXPECT_EQ(out.entries(0).operation_metrics().at("numDeletedFiles"), "3");
  EXPECT_EQ(out.entries(0).read_version(), 3);
  EXPECT_FALSE(out.entries(1).has_read_version());
  EXPECT_TRUE(out.entries(1).is_blind_append());
  EXPECT_EQ(out.entries(1).timestamp().seconds(), 50);
  v1::VacuumTableResponse vacuum;
  ASSERT_TRUE(ParseVacuumHistory(history, &vacuum).ok());
  EXPECT_EQ(vacuum.num_files(), 3);
  v1::VacuumTableResponse unrecorded;
  ASSERT_TRUE(ParseVacuumHistory(Result(R"pb(columns { name: "operation" }
                                             columns { name: "operationMetrics" })pb",
                                        ""),
                                 &unrecorded)
                  .ok());
  EXPECT_FALSE(unrecorded.has_num_files());
}

TEST(DeltaParseTest, DescribeTableStopsAtTheFirstSection) {
  v1::Schema schema;
  ASSERT_TRUE(ParseTableSchema(Result(R"pb(columns { name: "col_name" }
                                           columns { name: "data_type" }
                                           columns { name: "comment" })pb",
                                      R"pb(rows {
                                             values { string_value: "id" }
                                             values { string_value: "bigint" }
                                             values { null_value: true }
                                           }
                                           rows {
                                             values { string_value: "amt" }
                                             values { string_value: "decimal(10,2)" }
                                             values { string_value: "euros" }
                                           }
                                           rows {
                                             values { string_value: "# Partition Information" }
                                             values { string_value: "" }
                                             values { string_value: "" }
                                           }
                                           rows {
                                             values { string_value: "amt" }
                                             values { string_value: "decimal(10,2)" }
                                             values { null_value: true }
                                           })pb"),
                               &schema)
                  .ok());
  ASSERT_EQ(schema.columns_size(), 2);
  EXPECT_EQ(schema.columns(0).type_name(), v1::ColumnSchema::LONG);
  EXPECT_EQ(schema.columns(1).type_precision(), 10);
  EXPECT_EQ(schema.columns(1).type_scale(), 2);
  EXPECT_EQ(schema.columns(1).comment(), "euros");
}

}  // namespace
}  // namespace gateway::databricks
