#include "server/upstream/resilience.h"

#include <algorithm>
#include <cmath>

namespace gateway::upstream {

CircuitBreaker::CircuitBreaker(const CircuitBreakerOptions& options)
    : failure_threshold_(std::max(1, options.failure_threshold)),
      open_for_(absl::Seconds(std::max(0, options.open_seconds))),
      half_open_probes_(std::max(1, options.half_open_probes)) {}

CircuitBreaker::Admission CircuitBreaker::Admit(absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kClosed) return {true, false, absl::ZeroDuration()};
  if (state_ == State::kOpen) {
    if (now < opened_at_ + open_for_) return {false, false, opened_at_ + open_for_ - now};
    state_ = State::kHalfOpen;
    probes_in_flight_ = 0;
  }
  if (probes_in_flight_ >= half_open_probes_) return {false, false, absl::Seconds(1)};
  ++probes_in_flight_;
  return {true, true, absl::ZeroDuration()};
}

void CircuitBreaker::OnSuccess(bool probe) {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kClosed) {
    failures_ = 0;
  } else if (probe && state_ == State::kHalfOpen) {
    state_ = State::kClosed;
    failures_ = 0;
    probes_in_flight_ = 0;
  }
}

bool CircuitBreaker::OnFailure(bool probe, absl::Time now) {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kClosed) {
    if (++failures_ < failure_threshold_) return false;
    Open(now);
    return true;
  }
  if (probe && state_ == State::kHalfOpen) {
    Open(now);
    return true;
  }
  return false;
}

void CircuitBreaker::Release(bool probe) {
  absl::MutexLock lock(&mu_);
  if (probe && state_ == State::kHalfOpen && probes_in_flight_ > 0) --probes_in_flight_;
}

void CircuitBreaker::Open(absl::Time now) {
  state_ = State::kOpen;
  opened_at_ = now;
  probes_in_flight_ = 0;
}

CircuitBreaker::State CircuitBreaker::state(absl::Time now) const {
  absl::MutexLock lock(&mu_);
  if (state_ == State::kOpen && now >= opened_at_ + open_for_) return State::kHalfOpen;
  return state_;
}

int CircuitBreaker::consecutive_failures() const {
  absl::MutexLock lock(&mu_);
  return failures_;
}

RetryBudget::RetryBudget(const RetryOptions& options)
    : percent_(options.budget_percent), min_concurrency_(options.min_retry_concurrency) {}

void RetryBudget::CallStarted() {
  absl::MutexLock lock(&mu_);
  ++calls_;
}

void RetryBudget::CallFinished() {
  absl::MutexLock lock(&mu_);
  --calls_;
}

bool RetryBudget::TryStartRetry() {
  absl::MutexLock lock(&mu_);
  const double allowed = std::max<double>(min_concurrency_, calls_ * percent_ / 100.0);
  if (retries_ + 1 > allowed) return false;
  ++retries_;
  return true;
}

void RetryBudget::RetryFinished() {
  absl::MutexLock lock(&mu_);
  --retries_;
}

absl::optional<absl::Duration> RetryWait(int retry, absl::optional<absl::Duration> retry_after,
                                         const RetryOptions& options, std::mt19937_64& random) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  if (retry_after.has_value()) {
    if (*retry_after > absl::Seconds(options.max_retry_after_seconds)) return absl::nullopt;
    return *retry_after + *retry_after * (0.5 * unit(random));
  }
  const double ceiling_ms = std::min<double>(
      options.max_backoff_ms, options.base_backoff_ms * std::ldexp(1.0, std::min(retry, 30)));
  return absl::Milliseconds(ceiling_ms * unit(random));
}

}  // namespace gateway::upstream
