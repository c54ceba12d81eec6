#include "server/metrics/metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gateway::metrics {
namespace {

using ::testing::HasSubstr;

TEST(GatewayMetricsTest, SerializesEveryFamilyInTextFormat) {
  GatewayMetrics metrics(std::make_shared<prometheus::Registry>(), "1.2.3");
  metrics.config_reloads_failure.Increment();
  metrics.inflight_calls.Set(3);
  const std::string text = metrics.Serialize();
  EXPECT_THAT(text, HasSubstr("gateway_build_info{version=\"1.2.3\"} 1"));
  EXPECT_THAT(text, HasSubstr("# TYPE gateway_config_reloads_total counter"));
  EXPECT_THAT(text, HasSubstr("gateway_config_reloads_total{result=\"failure\"} 1"));
  EXPECT_THAT(text, HasSubstr("gateway_config_reloads_total{result=\"success\"} 0"));
  EXPECT_THAT(text, HasSubstr("gateway_inflight_calls 3"));
  EXPECT_THAT(text, HasSubstr("gateway_ready 0"));
}

}  // namespace
}  // namespace gateway::metrics
