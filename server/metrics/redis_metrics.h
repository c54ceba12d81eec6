// Metrics of the Redis store that decides global tenant limits. Registered only when
// redis.enabled is set, so a gateway without Redis exports no Redis series. Thread-safe.
#ifndef SERVER_METRICS_REDIS_METRICS_H_
#define SERVER_METRICS_REDIS_METRICS_H_

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace gateway::metrics {

class RedisMetrics {
  // Declared first: the counters below are its series.
  prometheus::Family<prometheus::Counter>& errors_;

 public:
  explicit RedisMetrics(prometheus::Registry& registry);
  RedisMetrics(const RedisMetrics&) = delete;
  RedisMetrics& operator=(const RedisMetrics&) = delete;

  // gateway_redis_up: 1 while connected and able to decide, 0 while global limits fall
  // back to local shares.
  prometheus::Gauge& up;
  // gateway_redis_errors_total{error}: "connect" (an attempt failed), "disconnect" (a live
  // connection broke or stopped answering), "timeout" (a decision came too late and was
  // made locally), "reply" (Redis answered with an error).
  prometheus::Counter& connect_errors;
  prometheus::Counter& disconnects;
  prometheus::Counter& timeouts;
  prometheus::Counter& reply_errors;
  // gateway_redis_request_duration_seconds: send to answer of one decision, late answers
  // included.
  prometheus::Histogram& duration;
};

}  // namespace gateway::metrics

#endif  // SERVER_METRICS_REDIS_METRICS_H_
