#include "server/metrics/metrics.h"

#include <sstream>
#include <utility>

#include "prometheus/text_serializer.h"

namespace gateway::metrics {
namespace {

prometheus::Family<prometheus::Counter>& Reloads(prometheus::Registry& registry) {
  return prometheus::BuildCounter()
      .Name("gateway_config_reloads_total")
      .Help("Configuration reloads (SIGHUP or a changed file), by result.")
      .Register(registry);
}

prometheus::Gauge& SimpleGauge(prometheus::Registry& registry, const std::string& name,
                               const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry).Add({});
}

prometheus::Registry& Build(const std::shared_ptr<prometheus::Registry>& registry,
                            absl::string_view version) {
  prometheus::BuildGauge()
      .Name("gateway_build_info")
      .Help("Always 1; the version label names the running build.")
      .Register(*registry)
      .Add({{"version", std::string(version)}})
      .Set(1);
  return *registry;
}

}  // namespace

GatewayMetrics::GatewayMetrics(std::shared_ptr<prometheus::Registry> registry,
                               absl::string_view version)
    : config_reloads_success(Reloads(Build(registry, version)).Add({{"result", "success"}})),
      config_reloads_failure(Reloads(*registry).Add({{"result", "failure"}})),
      config_last_reload_success(
          SimpleGauge(*registry, "gateway_config_last_reload_success_timestamp_seconds",
                      "Unix time of the last configuration load that succeeded.")),
      inflight_calls(
          SimpleGauge(*registry, "gateway_inflight_calls", "gRPC calls being handled now.")),
      ready(SimpleGauge(*registry, "gateway_ready",
                        "1 while the gateway accepts traffic, 0 while starting or draining.")),
      registry_(std::move(registry)) {}

std::string GatewayMetrics::Serialize() const {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace gateway::metrics
