// Metrics of tenancy: authentication, access rules and per-tenant rate limits. Label values are
// bounded: tenants and rules come from the configuration, reasons from fixed sets.
//
// Handles are resolved once per tenant rule and kept, so recording a decision costs a few
// atomic adds. Thread-safe.
#ifndef SERVER_METRICS_TENANT_METRICS_H_
#define SERVER_METRICS_TENANT_METRICS_H_

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace gateway::metrics {

class TenantMetrics {
 public:
  // The series of one rate-limit rule of one tenant.
  struct Rule {
    // gateway_ratelimit_decisions_total{tenant, rule, decision}.
    prometheus::Counter& allowed;
    prometheus::Counter& limited;
    prometheus::Counter& shadow_limited;
    // gateway_ratelimit_near_limit_total{tenant, rule}: admitted with under 20% of the
    // burst left.
    prometheus::Counter& near_limit;
    // gateway_ratelimit_fallback_decisions_total{tenant, rule}: decisions of a global rule
    // made locally (Redis unreachable, too slow, or no store configured).
    prometheus::Counter& fallback;
    // gateway_ratelimit_paced_total{tenant, rule}: polls and waits of admitted calls
    // (WaitRun, statement polls) held back until the rule's rate allowed them.
    prometheus::Counter& paced;
    // gateway_ratelimit_inflight{tenant, rule}: calls holding a concurrency slot.
    prometheus::Gauge& inflight;
  };

  explicit TenantMetrics(prometheus::Registry& registry);
  TenantMetrics(const TenantMetrics&) = delete;
  TenantMetrics& operator=(const TenantMetrics&) = delete;

  // Created on first use; the same handles for the process' life.
  Rule& ForRule(absl::string_view tenant, absl::string_view rule) ABSL_LOCKS_EXCLUDED(mu_);
  // gateway_auth_refused_total{reason}: "missing_key", "unknown_key", "unknown_identity".
  prometheus::Counter& AuthRefused(absl::string_view reason);
  // gateway_access_denied_total{tenant, rule}: rule is "methods", "warehouses" or "schemas".
  prometheus::Counter& AccessDenied(absl::string_view tenant, absl::string_view rule);

 private:
  prometheus::Family<prometheus::Counter>& decisions_;
  prometheus::Family<prometheus::Counter>& near_limit_;
  prometheus::Family<prometheus::Counter>& fallback_;
  prometheus::Family<prometheus::Counter>& paced_;
  prometheus::Family<prometheus::Gauge>& inflight_;
  prometheus::Family<prometheus::Counter>& auth_refused_;
  prometheus::Family<prometheus::Counter>& access_denied_;

  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Rule>, std::less<>> rules_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gateway::metrics

#endif  // SERVER_METRICS_TENANT_METRICS_H_
