#include "server/ratelimit/gcra.h"

#include <algorithm>

namespace gateway::ratelimit {

Gcra::Gcra(double rate, int64_t burst)
    : interval_(absl::Seconds(1 / rate)), tolerance_(interval_ * burst) {}

GcraDecision Gcra::Take(absl::Time now) {
  const absl::Time next = std::max(tat_, now) + interval_;
  const absl::Duration ahead = next - now;
  GcraDecision decision;
  if (ahead > tolerance_) {
    decision.retry_after = ahead - tolerance_;
    return decision;
  }
  tat_ = next;
  decision.allowed = true;
  // Whole intervals left within the tolerance (IDivDuration here needs a remainder out).
  absl::Duration unused;
  decision.remaining = absl::IDivDuration(tolerance_ - ahead, interval_, &unused);
  return decision;
}

}  // namespace gateway::ratelimit
