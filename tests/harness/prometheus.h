// A real Prometheus server (Debian's) for a test: on 127.0.0.1 and a free port, with its
// own empty storage, scraping the given targets and evaluating the given rule files at a
// short interval, stopped with the test. Read through its HTTP API, as Grafana does.
#ifndef TESTS_HARNESS_PROMETHEUS_H_
#define TESTS_HARNESS_PROMETHEUS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/common/json.h"
#include "tests/harness/process.h"

namespace gateway::testing {

struct PrometheusOptions {
  // The scrape job's name (alert rules select on it) and its targets ("127.0.0.1:PORT").
  std::string job;
  std::vector<std::string> targets;
  // Rule files to load.
  std::vector<std::string> rule_files;
  // Both the scrape and the rule evaluation interval.
  absl::Duration interval = absl::Seconds(1);
};

// One alert as /api/v1/alerts reports it.
struct Alert {
  std::string name;
  std::string state;  // "pending" or "firing"
  std::map<std::string, std::string> labels;
  double value = 0;
};

class PrometheusServer {
 public:
  // Starts `prometheus` (found on PATH) and waits until it answers /-/ready; `name` names
  // its log file.
  static absl::StatusOr<std::unique_ptr<PrometheusServer>> Start(const std::string& name,
                                                                 const PrometheusOptions& options);
  ~PrometheusServer();

  int port() const { return port_; }
  std::string log() const { return ReadFile(log_path_); }

  // GET /api/v1/`path_and_query`: the answer's "data", or Prometheus' error.
  absl::StatusOr<json::Value> Api(const std::string& path_and_query) const;
  // An instant query at the current time: the result vector (an array of {metric, value}).
  absl::StatusOr<json::Value> Query(const std::string& promql) const;
  // Every pending and firing alert.
  absl::StatusOr<std::vector<Alert>> Alerts() const;

 private:
  PrometheusServer(int port, std::string log_path) : port_(port), log_path_(std::move(log_path)) {}

  const int port_;
  const std::string log_path_;
  std::unique_ptr<Subprocess> process_;
};

}  // namespace gateway::testing

#endif  // TESTS_HARNESS_PROMETHEUS_H_
