// Options of tenant rate limiting, local and Redis-global.
#ifndef SERVER_RATELIMIT_OPTIONS_H_
#define SERVER_RATELIMIT_OPTIONS_H_

#include <string>

#include "server/common/secret.h"

namespace gateway::ratelimit {

// A tenant's quota.
struct QuotaOptions {
  // Sustained calls per second; 0: unlimited.
  double requests_per_second = 0;
  // Calls allowed at once above the sustained rate.
  int burst = 0;
  // Calls in flight at once; 0: unlimited.
  int max_concurrent = 0;
  // Enforce across replicas through Redis (needs redis.enabled).
  bool global = false;
};

struct RedisOptions {
  bool enabled = false;
  // host:port.
  std::string address = "127.0.0.1:6379";
  // Password (AUTH); unset: none.
  SecretRef password;
  bool has_password = false;
  // Timeout of one rate-limit decision; slower answers fall back to local limits.
  int timeout_ms = 50;
  // Replicas sharing the global limits; local fallback limits are divided by it.
  int replica_count = 1;
};

}  // namespace gateway::ratelimit

#endif  // SERVER_RATELIMIT_OPTIONS_H_
