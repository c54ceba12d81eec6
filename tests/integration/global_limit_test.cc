// Global tenant limits end to end: two gateway processes share one tenant's limit through
// a real redis-server; Redis stops mid-run and both fall back to half the limit each and
// say so; Redis returns and the limit is global again.
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/redis.h"
#include "tests/integration/flood.h"
#include "tests/integration/stack.h"

namespace gateway {
namespace {

using ::gateway::testing::Flood;
using ::gateway::testing::Hammer;
using ::gateway::testing::PollUntil;
using ::gateway::testing::RedisServer;
using ::gateway::testing::SeriesValue;
using ::gateway::testing::Sha256Hex;
using ::gateway::testing::Stack;
using ::gateway::testing::StackOptions;
using ::testing::HasSubstr;

// One tenant, 20 calls/s with a burst of 10 across both replicas: 10/s and 5 each when
// Redis is gone.
constexpr double kRate = 20;
constexpr double kBurst = 10;
constexpr char kFallbackSeries[] =
    R"(gateway_ratelimit_fallback_decisions_total{rule="tenant",tenant="shared"})";

std::string GatewayYaml(const std::string& redis_address) {
  return absl::StrCat(R"yaml(
credential_pools:
  - name: pool
    workspace: default
    credentials:
      - {name: pat, type: pat, token: {env: DATABRICKS_TOKEN}}
tenants:
  - name: shared
    api_key_sha256: [")yaml",
                      Sha256Hex("shared-key"),
                      R"yaml("]
    credential_pool: pool
    quota: {requests_per_second: 20, burst: 10, global: true}
redis:
  enabled: true
  address: ")yaml",
                      redis_address, R"yaml("
  replica_count: 2
  timeout_ms: 250
security:
  handle_signing_key: {env: HANDLE_KEY}
)yaml");
}

class GlobalLimitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start("global");
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
    StackOptions options;
    options.emulator_yaml = "sql:\n  warehouses: [{id: wh1, name: Main, state: RUNNING}]\n";
    options.workspace_yaml =
        "    rate_limit_rps: 100000\n"
        "    rate_limit_burst: 100000\n";
    options.gateway_yaml = GatewayYaml(redis_->address());
    options.gateway_env = {{"HANDLE_KEY", "global-limit-handle-signing-key-padded-to-32-bytes"}};
    a_ = std::make_unique<Stack>("global_a", options);
    b_ = std::make_unique<Stack>("global_b", options);
    ASSERT_TRUE(a_->ok()) << a_->error();
    ASSERT_TRUE(b_->ok()) << b_->error();
  }

  bool BothRedisUp(double up) {
    return SeriesValue(a_->Metrics(), "gateway_redis_up") == up &&
           SeriesValue(b_->Metrics(), "gateway_redis_up") == up;
  }

  // Floods both gateways (or only A) for two seconds from a full bucket.
  std::pair<Flood, Flood> FloodFor(bool both) {
    absl::SleepFor(absl::Seconds(1));  // a bucket refills in burst / rate = 0.5 s
    const absl::Time until = absl::Now() + absl::Seconds(2);
    Flood on_a;
    Flood on_b;
    std::thread b([&] {
      if (both) on_b = Hammer(b_->ChannelWithKey("shared-key"), 2, until);
    });
    on_a = Hammer(a_->ChannelWithKey("shared-key"), 2, until);
    b.join();
    EXPECT_EQ(on_a.other + on_b.other, 0);
    return {on_a, on_b};
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<Stack> a_;
  std::unique_ptr<Stack> b_;
};

// Admitted within one call of burst + rate × window, plus rate × 5 ms: the window is seen
// by the clients, a few milliseconds from the decisions.
void ExpectAdmitted(const std::string& what, int admitted, double burst, double rate,
                    absl::Duration window, double calls_of_slack = 1) {
  const double bound = burst + rate * absl::ToDoubleSeconds(window);
  std::cout << what << ": " << admitted << " admitted over " << window
            << " (burst + rate x elapsed = " << bound << ")\n";
  EXPECT_NEAR(admitted, bound, calls_of_slack + rate * 2.5 * ::gateway::testing::kClientSkewSeconds)
      << what;
}

TEST_F(GlobalLimitTest, TwoGatewaysShareOneLimitFallBackWithoutRedisAndRecover) {
  ASSERT_TRUE(PollUntil([&] { return BothRedisUp(1); }, absl::Seconds(10)));
  EXPECT_THAT(a_->GatewayLog(), HasSubstr("connected to Redis"));
  const double fallbacks_at_start =
      SeriesValue(a_->Metrics(), kFallbackSeries) + SeriesValue(b_->Metrics(), kFallbackSeries);

  // Both replicas flooded: together they get the one limit.
  auto [a1, b1] = FloodFor(/*both=*/true);
  EXPECT_GT(a1.admitted, 0);
  EXPECT_GT(b1.admitted, 0);
  ExpectAdmitted("global, both replicas", a1.admitted + b1.admitted, kBurst, kRate,
                 std::max(a1.last_admitted, b1.last_admitted) - std::min(a1.first, b1.first));
  // One replica alone gets all of it, twice its share without Redis.
  auto [a2, unused2] = FloodFor(/*both=*/false);
  ExpectAdmitted("global, replica A alone", a2.admitted, kBurst, kRate, a2.window());
  EXPECT_EQ(
      SeriesValue(a_->Metrics(), kFallbackSeries) + SeriesValue(b_->Metrics(), kFallbackSeries),
      fallbacks_at_start)
      << "a decision was made locally while Redis was up";

  // Redis stops: both replicas fall back to half the rate and burst each, and say so.
  ASSERT_TRUE(redis_->Stop().ok());
  ASSERT_TRUE(PollUntil([&] { return BothRedisUp(0); }, absl::Seconds(10)));
  for (Stack* stack : {a_.get(), b_.get()}) {
    EXPECT_THAT(stack->GatewayLog(), HasSubstr("Redis is unreachable: global limits fall back"));
  }
  auto [a3, b3] = FloodFor(/*both=*/true);
  ExpectAdmitted("fallback, replica A", a3.admitted, kBurst / 2, kRate / 2, a3.window());
  ExpectAdmitted("fallback, replica B", b3.admitted, kBurst / 2, kRate / 2, b3.window());
  EXPECT_GE(SeriesValue(a_->Metrics(), kFallbackSeries), a3.admitted + a3.limited);
  EXPECT_GE(SeriesValue(b_->Metrics(), kFallbackSeries), b3.admitted + b3.limited);

  // Redis is back: the limit is global again.
  ASSERT_TRUE(redis_->Restart().ok());
  ASSERT_TRUE(PollUntil([&] { return BothRedisUp(1); }, absl::Seconds(10)));
  for (Stack* stack : {a_.get(), b_.get()}) {
    EXPECT_THAT(stack->GatewayLog(), HasSubstr("Redis is reachable again"));
  }
  const double fallbacks_before =
      SeriesValue(a_->Metrics(), kFallbackSeries) + SeriesValue(b_->Metrics(), kFallbackSeries);
  auto [a4, unused4] = FloodFor(/*both=*/false);
  ExpectAdmitted("global again, replica A alone", a4.admitted, kBurst, kRate, a4.window());
  EXPECT_EQ(
      SeriesValue(a_->Metrics(), kFallbackSeries) + SeriesValue(b_->Metrics(), kFallbackSeries),
      fallbacks_before);
}

}  // namespace
}  // namespace gateway
