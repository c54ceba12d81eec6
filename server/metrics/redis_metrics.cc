#include "server/metrics/redis_metrics.h"

#include "server/metrics/families.h"

namespace gateway::metrics {
namespace {

// A decision on a local network takes 0.1–1 ms; the default timeout is 50 ms.
prometheus::Histogram::BucketBoundaries DurationBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25};
}

}  // namespace

RedisMetrics::RedisMetrics(prometheus::Registry& registry)
    : errors_(CounterFamily(registry, "gateway_redis_errors_total",
                            "Redis failures: connect, disconnect, timeout, reply.")),
      up(GaugeFamily(registry, "gateway_redis_up",
                     "1 while Redis decides global limits; 0 while they fall back to local "
                     "shares.")
             .Add({})),
      connect_errors(errors_.Add({{"error", "connect"}})),
      disconnects(errors_.Add({{"error", "disconnect"}})),
      timeouts(errors_.Add({{"error", "timeout"}})),
      reply_errors(errors_.Add({{"error", "reply"}})),
      duration(prometheus::BuildHistogram()
                   .Name("gateway_redis_request_duration_seconds")
                   .Help("Send to answer of one global rate-limit decision in Redis.")
                   .Register(registry)
                   .Add({}, DurationBuckets())) {}

}  // namespace gateway::metrics
