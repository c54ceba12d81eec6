// The pure parts of upstream protection, driven by explicit times so they are tested
// without sleeping: the circuit breaker, the retry budget and the back-off schedule. Each
// is thread-safe.
#ifndef SERVER_UPSTREAM_RESILIENCE_H_
#define SERVER_UPSTREAM_RESILIENCE_H_

#include <random>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "server/upstream/options.h"

namespace gateway::upstream {

// Closed → open after `failure_threshold` consecutive failures → half-open once
// `open_seconds` passed, admitting `half_open_probes` probes → closed when a probe succeeds,
// open again when one fails. Outcomes of calls admitted before the breaker opened are ignored
// while it is open or half-open.
class CircuitBreaker {
 public:
  enum class State { kClosed = 0, kHalfOpen = 1, kOpen = 2 };

  struct Admission {
    bool allowed = false;
    bool probe = false;                              // a half-open probe: report its outcome
    absl::Duration retry_in = absl::ZeroDuration();  // when refused
  };

  explicit CircuitBreaker(const CircuitBreakerOptions& options);

  Admission Admit(absl::Time now);
  // Outcomes; OnFailure returns true when this failure opened the breaker.
  void OnSuccess(bool probe);
  bool OnFailure(bool probe, absl::Time now);
  // An admitted call that was never sent (refused later by the rate limiter).
  void Release(bool probe);

  State state(absl::Time now) const;
  int consecutive_failures() const;

 private:
  void Open(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int failure_threshold_;
  const absl::Duration open_for_;
  const int half_open_probes_;
  mutable absl::Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_) = State::kClosed;
  int failures_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time opened_at_ ABSL_GUARDED_BY(mu_);
  int probes_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

// Envoy's retry budget: retries in progress may not exceed budget_percent of the calls in
// progress, but min_retry_concurrency are always allowed. Keeps retries from multiplying
// the load on a workspace that is failing.
class RetryBudget {
 public:
  explicit RetryBudget(const RetryOptions& options);

  void CallStarted();
  void CallFinished();
  // Claims a retry slot; false when the budget is spent.
  bool TryStartRetry();
  void RetryFinished();

 private:
  const double percent_;
  const int min_concurrency_;
  absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  int retries_ ABSL_GUARDED_BY(mu_) = 0;
};

// The wait before retry number `retry` (0 for the first): with a Retry-After of d, uniform
// in [d, 1.5·d] (nullopt when d exceeds max_retry_after_seconds: not worth retrying);
// without one, full jitter: uniform in [0, min(max_backoff, base·2^retry)].
absl::optional<absl::Duration> RetryWait(int retry, absl::optional<absl::Duration> retry_after,
                                         const RetryOptions& options, std::mt19937_64& random);

}  // namespace gateway::upstream

#endif  // SERVER_UPSTREAM_RESILIENCE_H_
