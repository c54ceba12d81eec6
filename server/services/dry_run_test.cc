#include "server/services/dry_run.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gateway::services {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ParseDryRunHeaderTest, TrueFalseAnyCaseAndAbsent) {
  EXPECT_EQ(ParseDryRunHeader(std::nullopt).value(), false);
  EXPECT_EQ(ParseDryRunHeader("true").value(), true);
  EXPECT_EQ(ParseDryRunHeader("TRUE").value(), true);
  EXPECT_EQ(ParseDryRunHeader("False").value(), false);
  absl::StatusOr<bool> bad = ParseDryRunHeader("1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().message(), "metadata x-dry-run: expected true or false, got '1'");
  // A control character is escaped, not echoed.
  EXPECT_THAT(ParseDryRunHeader("t\nx").status().message(), HasSubstr("'t\\nx'"));
}

TEST(DryRunLogTest, RecordsRequestsInOrderWithoutCredentialsOrLinkSignatures) {
  DryRunLog log;
  upstream::Call submit;
  submit.method = upstream::Method::kPost;
  submit.path = "/api/2.2/jobs/runs/submit";
  submit.operation = "jobs.runs.submit";
  submit.body = R"({"run_name":"n","tasks":[]})";
  submit.headers = {{"Authorization", "Bearer dapi-secret"}};
  log.Add(submit);
  upstream::Call link;
  link.url = "https://127.0.0.1:8445/chunk0?X-Amz-Signature=secret-signature";
  link.operation = "sql.results.download";
  log.Add(link);

  const std::string dump = log.Dump();
  EXPECT_EQ(dump,
            R"({"dry_run":true,"requests":[{"method":"POST","path":"/api/2.2/jobs/runs/submit",)"
            R"("operation":"jobs.runs.submit","body":{"run_name":"n","tasks":[]}},)"
            R"({"method":"GET","url":"https://127.0.0.1:8445/chunk0",)"
            R"("operation":"sql.results.download"}]})");
  EXPECT_THAT(dump, Not(HasSubstr("secret")));
}

TEST(DryRunStopTest, IsRecognizedAndNothingElseIs) {
  EXPECT_TRUE(IsDryRunStop(DryRunStop()));
  EXPECT_FALSE(IsDryRunStop(absl::AbortedError("dry run: the request to Databricks was not sent")));
  EXPECT_FALSE(IsDryRunStop(absl::OkStatus()));
}

}  // namespace
}  // namespace gateway::services
