#include "server/common/log.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RedactorTest, RegisteredSecretIsReplacedEverywhere) {
  Redactor redactor;
  redactor.AddSecret("s3cr3t-value");
  EXPECT_EQ(redactor.Redact("a s3cr3t-value b s3cr3t-value"), "a [REDACTED] b [REDACTED]");
}

TEST(RedactorTest, DatabricksTokenShapeIsReplacedWithoutRegistration) {
  Redactor redactor;
  EXPECT_EQ(redactor.Redact("token=dapi0123456789abcdef0123 end"), "token=[REDACTED] end");
}

TEST(RedactorTest, BearerCredentialIsReplacedKeepingTheScheme) {
  Redactor redactor;
  EXPECT_EQ(redactor.Redact("authorization: Bearer eyJhbGciOi.x-y_z"),
            "authorization: Bearer [REDACTED]");
}

TEST(RedactorTest, OrdinaryTextIsUnchanged) {
  Redactor redactor;
  redactor.AddSecret("abc");  // too short to register
  EXPECT_EQ(redactor.Redact("abc dapi bearer"), "abc dapi bearer");
}

TEST(LoggerTest, WritesOneJsonObjectPerLineWithFields) {
  std::ostringstream out;
  Logger logger(&out, LogLevel::kInfo);
  logger.Info("listening", {{"address", "127.0.0.1:50051"}, {"note", "a \"quoted\"\nline"}});
  const std::string line = out.str();
  EXPECT_THAT(line, HasSubstr("\"level\":\"info\",\"msg\":\"listening\""));
  EXPECT_THAT(line, HasSubstr("\"address\":\"127.0.0.1:50051\""));
  EXPECT_THAT(line, HasSubstr("\"note\":\"a \\\"quoted\\\"\\nline\""));
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);
}

TEST(LoggerTest, DropsLinesBelowTheLevel) {
  std::ostringstream out;
  Logger logger(&out, LogLevel::kWarn);
  logger.Info("hidden");
  logger.Error("shown");
  EXPECT_THAT(out.str(), Not(HasSubstr("hidden")));
  EXPECT_THAT(out.str(), HasSubstr("shown"));
}

TEST(LoggerTest, RedactsSecretsInMessagesAndFields) {
  std::ostringstream out;
  Logger logger(&out, LogLevel::kDebug);
  logger.AddSecret("client-secret-42");
  logger.Error("auth failed with client-secret-42", {{"detail", "client-secret-42"}});
  EXPECT_THAT(out.str(), Not(HasSubstr("client-secret-42")));
  EXPECT_THAT(out.str(), HasSubstr("auth failed with [REDACTED]"));
}

TEST(ParseLogLevelTest, KnownAndUnknownNames) {
  EXPECT_EQ(*ParseLogLevel("debug"), LogLevel::kDebug);
  EXPECT_EQ(*ParseLogLevel("error"), LogLevel::kError);
  EXPECT_EQ(ParseLogLevel("loud").status().message(),
            "unknown log level \"loud\" (expected debug, info, warn or error)");
}

}  // namespace
}  // namespace gateway
