#include "server/metrics/service_metrics.h"

#include <string>

namespace gateway::metrics {
namespace {

constexpr size_t kRememberedRuns = 100'000;

// Job runs take seconds to many hours; the seed's alert fires above an hour at p99, so
// the buckets reach well past it.
const prometheus::Histogram::BucketBoundaries& JobBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 2700, 3600, 5400, 7200, 14400, 28800, 86400};
  return *buckets;
}

// Statements: from a cached lookup to the 30-minute alert threshold and beyond.
const prometheus::Histogram::BucketBoundaries& StatementBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600};
  return *buckets;
}

}  // namespace

ServiceMetrics::ServiceMetrics(prometheus::Registry& registry)
    : job_duration_(prometheus::BuildHistogram()
                        .Name("databricks_job_duration_seconds")
                        .Help("Duration of job runs the gateway watched to a terminal state "
                              "(start to end as Databricks reports them).")
                        .Register(registry)),
      sql_duration_(prometheus::BuildHistogram()
                        .Name("databricks_sql_query_duration_seconds")
                        .Help("Time from submitting a SQL statement to seeing it finish.")
                        .Register(registry)),
      delta_operations_(prometheus::BuildCounter()
                            .Name("databricks_delta_operations_total")
                            .Help("Delta table operations, by operation and result.")
                            .Register(registry)) {}

void ServiceMetrics::ObserveJobRun(absl::string_view workspace, absl::string_view run_id,
                                   absl::string_view result_state, double seconds) {
  {
    absl::MutexLock lock(&mu_);
    auto key = std::make_pair(std::string(workspace), std::string(run_id));
    if (!observed_runs_.insert(key).second) return;
    observed_order_.push_back(std::move(key));
    if (observed_order_.size() > kRememberedRuns) {
      observed_runs_.erase(observed_order_.front());
      observed_order_.pop_front();
    }
  }
  job_duration_
      .Add({{"workspace", std::string(workspace)}, {"result_state", std::string(result_state)}},
           JobBuckets())
      .Observe(seconds);
}

void ServiceMetrics::ObserveStatement(absl::string_view workspace, absl::string_view state,
                                      double seconds) {
  sql_duration_
      .Add({{"workspace", std::string(workspace)}, {"state", std::string(state)}},
           StatementBuckets())
      .Observe(seconds);
}

void ServiceMetrics::CountDeltaOperation(absl::string_view workspace, absl::string_view operation,
                                         bool ok) {
  delta_operations_
      .Add({{"workspace", std::string(workspace)},
            {"operation", std::string(operation)},
            {"result", ok ? "success" : "failure"}})
      .Increment();
}

}  // namespace gateway::metrics
