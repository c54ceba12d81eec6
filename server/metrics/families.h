// Registering a family with its name and help, the one shape every metrics class uses.
#ifndef SERVER_METRICS_FAMILIES_H_
#define SERVER_METRICS_FAMILIES_H_

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace gateway::metrics {

inline prometheus::Family<prometheus::Counter>& CounterFamily(prometheus::Registry& registry,
                                                              const char* name, const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
}

inline prometheus::Family<prometheus::Gauge>& GaugeFamily(prometheus::Registry& registry,
                                                          const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
}

}  // namespace gateway::metrics

#endif  // SERVER_METRICS_FAMILIES_H_
