#include "client/cli/args.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gateway::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const CommandSpec kCommand{"jobs list",
                           "List runs.",
                           "[NAME]",
                           0,
                           1,
                           {{"limit", "N", "at most N"},
                            {"active", "", "only active"},
                            {"param", "K=V", "a parameter", true}},
                           ""};
const std::vector<FlagSpec> kGlobal = {{"output", "FORMAT", "the format"}, {"help", "", "help"}};

TEST(ParseTest, FlagsInBothFormsAnywhereAndRepeatedOnesKeepEveryValue) {
  absl::StatusOr<ParsedArgs> args =
      Parse(kCommand, kGlobal,
            {"--limit", "5", "name", "--param=a=1", "--active", "-o", "csv", "--param", "b=2"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_THAT(args->positional(), ElementsAre("name"));
  EXPECT_EQ(*args->GetInt("limit", 0), 5);
  EXPECT_TRUE(args->Has("active"));
  EXPECT_EQ(args->Get("output"), "csv");
  EXPECT_THAT(args->GetAll("param"), ElementsAre("a=1", "b=2"));
  EXPECT_EQ(*args->GetInt("missing", 7), 7);
}

TEST(ParseTest, DoubleDashEndsFlags) {
  absl::StatusOr<ParsedArgs> args = Parse(kCommand, kGlobal, {"--", "--limit"});
  ASSERT_TRUE(args.ok()) << args.status();
  EXPECT_THAT(args->positional(), ElementsAre("--limit"));
}

TEST(ParseTest, MistakesAreNamed) {
  auto error = [](const std::vector<std::string>& words) {
    return std::string(Parse(kCommand, kGlobal, words).status().message());
  };
  EXPECT_EQ(error({"--nope"}), "unknown flag --nope");
  EXPECT_EQ(error({"-x"}), "unknown flag -x");
  EXPECT_EQ(error({"--limit"}), "--limit needs a value (N)");
  EXPECT_EQ(error({"--active=1"}), "--active takes no value");
  EXPECT_EQ(error({"--limit", "1", "--limit", "2"}), "--limit is given more than once");
  EXPECT_EQ(error({"a", "b"}), "unexpected argument \"b\" for dbgw jobs list");
  EXPECT_EQ(std::string(
                Parse(kCommand, kGlobal, {"--limit", "x"})->GetInt("limit", 0).status().message()),
            "--limit: \"x\" is not an integer");
  EXPECT_TRUE(Parse(kCommand, kGlobal, {"--help", "a", "b"}).ok());  // help needs no arguments
}

TEST(ParseTest, DurationsMustBePositive) {
  const std::vector<FlagSpec> global = {{"timeout", "DURATION", ""}};
  EXPECT_EQ(
      *Parse(kCommand, global, {"--timeout", "90s"})->GetDuration("timeout", absl::ZeroDuration()),
      absl::Seconds(90));
  EXPECT_THAT(std::string(Parse(kCommand, global, {"--timeout", "-1s"})
                              ->GetDuration("timeout", absl::ZeroDuration())
                              .status()
                              .message()),
              HasSubstr("is not a positive duration"));
}

TEST(HelpTest, ListsUsageFlagsAndGlobalFlags) {
  const std::string help = CommandHelp(kCommand, kGlobal);
  EXPECT_THAT(help, HasSubstr("Usage: dbgw jobs list [flags] [NAME]\n\nList runs.\n"));
  EXPECT_THAT(help, HasSubstr("  --limit N"));
  EXPECT_THAT(help, HasSubstr("  --param K=V ..."));
  EXPECT_THAT(help, HasSubstr("Global flags:\n  --output FORMAT"));
}

}  // namespace
}  // namespace gateway::cli
