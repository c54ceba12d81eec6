#include "server/metrics/grpc_metrics.h"

#include <utility>

namespace gateway::metrics {
namespace {

constexpr std::array<const char*, 17> kCodeNames = {
    "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
    "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
    "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
    "DataLoss", "Unauthenticated"};

const prometheus::Histogram::BucketBoundaries& HandlingBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
  return *buckets;
}

}  // namespace

GrpcServerMetrics::GrpcServerMetrics(prometheus::Registry& registry)
    : started_(prometheus::BuildCounter()
                   .Name("grpc_server_started_total")
                   .Help("RPCs started on the server.")
                   .Register(registry)),
      handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("RPCs completed on the server, by status code.")
                   .Register(registry)),
      msg_sent_(prometheus::BuildCounter()
                    .Name("grpc_server_msg_sent_total")
                    .Help("Messages sent by the server (stream messages and unary replies).")
                    .Register(registry)),
      handling_(prometheus::BuildHistogram()
                    .Name("grpc_server_handling_seconds")
                    .Help("Time from an RPC's start to its status being sent.")
                    .Register(registry)) {}

GrpcServerMetrics::Method& GrpcServerMetrics::ForMethod(absl::string_view full_method,
                                                        absl::string_view type) {
  absl::MutexLock lock(&mu_);
  auto it = methods_.find(full_method);
  if (it != methods_.end()) return *it->second;
  // "/package.Service/Method" → service "package.Service", method "Method".
  absl::string_view name = full_method;
  if (!name.empty() && name.front() == '/') name.remove_prefix(1);
  const size_t slash = name.find('/');
  const std::string service(name.substr(0, slash));
  const std::string method(slash == absl::string_view::npos ? "" : name.substr(slash + 1));
  const prometheus::Labels labels = {
      {"grpc_type", std::string(type)}, {"grpc_service", service}, {"grpc_method", method}};
  auto entry = std::make_unique<Method>();
  entry->started = &started_.Add(labels);
  entry->msg_sent = &msg_sent_.Add(labels);
  entry->handling = &handling_.Add(labels, HandlingBuckets());
  for (size_t code = 0; code < kCodeNames.size(); ++code) {
    prometheus::Labels with_code = labels;
    with_code["grpc_code"] = kCodeNames[code];
    entry->handled[code] = &handled_.Add(with_code);
  }
  return *methods_.emplace(std::string(full_method), std::move(entry)).first->second;
}

}  // namespace gateway::metrics
