// Per-tenant rate limits: for each call, the tenant's first method rule that matches the
// call (else the tenant's own rule) decides. A rule has a rate with a burst (GCRA) and a
// cap on calls in flight; either may be shadowed (counted, not enforced). A global rule's
// rate is decided by a RateLimitStore (Redis) shared by every replica; when the store
// cannot answer in time, a local GCRA with the rate and burst divided by the replica count
// decides instead.
//
// Refusals are RESOURCE_EXHAUSTED with RetryInfo (when one call would pass), QuotaFailure
// (subject "tenant:NAME", the rule) and ErrorInfo in the gateway's domain
// (TENANT_RATE_LIMITED or TENANT_CONCURRENCY_LIMITED), so callers can tell the gateway's
// refusal from Databricks' throttling.
#ifndef SERVER_RATELIMIT_LIMITER_H_
#define SERVER_RATELIMIT_LIMITER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/metrics/tenant_metrics.h"
#include "server/ratelimit/gcra.h"
#include "server/ratelimit/options.h"

namespace gateway::ratelimit {

// Where global rules keep their GCRA state. Thread-safe.
class RateLimitStore {
 public:
  using Callback = std::function<void(absl::StatusOr<GcraDecision>)>;
  virtual ~RateLimitStore() = default;
  // Takes one call from the GCRA stored under `key`. `done` runs exactly once, on any
  // thread, possibly inline; an error means the store could not decide (unreachable, too
  // slow) and the caller decides locally.
  virtual void Take(const std::string& key, double rate, int64_t burst, Callback done) = 0;
};

class RuleState;

// A concurrency slot held for the duration of a call; released when destroyed. Empty
// when the rule has no concurrency limit. Move-only.
class Permit {
 public:
  Permit() = default;
  explicit Permit(std::shared_ptr<RuleState> rule);
  Permit(Permit&& other) noexcept = default;
  Permit& operator=(Permit&& other) noexcept;
  ~Permit();

 private:
  void Release();
  std::shared_ptr<RuleState> rule_;
};

using AdmitCallback = std::function<void(absl::StatusOr<Permit>)>;

// The rules of one tenant. Immutable; thread-safe.
class TenantQuota {
 public:
  // Decides a call to `method` ("Service/Method"). `done` runs exactly once: inline for
  // local rules, on the store's thread for global ones.
  void Admit(absl::string_view method, AdmitCallback done) const;

  // Paces one more upstream request of a call to `method` that was already admitted (a
  // poll, a wait): takes a token of the rule's rate, no concurrency slot. `done(wait)` runs
  // once, inline or on the store's thread: zero when the request may go now, else how long
  // until a token is free (ask again then). A shadow rule or a rule without a rate never
  // delays.
  void Pace(absl::string_view method, std::function<void(absl::Duration)> done) const;

  // The name of the rule that decides `method`: its method pattern, or "tenant".
  absl::string_view RuleFor(absl::string_view method) const;

 private:
  friend class Limiter;
  std::shared_ptr<RuleState> RuleOf(absl::string_view method) const;
  struct Entry {
    std::string method;  // pattern; empty for the tenant rule
    std::shared_ptr<RuleState> state;
  };
  std::vector<Entry> methods_;
  std::shared_ptr<RuleState> tenant_;
  RateLimitStore* store_ = nullptr;
  std::function<absl::Time()> now_;
};

// Builds tenants' quotas and keeps the state of their rules across configuration reloads:
// a rule whose tenant, name and options are unchanged keeps its bucket and its in-flight
// count. Thread-safe.
class Limiter {
 public:
  // `metrics` is not owned. `store` (not owned) decides global rules; when it is null,
  // every global decision is the local fallback share, counted as a fallback. `now` is the clock
  // (absl::Now in production).
  Limiter(metrics::TenantMetrics* metrics, RateLimitStore* store,
          std::function<absl::Time()> now = absl::Now);

  // The quota of `tenant`. `replica_count` divides global rules' fallback limits.
  std::shared_ptr<const TenantQuota> Build(const std::string& tenant, const QuotaOptions& quota,
                                           int replica_count) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  std::shared_ptr<RuleState> State(const std::string& tenant, const std::string& rule,
                                   const RuleOptions& options, int replica_count)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  metrics::TenantMetrics* const metrics_;
  RateLimitStore* const store_;
  const std::function<absl::Time()> now_;
  absl::Mutex mu_;
  std::map<std::string, std::weak_ptr<RuleState>> states_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gateway::ratelimit

#endif  // SERVER_RATELIMIT_LIMITER_H_
