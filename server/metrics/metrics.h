// The gateway's own process metrics, created once and passed to whoever records them.
// Families for upstream calls, tenants and the gRPC server are added by the components
// that record them (docs/metrics.md lists every family).
#ifndef SERVER_METRICS_METRICS_H_
#define SERVER_METRICS_METRICS_H_

#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace gateway::metrics {

class GatewayMetrics {
 public:
  // Registers the families in `registry`; `version` becomes gateway_build_info{version}.
  GatewayMetrics(std::shared_ptr<prometheus::Registry> registry, absl::string_view version);

  GatewayMetrics(const GatewayMetrics&) = delete;
  GatewayMetrics& operator=(const GatewayMetrics&) = delete;

  // The registry the families live in (components add their own families to it).
  prometheus::Registry& registry() { return *registry_; }

  // All families in the Prometheus text format (version 0.0.4).
  std::string Serialize() const;

  // gateway_config_reloads_total{result="success"|"failure"}.
  prometheus::Counter& config_reloads_success;
  prometheus::Counter& config_reloads_failure;
  // gateway_config_last_reload_success_timestamp_seconds.
  prometheus::Gauge& config_last_reload_success;
  // gateway_inflight_calls: gRPC calls being handled now.
  prometheus::Gauge& inflight_calls;
  // gateway_ready: 1 while the gateway accepts traffic, 0 while starting or draining.
  prometheus::Gauge& ready;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
};

}  // namespace gateway::metrics

#endif  // SERVER_METRICS_METRICS_H_
