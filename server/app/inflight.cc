#include "server/app/inflight.h"

#include "absl/strings/string_view.h"
#include "absl/time/clock.h"

namespace gateway::app {
namespace {

absl::string_view TypeLabel(grpc::experimental::ServerRpcInfo::Type type) {
  switch (type) {
    case grpc::experimental::ServerRpcInfo::Type::UNARY:
      return "unary";
    case grpc::experimental::ServerRpcInfo::Type::CLIENT_STREAMING:
      return "client_stream";
    case grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING:
      return "server_stream";
    default:
      return "bidi_stream";
  }
}

class InflightInterceptor final : public grpc::experimental::Interceptor {
 public:
  InflightInterceptor(InflightTracker* tracker, grpc::experimental::ServerRpcInfo* info)
      : tracker_(tracker),
        metrics_(tracker->grpc_metrics().ForMethod(info->method(), TypeLabel(info->type()))),
        start_(absl::Now()) {
    tracker_->Begin();
    metrics_.started->Increment();
  }
  ~InflightInterceptor() override {
    // A call that ends without a status sent was cancelled before it could answer.
    metrics_.handled[code_]->Increment();
    metrics_.handling->Observe(absl::ToDoubleSeconds(absl::Now() - start_));
    tracker_->End();
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      metrics_.msg_sent->Increment();
    }
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const int code = static_cast<int>(methods->GetSendStatus().error_code());
      code_ = code >= 0 && code < 17 ? code : grpc::StatusCode::UNKNOWN;
    }
    methods->Proceed();
  }

 private:
  InflightTracker* const tracker_;
  metrics::GrpcServerMetrics::Method& metrics_;
  const absl::Time start_;
  int code_ = grpc::StatusCode::CANCELLED;
};

class InflightInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit InflightInterceptorFactory(InflightTracker* tracker) : tracker_(tracker) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new InflightInterceptor(tracker_, info);
  }

 private:
  InflightTracker* const tracker_;
};

}  // namespace

void InflightTracker::Begin() {
  absl::MutexLock lock(&mu_);
  ++count_;
  gauge_->Set(static_cast<double>(count_));
}

void InflightTracker::End() {
  absl::MutexLock lock(&mu_);
  --count_;
  gauge_->Set(static_cast<double>(count_));
}

int64_t InflightTracker::count() const {
  absl::MutexLock lock(&mu_);
  return count_;
}

bool InflightTracker::WaitForIdle(absl::Time deadline) const {
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return count_ == 0; };
  return mu_.AwaitWithDeadline(absl::Condition(&idle), deadline);
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
InflightTracker::InterceptorFactory() {
  return std::make_unique<InflightInterceptorFactory>(this);
}

}  // namespace gateway::app
