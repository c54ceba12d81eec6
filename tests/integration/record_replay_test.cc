// The integration tests, recorded and replayed. jobs_test, sql_test and delta_test run once
// against the emulator while every gateway they start records its upstream exchanges
// (GATEWAY_TEST_RECORD_DIR, tests/integration/stack.h); then they run again against
// emulators that only replay those recordings (GATEWAY_TEST_REPLAY_DIR). The same tests
// must pass both times, and no recording may hold a secret.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"
#include "tests/integration/stack.h"

namespace gateway::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// What one run of a GoogleTest binary printed about its tests.
struct SuiteRun {
  int exit_code = -1;
  int passed = -1;  // "[  PASSED  ] N tests."
  int skipped = 0;  // "[  SKIPPED ] N tests, listed below:"
  std::string output;
};

int CountAfter(const std::string& text, const std::string& marker) {
  const std::regex pattern(marker + " (\\d+) tests?");
  std::smatch match;
  int count = -1;
  if (std::regex_search(text, match, pattern)) (void)absl::SimpleAtoi(match[1].str(), &count);
  return count;
}

// Runs `binary` (a test of this package) to its end with `variable` set to `dir`, and its
// logs in `tmp`. Bazel's XML output file is taken from it, so that this test's own result
// is what Bazel reads.
SuiteRun RunSuite(const std::string& binary, const char* variable, const std::string& dir,
                  const std::string& tmp) {
  mkdir(tmp.c_str(), 0755);
  CommandResult result = RunCommand({Runfile(binary)},
                                    {{variable, dir},
                                     {"TEST_TMPDIR", tmp},
                                     {"XML_OUTPUT_FILE", ""},
                                     {"GTEST_OUTPUT", ""},
                                     {"TEST_PREMATURE_EXIT_FILE", ""}},
                                    absl::Minutes(5));
  SuiteRun run;
  run.exit_code = result.exit_code;
  run.output = result.out + result.err;
  run.passed = CountAfter(result.out, "\\[  PASSED  \\]");
  run.skipped = std::max(0, CountAfter(result.out, "\\[  SKIPPED \\]"));
  return run;
}

std::string Tail(const std::string& text) {
  return text.size() <= 6000 ? text : text.substr(text.size() - 6000);
}

std::vector<std::string> FilesIn(const std::string& dir, const std::string& suffix) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (const dirent* entry = readdir(d)) {
      const std::string name = entry->d_name;
      if (absl::EndsWith(name, suffix)) names.push_back(absl::StrCat(dir, "/", name));
    }
    closedir(d);
  }
  return names;
}

// Records `suite`, then replays it: every test that passed must pass again.
void RecordThenReplay(const std::string& suite) {
  const std::string base = absl::StrCat(TempDir(), "/", suite);
  const std::string recordings = base + "-recordings";
  mkdir(recordings.c_str(), 0755);

  const SuiteRun recorded =
      RunSuite("tests/integration/" + suite, kRecordDirVariable, recordings, base + "-record-logs");
  ASSERT_EQ(recorded.exit_code, 0) << Tail(recorded.output);
  ASSERT_GT(recorded.passed, 0) << Tail(recorded.output);
  EXPECT_EQ(recorded.skipped, 0);

  // Every stack recorded a session, and none of them holds the workspace token or any
  // bearer credential.
  const std::vector<std::string> files = FilesIn(recordings, ".jsonl");
  ASSERT_FALSE(files.empty()) << "no recording in " << recordings;
  size_t exchanges = 0;
  for (const std::string& file : files) {
    const std::string text = ReadFile(file);
    exchanges += std::count(text.begin(), text.end(), '\n');
    EXPECT_THAT(text, Not(HasSubstr(kStackToken))) << file;
    EXPECT_THAT(text, Not(HasSubstr("dapi-"))) << file;
    EXPECT_FALSE(std::regex_search(text, std::regex("Bearer (?!\\[REDACTED\\])"))) << file;
  }
  EXPECT_GT(exchanges, 10u);

  const std::string replay_logs = base + "-replay-logs";
  const SuiteRun replayed =
      RunSuite("tests/integration/" + suite, kReplayDirVariable, recordings, replay_logs);
  EXPECT_EQ(replayed.exit_code, 0) << Tail(replayed.output);
  EXPECT_EQ(replayed.passed, recorded.passed) << Tail(replayed.output);
  EXPECT_EQ(replayed.skipped, 0) << Tail(replayed.output);

  // The emulators of the second run answered from the recordings, one per stack.
  int replaying = 0;
  for (const std::string& log : FilesIn(replay_logs, "-emulator.log")) {
    if (absl::StrContains(ReadFile(log), "answering from the recording")) ++replaying;
  }
  EXPECT_EQ(replaying, static_cast<int>(files.size()));
}

TEST(RecordReplayTest, JobsTestPassesAgainstItsRecording) { RecordThenReplay("jobs_test"); }

TEST(RecordReplayTest, SqlTestPassesAgainstItsRecording) { RecordThenReplay("sql_test"); }

TEST(RecordReplayTest, DeltaTestPassesAgainstItsRecording) { RecordThenReplay("delta_test"); }

}  // namespace
}  // namespace gateway::testing
