// Options of tenant rate limiting, local and Redis-global.
#ifndef SERVER_RATELIMIT_OPTIONS_H_
#define SERVER_RATELIMIT_OPTIONS_H_

#include <string>
#include <vector>

#include "server/common/secret.h"

namespace gateway::ratelimit {

// Calls a rule lets one tenant have in flight on one replica unless configured otherwise.
inline constexpr int kDefaultMaxConcurrent = 256;

// One limit: a rate with a burst (GCRA) and a cap on calls in flight.
struct RuleOptions {
  // Sustained calls per second; 0: no rate limit.
  double requests_per_second = 0;
  // Calls admitted at once from idle: over any interval t at most burst + rate·t pass.
  int burst = 0;
  // Calls in flight at once (per replica); 0: unlimited. Bounded by default, so that one
  // careless caller's streams cannot take every thread and connection of the replica.
  int max_concurrent = kDefaultMaxConcurrent;
  // Enforce the rate across replicas through Redis (needs redis.enabled).
  bool global = false;
  // Count what the rule would refuse, but admit it.
  bool shadow = false;

  bool operator==(const RuleOptions& o) const {
    return requests_per_second == o.requests_per_second && burst == o.burst &&
           max_concurrent == o.max_concurrent && global == o.global && shadow == o.shadow;
  }
  bool operator!=(const RuleOptions& o) const { return !(*this == o); }
};

// A rule for some of a tenant's methods, replacing the tenant's rule for them.
struct MethodRuleOptions {
  // "Service/Method" or a prefix ending in "*" ("DeltaService/*"); also the rule's name.
  std::string method;
  RuleOptions rule;
};

// A tenant's quota: the first method rule that matches a call applies, else `tenant`.
struct QuotaOptions {
  RuleOptions tenant;
  std::vector<MethodRuleOptions> methods;
};

struct RedisOptions {
  bool enabled = false;
  // host:port; the host is resolved at each connection attempt.
  std::string address = "127.0.0.1:6379";
  // Password (AUTH); unset: none.
  SecretRef password;
  bool has_password = false;
  // Timeout of one rate-limit decision; slower answers fall back to local limits.
  int timeout_ms = 50;
  // Replicas sharing the global limits; local fallback limits are divided by it.
  int replica_count = 1;
  // Prefix of every key the gateway writes.
  std::string key_prefix = "dbgw:";
};

}  // namespace gateway::ratelimit

#endif  // SERVER_RATELIMIT_OPTIONS_H_
