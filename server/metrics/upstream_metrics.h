// Metrics of the calls the gateway makes to Databricks, per workspace. The names
// databricks_api_requests_total, databricks_errors_total, databricks_rate_limits_total and
// databricks_circuit_breaker_state are the public contract of seed 004 (docs/metrics.md).
//
// Handles are resolved once per workspace (and once per operation or error type), so
// recording a call costs a few atomic adds, not a label lookup.
#ifndef SERVER_METRICS_UPSTREAM_METRICS_H_
#define SERVER_METRICS_UPSTREAM_METRICS_H_

#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace gateway::metrics {

class UpstreamMetrics {
 public:
  class Workspace;

  explicit UpstreamMetrics(prometheus::Registry& registry);
  UpstreamMetrics(const UpstreamMetrics&) = delete;
  UpstreamMetrics& operator=(const UpstreamMetrics&) = delete;

  // The handles of one workspace, created on first use and kept for the process' life.
  Workspace& ForWorkspace(absl::string_view name);

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& duration_;
  prometheus::Family<prometheus::Counter>& errors_;
  prometheus::Family<prometheus::Counter>& rate_limits_;
  prometheus::Family<prometheus::Counter>& retries_;
  prometheus::Family<prometheus::Counter>& retry_budget_exhausted_;
  prometheus::Family<prometheus::Gauge>& breaker_state_;
  prometheus::Family<prometheus::Counter>& breaker_rejected_;
  prometheus::Family<prometheus::Counter>& connections_opened_;
  prometheus::Family<prometheus::Counter>& connections_reused_;
  prometheus::Family<prometheus::Counter>& limit_queued_;
  prometheus::Family<prometheus::Counter>& limit_rejected_;
  prometheus::Family<prometheus::Gauge>& budget_rate_;
  prometheus::Family<prometheus::Histogram>& budget_wait_;
  prometheus::Family<prometheus::Counter>& coalesced_;
  prometheus::Family<prometheus::Gauge>& budget_cap_;
  prometheus::Family<prometheus::Counter>& budget_sent_;

  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Workspace>, std::less<>> workspaces_ ABSL_GUARDED_BY(mu_);
};

class UpstreamMetrics::Workspace {
 public:
  // databricks_api_requests_total{workspace, operation}: HTTP requests sent, retries included.
  prometheus::Counter& Requests(absl::string_view operation);
  // databricks_api_request_duration_seconds{workspace, operation}: one request's round trip.
  prometheus::Histogram& Duration(absl::string_view operation);
  // databricks_errors_total{workspace, error_type}: requests that failed, by error type.
  prometheus::Counter& Errors(absl::string_view error_type);
  // databricks_api_retries_total{workspace, error_type}: retries, by what failed.
  prometheus::Counter& Retries(absl::string_view error_type);

  // databricks_rate_limits_total: answers where Databricks throttled the gateway.
  prometheus::Counter& rate_limits;
  // databricks_retry_budget_exhausted_total: retries not made because of the budget.
  prometheus::Counter& retry_budget_exhausted;
  // databricks_circuit_breaker_state: 0 closed, 1 half-open, 2 open.
  prometheus::Gauge& breaker_state;
  // databricks_circuit_breaker_rejected_total: calls failed fast while open.
  prometheus::Counter& breaker_rejected;
  // databricks_connections_opened_total / databricks_connections_reused_total.
  prometheus::Counter& connections_opened;
  prometheus::Counter& connections_reused;
  // databricks_workspace_limit_queued_total / _rejected_total: requests that waited for,
  // or were refused by, the workspace's budget (server/upstream/budget.h).
  prometheus::Counter& limit_queued;
  prometheus::Counter& limit_rejected;
  // databricks_budget_wait_seconds{workspace}: how long requests waited for the budget.
  prometheus::Histogram& budget_wait;
  // databricks_budget_rate{workspace, operation}: the rate the budget allows an endpoint.
  prometheus::Gauge& BudgetRate(absl::string_view operation);
  // databricks_budget_configured_rate{workspace, operation}: the most the budget may send
  // the endpoint (pacing.rates, else rate_limit_rps).
  prometheus::Gauge& BudgetCap(absl::string_view operation);
  // databricks_budget_sent_total{workspace, tenant}: requests sent for the tenant: its share.
  prometheus::Counter& BudgetSent(absl::string_view tenant);
  // databricks_coalesced_total{workspace, operation}: calls answered by another caller's
  // identical read in flight, without a request of their own.
  prometheus::Counter& Coalesced(absl::string_view operation);

 private:
  friend class UpstreamMetrics;
  Workspace(UpstreamMetrics& families, std::string name);
  // The counter of `family` with label `label`=`value`, cached under `key`.
  prometheus::Counter& Labeled(prometheus::Family<prometheus::Counter>& family,
                               absl::string_view key, const char* label, absl::string_view value);
  prometheus::Gauge& LabeledGauge(prometheus::Family<prometheus::Gauge>& family,
                                  absl::string_view key, const char* label,
                                  absl::string_view value);

  UpstreamMetrics& families_;
  const std::string name_;
  absl::Mutex mu_;
  std::map<std::string, prometheus::Counter*, std::less<>> counters_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, prometheus::Histogram*, std::less<>> histograms_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, prometheus::Gauge*, std::less<>> gauges_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gateway::metrics

#endif  // SERVER_METRICS_UPSTREAM_METRICS_H_
