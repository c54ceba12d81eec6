// A workspace's request budget. Databricks limits each endpoint of a workspace on its own
// and answers 429 past the limit; the budget turns that into as many requests as Databricks
// allows, shared between tenants by weight:
//
//   - Per pacing class (an endpoint: the operation), a RateController learns the rate
//     Databricks allows from its 429s, capped by pacing.rates or the workspace's
//     rate_limit_rps. A passing 429 does not lower it; 429s that recur within a second
//     (at least three and 10 % of the answers) do. Requests are spread at that rate (GCRA with a
//     small burst), never released together.
//   - A request that cannot go now waits in its tenant's queue of the class (bounded).
//     Queued requests are served by start-time fair queueing on the tenants' weights:
//     tenants that saturate the class get rate × weight / Σ weights each, and what an idle
//     tenant leaves goes to the others.
//   - A tenant whose queue is empty and who is within its share sends at once, borrowing a
//     slot of the burst, so a quiet tenant does not wait behind a neighbour's flood.
//   - A request that could not be sent in time (before its deadline, less a tenth of the
//     time left for the exchange, at least 20 ms) is refused at once with
//     RESOURCE_EXHAUSTED and RetryInfo (when its turn would have come), as is one past the
//     tenant's queue bound.
//   - A request Databricks throttled goes again, after its Retry-After, in the endpoint's
//     next slot ahead of its tenant's other requests (charged to the tenant like any
//     other): requests that waited out a Retry-After together are spread at the
//     (lowered) rate, not released together.
//   - When Databricks throttles every request of a class for a whole second (at least three),
//     the class cools down for the Retry-After (at most pacing.max_cool_down_seconds)
//     before it is tried again.
//
// The workspace's configured rate (rate_limit_rps, rate_limit_burst) bounds all classes
// together. Thread-safe; timers run on the HTTP client's threads.
#ifndef SERVER_UPSTREAM_BUDGET_H_
#define SERVER_UPSTREAM_BUDGET_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "server/upstream/options.h"

namespace gateway::upstream {

// Learns the rate of one pacing class from Databricks' answers. Not thread-safe (the
// budget's lock guards it).
class RateController {
 public:
  struct Answer {
    absl::Time sent;  // when the request went
    absl::Time now;   // when its answer came
    bool throttled = false;
    // Throttled, and so were at least three answers and 10 % of the answers of the last
    // second: the rate is above Databricks' limit, not a passing 429.
    bool congested = false;
    // Requests of the class were waiting for the rate: a higher rate would have been used.
    bool limited = false;
    // Answers Databricks did not throttle, per second over the last second.
    double accepted_per_second = 0;
  };
  virtual ~RateController() = default;
  // Requests per second to send now.
  virtual double rate() const = 0;
  virtual void OnAnswer(const Answer& answer) = 0;
};

// The controllers (PacingOptions::controller), between `floor` and `cap` requests/s,
// starting at `cap`:
//   "aimd"      additive increase (+1 request/s per second while limited), multiplicative
//               decrease (× 0.9 when a request sent since the last decrease is congested);
//   "gradient"  then, × 0.97 × the accepted answers per second over the last second ÷ the
//               rate (within [0.5, 1]); from 10 s after a decrease, while limited and
//               unthrottled, +1 % per second (at least +1 request/s per second).
std::unique_ptr<RateController> MakeRateController(absl::string_view name, double floor,
                                                   double cap);

class Budget {
 public:
  // Called with OK when the request may be sent, or with RESOURCE_EXHAUSTED (with
  // RetryInfo) when it cannot be sent before its deadline. Runs once, without the budget's
  // lock, inline or on a timer thread.
  using Ready = std::function<void(absl::Status)>;
  // Runs `fn` on another thread after `delay` (the HTTP client's timers).
  using Timer = std::function<void(absl::Duration delay, std::function<void()> fn)>;

  struct Request {
    std::string pacing_class;  // the endpoint ("jobs.runs.get")
    std::string tenant;        // empty without tenants
    double weight = 1;         // the tenant's weight, > 0
    absl::Time deadline = absl::InfiniteFuture();
    // A request Databricks throttled, sent again after its Retry-After: it waits for the
    // endpoint's next slot (never a borrowed one) ahead of its tenant's other requests.
    bool retry = false;
  };

  // `workspace` names the workspace in refusals.
  Budget(std::string workspace, double rate_limit_rps, int rate_limit_burst, PacingOptions options,
         Timer timer, std::function<absl::Time()> now = absl::Now);
  ~Budget();

  Budget(const Budget&) = delete;
  Budget& operator=(const Budget&) = delete;

  // Asks for a slot for `request`; `ready` says when it may be sent.
  void Acquire(Request request, Ready ready) ABSL_LOCKS_EXCLUDED(mu_);

  // Databricks' answer to a request of `pacing_class` sent at `sent`: a 429 (or a
  // rate-limit code) or not, with its Retry-After. Returns the class's rate after it.
  double OnAnswer(const std::string& pacing_class, absl::Time sent, bool throttled,
                  absl::optional<absl::Duration> retry_after) ABSL_LOCKS_EXCLUDED(mu_);

  // The class's current rate, requests per second (its cap before any answer).
  double rate(const std::string& pacing_class) const ABSL_LOCKS_EXCLUDED(mu_);
  // The most the class may send: pacing.rates' entry for it, else rate_limit_rps.
  double cap(const std::string& pacing_class) const;

  // What the budget did, for the metrics; read by a collector.
  struct ClassStats {
    double rate = 0;     // current learned rate
    int64_t queued = 0;  // requests waiting now
  };
  std::map<std::string, ClassStats> Stats() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Waiter {
    Request request;
    Ready ready;
    double tag = 0;      // virtual start time (fair queueing)
    absl::Time send_by;  // the latest it may be sent and still be answered in time
  };
  struct TenantQueue {
    double weight = 1;
    std::deque<Waiter> waiting;
    double last_tag = 0;                          // virtual finish of its last request
    absl::Time share_tat = absl::InfinitePast();  // GCRA at its share of the rate
    absl::Time active_until = absl::InfinitePast();
  };
  struct Class {
    std::unique_ptr<RateController> controller;
    absl::Time tat = absl::InfinitePast();  // GCRA: when the next request is due
    double virtual_time = 0;
    std::map<std::string, TenantQueue> tenants;
    int64_t queued = 0;
    absl::Time timer_at = absl::InfiniteFuture();  // the armed timer, if any
    absl::Time cool_until = absl::InfinitePast();
    // Answers and throttled answers of the last second, in buckets of 100 ms.
    int64_t answers[10] = {};
    int64_t throttled[10] = {};
    int64_t last_bucket = 0;
    absl::Time first_answer = absl::InfinitePast();
    absl::Time next_prune = absl::InfinitePast();
  };
  struct Decision {
    Ready ready;
    absl::Status status;
  };

  Class& ClassOf(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Whether a request of `c` may be sent at `now` using up to `slots` of burst; takes its
  // slot when so. `on_schedule`: a timer serving the queue, which keeps the schedule when
  // it fired late.
  bool TakeSlot(Class& c, absl::Time now, double slots, bool on_schedule)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // When `c`'s next queued request may go.
  absl::Time NextDue(const Class& c, absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // How long a request of `tenant` added to `c` now would wait.
  absl::Duration EstimateWait(const Class& c, const std::string& tenant, double weight,
                              absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  double ActiveWeight(const Class& c, absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends what is due in `c`, refuses what expired, and arms the timer for the rest.
  void Serve(const std::string& name, Class& c, absl::Time now, std::vector<Decision>* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Arm(const std::string& name, Class& c, absl::Time at, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Refuses the first request of `q`, which can no longer be sent in time.
  void Expire(const std::string& name, Class& c, TenantQueue& q, absl::Time now,
              std::vector<Decision>* out) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnTimer(const std::string& name, absl::Time at) ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets tenants of `c` that are idle (at most once a second).
  void Prune(Class& c, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Refusal(absl::Duration retry_in, absl::string_view pacing_class, double rate,
                       absl::string_view why) const;

  const std::string workspace_;
  const double cap_;
  const PacingOptions options_;
  const Timer timer_;
  const std::function<absl::Time()> now_;
  mutable absl::Mutex mu_;
  std::map<std::string, Class> classes_ ABSL_GUARDED_BY(mu_);
  // The workspace's configured limit over every class (GCRA).
  absl::Time workspace_tat_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  const absl::Duration workspace_interval_;
  const absl::Duration workspace_tolerance_;
};

}  // namespace gateway::upstream

#endif  // SERVER_UPSTREAM_BUDGET_H_
