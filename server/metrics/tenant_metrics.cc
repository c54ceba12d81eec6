#include "server/metrics/tenant_metrics.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/metrics/families.h"

namespace gateway::metrics {

TenantMetrics::TenantMetrics(prometheus::Registry& registry)
    : decisions_(CounterFamily(registry, "gateway_ratelimit_decisions_total",
                               "Tenant rate-limit decisions by tenant, rule and decision "
                               "(allowed, limited, shadow_limited).")),
      near_limit_(CounterFamily(registry, "gateway_ratelimit_near_limit_total",
                                "Calls admitted with under 20% of the rule's burst left.")),
      fallback_(CounterFamily(registry, "gateway_ratelimit_fallback_decisions_total",
                              "Decisions of a global rule made locally (Redis unreachable, too "
                              "slow, or no store configured).")),
      paced_(CounterFamily(registry, "gateway_ratelimit_paced_total",
                           "Polls and waits of admitted calls held back by the tenant's rate.")),
      inflight_(GaugeFamily(registry, "gateway_ratelimit_inflight",
                            "Calls holding a concurrency slot of a tenant rule.")),
      auth_refused_(CounterFamily(registry, "gateway_auth_refused_total",
                                  "Calls refused as UNAUTHENTICATED, by reason.")),
      access_denied_(CounterFamily(registry, "gateway_access_denied_total",
                                   "Calls refused as PERMISSION_DENIED by a tenant's access "
                                   "rules, by tenant and rule.")) {}

TenantMetrics::Rule& TenantMetrics::ForRule(absl::string_view tenant, absl::string_view rule) {
  const std::string key = absl::StrCat(tenant, "\n", rule);
  absl::MutexLock lock(&mu_);
  auto it = rules_.find(key);
  if (it != rules_.end()) return *it->second;
  const std::string t(tenant);
  const std::string r(rule);
  auto handles = std::make_unique<Rule>(Rule{
      decisions_.Add({{"tenant", t}, {"rule", r}, {"decision", "allowed"}}),
      decisions_.Add({{"tenant", t}, {"rule", r}, {"decision", "limited"}}),
      decisions_.Add({{"tenant", t}, {"rule", r}, {"decision", "shadow_limited"}}),
      near_limit_.Add({{"tenant", t}, {"rule", r}}),
      fallback_.Add({{"tenant", t}, {"rule", r}}),
      paced_.Add({{"tenant", t}, {"rule", r}}),
      inflight_.Add({{"tenant", t}, {"rule", r}}),
  });
  return *rules_.emplace(key, std::move(handles)).first->second;
}

prometheus::Counter& TenantMetrics::AuthRefused(absl::string_view reason) {
  return auth_refused_.Add({{"reason", std::string(reason)}});
}

prometheus::Counter& TenantMetrics::AccessDenied(absl::string_view tenant, absl::string_view rule) {
  return access_denied_.Add({{"tenant", std::string(tenant)}, {"rule", std::string(rule)}});
}

}  // namespace gateway::metrics
