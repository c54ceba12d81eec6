#include "server/ratelimit/limiter.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "server/common/error_details.h"
#include "server/common/pattern.h"

namespace gateway::ratelimit {
namespace {

constexpr absl::string_view kTenantRule = "tenant";
// The hint given with a concurrency refusal: there is no telling when a slot frees.
constexpr absl::Duration kConcurrencyRetryHint = absl::Milliseconds(250);

std::string Describe(const RuleOptions& rule) {
  return absl::StrCat(rule.requests_per_second, " calls/s with a burst of ", rule.burst);
}

}  // namespace

// The state of one rule of one tenant: its local GCRA (the whole rate, or for a global
// rule the fallback share) and its calls in flight.
class RuleState {
 public:
  RuleState(std::string tenant, std::string name, const RuleOptions& options, int replica_count,
            metrics::TenantMetrics::Rule& metrics, std::string store_key)
      : tenant(std::move(tenant)),
        name(std::move(name)),
        options(options),
        replica_count(replica_count),
        metrics(metrics),
        store_key(std::move(store_key)) {
    if (options.requests_per_second > 0) {
      const int divisor = options.global ? std::max(1, replica_count) : 1;
      gcra_.emplace(options.requests_per_second / divisor,
                    std::max<int64_t>(1, options.burst / divisor));
    }
  }

  enum class Slot { kNone, kTaken, kTakenOverLimit, kRefused };

  // Takes a concurrency slot (over the limit only in shadow mode).
  Slot TakeSlot() ABSL_LOCKS_EXCLUDED(mu_) {
    if (options.max_concurrent <= 0) return Slot::kNone;
    absl::MutexLock lock(&mu_);
    const bool full = inflight_ >= options.max_concurrent;
    if (full && !options.shadow) return Slot::kRefused;
    ++inflight_;
    metrics.inflight.Set(inflight_);
    return full ? Slot::kTakenOverLimit : Slot::kTaken;
  }
  void ReleaseSlot() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    --inflight_;
    metrics.inflight.Set(inflight_);
  }
  GcraDecision TakeLocal(absl::Time now) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return gcra_->Take(now);
  }

  absl::Status RateRefusal(absl::string_view method, absl::Duration retry_after) const {
    absl::Status status = absl::ResourceExhaustedError(
        absl::StrCat("tenant '", tenant, "' exceeded its rate limit for ", method, ": rule '", name,
                     "' allows ", Describe(options), "; retry in ",
                     absl::FormatDuration(absl::Ceil(retry_after, absl::Milliseconds(1)))));
    SetRetryInfo(status, retry_after);
    SetQuotaFailure(status, absl::StrCat("tenant:", tenant),
                    absl::StrCat("rule '", name, "': ", Describe(options)));
    SetErrorInfo(status, "TENANT_RATE_LIMITED", kGatewayDomain,
                 {{"tenant", tenant}, {"rule", name}});
    return status;
  }

  absl::Status ConcurrencyRefusal(absl::string_view method) const {
    absl::Status status = absl::ResourceExhaustedError(
        absl::StrCat("tenant '", tenant, "' has ", options.max_concurrent, " calls in flight for ",
                     method, ", the most rule '", name, "' allows; retry when one ends"));
    SetRetryInfo(status, kConcurrencyRetryHint);
    SetQuotaFailure(
        status, absl::StrCat("tenant:", tenant),
        absl::StrCat("rule '", name, "': at most ", options.max_concurrent, " calls in flight"));
    SetErrorInfo(status, "TENANT_CONCURRENCY_LIMITED", kGatewayDomain,
                 {{"tenant", tenant}, {"rule", name}});
    return status;
  }

  const std::string tenant;
  const std::string name;
  const RuleOptions options;
  const int replica_count;
  metrics::TenantMetrics::Rule& metrics;
  const std::string store_key;

 private:
  absl::Mutex mu_;
  std::optional<Gcra> gcra_ ABSL_GUARDED_BY(mu_);
  int inflight_ ABSL_GUARDED_BY(mu_) = 0;
};

Permit::Permit(std::shared_ptr<RuleState> rule) : rule_(std::move(rule)) {}

Permit& Permit::operator=(Permit&& other) noexcept {
  if (this != &other) {
    Release();
    rule_ = std::move(other.rule_);
  }
  return *this;
}

Permit::~Permit() { Release(); }

void Permit::Release() {
  if (rule_ != nullptr) rule_->ReleaseSlot();
  rule_ = nullptr;
}

absl::string_view TenantQuota::RuleFor(absl::string_view method) const {
  return RuleOf(method)->name;
}

std::shared_ptr<RuleState> TenantQuota::RuleOf(absl::string_view method) const {
  for (const Entry& entry : methods_) {
    if (PatternMatches(entry.method, method)) return entry.state;
  }
  return tenant_;
}

void TenantQuota::Pace(absl::string_view method, std::function<void(absl::Duration)> done) const {
  std::shared_ptr<RuleState> rule = RuleOf(method);
  const RuleOptions& options = rule->options;
  if (options.requests_per_second <= 0) {
    done(absl::ZeroDuration());
    return;
  }
  auto conclude = [rule, done = std::move(done)](const GcraDecision& decision) {
    if (decision.allowed || rule->options.shadow) {
      done(absl::ZeroDuration());
      return;
    }
    rule->metrics.paced.Increment();
    done(std::max(decision.retry_after, absl::Milliseconds(1)));
  };
  if (!options.global || store_ == nullptr) {
    conclude(rule->TakeLocal(now_()));
    return;
  }
  store_->Take(rule->store_key, options.requests_per_second, options.burst,
               [rule, conclude, now = now_](absl::StatusOr<GcraDecision> decision) {
                 conclude(decision.ok() ? *decision : rule->TakeLocal(now()));
               });
}

void TenantQuota::Admit(absl::string_view method, AdmitCallback done) const {
  std::shared_ptr<RuleState> rule = RuleOf(method);
  const RuleOptions& options = rule->options;
  const RuleState::Slot slot = rule->TakeSlot();
  if (slot == RuleState::Slot::kRefused) {
    rule->metrics.limited.Increment();
    done(rule->ConcurrencyRefusal(method));
    return;
  }
  const bool shadow_limited = slot == RuleState::Slot::kTakenOverLimit;
  Permit permit = slot == RuleState::Slot::kNone ? Permit() : Permit(rule);

  // What the rate decision means for the call; the permit is dropped on a refusal.
  auto conclude = [rule, method = std::string(method), shadow_limited](
                      GcraDecision decision, Permit permit, const AdmitCallback& done) {
    const RuleOptions& options = rule->options;
    if (!decision.allowed && !options.shadow) {
      rule->metrics.limited.Increment();
      permit = Permit();
      done(rule->RateRefusal(method, decision.retry_after));
      return;
    }
    if (!decision.allowed || shadow_limited) {
      rule->metrics.shadow_limited.Increment();
    } else {
      rule->metrics.allowed.Increment();
      if (options.requests_per_second > 0 && decision.remaining * 5 < options.burst) {
        rule->metrics.near_limit.Increment();
      }
    }
    done(std::move(permit));
  };

  if (options.requests_per_second <= 0) {
    GcraDecision unlimited;
    unlimited.allowed = true;
    conclude(unlimited, std::move(permit), done);
    return;
  }
  if (!options.global) {
    conclude(rule->TakeLocal(now_()), std::move(permit), done);
    return;
  }
  if (store_ == nullptr) {
    rule->metrics.fallback.Increment();
    conclude(rule->TakeLocal(now_()), std::move(permit), done);
    return;
  }
  // The permit travels through the store's callback (std::function needs a copyable
  // capture, hence the shared holder).
  auto held = std::make_shared<Permit>(std::move(permit));
  store_->Take(rule->store_key, options.requests_per_second, options.burst,
               [rule, held, conclude, done = std::move(done),
                now = now_](absl::StatusOr<GcraDecision> decision) {
                 if (!decision.ok()) {
                   rule->metrics.fallback.Increment();
                   decision = rule->TakeLocal(now());
                 }
                 conclude(*decision, std::move(*held), done);
               });
}

Limiter::Limiter(metrics::TenantMetrics* metrics, RateLimitStore* store,
                 std::function<absl::Time()> now)
    : metrics_(metrics), store_(store), now_(std::move(now)) {}

std::shared_ptr<RuleState> Limiter::State(const std::string& tenant, const std::string& rule,
                                          const RuleOptions& options, int replica_count) {
  // Tenant and method names cannot hold a newline, so the key is unambiguous.
  const std::string key = absl::StrCat(tenant, "\n", rule);
  std::weak_ptr<RuleState>& slot = states_[key];
  std::shared_ptr<RuleState> state = slot.lock();
  // Unchanged options keep the bucket and the in-flight count. A changed replica count
  // changes only the fallback share, which starts afresh.
  if (state != nullptr && state->options == options &&
      (!options.global || state->replica_count == replica_count)) {
    return state;
  }
  state = std::make_shared<RuleState>(tenant, rule, options, replica_count,
                                      metrics_->ForRule(tenant, rule),
                                      absl::StrCat("rl:", tenant, ":", rule));
  slot = state;
  return state;
}

std::shared_ptr<const TenantQuota> Limiter::Build(const std::string& tenant,
                                                  const QuotaOptions& quota, int replica_count) {
  auto built = std::make_shared<TenantQuota>();
  built->store_ = store_;
  built->now_ = now_;
  absl::MutexLock lock(&mu_);
  built->tenant_ = State(tenant, std::string(kTenantRule), quota.tenant, replica_count);
  for (const MethodRuleOptions& method : quota.methods) {
    built->methods_.push_back(
        {method.method, State(tenant, method.method, method.rule, replica_count)});
  }
  return built;
}

}  // namespace gateway::ratelimit
