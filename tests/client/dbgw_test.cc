// `dbgw` run as a child process against the real gateway and emulator: every subcommand,
// each output format, and the exit codes of bad flags, an unknown tenant, throttling and
// a failed run.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/json.h"
#include "tests/client/common.h"

namespace gateway {
namespace {

using ::gateway::testing::ClientStackOptions;
using ::gateway::testing::CommandResult;
using ::gateway::testing::RunCommand;
using ::gateway::testing::Runfile;
using ::gateway::testing::Stack;
using ::gateway::testing::TempDir;
using ::gateway::testing::WriteFile;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class DbgwTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { stack_ = new Stack("dbgw", ClientStackOptions()); }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(stack_->ok()) << stack_->error(); }

  // dbgw `args` as tenant "team" (DBGW_API_KEY) against the stack (DBGW_TARGET).
  static CommandResult Dbgw(const std::vector<std::string>& args,
                            std::map<std::string, std::string> env = {},
                            const std::string& input = "") {
    std::vector<std::string> argv = {Runfile("client/dbgw")};
    argv.insert(argv.end(), args.begin(), args.end());
    env.emplace("DBGW_TARGET", stack_->target());
    env.emplace("DBGW_API_KEY", "team-key");
    env.emplace("DBGW_CONFIG", "");
    env.emplace("XDG_CONFIG_HOME", TempDir() + "/no-config");
    return RunCommand(argv, env, absl::Seconds(60), input);
  }

  // Runs and expects exit 0; the output.
  static std::string Ok(const std::vector<std::string>& args, const std::string& input = "") {
    CommandResult result = Dbgw(args, {}, input);
    EXPECT_EQ(result.exit_code, 0)
        << absl::StrJoin(args, " ") << "\nstderr: " << result.err << "\nstdout: " << result.out;
    return result.out;
  }

  // The field of a JSON object printed by --output json.
  static std::string JsonField(const std::string& text, const std::string& field) {
    absl::StatusOr<json::Value> value = json::Parse(text);
    if (!value.ok() || value->Find(field) == nullptr) return "<no " + field + " in " + text + ">";
    const json::Value& found = *value->Find(field);
    return found.is_string() ? found.as_string() : found.Dump();
  }

  static std::vector<std::string> Lines(const std::string& text) {
    return absl::StrSplit(text, absl::ByAnyChar("\r\n"), absl::SkipEmpty());
  }

  static Stack* stack_;
};

Stack* DbgwTest::stack_ = nullptr;

TEST_F(DbgwTest, HelpCoversEveryCommand) {
  const std::string help = Ok({"--help"});
  std::vector<std::string> commands;
  for (const std::string& line : Lines(help)) {
    for (const char* service : {"  jobs ", "  sql ", "  delta ", "  catalog "}) {
      if (absl::StartsWith(line, service)) {
        const std::vector<std::string> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
        commands.push_back(absl::StrCat(words[0], " ", words[1]));
      }
    }
  }
  // One command per RPC (38), StreamStatementResults twice (sql exec and sql results).
  EXPECT_EQ(commands.size(), 39u) << help;
  for (const std::string& command : commands) {
    std::vector<std::string> args = absl::StrSplit(command, ' ');
    args.emplace_back("--help");
    const std::string text = Ok(args);
    EXPECT_THAT(text, StartsWith("Usage: dbgw " + command)) << command;
    EXPECT_THAT(text, HasSubstr("Global flags:")) << command;
  }
  EXPECT_THAT(help, HasSubstr("Exit codes:"));
  EXPECT_EQ(Dbgw({}).exit_code, 2);
}

TEST_F(DbgwTest, BadCommandLinesExit2AndSendNothing) {
  stack_->ResetCounters();
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"jobs", "get"}, "missing argument: dbgw jobs get RUN_ID"},
      {{"jobs", "get", "1", "2"}, "unexpected argument \"2\" for dbgw jobs get"},
      {{"jobs", "list", "--nope"}, "unknown flag --nope (see dbgw jobs list --help)"},
      {{"jobs", "list", "--limit"}, "--limit needs a value (N)"},
      {{"jobs", "list", "--limit", "ten"}, "--limit: \"ten\" is not an integer"},
      {{"jobs", "list", "--active=yes"}, "--active takes no value"},
      {{"sql", "warehouses", "-o", "xml"}, "--output: \"xml\" is not one of table, json, csv"},
      {{"sql", "exec", "SELECT :a", "--param", "a"}, "--param \"a\": expected name=value"},
      {{"jobs", "submit"}, "give --notebook, --python-file, --jar-class or --request FILE"},
      {{"jobs", "fly"}, "unknown command \"jobs fly\""},
      {{"warp"}, "unknown command \"warp\""},
      {{"delta", "read", "a.b.c.d"}, "more than three parts"},
      {{"delta", "delete", "main.default.t"}, "give --where or --all-rows"},
      {{"delta", "load", "/nonexistent/tables.yaml"}, "cannot read /nonexistent/tables.yaml"},
      {{"sql", "warehouses", "--timeout", "soon"},
       "--timeout: \"soon\" is not a positive duration"},
      {{"sql", "warehouses", "--api-key-file", "/nonexistent/key"},
       "api_key_file: cannot read /nonexistent/key"},
  };
  for (const Case& c : cases) {
    const CommandResult result = Dbgw(c.args);
    EXPECT_EQ(result.exit_code, 2) << absl::StrJoin(c.args, " ") << ": " << result.err;
    EXPECT_THAT(result.err, HasSubstr(c.message)) << absl::StrJoin(c.args, " ");
    EXPECT_EQ(result.out, "") << absl::StrJoin(c.args, " ");
  }
  EXPECT_EQ(stack_->EmulatorApiRequests(), 0);
}

TEST_F(DbgwTest, UnknownTenantExits3) {
  const CommandResult result = Dbgw({"sql", "warehouses"}, {{"DBGW_API_KEY", "not-a-key"}});
  EXPECT_EQ(result.exit_code, 3) << result.err;
  EXPECT_THAT(result.err, HasSubstr("dbgw: UNAUTHENTICATED: "));
  EXPECT_THAT(result.err, HasSubstr("reason API_KEY_INVALID from gateway.databricks"));
  EXPECT_EQ(result.out, "");
}

TEST_F(DbgwTest, ThrottlingExits4WithTheDelayAndTheQuota) {
  const std::map<std::string, std::string> stingy = {{"DBGW_API_KEY", "stingy-key"}};
  const CommandResult first = Dbgw({"sql", "warehouses"}, stingy);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  const CommandResult second = Dbgw({"sql", "warehouses"}, stingy);
  EXPECT_EQ(second.exit_code, 4) << second.err;
  EXPECT_THAT(second.err, HasSubstr("dbgw: RESOURCE_EXHAUSTED: "));
  EXPECT_THAT(second.err, HasSubstr("retry after 1m"));  // 1 call per 100 s: ~1m40s
  EXPECT_THAT(second.err, HasSubstr("quota tenant:stingy: "));
  EXPECT_THAT(second.err, HasSubstr("reason TENANT_RATE_LIMITED from gateway.databricks"));
}

TEST_F(DbgwTest, JobsCommands) {
  // submit, wait, get, output, list in every format.
  const std::string submitted = Ok({"jobs", "submit", "--notebook", "/Workspace/answer", "--param",
                                    "day=2026-11-21", "--name", "nightly-etl", "-o", "json"});
  const std::string run_id = JsonField(submitted, "run_id");
  ASSERT_FALSE(run_id.empty());
  const std::vector<std::string> waited = Lines(Ok({"jobs", "wait", run_id}));
  ASSERT_EQ(waited.size(), 2u);
  EXPECT_THAT(waited[0],
              ::testing::MatchesRegex("RUN_ID +RUN_NAME +STATE +RESULT +START +END +MESSAGE"));
  EXPECT_THAT(waited[1], ::testing::MatchesRegex(run_id + " +nightly-etl +TERMINATED +SUCCESS +"
                                                          "2[-0-9T:]+Z +2[-0-9T:]+Z *"));

  EXPECT_EQ(JsonField(Ok({"jobs", "get", run_id, "-o", "json"}), "run_name"), "nightly-etl");
  EXPECT_THAT(Ok({"jobs", "get", run_id}),
              ::testing::ContainsRegex("\nstate.life_cycle_state +TERMINATED\n"));
  const std::vector<std::string> tasks = Lines(Ok({"jobs", "get", run_id, "--tasks", "-o", "csv"}));
  ASSERT_EQ(tasks.size(), 2u);
  EXPECT_EQ(tasks[0], "run_id,task_key,state,result,start,end");
  EXPECT_THAT(tasks[1], HasSubstr(",main,TERMINATED,SUCCESS,"));
  EXPECT_THAT(Ok({"jobs", "output", run_id}), HasSubstr("notebook_output.result"));
  EXPECT_THAT(Ok({"jobs", "output", run_id, "-o", "csv"}), HasSubstr("42"));
  const std::string listed = Ok({"jobs", "list", "-o", "csv", "--completed"});
  EXPECT_THAT(Lines(listed)[0], "run_id,run_name,state,result,start,end,message");
  EXPECT_THAT(listed, HasSubstr(run_id + ",nightly-etl,TERMINATED,SUCCESS,"));
  const std::vector<std::string> json_runs = Lines(Ok({"jobs", "list", "-o", "json"}));
  ASSERT_FALSE(json_runs.empty());
  EXPECT_EQ(JsonField(json_runs[0], "run_id").empty(), false);

  // submit --wait, cancel --wait.
  EXPECT_THAT(Ok({"jobs", "submit", "--notebook", "/Workspace/ok", "--wait", "-o", "csv"}),
              HasSubstr(",TERMINATED,SUCCESS,"));
  const std::string slow =
      JsonField(Ok({"jobs", "submit", "--notebook", "/Workspace/slow", "-o", "json"}), "run_id");
  EXPECT_THAT(Ok({"jobs", "cancel", slow, "--wait", "-o", "csv"}), HasSubstr(",CANCELED,"));
  EXPECT_THAT(Ok({"jobs", "cancel", slow}), HasSubstr("FIELD  VALUE"));

  // Jobs: create, get-job, list-jobs, run-now, delete-job.
  const std::string job_id = JsonField(
      Ok({"jobs", "create", "--name", "weekly", "--notebook", "/Workspace/ok", "-o", "json"}),
      "job_id");
  ASSERT_FALSE(job_id.empty());
  EXPECT_EQ(JsonField(Ok({"jobs", "get-job", job_id, "-o", "json"}), "job_id"), job_id);
  EXPECT_THAT(Ok({"jobs", "list-jobs", "-o", "csv"}), HasSubstr(job_id + ",weekly,"));
  EXPECT_THAT(Ok({"jobs", "run-now", job_id, "--wait", "-o", "csv"}), HasSubstr(",SUCCESS,"));
  Ok({"jobs", "delete-job", job_id});
  const CommandResult gone = Dbgw({"jobs", "get-job", job_id});
  EXPECT_EQ(gone.exit_code, 1) << gone.err;  // Databricks answered: the job does not exist
  EXPECT_THAT(gone.err, HasSubstr("from databricks.com"));

  // Streaming runs, from flags and from a request file.
  EXPECT_FALSE(JsonField(Ok({"jobs", "submit-streaming", "--source-table", "main.default.src",
                             "--sink-table", "main.default.dst", "--checkpoint",
                             "/Volumes/main/default/cp", "--available-now", "-o", "json"}),
                         "run_id")
                   .empty());
  const std::string request = TempDir() + "/run.json";
  WriteFile(request, R"({"run_name": "from-file", "tasks": [{"task_key": "t",
                         "notebook_task": {"notebook_path": "/Workspace/ok"}}]})");
  const std::string from_file =
      JsonField(Ok({"jobs", "submit", "--request", request, "-o", "json"}), "run_id");
  EXPECT_EQ(JsonField(Ok({"jobs", "get", from_file, "-o", "json"}), "run_name"), "from-file");
  WriteFile(request, R"({"tasks": [{"task_kee": "t"}]})");
  const CommandResult bad_request = Dbgw({"jobs", "submit", "--request", request});
  EXPECT_EQ(bad_request.exit_code, 2);
  EXPECT_THAT(bad_request.err, HasSubstr("not a SubmitRunRequest in JSON"));
}

TEST_F(DbgwTest, FailedRunExits1) {
  const CommandResult result =
      Dbgw({"jobs", "submit", "--notebook", "/Workspace/fail-now", "--wait"});
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_THAT(result.out, HasSubstr("TERMINATED  FAILED"));
  EXPECT_THAT(result.err, HasSubstr("ended TERMINATED FAILED"));
  // The progress line is only for terminals: none of its text reached the pipes.
  EXPECT_THAT(result.err, ::testing::Not(HasSubstr("\r")));
  EXPECT_THAT(result.out, ::testing::Not(HasSubstr("\r")));
}

TEST_F(DbgwTest, SqlCommands) {
  EXPECT_EQ(Ok({"sql", "exec", "SELECT 1 AS one, 'a,b' AS two, NULL AS three", "-o", "csv"}),
            "one,two,three\r\n1,\"a,b\",\r\n");
  EXPECT_EQ(Ok({"sql", "exec", "SELECT 1 AS one, 'a,b' AS two, NULL AS three", "-o", "json"}),
            "{\"one\":1,\"two\":\"a,b\",\"three\":null}\n");
  EXPECT_EQ(Ok({"sql", "exec", "SELECT 1 AS one, 'a,b' AS two, NULL AS three"}),
            "ONE  TWO  THREE\n1    a,b  NULL\n");
  EXPECT_EQ(Ok({"sql", "exec", "SELECT :n + 1 AS next, :d AS d", "--param", "n:INT=41", "--param",
                "d:DATE=2026-11-21", "-o", "csv"}),
            "next,d\r\n42,2026-11-21\r\n");

  const std::string submitted = Ok({"sql", "submit", "SELECT 7 AS x", "-o", "json"});
  const std::string statement = JsonField(submitted, "statement_id");
  EXPECT_THAT(submitted, HasSubstr("\"SUCCEEDED\""));
  EXPECT_THAT(Ok({"sql", "get", statement}), HasSubstr("SUCCEEDED"));
  EXPECT_EQ(Ok({"sql", "chunk", statement, "0", "-o", "csv"}), "x\r\n7\r\n");
  EXPECT_EQ(Ok({"sql", "results", statement, "-o", "csv"}), "x\r\n7\r\n");

  const std::string slow =
      Ok({"sql", "submit", "SELECT 'slow_marker' AS s", "--wait-seconds", "0", "-o", "csv"});
  ASSERT_EQ(Lines(slow).size(), 2u) << slow;
  EXPECT_EQ(Lines(slow)[0], "statement_id,state,rows,chunks,error");
  const std::string slow_id = Lines(slow)[1].substr(0, Lines(slow)[1].find(','));
  Ok({"sql", "cancel", slow_id});
  ASSERT_TRUE(::gateway::testing::PollUntil(
      [&] {
        return Dbgw({"sql", "get", slow_id}).exit_code == 1;
      },
      absl::Seconds(10)));
  EXPECT_THAT(Dbgw({"sql", "get", slow_id}).out, HasSubstr("CANCELED"));

  const CommandResult failed = Dbgw({"sql", "exec", "SELECT * FROM main.default.nowhere"});
  EXPECT_EQ(failed.exit_code, 1) << failed.err;
  EXPECT_THAT(failed.err, HasSubstr("TABLE_OR_VIEW_NOT_FOUND"));
  EXPECT_EQ(Dbgw({"sql", "submit", "SELECT * FROM main.default.nowhere"}).exit_code, 1);

  EXPECT_EQ(Ok({"sql", "warehouses", "-o", "csv"}),
            "id,name,state,size,clusters\r\nwh1,Main,RUNNING,2X-Small,1\r\n"
            "wh2,Spare,STOPPED,2X-Small,0\r\n");
  EXPECT_EQ(JsonField(Ok({"sql", "warehouse", "wh1", "-o", "json"}), "state"), "RUNNING");
  EXPECT_THAT(Ok({"sql", "start-warehouse", "wh2", "--wait", "-o", "csv"}),
              HasSubstr("wh2,Spare,RUNNING,"));
}

TEST_F(DbgwTest, DeltaCommands) {
  Ok({"sql", "exec",
      "CREATE TABLE main.default.sales (id BIGINT, day DATE, amount DECIMAL(10,2))"});
  const std::string csv = TempDir() + "/sales.csv";
  WriteFile(csv, "id,day,amount\n1,2026-11-01,10.50\n2,2026-11-02,20.00\n");
  EXPECT_EQ(Ok({"delta", "write", "main.default.sales", "--input", csv, "-o", "csv"}),
            "affected,inserted,updated,deleted\r\n2,2,0,0\r\n");
  // JSON lines on stdin.
  Ok({"delta", "write", "main.default.sales", "--input", "-", "--input-format", "json"},
     "{\"id\": 3, \"day\": \"2026-11-03\", \"amount\": \"30.25\"}\n");
  EXPECT_EQ(Ok({"delta", "read", "main.default.sales", "--order-by", "id", "-o", "csv"}),
            "id,day,amount\r\n1,2026-11-01,10.50\r\n2,2026-11-02,20.00\r\n3,2026-11-03,30.25\r\n");
  // Time travel: version 1 is the first write.
  EXPECT_EQ(Ok({"delta", "read", "main.default.sales", "--version", "1", "--order-by", "id",
                "--columns", "id", "-o", "json"}),
            "{\"id\":1}\n{\"id\":2}\n");
  EXPECT_EQ(Ok({"delta", "read", "main.default.sales", "--where", "amount > :min", "--param",
                "min:DECIMAL(10,2)=15", "--order-by", "id", "--columns", "id"}),
            "ID\n2\n3\n");

  const std::string merge = TempDir() + "/merge.csv";
  WriteFile(merge, "id,day,amount\n2,2026-11-02,22.00\n4,2026-11-04,40.00\n");
  EXPECT_EQ(
      Ok({"delta", "merge", "main.default.sales", "--input", merge, "--key", "id", "-o", "csv"}),
      "affected,inserted,updated,deleted\r\n2,1,1,0\r\n");
  EXPECT_THAT(Ok({"delta", "update", "main.default.sales", "--set", "amount=11.00", "--where",
                  "id = :id", "--param", "id:BIGINT=1", "-o", "csv"}),
              HasSubstr("\r\n1,0,0,0\r\n"));  // UPDATE reports num_affected_rows only
  EXPECT_THAT(Ok({"delta", "delete", "main.default.sales", "--where", "id = :id", "--param",
                  "id:BIGINT=3", "-o", "csv"}),
              HasSubstr("\r\n1,0,0,0\r\n"));  // as does DELETE
  EXPECT_EQ(Ok({"delta", "read", "main.default.sales", "--order-by", "id", "-o", "csv"}),
            "id,day,amount\r\n1,2026-11-01,11.00\r\n2,2026-11-02,22.00\r\n4,2026-11-04,40.00\r\n");

  EXPECT_THAT(Ok({"delta", "optimize", "main.default.sales", "--zorder", "day"}),
              HasSubstr("num_files_added"));
  EXPECT_THAT(Ok({"delta", "vacuum", "main.default.sales", "--dry-run", "-o", "json"}),
              HasSubstr("num_files"));
  const std::vector<std::string> history =
      Lines(Ok({"delta", "history", "main.default.sales", "-o", "csv"}));
  EXPECT_EQ(history[0], "version,timestamp,operation,user,read_version");
  EXPECT_THAT(history[1], StartsWith("6,"));  // create, 2 writes, merge, update, delete, optimize
  EXPECT_THAT(history[1], HasSubstr(",OPTIMIZE,"));
  EXPECT_THAT(Ok({"delta", "restore", "main.default.sales", "--version", "1"}),
              HasSubstr("num_restored_files"));
  EXPECT_EQ(Ok({"delta", "read", "main.default.sales", "--order-by", "id", "--columns", "id", "-o",
                "csv"}),
            "id\r\n1\r\n2\r\n");
  EXPECT_EQ(Ok({"delta", "schema", "main.default.sales", "-o", "csv"}),
            "name,type,nullable,comment\r\nid,bigint,true,\r\nday,date,true,\r\n"
            "amount,\"decimal(10,2)\",true,\r\n");
  EXPECT_THAT(Ok({"delta", "evolve", "main.default.sales", "--add", "note:STRING", "-o", "csv"}),
              HasSubstr("note,string,true,"));
  const CommandResult narrowing =
      Dbgw({"delta", "evolve", "main.default.sales", "--widen", "amount:INT", "-o", "csv"});
  EXPECT_EQ(narrowing.exit_code, 5);
  EXPECT_THAT(narrowing.out,
              HasSubstr("amount,\"DECIMAL(10,2) → INT is not a widening Delta allows\""));
  EXPECT_THAT(Ok({"delta", "clone", "main.default.sales", "main.default.sales_copy", "--deep"}),
              HasSubstr("source_num_of_files"));
  EXPECT_EQ(Ok({"delta", "read", "main.default.sales_copy", "--columns", "id", "--order-by", "id",
                "-o", "csv"}),
            "id\r\n1\r\n2\r\n");
  Ok({"sql", "exec", "CREATE TABLE main.default.raw (id BIGINT) USING PARQUET"});
  Ok({"delta", "convert", "main.default.raw"});
  const CommandResult path = Dbgw({"delta", "convert", "--path", "/Volumes/main/default/raw"});
  EXPECT_EQ(path.exit_code, 1);  // Databricks (here: the emulator) refuses it
  EXPECT_THAT(path.err, HasSubstr("from databricks.com"));

  const std::string load = TempDir() + "/tables.yaml";
  WriteFile(load, R"yaml(
tables:
  - name: main.default.daily
    query: SELECT day, sum(amount) AS total FROM main.default.sales GROUP BY day
  - name: main.default.total
    query: SELECT sum(total) AS total FROM main.default.daily
  - name: main.default.broken
    query: SELECT * FROM main.default.missing
  - name: main.default.after_broken
    query: SELECT * FROM main.default.broken
)yaml");
  const CommandResult loaded = Dbgw({"delta", "load", load, "-o", "csv"});
  EXPECT_EQ(loaded.exit_code, 1) << loaded.err;
  EXPECT_THAT(loaded.out, HasSubstr("main.default.daily,0,TABLE_LOAD_SUCCEEDED,"));
  EXPECT_THAT(loaded.out, HasSubstr("main.default.total,1,TABLE_LOAD_SUCCEEDED,"));
  EXPECT_THAT(loaded.out, HasSubstr("main.default.broken,0,TABLE_LOAD_FAILED,"));
  EXPECT_THAT(loaded.out, HasSubstr("main.default.after_broken,1,TABLE_LOAD_SKIPPED,"));
  EXPECT_THAT(loaded.err, HasSubstr("2 of 4 tables did not load"));
  WriteFile(load, "tables:\n  - name: main.default.x\n    qurey: SELECT 1\n");
  const CommandResult typo = Dbgw({"delta", "load", load});
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_THAT(typo.err, HasSubstr("tables[0].qurey: unknown key"));

  const std::string bad_rows = TempDir() + "/bad.csv";
  WriteFile(bad_rows, "id,amount\n1,ten\n");
  const CommandResult bad = Dbgw({"delta", "write", "main.default.sales", "--input", bad_rows});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("line 2: column amount: \"ten\" is not a DECIMAL"));
}

TEST_F(DbgwTest, CatalogCommands) {
  Ok({"sql", "exec", "CREATE TABLE main.default.listed (id BIGINT COMMENT 'the key')"});
  EXPECT_EQ(Ok({"catalog", "catalogs", "-o", "csv"}).substr(0, 27),
            "name,type,owner,comment\r\nma");
  EXPECT_THAT(Ok({"catalog", "schemas", "main"}), HasSubstr("main.default"));
  EXPECT_THAT(Ok({"catalog", "tables", "main.default", "-o", "csv"}),
              HasSubstr("main.default.listed,MANAGED,DELTA,"));
  EXPECT_EQ(JsonField(Ok({"catalog", "table", "main.default.listed", "-o", "json"}), "full_name"),
            "main.default.listed");
  EXPECT_EQ(Ok({"catalog", "table", "main.default.listed", "--columns", "-o", "csv"}),
            "name,type,nullable,comment\r\nid,bigint,true,the key\r\n");
  const CommandResult bad = Dbgw({"catalog", "tables", "main"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("\"main\" is not CATALOG.SCHEMA"));
}

TEST_F(DbgwTest, ConfigFileEnvironmentAndFlagsInThatOrder) {
  const std::string dir = TempDir() + "/config";
  ASSERT_EQ(RunCommand({"/bin/mkdir", "-p", dir}, {}).exit_code, 0);
  WriteFile(dir + "/key", "team-key\n");
  WriteFile(dir + "/config.yaml", absl::StrCat("target: ", stack_->target(),
                                               "\noutput: csv\napi_key_file: ", dir, "/key\n"));
  std::vector<std::string> argv = {Runfile("client/dbgw"), "sql", "warehouse", "wh1"};
  // The file alone: its target, key and output.
  CommandResult result = RunCommand(
      argv, {{"DBGW_CONFIG", dir + "/config.yaml"}, {"DBGW_TARGET", ""}, {"DBGW_API_KEY", ""}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("id,name,state,"));
  // The environment's key overrides the file's; a flag overrides the file's output.
  argv.insert(argv.end(), {"-o", "json"});
  result = RunCommand(argv, {{"DBGW_CONFIG", dir + "/config.yaml"}, {"DBGW_API_KEY", "not-a-key"}});
  EXPECT_EQ(result.exit_code, 3);
  result = RunCommand(argv, {{"DBGW_CONFIG", dir + "/config.yaml"}, {"DBGW_API_KEY", ""}});
  EXPECT_EQ(JsonField(result.out, "id"), "wh1");
  // $XDG_CONFIG_HOME/dbgw/config.yaml is found without DBGW_CONFIG.
  ASSERT_EQ(RunCommand({"/bin/mkdir", "-p", dir + "/xdg/dbgw"}, {}).exit_code, 0);
  WriteFile(dir + "/xdg/dbgw/config.yaml", "target: " + stack_->target() + "\noutput: csv\n");
  result = RunCommand({Runfile("client/dbgw"), "sql", "warehouse", "wh1"},
                      {{"XDG_CONFIG_HOME", dir + "/xdg"},
                       {"DBGW_CONFIG", ""},
                       {"DBGW_TARGET", ""},
                       {"DBGW_API_KEY", "team-key"}});
  EXPECT_THAT(result.out, StartsWith("id,name,state,"));
  // A typo in the file names the key.
  WriteFile(dir + "/config.yaml", "targt: 127.0.0.1:1\n");
  result = RunCommand(argv, {{"DBGW_CONFIG", dir + "/config.yaml"}});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("config " + dir + "/config.yaml: unknown key 'targt'"));
}

TEST_F(DbgwTest, UnreachableGatewayExits6) {
  const CommandResult result =
      Dbgw({"sql", "warehouses", "--target",
            absl::StrCat("127.0.0.1:", ::gateway::testing::FreePort()), "--timeout", "2s"});
  EXPECT_EQ(result.exit_code, 6) << result.err;
  EXPECT_THAT(result.err,
              ::testing::AnyOf(HasSubstr("UNAVAILABLE"), HasSubstr("DEADLINE_EXCEEDED")));
}

// The three `dbgw` commands of the README's quick start, as written there.
TEST_F(DbgwTest, ReadmeQuickStartCommandsWork) {
  const std::string readme = ::gateway::testing::ReadFile(Runfile("README.md"));
  const size_t start = readme.find("## Quick start");
  const size_t end = readme.find("\n## ", start + 1);
  ASSERT_NE(start, std::string::npos);
  std::vector<std::string> commands;
  for (const std::string& line : Lines(readme.substr(start, end - start))) {
    if (absl::StartsWith(line, "dbgw ")) commands.push_back(line.substr(5));
  }
  ASSERT_EQ(commands.size(), 3u) << readme.substr(start, end - start);
  for (const std::string& command : commands) {
    // The shell's word splitting, for the quoting the README uses ("…" around one word).
    std::vector<std::string> args;
    std::string word;
    bool quoted = false;
    bool in_word = false;
    for (char c : command) {
      if (c == '"') {
        quoted = !quoted;
        in_word = true;
      } else if (c == ' ' && !quoted) {
        if (in_word) args.push_back(word);
        word.clear();
        in_word = false;
      } else {
        word += c;
        in_word = true;
      }
    }
    if (in_word) args.push_back(word);
    const CommandResult result = Dbgw(args);
    EXPECT_EQ(result.exit_code, 0) << command << "\n" << result.err;
    EXPECT_FALSE(result.out.empty()) << command;
  }
}

// client/examples run against the gateway as they would against `make run`.
TEST_F(DbgwTest, ExamplesRun) {
  const std::map<std::string, std::string> env = {{"DBGW_TARGET", stack_->target()},
                                                  {"DBGW_API_KEY", "team-key"}};
  const CommandResult quickstart = RunCommand({Runfile("client/examples/quickstart")}, env);
  EXPECT_EQ(quickstart.exit_code, 0) << quickstart.err;
  EXPECT_THAT(quickstart.out, HasSubstr("run ended SUCCESS"));
  EXPECT_THAT(quickstart.out, HasSubstr("doubled = 42"));
  EXPECT_THAT(quickstart.out, HasSubstr("merge: 1 updated, 1 inserted"));
  EXPECT_THAT(quickstart.out, HasSubstr(": id 2 = first"));  // the version before the merge
  EXPECT_THAT(quickstart.out, HasSubstr("optimize: "));
  const CommandResult stream = RunCommand(
      {Runfile("client/examples/stream_rows"), "SELECT * FROM main.default.quickstart"}, env);
  EXPECT_EQ(stream.exit_code, 0) << stream.err;
  EXPECT_THAT(stream.out, HasSubstr("catalog main\n"));
  EXPECT_THAT(stream.out, HasSubstr("3 rows in 1 chunks"));
}

}  // namespace
}  // namespace gateway
