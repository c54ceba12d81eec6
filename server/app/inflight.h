// Counts gRPC calls in flight, so that shutdown can drain them, and records the gRPC
// server metrics of every call.
//
// A server interceptor is created by gRPC for every call and destroyed when the call is
// done; InflightTracker counts those lifetimes. Thread-safe.
#ifndef SERVER_APP_INFLIGHT_H_
#define SERVER_APP_INFLIGHT_H_

#include <memory>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"
#include "prometheus/gauge.h"
#include "server/metrics/grpc_metrics.h"

namespace gateway::app {

class InflightTracker {
 public:
  // `gauge` mirrors the count; `grpc_metrics` records each call. Not owned; both must
  // outlive the tracker.
  InflightTracker(prometheus::Gauge* gauge, metrics::GrpcServerMetrics* grpc_metrics)
      : gauge_(gauge), grpc_metrics_(grpc_metrics) {}

  void Begin();
  void End();
  int64_t count() const;
  // Waits until no call is in flight or `deadline` passes; true if none is in flight.
  bool WaitForIdle(absl::Time deadline) const;

  // The factory to install with ServerBuilder::experimental().SetInterceptorCreators.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

  metrics::GrpcServerMetrics& grpc_metrics() { return *grpc_metrics_; }

 private:
  prometheus::Gauge* const gauge_;
  metrics::GrpcServerMetrics* const grpc_metrics_;
  mutable absl::Mutex mu_;
  int64_t count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace gateway::app

#endif  // SERVER_APP_INFLIGHT_H_
