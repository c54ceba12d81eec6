// OAuth M2M end to end, its own target because it runs for two minutes: the emulator
// issues tokens that live 20 seconds, the client secret is in a file, and steady calls
// through the gateway never fail while the pool refreshes the token in the background.
#include <atomic>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/process.h"
#include "tests/integration/flood.h"
#include "tests/integration/stack.h"

namespace gateway {
namespace {

using ::gateway::testing::GetWarehouse;
using ::gateway::testing::SeriesValue;
using ::gateway::testing::Sha256Hex;
using ::gateway::testing::Stack;
using ::gateway::testing::StackOptions;
using ::gateway::testing::TempDir;
using ::gateway::testing::WriteFile;

constexpr char kClientSecret[] = "oauth-client-secret-7e3f9a1c";
constexpr absl::Duration kRun = absl::Minutes(2);
constexpr int kTokenSeconds = 20;

TEST(OAuthRefreshTest, TwentySecondTokensAreRefreshedWithoutAFailedCallForTwoMinutes) {
  const std::string secret_file = absl::StrCat(TempDir(), "/oauth-client-secret");
  WriteFile(secret_file, kClientSecret);
  StackOptions options;
  options.emulator_yaml = "sql:\n  warehouses: [{id: wh1, name: Main, state: RUNNING}]\n";
  options.emulator_auth_yaml =
      absl::StrCat("  oauth_clients: [{client_id: gateway-sp, client_secret: ", kClientSecret,
                   "}]\n  oauth_token_ttl_seconds: ", kTokenSeconds, "\n");
  options.gateway_yaml = absl::StrCat(R"yaml(
credential_pools:
  - name: oauth
    workspace: default
    credentials:
      - name: sp
        type: oauth_m2m
        client_id: gateway-sp
        client_secret: {file: )yaml",
                                      secret_file, R"yaml(}
tenants:
  - name: caller
    api_key_sha256: [")yaml",
                                      Sha256Hex("oauth-key"), R"yaml("]
    credential_pool: oauth
security:
  handle_signing_key: {env: HANDLE_KEY}
)yaml");
  options.gateway_env = {{"HANDLE_KEY", "oauth-handle-signing-key-padded-to-32-bytes"}};
  Stack stack("oauth", options);
  ASSERT_TRUE(stack.ok()) << stack.error();
  auto channel = stack.ChannelWithKey("oauth-key");

  // Two callers, one call each every 50 ms.
  std::atomic<int> succeeded{0};
  std::atomic<int> failed{0};
  const absl::Time until = absl::Now() + kRun;
  std::vector<std::thread> callers;
  callers.reserve(2);
  for (int i = 0; i < 2; ++i) {
    callers.emplace_back([&] {
      while (absl::Now() < until) {
        const grpc::Status status = GetWarehouse(channel);
        if (status.ok()) {
          ++succeeded;
        } else {
          if (failed++ == 0) std::cout << "first failure: " << status.error_message() << "\n";
        }
        absl::SleepFor(absl::Milliseconds(50));
      }
    });
  }
  for (std::thread& caller : callers) caller.join();

  // A background refresh may be on the wire as the callers stop: the emulator has counted it
  // and the gateway not yet. Read both until they agree (or 5 s pass, and the check fails).
  std::string metrics;
  double refreshed = 0;
  int64_t fetched = 0;
  for (const absl::Time settle = absl::Now() + absl::Seconds(5);;) {
    metrics = stack.Metrics();
    refreshed = SeriesValue(
        metrics, R"(gateway_token_refreshes_total{credential="sp",pool="oauth",result="success"})");
    fetched = stack.EmulatorRequests("POST /oidc/v1/token");
    if (fetched == static_cast<int64_t>(refreshed) || absl::Now() > settle) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  std::cout << succeeded.load() << " calls succeeded, " << failed.load() << " failed; " << refreshed
            << " token fetches (" << fetched << " seen by the emulator) in " << kRun << " of "
            << kTokenSeconds << "-second tokens\n";
  EXPECT_GT(succeeded.load(), 1000);
  EXPECT_EQ(failed.load(), 0);
  // At least one token per token lifetime; refreshed at half life, about twice that.
  EXPECT_GE(refreshed, absl::ToDoubleSeconds(kRun) / kTokenSeconds);
  EXPECT_EQ(fetched, static_cast<int64_t>(refreshed));
  EXPECT_EQ(SeriesValue(
                metrics,
                R"(gateway_token_refreshes_total{credential="sp",pool="oauth",result="failure"})"),
            0);
  EXPECT_EQ(
      SeriesValue(metrics, R"(gateway_credential_ejections_total{credential="sp",pool="oauth"})"),
      0);
  EXPECT_THAT(stack.GatewayLog(), ::testing::Not(::testing::HasSubstr(kClientSecret)));
}

}  // namespace
}  // namespace gateway
