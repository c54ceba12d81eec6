// The generic cell rate algorithm (GCRA): a token bucket kept as one timestamp, the
// theoretical arrival time (TAT) of the next call. A call is admitted when, after adding one
// emission interval to the TAT, the TAT is at most burst intervals ahead of now. From idle,
// `burst` calls pass at once; over any interval t at most burst + rate·t pass.
//
// The same arithmetic runs in Redis for global limits (redis_store.cc); this class is the
// local one. Not thread-safe: the owner locks.
#ifndef SERVER_RATELIMIT_GCRA_H_
#define SERVER_RATELIMIT_GCRA_H_

#include <cstdint>

#include "absl/time/time.h"

namespace gateway::ratelimit {

struct GcraDecision {
  bool allowed = false;
  // When refused: how long until one call would pass.
  absl::Duration retry_after;
  // When admitted: how many more calls would pass right now.
  int64_t remaining = 0;
};

class Gcra {
 public:
  // `rate` > 0 calls per second, `burst` >= 1.
  Gcra(double rate, int64_t burst);

  // Takes one call at `now`. A refusal changes nothing.
  GcraDecision Take(absl::Time now);

 private:
  const absl::Duration interval_;   // 1 / rate
  const absl::Duration tolerance_;  // burst × interval
  absl::Time tat_ = absl::InfinitePast();
};

}  // namespace gateway::ratelimit

#endif  // SERVER_RATELIMIT_GCRA_H_
