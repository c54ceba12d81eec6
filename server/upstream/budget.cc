#include "server/upstream/budget.h"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/common/error_details.h"

namespace gateway::upstream {
namespace {

// A minute after the last decrease the rate grows back toward its cap even while no
// request waits for it: a rate learned in a busy hour must not hold an endpoint down (and
// its alert up) once the demand is gone.
constexpr absl::Duration kRecover = absl::Minutes(1);

// Whether a controller may raise the rate on `answer`: requests wait for it, or the last
// decrease is a minute old.
bool Growing(const RateController::Answer& answer, absl::Time last_decrease) {
  return answer.limited || answer.now - last_decrease >= kRecover;
}

// What both controllers share: one decrease per round of requests (congestion of a request
// sent since the last decrease), growth only while the rate is what holds requests back
// (Growing) and a hold after a decrease, within [floor, cap]. They differ in how far they
// cut, how fast they grow and how long they hold.
class SteppedController : public RateController {
 public:
  SteppedController(double floor, double cap, absl::Duration hold)
      : floor_(floor), cap_(cap), hold_(hold), rate_(cap) {}
  double rate() const final { return rate_; }
  void OnAnswer(const Answer& answer) final {
    if (answer.congested) {
      if (answer.sent >= last_decrease_) {
        rate_ = std::max(floor_, Decreased(answer));
        last_decrease_ = answer.now;
      }
    } else if (!answer.throttled && Growing(answer, last_decrease_) &&
               last_increase_ != absl::InfinitePast() && answer.now - last_decrease_ >= hold_) {
      const double seconds = std::min(1.0, absl::ToDoubleSeconds(answer.now - last_increase_));
      rate_ = std::min(cap_, rate_ + Growth() * seconds);
    }
    if (!answer.throttled) last_increase_ = answer.now;
  }

 private:
  // The rate after congestion.
  virtual double Decreased(const Answer& answer) const = 0;
  // Requests/s the rate grows by in a second.
  virtual double Growth() const = 0;

  const double floor_;
  const double cap_;
  const absl::Duration hold_;
  double rate_;
  absl::Time last_decrease_ = absl::InfinitePast();
  absl::Time last_increase_ = absl::InfinitePast();
};

// Netflix concurrency-limits' AIMD, on a rate: × 0.9 on congestion, +1 request/s per second
// of answers, no hold.
class AimdController : public SteppedController {
 public:
  AimdController(double floor, double cap) : SteppedController(floor, cap, absl::ZeroDuration()) {}

 private:
  double Decreased(const Answer&) const override { return rate() * 0.9; }
  double Growth() const override { return 1; }
};

// Netflix's Gradient2 on a rate, with the rate Databricks accepted in place of the RTT: on
// congestion, gradient = 0.97 × the accepted answers per second over the last second ÷ the
// current rate, kept within [0.5, 1], and the rate becomes gradient × rate: what Databricks
// accepts, with a little headroom, and never more than halved at once. It holds ten seconds,
// then grows by 1 % a second (at least 1 request/s a second) to find out whether Databricks
// allows more: a limit that rarely moves is probed rarely.
class GradientController : public SteppedController {
 public:
  GradientController(double floor, double cap) : SteppedController(floor, cap, absl::Seconds(10)) {}

 private:
  double Decreased(const Answer& answer) const override {
    return std::clamp(0.97 * answer.accepted_per_second / rate(), 0.5, 1.0) * rate();
  }
  double Growth() const override { return std::max(0.01 * rate(), 1.0); }
};

// Slots of the class's rate a tenant within its share may borrow to send at once.
constexpr double kBurstSlots = 2;
// A tenant counts toward the shares this long after its last request.
constexpr absl::Duration kActiveFor = absl::Seconds(1);
// Throttled answers in the last second that say the rate is above Databricks' limit: this
// share of the answers, and at least three. A few percent of 429s for other reasons (other
// clients of the workspace) must not ratchet the rate down.
constexpr double kCongestedShare = 0.10;
// A class whose every answer was throttled for this long (at least three) cools down for
// the Retry-After.
constexpr absl::Duration kAllThrottledFor = absl::Seconds(1);

// The latest a request may be sent and still leave time for the exchange: a tenth of the
// time left, at least 20 ms.
absl::Time SendBy(absl::Time now, absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return deadline;
  return deadline - std::max(absl::Milliseconds(20), (deadline - now) / 10);
}

}  // namespace

std::unique_ptr<RateController> MakeRateController(absl::string_view name, double floor,
                                                   double cap) {
  if (name == "aimd") return std::make_unique<AimdController>(floor, cap);
  return std::make_unique<GradientController>(floor, cap);
}

Budget::Budget(std::string workspace, double rate_limit_rps, int rate_limit_burst,
               PacingOptions options, Timer timer, std::function<absl::Time()> now)
    : workspace_(std::move(workspace)),
      cap_(rate_limit_rps),
      options_(std::move(options)),
      timer_(std::move(timer)),
      now_(std::move(now)),
      workspace_interval_(absl::Seconds(1 / rate_limit_rps)),
      workspace_tolerance_(absl::Seconds(std::max(0, rate_limit_burst - 1) / rate_limit_rps)) {}

Budget::~Budget() = default;

Budget::Class& Budget::ClassOf(const std::string& name) {
  Class& c = classes_[name];
  if (c.controller == nullptr) {
    const double most = cap(name);
    c.controller = MakeRateController(options_.controller, std::min(options_.min_rate, most), most);
  }
  return c;
}

void Budget::Prune(Class& c, absl::Time now) {
  if (now < c.next_prune) return;
  c.next_prune = now + kActiveFor;
  for (auto it = c.tenants.begin(); it != c.tenants.end();) {
    const TenantQueue& q = it->second;
    const bool idle = q.waiting.empty() && q.active_until <= now && q.share_tat <= now;
    it = idle ? c.tenants.erase(it) : std::next(it);
  }
}

double Budget::ActiveWeight(const Class& c, absl::Time now) const {
  double weight = 0;
  for (const auto& [tenant, q] : c.tenants) {
    if (!q.waiting.empty() || q.active_until > now) weight += q.weight;
  }
  return weight;
}

absl::Time Budget::NextDue(const Class& c, absl::Time now) const {
  return std::max({c.tat, workspace_tat_ - workspace_tolerance_, c.cool_until, now});
}

bool Budget::TakeSlot(Class& c, absl::Time now, double slots, bool on_schedule) {
  const absl::Duration interval = absl::Seconds(1 / c.controller->rate());
  if (now < c.cool_until) return false;
  if (c.tat - now > interval * slots) return false;
  if (workspace_tat_ - now > workspace_tolerance_) return false;
  // GCRA: the next request is due an interval after this one. A timer that fired less
  // than an interval late keeps the schedule rather than lose the difference.
  auto next = [&](absl::Time tat, absl::Duration step) {
    const bool late = on_schedule && tat <= now && tat > now - step;
    return (late ? tat : std::max(tat, now)) + step;
  };
  c.tat = next(c.tat, interval);
  workspace_tat_ = next(workspace_tat_, workspace_interval_);
  return true;
}

absl::Duration Budget::EstimateWait(const Class& c, const std::string& tenant, double weight,
                                    absl::Time now) const {
  const auto own = c.tenants.find(tenant);
  const double mine = own == c.tenants.end() ? 0 : own->second.waiting.size();
  double ahead = mine;
  for (const auto& [name, q] : c.tenants) {
    if (name == tenant) continue;
    ahead += std::min<double>(q.waiting.size(), std::ceil((mine + 1) * q.weight / weight));
  }
  return (NextDue(c, now) - now) + absl::Seconds(ahead / c.controller->rate());
}

absl::Status Budget::Refusal(absl::Duration retry_in, absl::string_view pacing_class, double rate,
                             absl::string_view why) const {
  absl::Status status = absl::ResourceExhaustedError(absl::StrFormat(
      "Databricks workspace '%s' allows %s about %.4g requests/s (learned from its 429s and "
      "capped at %.4g): %s; budget frees in %s",
      workspace_, pacing_class, rate, cap(std::string(pacing_class)), why,
      absl::FormatDuration(absl::Ceil(retry_in, absl::Milliseconds(1)))));
  SetErrorInfo(status, "WORKSPACE_RATE_LIMITED", kGatewayDomain,
               {{"workspace", workspace_}, {"operation", std::string(pacing_class)}});
  SetRetryInfo(status, retry_in);
  return status;
}

void Budget::Acquire(Request request, Ready ready) {
  std::vector<Decision> decisions;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = now_();
    const std::string name = request.pacing_class;
    Class& c = ClassOf(name);
    Prune(c, now);
    TenantQueue& q = c.tenants[request.tenant];
    q.weight = request.weight;
    // At once: nothing of the tenant waits, it is within its share, and a slot is free.
    if (q.waiting.empty() && !request.retry) {
      const double share_rate =
          c.controller->rate() * q.weight / std::max(q.weight, ActiveWeight(c, now));
      const absl::Duration share_interval = absl::Seconds(1 / share_rate);
      if (q.share_tat - now <= share_interval &&
          TakeSlot(c, now, kBurstSlots, /*on_schedule=*/false)) {
        q.share_tat = std::max(q.share_tat, now) + share_interval;
        q.active_until = now + kActiveFor;
        decisions.push_back({std::move(ready), absl::OkStatus()});
      }
    }
    const absl::Time send_by = SendBy(now, request.deadline);
    if (decisions.empty() && send_by <= now) {
      decisions.push_back(
          {std::move(ready),
           absl::DeadlineExceededError(absl::StrCat(
               "no time is left before the call's deadline to send ", request.pacing_class,
               " to Databricks workspace '", workspace_, "' and be answered"))});
    }
    if (decisions.empty()) {
      const absl::Duration wait = request.retry
                                      ? NextDue(c, now) - now
                                      : EstimateWait(c, request.tenant, request.weight, now);
      if (now + wait > send_by) {
        decisions.push_back(
            {std::move(ready), Refusal(wait, request.pacing_class, c.controller->rate(),
                                       "this request could not be sent before its deadline")});
      } else if (!request.retry &&
                 static_cast<int64_t>(q.waiting.size()) >= options_.queue_per_tenant) {
        decisions.push_back({std::move(ready),
                             Refusal(wait, request.pacing_class, c.controller->rate(),
                                     absl::StrCat("the tenant already has ", q.waiting.size(),
                                                  " requests waiting (pacing.queue_per_tenant)"))});
      } else {
        Waiter waiter;
        waiter.send_by = send_by;
        const double step = 1 / q.weight;
        if (request.retry) {
          // First in its tenant's line, and charged like any request: it takes the place of
          // the tenant's first waiting request, which moves back a step, and so on.
          waiter.tag =
              q.waiting.empty() ? std::max(c.virtual_time, q.last_tag) : q.waiting.front().tag;
          for (Waiter& later : q.waiting) later.tag += step;
          q.last_tag = std::max(q.last_tag, waiter.tag) + step;
        } else {
          waiter.tag = std::max(c.virtual_time, q.last_tag);
          q.last_tag = waiter.tag + step;
        }
        const bool first = request.retry;
        waiter.request = std::move(request);
        waiter.ready = std::move(ready);
        if (first) {
          q.waiting.push_front(std::move(waiter));
        } else {
          q.waiting.push_back(std::move(waiter));
        }
        q.active_until = now + kActiveFor;
        ++c.queued;
        Serve(name, c, now, &decisions);
      }
    }
  }
  for (Decision& d : decisions) d.ready(std::move(d.status));
}

void Budget::Serve(const std::string& name, Class& c, absl::Time now, std::vector<Decision>* out) {
  // Requests that can no longer be sent in time are refused at once, whichever tenant's.
  absl::Time next_expiry = absl::InfiniteFuture();
  for (auto& [tenant, q] : c.tenants) {
    while (!q.waiting.empty() && q.waiting.front().send_by <= now) {
      Expire(name, c, q, now, out);
    }
    if (!q.waiting.empty()) next_expiry = std::min(next_expiry, q.waiting.front().send_by);
  }
  while (c.queued > 0) {
    TenantQueue* next = nullptr;
    for (auto& [tenant, q] : c.tenants) {
      if (!q.waiting.empty() &&
          (next == nullptr || q.waiting.front().tag < next->waiting.front().tag)) {
        next = &q;
      }
    }
    const absl::Time due = NextDue(c, now);
    if (due > now || !TakeSlot(c, now, 0, /*on_schedule=*/true)) {
      Arm(name, c, std::max(std::min(due, next_expiry), now + absl::Milliseconds(1)), now);
      return;
    }
    Waiter& head = next->waiting.front();
    c.virtual_time = head.tag;
    const absl::Duration share_interval =
        absl::Seconds(ActiveWeight(c, now) / (c.controller->rate() * next->weight));
    next->share_tat = std::max(next->share_tat, now) + share_interval;
    next->active_until = now + kActiveFor;
    out->push_back({std::move(head.ready), absl::OkStatus()});
    next->waiting.pop_front();
    --c.queued;
  }
}

void Budget::Expire(const std::string& name, Class& c, TenantQueue& q, absl::Time now,
                    std::vector<Decision>* out) {
  Waiter& head = q.waiting.front();
  out->push_back(
      {std::move(head.ready), Refusal(NextDue(c, now) - now, name, c.controller->rate(),
                                      "the request waited for budget until it could no longer be "
                                      "answered before its deadline")});
  q.waiting.pop_front();
  --c.queued;
  // The tenant keeps its place: its later requests move up into the slot of virtual time
  // the expired one held, or the tenant would lose a share for each expiry.
  const double step = 1 / q.weight;
  for (Waiter& later : q.waiting) later.tag = std::max(c.virtual_time, later.tag - step);
  q.last_tag = std::max(c.virtual_time, q.last_tag - step);
}

void Budget::Arm(const std::string& name, Class& c, absl::Time at, absl::Time now) {
  if (c.timer_at <= at) return;  // an earlier timer serves the class then
  c.timer_at = at;
  timer_(at - now, [this, name, at] { OnTimer(name, at); });
}

void Budget::OnTimer(const std::string& name, absl::Time at) {
  std::vector<Decision> decisions;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = now_();
    Class& c = ClassOf(name);
    if (c.timer_at != at) return;  // an earlier timer took its place
    c.timer_at = absl::InfiniteFuture();
    Serve(name, c, now, &decisions);
  }
  for (Decision& d : decisions) d.ready(std::move(d.status));
}

double Budget::OnAnswer(const std::string& pacing_class, absl::Time sent, bool throttled,
                        absl::optional<absl::Duration> retry_after) {
  std::vector<Decision> decisions;
  double rate = 0;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = now_();
    Class& c = ClassOf(pacing_class);
    // The answers of the last second, in ten buckets of 100 ms.
    const int64_t bucket = absl::ToInt64Milliseconds(now - absl::UnixEpoch()) / 100;
    for (int64_t b = std::max(c.last_bucket + 1, bucket - 9); b <= bucket; ++b) {
      c.answers[b % 10] = 0;
      c.throttled[b % 10] = 0;
    }
    c.last_bucket = std::max(c.last_bucket, bucket);
    ++c.answers[bucket % 10];
    if (throttled) ++c.throttled[bucket % 10];
    if (c.first_answer == absl::InfinitePast()) c.first_answer = now;
    int64_t answers = 0;
    int64_t throttled_answers = 0;
    for (int i = 0; i < 10; ++i) {
      answers += c.answers[i];
      throttled_answers += c.throttled[i];
    }
    RateController::Answer answer;
    answer.sent = sent;
    answer.now = now;
    answer.throttled = throttled;
    // One 429 among many answers says little about the rate (another client, a busy
    // moment); a rate above Databricks' limit is throttled again and again.
    answer.congested =
        throttled && throttled_answers >= std::max<int64_t>(3, kCongestedShare * answers);
    answer.limited = c.queued > 0;
    // The span the buckets cover: a second, or less just after the first answer.
    const double span = std::clamp(absl::ToDoubleSeconds(now - c.first_answer), 0.01, 1.0);
    answer.accepted_per_second = (answers - throttled_answers) / span;
    c.controller->OnAnswer(answer);
    if (throttled && retry_after.has_value() && answers >= 3 && throttled_answers == answers &&
        now - c.first_answer >= kAllThrottledFor) {
      // Databricks refused every request of the endpoint for a second: wait as it says
      // before trying again (at most pacing.max_cool_down_seconds).
      c.cool_until =
          std::max(c.cool_until,
                   now + std::min(*retry_after, absl::Seconds(options_.max_cool_down_seconds)));
    }
    if (c.queued > 0) Serve(pacing_class, c, now, &decisions);
    rate = c.controller->rate();
  }
  for (Decision& d : decisions) d.ready(std::move(d.status));
  return rate;
}

double Budget::rate(const std::string& pacing_class) const {
  absl::MutexLock lock(&mu_);
  auto found = classes_.find(pacing_class);
  return found == classes_.end() ? cap(pacing_class) : found->second.controller->rate();
}

double Budget::cap(const std::string& pacing_class) const {
  auto configured = options_.rates.find(pacing_class);
  return configured == options_.rates.end() ? cap_ : configured->second;
}

std::map<std::string, Budget::ClassStats> Budget::Stats() const {
  absl::MutexLock lock(&mu_);
  std::map<std::string, ClassStats> stats;
  for (const auto& [name, c] : classes_) stats[name] = {c.controller->rate(), c.queued};
  return stats;
}

}  // namespace gateway::upstream
