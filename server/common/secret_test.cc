#include "server/common/secret.h"

#include <cstdlib>
#include <fstream>
#include <map>

#include "gtest/gtest.h"

namespace gateway {
namespace {

EnvReader FakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](absl::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

TEST(ReadSecretTest, ReadsEnvironmentVariable) {
  auto value = ReadSecret({SecretRef::Source::kEnv, "TOKEN"}, FakeEnv({{"TOKEN", "real-1234"}}));
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, "real-1234");
}

TEST(ReadSecretTest, MissingVariableNamesItAndNoValue) {
  auto value = ReadSecret({SecretRef::Source::kEnv, "TOKEN"}, FakeEnv({}));
  EXPECT_EQ(value.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(value.status().message(), "environment variable TOKEN is not set");
}

TEST(ReadSecretTest, ReadsFileAndDropsTrailingNewline) {
  const std::string path = TempPath("secret.txt");
  std::ofstream(path) << "from-file-9876\n";
  auto value = ReadSecret({SecretRef::Source::kFile, path}, FakeEnv({}));
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(*value, "from-file-9876");
}

TEST(ReadSecretTest, UnreadableFileIsNotFound) {
  auto value = ReadSecret({SecretRef::Source::kFile, TempPath("absent")}, FakeEnv({}));
  EXPECT_EQ(value.status().code(), absl::StatusCode::kNotFound);
}

TEST(ReadSecretTest, EmptyAndPlaceholderValuesAreRefusedWithoutEchoingThem) {
  auto empty = ReadSecret({SecretRef::Source::kEnv, "T"}, FakeEnv({{"T", ""}}));
  EXPECT_EQ(empty.status().message(), "env:T is empty");
  auto placeholder = ReadSecret({SecretRef::Source::kEnv, "T"}, FakeEnv({{"T", "dapi..."}}));
  EXPECT_EQ(placeholder.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(placeholder.status().message(), "env:T holds a placeholder, not a real secret");
}

TEST(IsPlaceholderSecretTest, RecognisesPlaceholders) {
  for (const char* value : {"dapi...", "your-token", "<token>", "xxxx", "CHANGEME", "***", " "}) {
    EXPECT_TRUE(IsPlaceholderSecret(value)) << value;
  }
  for (const char* value : {"dapi0123456789abcdef", "k8s-generated-Zq93mPl1"}) {
    EXPECT_FALSE(IsPlaceholderSecret(value)) << value;
  }
}

}  // namespace
}  // namespace gateway
