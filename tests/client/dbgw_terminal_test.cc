// `dbgw` in a real terminal: a tmux session runs it (send-keys) and the test reads the
// screen (capture-pane) while a run is waited for and while tables load. The progress
// line must show the live state and be gone when the result is printed.
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/common/json.h"
#include "tests/client/common.h"

namespace gateway {
namespace {

using ::gateway::testing::ClientStackOptions;
using ::gateway::testing::CommandResult;
using ::gateway::testing::FindOnPath;
using ::gateway::testing::PollUntil;
using ::gateway::testing::RunCommand;
using ::gateway::testing::Runfile;
using ::gateway::testing::Stack;
using ::gateway::testing::TempDir;
using ::gateway::testing::WriteFile;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

class DbgwTerminalTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { stack_ = new Stack("dbgw-terminal", ClientStackOptions()); }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(stack_->ok()) << stack_->error();
    tmux_ = FindOnPath("tmux");
    ASSERT_FALSE(tmux_.empty()) << "tmux is not installed (deploy/install-deps.sh installs it)";
    // The test's scratch directory is too deep for a Unix socket path (108 bytes).
    char dir[] = "/tmp/dbgw-tmux-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    socket_dir_ = dir;
    socket_ = socket_dir_ + "/socket";
    // A 160×40 terminal running a plain shell, without the user's tmux configuration.
    const CommandResult started = Tmux(
        {"-f", "/dev/null", "new-session", "-d", "-s", "dbgw", "-x", "160", "-y", "40", "/bin/sh"});
    ASSERT_EQ(started.exit_code, 0) << started.err;
  }
  void TearDown() override {
    Tmux({"kill-server"});
    RunCommand({"/bin/rm", "-rf", socket_dir_}, {});
  }

  CommandResult Tmux(std::vector<std::string> args) const {
    args.insert(args.begin(), {tmux_, "-S", socket_});
    return RunCommand(args, {}, absl::Seconds(10));
  }

  // Types `command` into the terminal and presses Enter.
  void Type(const std::string& command) const {
    ASSERT_EQ(Tmux({"send-keys", "-t", "dbgw", command, "Enter"}).exit_code, 0);
  }

  std::string Screen() const { return Tmux({"capture-pane", "-p", "-t", "dbgw"}).out; }

  // Polls the screen until it matches `pattern` (a regex); the last screen seen.
  std::string WaitForScreen(const std::string& pattern, absl::Duration timeout) const {
    std::string screen;
    PollUntil(
        [&] {
          screen = Screen();
          return ::testing::Value(screen, ContainsRegex(pattern));
        },
        timeout);
    return screen;
  }

  static std::string DbgwCommand(const std::string& args) {
    return absl::StrCat("DBGW_TARGET=", stack_->target(), " DBGW_API_KEY=team-key ",
                        Runfile("client/dbgw"), " ", args);
  }

  static Stack* stack_;
  std::string tmux_;
  std::string socket_dir_;
  std::string socket_;
};

Stack* DbgwTerminalTest::stack_ = nullptr;

TEST_F(DbgwTerminalTest, WaitShowsTheRunsStateUntilItEnds) {
  const CommandResult submitted = RunCommand(
      {Runfile("client/dbgw"), "jobs", "submit", "--notebook", "/Workspace/steady", "-o", "json"},
      {{"DBGW_TARGET", stack_->target()}, {"DBGW_API_KEY", "team-key"}});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  absl::StatusOr<json::Value> response = json::Parse(submitted.out);
  ASSERT_TRUE(response.ok());
  const std::string run_id = response->Find("run_id")->as_string();

  Type(DbgwCommand("jobs wait " + run_id + "; echo exit=$?"));
  // While the run runs, the last line of the screen is the progress line: the run, its
  // state and the elapsed time, ticking.
  const std::string running =
      WaitForScreen(absl::StrCat("\nrun ", run_id, "  RUNNING  0:0[0-9]\n"), absl::Seconds(10));
  EXPECT_THAT(running, ContainsRegex(absl::StrCat("\nrun ", run_id, "  RUNNING  0:0[0-9]\n")))
      << running;
  const std::string first_tick = running.substr(running.find("RUNNING"), 14);
  const std::string later =
      WaitForScreen(absl::StrCat("\nrun ", run_id, "  RUNNING  0:0[1-9]\n"), absl::Seconds(5));
  EXPECT_NE(later.substr(later.find("RUNNING"), 14), first_tick) << "the elapsed time ticks";

  // When the run ends the line is replaced by the result table.
  const std::string done = WaitForScreen("exit=0", absl::Seconds(15));
  EXPECT_THAT(done, HasSubstr("exit=0")) << done;
  EXPECT_THAT(done, ContainsRegex("RUN_ID +RUN_NAME +STATE +RESULT"));
  EXPECT_THAT(done, ContainsRegex(run_id + " +Untitled +TERMINATED +SUCCESS"));
  EXPECT_THAT(done, Not(HasSubstr("  RUNNING  "))) << done;
}

TEST_F(DbgwTerminalTest, LoadShowsWavesAndRunningTables) {
  const std::string file = TempDir() + "/tables.yaml";
  WriteFile(file, R"yaml(
tables:
  - name: main.default.terminal_first
    query: SELECT 'load_marker' AS marker
  - name: main.default.terminal_second
    query: SELECT marker, 'load_marker' AS again FROM main.default.terminal_first
)yaml");
  Type(DbgwCommand("delta load " + file + "; echo exit=$?"));
  const std::string first = WaitForScreen(
      "\nload  wave 1/2  tables 0/2 done  running main.default.terminal_first  0:0[0-9]\n",
      absl::Seconds(10));
  EXPECT_THAT(first, ContainsRegex("\nload  wave 1/2  tables 0/2 done  running "
                                   "main.default.terminal_first  0:0[0-9]\n"))
      << first;
  const std::string second = WaitForScreen(
      "\nload  wave 2/2  tables 1/2 done  running main.default.terminal_second  0:0[0-9]\n",
      absl::Seconds(10));
  EXPECT_THAT(second, ContainsRegex("\nload  wave 2/2  tables 1/2 done  running "
                                    "main.default.terminal_second  0:0[0-9]\n"))
      << second;
  const std::string done = WaitForScreen("exit=0", absl::Seconds(15));
  EXPECT_THAT(done, HasSubstr("exit=0")) << done;
  EXPECT_THAT(done, ContainsRegex("main.default.terminal_first +0 +TABLE_LOAD_SUCCEEDED"));
  EXPECT_THAT(done, ContainsRegex("main.default.terminal_second +1 +TABLE_LOAD_SUCCEEDED"));
  EXPECT_THAT(done, Not(HasSubstr("running main.default"))) << done;
}

TEST_F(DbgwTerminalTest, PipedOutputHasNoProgressLine) {
  Type(DbgwCommand("delta read main.default.terminal_none 2>&1 | cat -A; echo exit=$?"));
  // Even in a terminal, a pipe on stdout turns the line off: cat -A would show its \r as ^M.
  // The marker is computed, so the typed command (which may still be on screen) does not
  // hold it.
  Type(DbgwCommand("sql exec \"SELECT 'load_marker' AS m\" | cat -A; echo piped=$((40+2))"));
  const std::string screen = WaitForScreen("piped=42", absl::Seconds(15));
  EXPECT_THAT(screen, HasSubstr("M$\nload_marker$\npiped=42")) << screen;
  EXPECT_THAT(screen, HasSubstr("from databricks.com)$")) << screen;
  EXPECT_THAT(screen, Not(HasSubstr("^M"))) << screen;
  EXPECT_THAT(screen, Not(HasSubstr("^[[K"))) << screen;
}

}  // namespace
}  // namespace gateway
