// gRPC server metrics under the names the gRPC ecosystem uses (go-grpc-prometheus):
// grpc_server_started_total, grpc_server_handled_total{grpc_code},
// grpc_server_handling_seconds and grpc_server_msg_sent_total, each labelled grpc_type,
// grpc_service and grpc_method. Recorded by the app's call interceptor. Thread-safe.
#ifndef SERVER_METRICS_GRPC_METRICS_H_
#define SERVER_METRICS_GRPC_METRICS_H_

#include <array>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace gateway::metrics {

class GrpcServerMetrics {
 public:
  // The series of one method, resolved once.
  struct Method {
    prometheus::Counter* started;
    prometheus::Counter* msg_sent;
    prometheus::Histogram* handling;
    // Indexed by grpc::StatusCode (0–16); every code exists from the first call on.
    std::array<prometheus::Counter*, 17> handled;
  };

  explicit GrpcServerMetrics(prometheus::Registry& registry);
  GrpcServerMetrics(const GrpcServerMetrics&) = delete;
  GrpcServerMetrics& operator=(const GrpcServerMetrics&) = delete;

  // `full_method` as gRPC names it ("/databricks.gateway.v1.JobsService/GetRun"); `type`
  // "unary", "server_stream", "client_stream" or "bidi_stream". The reference stays valid
  // for the metrics' life.
  Method& ForMethod(absl::string_view full_method, absl::string_view type) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Counter>& msg_sent_;
  prometheus::Family<prometheus::Histogram>& handling_;

  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<Method>, std::less<>> methods_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gateway::metrics

#endif  // SERVER_METRICS_GRPC_METRICS_H_
