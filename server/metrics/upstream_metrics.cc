#include "server/metrics/upstream_metrics.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "server/metrics/families.h"

namespace gateway::metrics {
namespace {

// From 5 ms (a cached catalog read) to 60 s (the longest statement wait Databricks allows
// before answering).
const prometheus::Histogram::BucketBoundaries& DurationBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return *buckets;
}

// From a slot of a fast endpoint (1 ms) to a caller's whole deadline (30 s).
const prometheus::Histogram::BucketBoundaries& WaitBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return *buckets;
}

}  // namespace

UpstreamMetrics::UpstreamMetrics(prometheus::Registry& registry)
    : requests_(CounterFamily(registry, "databricks_api_requests_total",
                              "HTTP requests sent to Databricks, retries included.")),
      duration_(prometheus::BuildHistogram()
                    .Name("databricks_api_request_duration_seconds")
                    .Help("Round trip of one HTTP request to Databricks.")
                    .Register(registry)),
      errors_(CounterFamily(registry, "databricks_errors_total",
                            "HTTP requests to Databricks that failed, by error type.")),
      rate_limits_(CounterFamily(registry, "databricks_rate_limits_total",
                                 "Answers in which Databricks throttled the gateway (HTTP 429 "
                                 "or a rate-limit error code).")),
      retries_(CounterFamily(registry, "databricks_api_retries_total",
                             "Requests to Databricks sent again, by the error that preceded.")),
      retry_budget_exhausted_(
          CounterFamily(registry, "databricks_retry_budget_exhausted_total",
                        "Retries not made because the retry budget was spent.")),
      breaker_state_(GaugeFamily(registry, "databricks_circuit_breaker_state",
                                 "Circuit breaker per workspace: 0 closed, 1 half-open, 2 open.")),
      breaker_rejected_(CounterFamily(registry, "databricks_circuit_breaker_rejected_total",
                                      "Calls failed fast because the breaker was open.")),
      connections_opened_(CounterFamily(registry, "databricks_connections_opened_total",
                                        "Connections opened to Databricks.")),
      connections_reused_(
          CounterFamily(registry, "databricks_connections_reused_total",
                        "Requests sent on a kept-alive connection instead of a new one.")),
      limit_queued_(CounterFamily(registry, "databricks_workspace_limit_queued_total",
                                  "Requests that waited for the workspace's budget.")),
      limit_rejected_(CounterFamily(registry, "databricks_workspace_limit_rejected_total",
                                    "Requests the workspace's budget refused: they could not "
                                    "be sent before their deadline, or their tenant's queue "
                                    "was full.")),
      budget_rate_(GaugeFamily(registry, "databricks_budget_rate",
                               "Requests per second the gateway allows itself on one "
                               "Databricks endpoint: learned from Databricks' 429s, capped by "
                               "the workspace's rate_limit_rps.")),
      budget_wait_(prometheus::BuildHistogram()
                       .Name("databricks_budget_wait_seconds")
                       .Help("How long a request waited for its workspace's budget before it "
                             "was sent.")
                       .Register(registry)),
      coalesced_(CounterFamily(registry, "databricks_coalesced_total",
                               "Calls answered by another caller's identical read in flight "
                               "(a run, a statement, a warehouse), without a request of "
                               "their own.")),
      budget_cap_(GaugeFamily(registry, "databricks_budget_configured_rate",
                              "The most requests per second the gateway sends one Databricks "
                              "endpoint: pacing.rates, else the workspace's rate_limit_rps.")),
      budget_sent_(CounterFamily(registry, "databricks_budget_sent_total",
                                 "Requests sent to Databricks for each tenant (its share of "
                                 "the workspace's budget), retries included.")) {}

UpstreamMetrics::Workspace& UpstreamMetrics::ForWorkspace(absl::string_view name) {
  absl::MutexLock lock(&mu_);
  auto it = workspaces_.find(name);
  if (it == workspaces_.end()) {
    it = workspaces_
             .emplace(std::string(name),
                      std::unique_ptr<Workspace>(new Workspace(*this, std::string(name))))
             .first;
  }
  return *it->second;
}

UpstreamMetrics::Workspace::Workspace(UpstreamMetrics& families, std::string name)
    : rate_limits(families.rate_limits_.Add({{"workspace", name}})),
      retry_budget_exhausted(families.retry_budget_exhausted_.Add({{"workspace", name}})),
      breaker_state(families.breaker_state_.Add({{"workspace", name}})),
      breaker_rejected(families.breaker_rejected_.Add({{"workspace", name}})),
      connections_opened(families.connections_opened_.Add({{"workspace", name}})),
      connections_reused(families.connections_reused_.Add({{"workspace", name}})),
      limit_queued(families.limit_queued_.Add({{"workspace", name}})),
      limit_rejected(families.limit_rejected_.Add({{"workspace", name}})),
      budget_wait(families.budget_wait_.Add({{"workspace", name}}, WaitBuckets())),
      families_(families),
      name_(std::move(name)) {}

prometheus::Counter& UpstreamMetrics::Workspace::Labeled(
    prometheus::Family<prometheus::Counter>& family, absl::string_view key, const char* label,
    absl::string_view value) {
  const std::string cache_key = absl::StrCat(key, "\n", value);
  absl::MutexLock lock(&mu_);
  auto it = counters_.find(cache_key);
  if (it == counters_.end()) {
    prometheus::Counter& counter = family.Add({{"workspace", name_}, {label, std::string(value)}});
    it = counters_.emplace(cache_key, &counter).first;
  }
  return *it->second;
}

prometheus::Counter& UpstreamMetrics::Workspace::Requests(absl::string_view operation) {
  return Labeled(families_.requests_, "requests", "operation", operation);
}

prometheus::Gauge& UpstreamMetrics::Workspace::LabeledGauge(
    prometheus::Family<prometheus::Gauge>& family, absl::string_view key, const char* label,
    absl::string_view value) {
  const std::string cache_key = absl::StrCat(key, "\n", value);
  absl::MutexLock lock(&mu_);
  auto it = gauges_.find(cache_key);
  if (it == gauges_.end()) {
    prometheus::Gauge& gauge = family.Add({{"workspace", name_}, {label, std::string(value)}});
    it = gauges_.emplace(cache_key, &gauge).first;
  }
  return *it->second;
}

prometheus::Gauge& UpstreamMetrics::Workspace::BudgetRate(absl::string_view operation) {
  return LabeledGauge(families_.budget_rate_, "budget_rate", "operation", operation);
}

prometheus::Gauge& UpstreamMetrics::Workspace::BudgetCap(absl::string_view operation) {
  return LabeledGauge(families_.budget_cap_, "budget_cap", "operation", operation);
}

prometheus::Counter& UpstreamMetrics::Workspace::BudgetSent(absl::string_view tenant) {
  return Labeled(families_.budget_sent_, "budget_sent", "tenant", tenant);
}

prometheus::Counter& UpstreamMetrics::Workspace::Coalesced(absl::string_view operation) {
  return Labeled(families_.coalesced_, "coalesced", "operation", operation);
}

prometheus::Counter& UpstreamMetrics::Workspace::Errors(absl::string_view error_type) {
  return Labeled(families_.errors_, "errors", "error_type", error_type);
}

prometheus::Counter& UpstreamMetrics::Workspace::Retries(absl::string_view error_type) {
  return Labeled(families_.retries_, "retries", "error_type", error_type);
}

prometheus::Histogram& UpstreamMetrics::Workspace::Duration(absl::string_view operation) {
  absl::MutexLock lock(&mu_);
  auto it = histograms_.find(operation);
  if (it == histograms_.end()) {
    prometheus::Histogram& histogram = families_.duration_.Add(
        {{"workspace", name_}, {"operation", std::string(operation)}}, DurationBuckets());
    it = histograms_.emplace(std::string(operation), &histogram).first;
  }
  return *it->second;
}

}  // namespace gateway::metrics
