// Hot reload end to end: the config file is rewritten (no signal) and the gateway picks it
// up; the buckets and counters of tenants the change did not touch survive it.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"
#include "tests/integration/flood.h"
#include "tests/integration/stack.h"

namespace gateway {
namespace {

using ::gateway::testing::ErrorInfoOf;
using ::gateway::testing::GetWarehouse;
using ::gateway::testing::PollUntil;
using ::gateway::testing::ReadFile;
using ::gateway::testing::SeriesValue;
using ::gateway::testing::Sha256Hex;
using ::gateway::testing::Stack;
using ::gateway::testing::StackOptions;
using ::gateway::testing::WriteFile;
using ::testing::HasSubstr;

grpc::Status Call(const Stack& stack, const std::string& key) {
  return GetWarehouse(stack.ChannelWithKey(key));
}

TEST(ReloadTest, ChangedFileIsReloadedAndUntouchedTenantsKeepTheirBuckets) {
  StackOptions options;
  options.emulator_yaml = "sql:\n  warehouses: [{id: wh1, name: Main, state: RUNNING}]\n";
  options.gateway_yaml = absl::StrCat(R"yaml(
credential_pools:
  - name: pool
    workspace: default
    credentials:
      - {name: pat, type: pat, token: {env: DATABRICKS_TOKEN}}
tenants:
  - name: steady
    api_key_sha256: [")yaml",
                                      Sha256Hex("steady-key"), R"yaml("]
    credential_pool: pool
    quota: {requests_per_second: 0.05, burst: 3}
  - name: other
    api_key_sha256: [")yaml",
                                      Sha256Hex("other-key"), R"yaml("]
    credential_pool: pool
    quota: {requests_per_second: 10, burst: 10}
security:
  handle_signing_key: {env: HANDLE_KEY}
)yaml");
  options.gateway_env = {{"HANDLE_KEY", "reload-handle-signing-key-padded-to-32-bytes"}};
  Stack stack("reload", options);
  ASSERT_TRUE(stack.ok()) << stack.error();

  // "steady" spends its burst; one call in 20 s comes back, so the bucket stays empty.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Call(stack, "steady-key").ok());
  grpc::Status refused = Call(stack, "steady-key");
  ASSERT_EQ(ErrorInfoOf(refused).reason, "TENANT_RATE_LIMITED");
  EXPECT_EQ(Call(stack, "newcomer-key").error_code(), grpc::StatusCode::UNAUTHENTICATED);

  // The file changes (another tenant's limit, a new tenant); no signal is sent.
  const std::string config = ReadFile(stack.gateway_config());
  std::string changed = absl::StrReplaceAll(
      config, {{"requests_per_second: 10, burst: 10", "requests_per_second: 20, burst: 20"}});
  absl::StrAppend(&changed, "\n");
  changed = absl::StrReplaceAll(changed, {{"security:", absl::StrCat(R"yaml(  - name: newcomer
    api_key_sha256: [")yaml",
                                                                     Sha256Hex("newcomer-key"),
                                                                     R"yaml("]
    credential_pool: pool
security:)yaml")}});
  ASSERT_NE(changed, config);
  WriteFile(stack.gateway_config(), changed);
  ASSERT_TRUE(PollUntil([&] { return Call(stack, "newcomer-key").ok(); }, absl::Seconds(10)))
      << stack.GatewayLog();
  EXPECT_THAT(stack.GatewayLog(), HasSubstr("configuration file changed: reloading"));

  // "steady" was not touched: its bucket is still empty and its counters kept counting.
  refused = Call(stack, "steady-key");
  EXPECT_EQ(ErrorInfoOf(refused).reason, "TENANT_RATE_LIMITED") << refused.error_message();
  const std::string metrics = stack.Metrics();
  EXPECT_EQ(
      SeriesValue(
          metrics,
          R"(gateway_ratelimit_decisions_total{decision="allowed",rule="tenant",tenant="steady"})"),
      3);
  EXPECT_EQ(
      SeriesValue(
          metrics,
          R"(gateway_ratelimit_decisions_total{decision="limited",rule="tenant",tenant="steady"})"),
      2);
  EXPECT_EQ(SeriesValue(metrics, "gateway_config_reloads_total{result=\"success\"}"), 1);
}

}  // namespace
}  // namespace gateway
