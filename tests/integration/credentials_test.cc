// Credential pools end to end: a pool of three PATs where the emulator revokes one in the
// middle of a flood of safe calls. No caller sees an error; the revoked credential is
// ejected, shows so in the metrics, and gets no more traffic.
#include <iostream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/flood.h"
#include "tests/integration/stack.h"

namespace gateway {
namespace {

using ::gateway::testing::Flood;
using ::gateway::testing::GetWarehouse;
using ::gateway::testing::Hammer;
using ::gateway::testing::SeriesValue;
using ::gateway::testing::Sha256Hex;
using ::gateway::testing::Stack;
using ::gateway::testing::StackOptions;

constexpr char kPatA[] = "dapi-pool-a-5f0e7c1d2b3a49586776";
constexpr char kPatB[] = "dapi-pool-b-8c9d0e1f2a3b4c5d6e7f";
constexpr char kPatC[] = "dapi-pool-c-0a1b2c3d4e5f60718293";

std::string Series(const std::string& name, const std::string& credential) {
  return absl::StrCat(name, "{credential=\"", credential, R"(",pool="three"})");
}

TEST(CredentialPoolTest, RevokedCredentialIsEjectedWithoutFailingASafeCall) {
  StackOptions options;
  options.emulator_yaml = "sql:\n  warehouses: [{id: wh1, name: Main, state: RUNNING}]\n";
  options.emulator_tokens = {kPatA, kPatB, kPatC};
  options.workspace_yaml =
      "    rate_limit_rps: 100000\n"
      "    rate_limit_burst: 100000\n";
  options.gateway_yaml = absl::StrCat(R"yaml(
credential_pools:
  - name: three
    workspace: default
    credentials:
      - {name: a, type: pat, token: {env: PAT_A}}
      - {name: b, type: pat, token: {env: PAT_B}}
      - {name: c, type: pat, token: {env: PAT_C}}
tenants:
  - name: caller
    api_key_sha256: [")yaml",
                                      Sha256Hex("pool-key"),
                                      R"yaml("]
    credential_pool: three
security:
  handle_signing_key: {env: HANDLE_KEY}
)yaml");
  options.gateway_env = {{"PAT_A", kPatA},
                         {"PAT_B", kPatB},
                         {"PAT_C", kPatC},
                         {"HANDLE_KEY", "credentials-handle-signing-key-padded-to-32-bytes"}};
  Stack stack("credentials", options);
  ASSERT_TRUE(stack.ok()) << stack.error();
  auto channel = stack.ChannelWithKey("pool-key");

  // A flood of GetWarehouse (a GET, safe to send again); B is revoked a second in.
  Flood flood;
  std::thread callers([&] { flood = Hammer(channel, 3, absl::Now() + absl::Seconds(3)); });
  absl::SleepFor(absl::Seconds(1));
  const std::string before = stack.Metrics();
  stack.Control("POST", "/emulator/v1/credentials/revoke",
                absl::StrCat(R"({"token":")", kPatB, R"("})"));
  callers.join();
  std::cout << flood.admitted << " calls succeeded, " << flood.other << " failed\n";
  EXPECT_GT(flood.admitted, 100);
  EXPECT_EQ(flood.other + flood.limited, 0) << "a caller saw an error";
  EXPECT_GT(SeriesValue(before, Series("gateway_credential_requests_total", "b")), 0)
      << "B carried no traffic before it was revoked";

  const std::string metrics = stack.Metrics();
  EXPECT_EQ(SeriesValue(metrics, Series("gateway_credential_state", "b")), 2);  // ejected
  EXPECT_GE(SeriesValue(metrics, Series("gateway_credential_ejections_total", "b")), 1);
  EXPECT_EQ(SeriesValue(metrics, Series("gateway_credential_state", "a")), 0);
  EXPECT_EQ(SeriesValue(metrics, Series("gateway_credential_state", "c")), 0);
  EXPECT_EQ(SeriesValue(metrics, "gateway_credential_pool_usable{pool=\"three\"}"), 2);
  EXPECT_EQ(stack.Readiness().first, 200);

  // An ejected credential gets no traffic.
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(GetWarehouse(channel).ok());
  const std::string after = stack.Metrics();
  EXPECT_EQ(SeriesValue(after, Series("gateway_credential_requests_total", "b")),
            SeriesValue(metrics, Series("gateway_credential_requests_total", "b")));
  EXPECT_EQ(SeriesValue(after, Series("gateway_credential_requests_total", "a")) +
                SeriesValue(after, Series("gateway_credential_requests_total", "c")),
            SeriesValue(metrics, Series("gateway_credential_requests_total", "a")) +
                SeriesValue(metrics, Series("gateway_credential_requests_total", "c")) + 30);
}

}  // namespace
}  // namespace gateway
