#include "server/app/inflight.h"

namespace gateway::app {
namespace {

class InflightInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit InflightInterceptor(InflightTracker* tracker) : tracker_(tracker) { tracker_->Begin(); }
  ~InflightInterceptor() override { tracker_->End(); }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    methods->Proceed();
  }

 private:
  InflightTracker* const tracker_;
};

class InflightInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit InflightInterceptorFactory(InflightTracker* tracker) : tracker_(tracker) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo*) override {
    return new InflightInterceptor(tracker_);
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
