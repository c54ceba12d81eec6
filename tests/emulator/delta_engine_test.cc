#include "tests/emulator/delta_engine.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace emulator {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using Rows = std::vector<std::vector<std::optional<std::string>>>;

class DeltaEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<DeltaEngine>> engine = DeltaEngine::Create({});
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = *std::move(engine);
    session_.now_ms = 1767225600000;  // 2026-01-01T00:00:00Z
  }

  // Runs a statement one minute after the previous one.
  absl::StatusOr<ResultSet> Sql(const std::string& sql,
                                const std::vector<SqlParameter>& params = {}) {
    session_.now_ms += 60000;
    return engine_->Execute(sql, params, session_);
  }
  ResultSet Ok(const std::string& sql, const std::vector<SqlParameter>& params = {}) {
    absl::StatusOr<ResultSet> result = Sql(sql, params);
    EXPECT_TRUE(result.ok()) << sql << "\n" << result.status();
    return result.ok() ? *result : ResultSet{};
  }
  std::string Error(const std::string& sql, const std::vector<SqlParameter>& params = {}) {
    absl::StatusOr<ResultSet> result = Sql(sql, params);
    EXPECT_FALSE(result.ok()) << sql;
    return result.ok() ? "" : std::string(result.status().message());
  }
  Rows Read(const std::string& sql) { return Ok(sql).rows; }

  std::unique_ptr<DeltaEngine> engine_;
  Session session_;
};

std::vector<std::optional<std::string>> R(std::initializer_list<const char*> values) {
  std::vector<std::optional<std::string>> row;
  for (const char* v : values)
    row.push_back(v == nullptr ? std::nullopt : std::optional<std::string>(v));
  return row;
}

TEST_F(DeltaEngineTest, VersionsTimeTravelHistoryRestore) {
  Ok("CREATE TABLE main.default.people (id BIGINT NOT NULL, name STRING, score DOUBLE)");
  Ok("INSERT INTO main.default.people VALUES (1, 'ann', 1.5), (2, 'bob', 2.0)");  // v1
  const int64_t v1_time = session_.now_ms;
  Ok("UPDATE main.default.people SET score = score * 2 WHERE id = :id",
     {{"id", "2", "BIGINT"}});  // v2
  Ok("MERGE INTO main.default.people AS t USING (SELECT 1 AS id, 'ann2' AS name, 9.0 AS score "
     "UNION ALL SELECT 3, 'cy', 3.0) AS s ON t.id = s.id "
     "WHEN MATCHED THEN UPDATE SET name = s.name "
     "WHEN NOT MATCHED THEN INSERT *");                      // v3
  Ok("DELETE FROM main.default.people WHERE name = 'bob'");  // v4

  EXPECT_EQ(Read("SELECT id, name, score FROM main.default.people ORDER BY id"),
            (Rows{R({"1", "ann2", "1.5"}), R({"3", "cy", "3.0"})}));
  EXPECT_EQ(Read("SELECT id, name, score FROM main.default.people VERSION AS OF 1 ORDER BY id"),
            (Rows{R({"1", "ann", "1.5"}), R({"2", "bob", "2.0"})}));
  EXPECT_EQ(Read("SELECT score FROM main.default.people@v2 WHERE id = 2"), (Rows{R({"4.0"})}));
  EXPECT_EQ(Read("SELECT count(*) FROM main.default.people VERSION AS OF 0"), (Rows{R({"0"})}));
  EXPECT_EQ(Read("SELECT name FROM main.default.people TIMESTAMP AS OF '" +
                 FormatTimestampMs(v1_time + 1000) + "' ORDER BY id"),
            (Rows{R({"ann"}), R({"bob"})}));

  const ResultSet history = Ok("DESCRIBE HISTORY main.default.people");
  ASSERT_EQ(history.columns.size(), 14u);
  EXPECT_EQ(history.columns[0].name, "version");
  std::vector<std::string> ops;
  for (const auto& row : history.rows) ops.push_back(*row[0] + ":" + *row[4]);
  EXPECT_THAT(ops, ElementsAre("4:DELETE", "3:MERGE", "2:UPDATE", "1:WRITE", "0:CREATE TABLE"));

  const ResultSet restored = Ok("RESTORE TABLE main.default.people TO VERSION AS OF 1");
  EXPECT_EQ(restored.columns.size(), 6u);
  EXPECT_EQ(Read("SELECT id, name FROM main.default.people ORDER BY id"),
            (Rows{R({"1", "ann"}), R({"2", "bob"})}));
  EXPECT_EQ(*Ok("DESCRIBE HISTORY main.default.people LIMIT 1").rows[0][4], "RESTORE");
}

TEST_F(DeltaEngineTest, MergeAllThreeWhenFormsAndCounts) {
  Ok("CREATE TABLE t (id INT, v STRING)");
  Ok("INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  Ok("CREATE TABLE s (id INT, v STRING)");
  Ok("INSERT INTO s VALUES (1, 'A'), (2, 'drop'), (4, 'D')");
  const ResultSet merged =
      Ok("MERGE INTO t USING s ON t.id = s.id "
         "WHEN MATCHED AND s.v = 'drop' THEN DELETE "
         "WHEN MATCHED THEN UPDATE SET t.v = s.v "
         "WHEN NOT MATCHED BY TARGET THEN INSERT (id, v) VALUES (s.id, s.v) "
         "WHEN NOT MATCHED BY SOURCE THEN UPDATE SET v = 'orphan'");
  EXPECT_EQ(merged.rows, (Rows{R({"4", "2", "1", "1"})}));
  EXPECT_EQ(Read("SELECT id, v FROM t ORDER BY id"),
            (Rows{R({"1", "A"}), R({"3", "orphan"}), R({"4", "D"})}));
}

TEST_F(DeltaEngineTest, MergeRefusesTwoSourceRowsForOneTargetRow) {
  Ok("CREATE TABLE t (id INT, v STRING)");
  Ok("INSERT INTO t VALUES (1, 'a')");
  const std::string error = Error(
      "MERGE INTO t USING (SELECT 1 AS id, 'x' AS v UNION ALL SELECT 1, 'y') s ON t.id = s.id "
      "WHEN MATCHED THEN UPDATE SET *");
  EXPECT_THAT(error, HasSubstr("[DELTA_MULTIPLE_SOURCE_ROW_MATCHING_TARGET_ROW_IN_MERGE]"));
  EXPECT_EQ(Read("SELECT v FROM t"), (Rows{R({"a"})}));
  EXPECT_EQ(Ok("DESCRIBE HISTORY t").rows.size(), 2u);  // the failed MERGE committed nothing
}

TEST_F(DeltaEngineTest, OptimizeAndVacuumKeepDataAndReport) {
  Ok("CREATE TABLE t (id INT, v STRING)");
  for (int i = 0; i < 3; ++i) Ok("INSERT INTO t VALUES (" + std::to_string(i) + ", 'x')");
  const ResultSet optimized = Ok("OPTIMIZE t ZORDER BY (id)");
  ASSERT_EQ(optimized.rows.size(), 1u);
  EXPECT_THAT(*optimized.rows[0][1], HasSubstr("\"numFilesAdded\":1,\"numFilesRemoved\":3"));
  EXPECT_EQ(Read("SELECT count(*) FROM t"), (Rows{R({"3"})}));
  EXPECT_EQ(*Ok("DESCRIBE HISTORY t LIMIT 1").rows[0][4], "OPTIMIZE");

  EXPECT_THAT(Error("VACUUM t RETAIN 1 HOURS"), HasSubstr("retentionDurationCheck"));
  EXPECT_TRUE(Ok("VACUUM t RETAIN 168 HOURS DRY RUN").rows.empty());  // nothing old enough
  session_.now_ms += 8LL * 24 * 3600 * 1000;                          // eight days later
  EXPECT_EQ(Ok("VACUUM t DRY RUN").rows.size(), 3u);  // the three pre-OPTIMIZE files
  Ok("VACUUM t");
  EXPECT_EQ(Read("SELECT count(*) FROM t"), (Rows{R({"3"})}));
  EXPECT_THAT(Error("SELECT * FROM t VERSION AS OF 2"),
              HasSubstr("[DELTA_FILE_NOT_FOUND_DETAILED]"));
  std::vector<std::string> ops;
  for (const auto& row : Ok("DESCRIBE HISTORY t LIMIT 2").rows) ops.push_back(*row[4]);
  EXPECT_THAT(ops, ElementsAre("VACUUM END", "VACUUM START"));
}

TEST_F(DeltaEngineTest, InsertOverwriteAndReplaceWhere) {
  Ok("CREATE TABLE t (day DATE, n INT)");
  Ok("INSERT INTO t VALUES (DATE '2026-01-01', 1), ('2026-01-02', 2)");
  Ok("INSERT INTO t REPLACE WHERE day = '2026-01-02' SELECT '2026-01-02', 20");
  EXPECT_EQ(Read("SELECT day, n FROM t ORDER BY day"),
            (Rows{R({"2026-01-01", "1"}), R({"2026-01-02", "20"})}));
  EXPECT_THAT(Error("INSERT INTO t REPLACE WHERE day = '2026-01-02' SELECT '2026-01-03', 3"),
              HasSubstr("[DELTA_REPLACE_WHERE_MISMATCH]"));
  Ok("INSERT OVERWRITE t VALUES ('2026-02-01', 5)");
  EXPECT_EQ(Read("SELECT day, n FROM t"), (Rows{R({"2026-02-01", "5"})}));
}

TEST_F(DeltaEngineTest, SchemaEnforcementAndEvolution) {
  Ok("CREATE TABLE t (id INT NOT NULL, amount DECIMAL(10,2))");
  EXPECT_THAT(Error("INSERT INTO t VALUES ('abc', 1)"), HasSubstr("[CAST_INVALID_INPUT]"));
  EXPECT_THAT(Error("INSERT INTO t VALUES (NULL, 1)"),
              HasSubstr("[DELTA_NOT_NULL_CONSTRAINT_VIOLATED]"));
  Ok("INSERT INTO t VALUES (1, 2.5)");
  EXPECT_EQ(Read("SELECT amount FROM t"), (Rows{R({"2.50"})}));
  Ok("ALTER TABLE t ADD COLUMNS (note STRING COMMENT 'free text')");
  EXPECT_EQ(Read("SELECT id, note FROM t"), (Rows{R({"1", nullptr})}));
  EXPECT_THAT(Error("ALTER TABLE t ALTER COLUMN id TYPE BIGINT"),
              HasSubstr("delta.enableTypeWidening"));
  Ok("ALTER TABLE t SET TBLPROPERTIES ('delta.enableTypeWidening' = 'true')");
  Ok("ALTER TABLE t ALTER COLUMN id TYPE BIGINT");
  EXPECT_THAT(Error("ALTER TABLE t ALTER COLUMN id TYPE INT"),
              HasSubstr("[NOT_SUPPORTED_CHANGE_COLUMN]"));
  EXPECT_THAT(Error("ALTER TABLE t ALTER COLUMN note TYPE INT"),
              HasSubstr("[NOT_SUPPORTED_CHANGE_COLUMN]"));
  const ResultSet described = Ok("DESCRIBE TABLE t");
  EXPECT_EQ(described.rows,
            (Rows{R({"id", "bigint", nullptr}), R({"amount", "decimal(10,2)", nullptr}),
                  R({"note", "string", "free text"})}));
}

TEST_F(DeltaEngineTest, CtasCloneAndConvert) {
  Ok("CREATE TABLE src AS SELECT id, id * 2 AS twice FROM range(5)");
  EXPECT_EQ(Read("SELECT sum(twice) FROM src"), (Rows{R({"20"})}));
  Ok("CREATE TABLE copy DEEP CLONE src");
  Ok("CREATE TABLE early SHALLOW CLONE src VERSION AS OF 0");
  EXPECT_EQ(Read("SELECT count(*) FROM copy"), (Rows{R({"5"})}));
  EXPECT_EQ(engine_->FindTable("main", "default", "early")->table_type, "MANAGED_SHALLOW_CLONE");
  Ok("CREATE TABLE p (id INT) USING PARQUET");
  Ok("INSERT INTO p VALUES (1)");
  EXPECT_THAT(Error("DESCRIBE HISTORY p"), HasSubstr("[DELTA_ONLY_OPERATION]"));
  EXPECT_THAT(Error("DELETE FROM p"), HasSubstr("does not support DELETE"));
  Ok("CONVERT TO DELTA main.default.p");
  EXPECT_EQ(*Ok("DESCRIBE HISTORY p").rows[0][4], "CONVERT");
  Ok("DELETE FROM p");
}

TEST_F(DeltaEngineTest, ErrorsCarryClassAndSqlState) {
  const absl::StatusOr<ResultSet> missing = Sql("SELECT * FROM main.default.nope");
  ASSERT_FALSE(missing.ok());
  const SqlFailure failure = DeltaEngine::ToFailure(missing.status());
  EXPECT_THAT(failure.message, HasSubstr("[TABLE_OR_VIEW_NOT_FOUND] The table or view "
                                         "`main`.`default`.`nope` cannot be found."));
  EXPECT_EQ(failure.sql_state, "42P01");
  EXPECT_THAT(Error("SELECT :missing"), HasSubstr("[UNBOUND_SQL_PARAMETER]"));
  EXPECT_THAT(Error("SELECT 1; SELECT 2"), HasSubstr("[PARSE_SYNTAX_ERROR]"));
  EXPECT_THAT(Error("SELECT ?"), HasSubstr("named markers"));
  EXPECT_THAT(Error("CREATE TABLE t (a ARRAY<INT>)"), HasSubstr("[UNSUPPORTED_DATATYPE]"));
  Ok("CREATE TABLE t (a INT)");
  EXPECT_THAT(Error("SELECT nope FROM t"), HasSubstr("[UNRESOLVED_COLUMN"));
  EXPECT_THAT(Error("CREATE TABLE t (a INT)"), HasSubstr("[TABLE_OR_VIEW_ALREADY_EXISTS]"));
  EXPECT_THAT(Error("SELECT * FROM t VERSION AS OF 7"), HasSubstr("[DELTA_VERSION_NOT_FOUND]"));
}

TEST_F(DeltaEngineTest, ParametersAreTypedAndValuesFormatted) {
  const ResultSet r =
      Ok("SELECT :n + 1 AS n, :d AS d, :b AS b, :s AS s, :z AS z", {{"n", "41", "INT"},
                                                                    {"d", "2.5", "DOUBLE"},
                                                                    {"b", "true", "BOOLEAN"},
                                                                    {"s", "007", "STRING"},
                                                                    {"z", std::nullopt, "STRING"}});
  EXPECT_EQ(r.rows, (Rows{R({"42", "2.5", "1", "007", nullptr})}));
  EXPECT_EQ(r.columns[0].type.Name(), "LONG");
  EXPECT_THAT(Error("SELECT :n", {{"n", "x", "INT"}}), HasSubstr("[CAST_INVALID_INPUT]"));
}

}  // namespace
}  // namespace emulator
