// The harness turns a sanitizer's report in a child process into a test failure.
#include "tests/harness/process.h"

#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"

namespace gateway::testing {
namespace {

TEST(SanitizerReportTest, FindsEachSanitizersFirstLine) {
  EXPECT_EQ(SanitizerReport("listening on 127.0.0.1:80\nbye\n"), "");
  EXPECT_EQ(SanitizerReport("ok\n==12==ERROR: AddressSanitizer: heap-use-after-free\n#0 f\n"),
            "==12==ERROR: AddressSanitizer: heap-use-after-free\n#0 f\n");
  EXPECT_EQ(SanitizerReport("==7==ERROR: LeakSanitizer: detected memory leaks\n"),
            "==7==ERROR: LeakSanitizer: detected memory leaks\n");
  EXPECT_EQ(SanitizerReport("a\nWARNING: ThreadSanitizer: data race (pid=3)\n"),
            "WARNING: ThreadSanitizer: data race (pid=3)\n");
  EXPECT_EQ(SanitizerReport("log\nserver/x.cc:10:5: runtime error: signed integer overflow\n"),
            "server/x.cc:10:5: runtime error: signed integer overflow\n");
}

TEST(SanitizerReportTest, ReportInAChildsStderrFailsTheTest) {
  EXPECT_NONFATAL_FAILURE(
      {
        absl::StatusOr<Subprocess> child = Subprocess::Start(
            {"/bin/sh", "-c", "echo 'a.cc:1:2: runtime error: load of misaligned address' >&2"}, {},
            TempDir() + "/child.stderr");
        ASSERT_TRUE(child.ok()) << child.status();
        EXPECT_EQ(child->Wait(absl::Seconds(10)), 0);
      },
      "runtime error: load of misaligned address");
  EXPECT_NONFATAL_FAILURE(
      RunCommand({"/bin/sh", "-c", "echo '==1==ERROR: LeakSanitizer: detected' >&2"}, {}),
      "LeakSanitizer");
}

TEST(SanitizerReportTest, CleanChildPasses) {
  absl::StatusOr<Subprocess> child =
      Subprocess::Start({"/bin/sh", "-c", "echo fine >&2"}, {}, TempDir() + "/clean.stderr");
  ASSERT_TRUE(child.ok()) << child.status();
  EXPECT_EQ(child->Wait(absl::Seconds(10)), 0);
  EXPECT_EQ(RunCommand({"/bin/sh", "-c", "echo fine >&2"}, {}).exit_code, 0);
}

}  // namespace
}  // namespace gateway::testing
