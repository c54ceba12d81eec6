// The RateLimitStore of global limits: one GCRA per rule in Redis, shared by every
// replica, decided by a Lua script in one round trip (EVALSHA).
//
// One connection, pipelined, on the store's own I/O thread; decisions are answered in the
// order sent. A decision that gets no answer within the timeout fails (the limiter then
// decides locally) and its late answer is dropped. While Redis cannot be reached every
// decision fails at once, the store reconnects in the background, and the change of state
// is logged once each way. Redis' own clock (TIME) is the only clock, so replicas' clocks
// need not agree.
#ifndef SERVER_RATELIMIT_REDIS_STORE_H_
#define SERVER_RATELIMIT_REDIS_STORE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/common/log.h"
#include "server/metrics/redis_metrics.h"
#include "server/ratelimit/limiter.h"

namespace gateway::ratelimit {

struct RedisStoreOptions {
  // host:port; the host is resolved at each connection attempt.
  std::string address;
  // Prefix of every key.
  std::string key_prefix;
  // Of one decision.
  absl::Duration timeout = absl::Milliseconds(50);
  // Connecting, AUTH and loading the script; also how long the oldest unanswered command
  // may wait before the connection is deemed dead and replaced.
  absl::Duration connect_timeout = absl::Seconds(1);
  // Between attempts to connect while Redis is unreachable.
  absl::Duration reconnect_interval = absl::Seconds(1);
  // Read at each connection: the password to AUTH with. Unset: no AUTH.
  std::function<absl::StatusOr<std::string>()> password;
};

class RedisStore final : public RateLimitStore {
 public:
  // Starts connecting in the background and returns at once. `logger` and `metrics` are
  // not owned and must outlive the store.
  RedisStore(RedisStoreOptions options, Logger* logger, metrics::RedisMetrics* metrics);
  // Fails the decisions still waiting (UNAVAILABLE) and stops the I/O thread.
  ~RedisStore() override;

  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;

  // The key in Redis is key_prefix + `key`. Fails with UNAVAILABLE while disconnected,
  // DEADLINE_EXCEEDED after the timeout, INTERNAL when Redis answers with an error.
  void Take(const std::string& key, double rate, int64_t burst, Callback done) override;

  // Whether decisions go to Redis now.
  bool connected() const;

  class Connection;

 private:
  std::unique_ptr<Connection> connection_;
};

// The Lua source of the GCRA (exposed for tests and docs).
const char* GcraScript();

}  // namespace gateway::ratelimit

#endif  // SERVER_RATELIMIT_REDIS_STORE_H_
