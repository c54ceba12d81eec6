// Metrics of what the services do with Databricks: job runs the gateway watched to the
// end, SQL statements, Delta operations. The three names are seed 004's public contract
// (docs/metrics.md). Label values are bounded: workspaces come from config, states and
// operations from fixed lists. Thread-safe.
#ifndef SERVER_METRICS_SERVICE_METRICS_H_
#define SERVER_METRICS_SERVICE_METRICS_H_

#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace gateway::metrics {

class ServiceMetrics {
 public:
  explicit ServiceMetrics(prometheus::Registry& registry);
  ServiceMetrics(const ServiceMetrics&) = delete;
  ServiceMetrics& operator=(const ServiceMetrics&) = delete;

  // databricks_job_duration_seconds{workspace, result_state}: a watched run reached a
  // terminal state. Each run is observed once, however many callers watched it (the last
  // 100,000 runs are remembered).
  void ObserveJobRun(absl::string_view workspace, absl::string_view run_id,
                     absl::string_view result_state, double seconds) ABSL_LOCKS_EXCLUDED(mu_);

  // databricks_sql_query_duration_seconds{workspace, state}: a statement the gateway
  // executed reached a terminal state, from submission to the state being seen.
  void ObserveStatement(absl::string_view workspace, absl::string_view state, double seconds);

  // databricks_delta_operations_total{workspace, operation, result}: a Delta method
  // finished; result is "success" or "failure".
  void CountDeltaOperation(absl::string_view workspace, absl::string_view operation, bool ok);

 private:
  prometheus::Family<prometheus::Histogram>& job_duration_;
  prometheus::Family<prometheus::Histogram>& sql_duration_;
  prometheus::Family<prometheus::Counter>& delta_operations_;

  absl::Mutex mu_;
  std::set<std::pair<std::string, std::string>> observed_runs_ ABSL_GUARDED_BY(mu_);
  std::deque<std::pair<std::string, std::string>> observed_order_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gateway::metrics

#endif  // SERVER_METRICS_SERVICE_METRICS_H_
