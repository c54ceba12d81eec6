// The databricks_emulator binary as make run and the gateway's tests start it.
#include <csignal>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"

namespace emulator {
namespace {

using gateway::testing::HttpRequest;
using gateway::testing::Runfile;
using gateway::testing::Subprocess;
using ::testing::HasSubstr;

TEST(EmulatorProcessTest, ServesOnAFreePortAndStopsOnSigterm) {
  const std::string dir = gateway::testing::TempDir();
  absl::StatusOr<Subprocess> process =
      Subprocess::Start({Runfile("tests/emulator/databricks_emulator"),
                         "--config=" + Runfile("tests/emulator/emulator.yaml"), "--port=0"},
                        {}, dir + "/stderr");
  ASSERT_TRUE(process.ok()) << process.status();
  std::optional<std::string> line = process->ReadLine(absl::Seconds(20));
  ASSERT_TRUE(line.has_value());
  ASSERT_TRUE(absl::StartsWith(*line, "emulator listening: http://127.0.0.1:")) << *line;
  const int port = std::stoi(line->substr(line->rfind(':') + 1));
  ASSERT_GT(port, 0);
  absl::StatusOr<gateway::testing::HttpResponse> warehouses =
      HttpRequest(port, "GET", "/api/2.0/sql/warehouses", "",
                  {{"Authorization", "Bearer dapi-local-emulator-token"}});
  ASSERT_TRUE(warehouses.ok()) << warehouses.status();
  EXPECT_EQ(warehouses->status, 200);
  EXPECT_THAT(warehouses->body, HasSubstr("\"id\":\"emulator-warehouse\""));
  process->Signal(SIGTERM);
  EXPECT_EQ(process->Wait(absl::Seconds(10)), 0);
}

TEST(EmulatorProcessTest, BadConfigurationExitsTwoNamingThePath) {
  const std::string dir = gateway::testing::TempDir();
  gateway::testing::WriteFile(dir + "/bad.yaml", "jobs:\n  pending: 1\nlisten: 10.1.2.3:80\n");
  absl::StatusOr<Subprocess> process = Subprocess::Start(
      {Runfile("tests/emulator/databricks_emulator"), "--config=" + dir + "/bad.yaml"}, {},
      dir + "/stderr");
  ASSERT_TRUE(process.ok());
  EXPECT_EQ(process->Wait(absl::Seconds(20)), 2);
  EXPECT_THAT(gateway::testing::ReadFile(dir + "/stderr"), HasSubstr("jobs.pending: unknown key"));
}

TEST(EmulatorProcessTest, RefusesToListenBeyondLoopback) {
  const std::string dir = gateway::testing::TempDir();
  absl::StatusOr<Subprocess> process = Subprocess::Start(
      {Runfile("tests/emulator/databricks_emulator"), "--listen=0.0.0.0:0"}, {}, dir + "/stderr");
  ASSERT_TRUE(process.ok());
  EXPECT_EQ(process->Wait(absl::Seconds(20)), 1);
  EXPECT_THAT(gateway::testing::ReadFile(dir + "/stderr"), HasSubstr("loopback only"));
}

TEST(EmulatorProcessTest, HelpAndUnknownFlags) {
  const std::string dir = gateway::testing::TempDir();
  absl::StatusOr<Subprocess> help = Subprocess::Start(
      {Runfile("tests/emulator/databricks_emulator"), "--help"}, {}, dir + "/stderr");
  ASSERT_TRUE(help.ok());
  std::optional<std::string> usage = help->ReadLine(absl::Seconds(20));
  ASSERT_TRUE(usage.has_value());
  EXPECT_THAT(*usage, HasSubstr("usage: databricks_emulator"));
  EXPECT_EQ(help->Wait(absl::Seconds(10)), 0);
  absl::StatusOr<Subprocess> bad = Subprocess::Start(
      {Runfile("tests/emulator/databricks_emulator"), "--bogus"}, {}, dir + "/stderr2");
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->Wait(absl::Seconds(10)), 2);
  EXPECT_THAT(gateway::testing::ReadFile(dir + "/stderr2"),
              HasSubstr("unknown or malformed flag --bogus"));
}

}  // namespace
}  // namespace emulator
