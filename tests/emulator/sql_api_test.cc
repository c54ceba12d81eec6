// The emulated SQL Statement Execution and Warehouses APIs over real HTTP, including the Delta
// scenario run entirely as SQL through the statements API.
#include <thread>

#include "gmock/gmock.h"
#include "tests/emulator/emulator_test_base.h"

namespace emulator {
namespace {

using ::testing::HasSubstr;
namespace json = gateway::json;

class SqlApiTest : public EmulatorTest {
 protected:
  // Executes synchronously (wait 10s) on the running warehouse.
  Reply Sql(const std::string& statement, const std::string& extra = "") {
    json::Value body;
    body.Set("warehouse_id", "wh").Set("statement", statement);
    std::string text = body.Dump();
    if (!extra.empty()) text.replace(text.size() - 1, 1, absl::StrCat(",", extra, "}"));
    return Post("/api/2.0/sql/statements", text);
  }
  // Runs a statement that must succeed and returns its rows.
  std::vector<std::vector<std::string>> Rows(const std::string& statement,
                                             const std::string& extra = "") {
    Reply r = Sql(statement, extra);
    EXPECT_EQ(r.status, 200) << r.raw;
    EXPECT_EQ(Str(r.body, "status.state"), "SUCCEEDED") << statement << "\n" << r.raw;
    std::vector<std::vector<std::string>> rows;
    json::Value chunk = At(r.body, "result");
    while (true) {
      const json::Value data = At(chunk, "data_array");
      if (data.is_array()) {
        for (const json::Value& row : data.as_array()) {
          std::vector<std::string> values;
          for (const json::Value& v : row.as_array()) {
            values.push_back(v.is_null() ? "NULL" : v.as_string());
          }
          rows.push_back(values);
        }
      }
      const std::string next = Str(chunk, "next_chunk_internal_link");
      if (next.empty()) return rows;
      chunk = Get(next).body;  // chunks hold two rows in the test configuration
    }
  }
  static std::string Id(const Reply& r) { return Str(r.body, "statement_id"); }
};

using Table = std::vector<std::vector<std::string>>;

TEST_F(SqlApiTest, ResultsAreStringsOrNullWithATypedManifest) {
  Reply r =
      Sql("SELECT CAST(1 AS BIGINT) AS id, 'x' AS name, NULL AS nothing, 2.5 AS d, "
          "CAST(:day AS DATE) AS day",
          R"("parameters":[{"name":"day","value":"2026-08-19","type":"DATE"}])");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(Str(r.body, "status.state"), "SUCCEEDED");
  EXPECT_EQ(At(r.body, "result.data_array").Dump(), R"([["1","x",null,"2.5","2026-08-19"]])");
  EXPECT_EQ(At(r.body, "manifest.schema.column_count").as_int(), 5);
  EXPECT_EQ(Str(r.body, "manifest.schema.columns.0.type_name"), "LONG");
  EXPECT_EQ(Str(r.body, "manifest.schema.columns.0.type_text"), "BIGINT");
  EXPECT_EQ(At(r.body, "manifest.schema.columns.3.position").as_int(), 3);
  EXPECT_EQ(Str(r.body, "manifest.format"), "JSON_ARRAY");
}

TEST_F(SqlApiTest, SqlErrorsAre200FailedWithErrorAndSqlState) {
  Reply r = Sql("SELECT * FROM main.default.missing");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Str(r.body, "status.state"), "FAILED");
  EXPECT_EQ(Str(r.body, "status.error.error_code"), "BAD_REQUEST");
  EXPECT_THAT(Str(r.body, "status.error.message"), HasSubstr("[TABLE_OR_VIEW_NOT_FOUND]"));
  EXPECT_EQ(Str(r.body, "status.sql_state"), "42P01");
  Reply unbound = Sql("SELECT :nope");
  EXPECT_THAT(Str(unbound.body, "status.error.message"), HasSubstr("[UNBOUND_SQL_PARAMETER]"));
  Reply bad_cast = Sql("SELECT :n", R"("parameters":[{"name":"n","value":"abc","type":"INT"}])");
  EXPECT_EQ(Str(bad_cast.body, "status.sql_state"), "22018");
}

TEST_F(SqlApiTest, RequestValidationIs400) {
  for (const char* wait : {"3s", "51s", "10", "-5s"}) {
    Reply r = Sql("SELECT 1", absl::StrCat(R"("wait_timeout":")", wait, "\""));
    EXPECT_EQ(r.status, 400) << wait;
    EXPECT_EQ(Str(r.body, "error_code"), "INVALID_PARAMETER_VALUE");
    EXPECT_THAT(Str(r.body, "message"), HasSubstr("wait_timeout must be 0s or between 5s and 50s"));
  }
  EXPECT_EQ(Sql("SELECT 1", R"("wait_timeout":"5s")").status, 200);
  EXPECT_EQ(Sql("SELECT 1", R"("wait_timeout":"50s")").status, 200);
  EXPECT_EQ(Sql("SELECT 1", R"("on_wait_timeout":"STOP")").status, 400);
  EXPECT_EQ(Sql("SELECT 1", R"("format":"CSV")").status, 400);  // CSV needs EXTERNAL_LINKS
  EXPECT_EQ(Post("/api/2.0/sql/statements", R"({"statement":"SELECT 1"})").status, 400);
  EXPECT_EQ(
      Post("/api/2.0/sql/statements", R"({"statement":"SELECT 1","warehouse_id":"nope"})").status,
      404);
  EXPECT_EQ(Get("/api/2.0/sql/statements/01ef-missing").status, 404);
}

TEST_F(SqlApiTest, AsynchronousStatementMovesPendingRunningSucceeded) {
  Reply r = Sql("SELECT 1 /*slow*/", R"("wait_timeout":"0s")");
  ASSERT_EQ(r.status, 200);
  const std::string id = Id(r);
  EXPECT_EQ(Str(r.body, "status.state"), "RUNNING");  // the warehouse is up: no PENDING time
  EXPECT_TRUE(At(r.body, "manifest").is_null());
  Advance(19);
  EXPECT_EQ(Str(Get("/api/2.0/sql/statements/" + id).body, "status.state"), "RUNNING");
  Advance(1);
  Reply done = Get("/api/2.0/sql/statements/" + id);
  EXPECT_EQ(Str(done.body, "status.state"), "SUCCEEDED");
  EXPECT_EQ(At(done.body, "result.data_array").Dump(), R"([["1"]])");
}

TEST_F(SqlApiTest, WaitTimeoutHoldsTheRequestThenContinuesOrCancels) {
  Reply cont;
  Reply cancel;
  std::thread a([&] { cont = Sql("SELECT 1 /*slow*/", R"("wait_timeout":"5s")"); });
  std::thread b([&] {
    cancel =
        Sql("CREATE TABLE t /*slow*/ (a INT)", R"("wait_timeout":"5s","on_wait_timeout":"CANCEL")");
  });
  // Both requests are held until the emulated clock passes their wait_timeout.
  ASSERT_TRUE(gateway::testing::PollUntil(
      [&] {
        Reply c = Call("GET", "/emulator/v1/counters", "", "");
        return At(c.body, "requests").Dump().find("\"POST /api/2.0/sql/statements\":2") !=
               std::string::npos;
      },
      absl::Seconds(10)));
  Advance(5);
  a.join();
  b.join();
  EXPECT_EQ(Str(cont.body, "status.state"), "RUNNING");
  EXPECT_EQ(Str(cancel.body, "status.state"), "CANCELED");
  Advance(30);
  EXPECT_EQ(Str(Get("/api/2.0/sql/statements/" + Id(cont)).body, "status.state"), "SUCCEEDED");
  // The cancelled CREATE TABLE never ran.
  EXPECT_THAT(Str(Sql("SELECT * FROM t").body, "status.error.message"),
              HasSubstr("TABLE_OR_VIEW_NOT_FOUND"));
}

TEST_F(SqlApiTest, CancelBeforeTheEndLeavesNoTrace) {
  Rows("CREATE TABLE t (a INT)");
  Reply r = Sql("INSERT INTO t VALUES (1) /*slow*/", R"("wait_timeout":"0s")");
  EXPECT_EQ(Post("/api/2.0/sql/statements/" + Id(r) + "/cancel", "").raw, "{}");
  EXPECT_EQ(Str(Get("/api/2.0/sql/statements/" + Id(r)).body, "status.state"), "CANCELED");
  Advance(60);
  EXPECT_EQ(Rows("SELECT count(*) FROM t"), (Table{{"0"}}));
  EXPECT_EQ(Post("/api/2.0/sql/statements/nope/cancel", "").status, 404);
}

TEST_F(SqlApiTest, ChunksLimitsAndTruncation) {
  Reply r = Sql("SELECT id FROM range(5)");  // chunk_rows is 2 in the test config
  EXPECT_EQ(At(r.body, "manifest.total_chunk_count").as_int(), 3);
  EXPECT_EQ(At(r.body, "manifest.total_row_count").as_int(), 5);
  EXPECT_EQ(At(r.body, "result.data_array").Dump(), R"([["0"],["1"]])");
  EXPECT_EQ(At(r.body, "result.next_chunk_index").as_int(), 1);
  const std::string link = Str(r.body, "result.next_chunk_internal_link");
  EXPECT_EQ(link, "/api/2.0/sql/statements/" + Id(r) + "/result/chunks/1");
  Reply chunk1 = Get(link);
  EXPECT_EQ(At(chunk1.body, "data_array").Dump(), R"([["2"],["3"]])");
  EXPECT_EQ(At(chunk1.body, "row_offset").as_int(), 2);
  Reply last = Get("/api/2.0/sql/statements/" + Id(r) + "/result/chunks/2");
  EXPECT_EQ(At(last.body, "data_array").Dump(), R"([["4"]])");
  EXPECT_TRUE(At(last.body, "next_chunk_index").is_null());
  EXPECT_EQ(Get("/api/2.0/sql/statements/" + Id(r) + "/result/chunks/3").status, 400);

  Reply limited = Sql("SELECT id FROM range(5)", R"("row_limit":3)");
  EXPECT_EQ(At(limited.body, "manifest.total_row_count").as_int(), 3);
  EXPECT_TRUE(At(limited.body, "manifest.truncated").as_bool());
  Reply bytes = Sql("SELECT id FROM range(5)", R"("byte_limit":12)");
  EXPECT_EQ(At(bytes.body, "manifest.total_row_count").as_int(), 2);  // each row is ["n"], 5 bytes
  EXPECT_TRUE(At(bytes.body, "manifest.truncated").as_bool());
}

TEST_F(SqlApiTest, ExternalLinksRefuseAuthorizationAndExpire) {
  Reply r = Sql("SELECT id, 'a,b' AS s FROM range(3)",
                R"("disposition":"EXTERNAL_LINKS","format":"CSV")");
  ASSERT_EQ(Str(r.body, "status.state"), "SUCCEEDED") << r.raw;
  EXPECT_TRUE(At(r.body, "result.data_array").is_null());
  const std::string url = Str(r.body, "result.external_links.0.external_link");
  const std::string prefix = emulator_->base_url();
  ASSERT_EQ(url.substr(0, prefix.size()), prefix);
  const std::string target = url.substr(prefix.size());
  Reply with_auth = Get(target);  // sends the PAT: refused, as cloud storage does
  EXPECT_EQ(with_auth.status, 400);
  EXPECT_THAT(with_auth.raw, HasSubstr("Only one auth mechanism allowed"));
  Reply plain = Get(target, "");
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(plain.raw, "0,\"a,b\"\n1,\"a,b\"\n");
  Advance(15 * 60 + 1);
  Reply expired = Get(target, "");
  EXPECT_EQ(expired.status, 403);
  EXPECT_THAT(expired.raw, HasSubstr("Request has expired"));
}

TEST_F(SqlApiTest, ResultLifetimesCloseForgetAndAbandon) {
  const std::string done = Id(Sql("SELECT 1"));
  const std::string running = Id(Sql("SELECT 2 /*glacial*/", R"("wait_timeout":"0s")"));
  Advance(15 * 60 + 1);  // nobody polled the running one
  Reply abandoned = Get("/api/2.0/sql/statements/" + running);
  EXPECT_EQ(Str(abandoned.body, "status.state"), "CANCELED");
  Advance(45 * 60);
  Reply closed = Get("/api/2.0/sql/statements/" + done);
  EXPECT_EQ(Str(closed.body, "status.state"), "CLOSED");
  EXPECT_TRUE(At(closed.body, "result").is_null());
  EXPECT_EQ(Get("/api/2.0/sql/statements/" + done + "/result/chunks/0").status, 400);
  Advance(12 * 3600);
  EXPECT_EQ(Get("/api/2.0/sql/statements/" + done).status, 404);
}

TEST_F(SqlApiTest, WarehousesStartAndStatementsWaitForThem) {
  Reply list = Get("/api/2.0/sql/warehouses");
  EXPECT_EQ(At(list.body, "warehouses").as_array().size(), 2u);
  EXPECT_EQ(Str(Get("/api/2.0/sql/warehouses/cold").body, "state"), "STOPPED");
  EXPECT_EQ(Get("/api/2.0/sql/warehouses/none").status, 404);
  // A statement on a stopped warehouse starts it and waits in PENDING.
  Reply r = Post("/api/2.0/sql/statements",
                 R"({"warehouse_id":"cold","statement":"SELECT 1","wait_timeout":"0s"})");
  EXPECT_EQ(Str(r.body, "status.state"), "PENDING");
  Reply starting = Get("/api/2.0/sql/warehouses/cold");
  EXPECT_EQ(Str(starting.body, "state"), "STARTING");
  EXPECT_EQ(Str(starting.body, "health.status"), "HEALTHY");
  Advance(30);
  EXPECT_EQ(Str(Get("/api/2.0/sql/warehouses/cold").body, "state"), "RUNNING");
  EXPECT_EQ(Str(Get("/api/2.0/sql/statements/" + Id(r)).body, "status.state"), "SUCCEEDED");
  EXPECT_EQ(Post("/api/2.0/sql/warehouses/cold/stop", "{}").status, 200);
  EXPECT_EQ(Post("/api/2.0/sql/warehouses/cold/start", "{}").raw, "{}");
  EXPECT_EQ(Str(Get("/api/2.0/sql/warehouses/cold").body, "state"), "STARTING");
}

// The Delta scenario of the emulator issue, entirely through the statements API.
TEST_F(SqlApiTest, DeltaScenarioVersionsTimeTravelRestoreOptimizeVacuum) {
  Rows("CREATE TABLE main.default.orders (id BIGINT, item STRING, qty INT)");  // v0
  Advance(60);
  Rows("INSERT INTO main.default.orders VALUES (1, 'apple', 3), (2, 'pear', 1)");  // v1
  Advance(60);
  Rows("UPDATE main.default.orders SET qty = qty + :n WHERE id = 2",
       R"("parameters":[{"name":"n","value":"10","type":"INT"}])");  // v2
  Advance(60);
  EXPECT_EQ(
      Rows("MERGE INTO main.default.orders t USING (SELECT 3 AS id, 'fig' AS item, 7 AS qty) s "
           "ON t.id = s.id WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *"),
      (Table{{"1", "0", "0", "1"}}));  // v3
  Advance(60);
  EXPECT_EQ(Rows("DELETE FROM main.default.orders WHERE item = 'apple'"), (Table{{"1"}}));  // v4

  const Table v1 = {{"1", "apple", "3"}, {"2", "pear", "1"}};
  const Table v2 = {{"1", "apple", "3"}, {"2", "pear", "11"}};
  const Table v3 = {{"1", "apple", "3"}, {"2", "pear", "11"}, {"3", "fig", "7"}};
  const Table v4 = {{"2", "pear", "11"}, {"3", "fig", "7"}};
  const std::string q = "SELECT id, item, qty FROM main.default.orders";
  EXPECT_EQ(Rows(q + " VERSION AS OF 0 ORDER BY id"), Table{});
  EXPECT_EQ(Rows(q + " VERSION AS OF 1 ORDER BY id"), v1);
  EXPECT_EQ(Rows(q + " VERSION AS OF 2 ORDER BY id"), v2);
  EXPECT_EQ(Rows(q + "@v3 ORDER BY id"), v3);
  EXPECT_EQ(Rows(q + " ORDER BY id"), v4);
  // Timestamps of the commits: each was a minute after the last.
  EXPECT_EQ(Rows(q + " TIMESTAMP AS OF '2026-01-01T00:01:30Z' ORDER BY id"), v1);
  EXPECT_EQ(Rows(q + "@20260101000230000 ORDER BY id"), v2);
  EXPECT_EQ(
      Rows(q + " TIMESTAMP AS OF :ts ORDER BY id",
           R"("parameters":[{"name":"ts","value":"2026-01-01 00:03:00","type":"TIMESTAMP"}])"),
      v3);

  const Table history = Rows("DESCRIBE HISTORY main.default.orders");
  ASSERT_EQ(history.size(), 5u);  // one version per write, newest first
  const std::vector<std::string> operations = {"DELETE", "MERGE", "UPDATE", "WRITE",
                                               "CREATE TABLE"};
  for (size_t i = 0; i < history.size(); ++i) {
    EXPECT_EQ(history[i][0], std::to_string(4 - i));
    EXPECT_EQ(history[i][4], operations[i]);
  }
  EXPECT_EQ(history[3][1], "2026-01-01T00:01:00.000Z");

  Advance(60);
  const Table restored = Rows("RESTORE TABLE main.default.orders TO VERSION AS OF 2");  // v5
  ASSERT_EQ(restored.size(), 1u);
  EXPECT_EQ(restored[0].size(), 6u);
  EXPECT_EQ(Rows(q + " ORDER BY id"), v2);

  Advance(60);
  Rows("INSERT INTO main.default.orders VALUES (9, 'kiwi', 1)");  // v6: 2 files
  Advance(60);
  const Table optimized = Rows("OPTIMIZE main.default.orders ZORDER BY (item)");  // v7
  ASSERT_EQ(optimized.size(), 1u);
  EXPECT_THAT(optimized[0][1], HasSubstr("\"numFilesAdded\":1,\"numFilesRemoved\":2"));
  const Table after_optimize = {{"1", "apple", "3"}, {"2", "pear", "11"}, {"9", "kiwi", "1"}};
  EXPECT_EQ(Rows(q + " ORDER BY id"), after_optimize);

  Reply short_retention = Sql("VACUUM main.default.orders RETAIN 24 HOURS");
  EXPECT_EQ(Str(short_retention.body, "status.state"), "FAILED");
  EXPECT_THAT(Str(short_retention.body, "status.error.message"), HasSubstr("168 hours"));
  Advance(8 * 24 * 3600);
  EXPECT_FALSE(Rows("VACUUM main.default.orders DRY RUN").empty());
  Rows("VACUUM main.default.orders RETAIN 168 HOURS");
  EXPECT_EQ(Rows(q + " ORDER BY id"), after_optimize);  // data intact
  EXPECT_EQ(Rows("DESCRIBE HISTORY main.default.orders LIMIT 1")[0][4], "VACUUM END");
  Reply vacuumed = Sql(q + " VERSION AS OF 1");
  EXPECT_THAT(Str(vacuumed.body, "status.error.message"),
              HasSubstr("DELTA_FILE_NOT_FOUND_DETAILED"));
}

}  // namespace
}  // namespace emulator

namespace emulator {
namespace {

TEST_F(EmulatorTest, StoppedWarehouseWithoutAutoStartFailsTheStatement) {
  emulator_.reset();
  std::string config = kBaseConfig;
  const std::string key = "  warehouse_start_seconds: 30";
  config.replace(config.find(key), key.size(), key + "\n  auto_start: false");
  absl::StatusOr<EmulatorOptions> options = ParseOptionsYaml(config);
  ASSERT_TRUE(options.ok()) << options.status();
  emulator_ = *Emulator::Start(*std::move(options));
  Reply r = Post("/api/2.0/sql/statements", R"({"warehouse_id":"cold","statement":"SELECT 1"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(Str(r.body, "status.state"), "FAILED");
  EXPECT_EQ(Str(r.body, "status.error.message"),
            "Warehouse cold is not running. Start it before executing statements.");
  EXPECT_EQ(Str(Get("/api/2.0/sql/warehouses/cold").body, "state"), "STOPPED");
}

}  // namespace
}  // namespace emulator
