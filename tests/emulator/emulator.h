// A Databricks workspace on loopback: the HTTP front of the emulator.
//
// Routes Jobs, SQL statements, warehouses and Unity Catalog requests to their emulated APIs
// after authentication (PATs, OAuth M2M tokens it issued, Azure AD tokens), per-endpoint
// throttling (429 with Retry-After) and fault injection. A control API under /emulator/v1/
// (a path no Databricks API uses) moves the clock, reads counters and changes faults and
// throttles while it runs. Thread-safe: one mutex serializes all state.
#ifndef TESTS_EMULATOR_EMULATOR_H_
#define TESTS_EMULATOR_EMULATOR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "tests/emulator/catalog_api.h"
#include "tests/emulator/delta_engine.h"
#include "tests/emulator/jobs_api.h"
#include "tests/emulator/replay.h"
#include "tests/emulator/sql_api.h"

namespace emulator {

struct PersonalAccessToken {
  std::string token;
  std::string principal = "emulator-user";
};

struct OAuthClient {  // an OAuth M2M service principal (client credentials)
  std::string client_id;
  std::string client_secret;
};

struct AzurePrincipal {  // an Azure AD application for the AAD token endpoint
  std::string tenant_id;
  std::string client_id;
  std::string client_secret;
};

// Matches requests by "METHOD /path" as counted (ids shown as {id}); '*' as the method or at
// the end of the path matches anything there; "*" alone matches every API request.
struct ThrottleRule {
  std::string endpoint;
  double rate_per_second = 10;
  double burst = 10;
  bool per_principal = false;       // one bucket per caller instead of per workspace
  int64_t retry_after_seconds = 1;  // -1: no Retry-After header
  std::string error_code = "REQUEST_LIMIT_EXCEEDED";
};

struct FaultRule {
  std::string endpoint;
  // status | html | text | limit_body | latency | reset_before | reset_after | truncate
  std::string kind;
  double probability = 1.0;
  int64_t count = -1;  // how many requests it hits; -1: no limit
  int64_t skip = 0;    // matching requests to let through first
  int status = 503;
  int64_t retry_after_seconds = -1;
  int64_t latency_ms = 0;
  std::string error_code;  // status and limit_body kinds
  std::string message;
  int64_t hits = 0;  // runtime state
  int64_t seen = 0;
};

struct EmulatorOptions {
  std::string address = "127.0.0.1:0";
  int io_threads = 1;
  bool manual_clock = false;  // time moves only through /emulator/v1/clock/advance
  // A gateway recording to answer from instead of emulating (replay.h); empty: none.
  std::string replay_path;
  int64_t start_ms = 0;  // the clock's start; 0: now
  std::string workspace_id = "1234567890123456";
  std::vector<PersonalAccessToken> tokens;
  std::vector<OAuthClient> oauth_clients;
  int64_t oauth_token_ttl_seconds = 3600;
  std::vector<AzurePrincipal> azure_principals;
  int64_t azure_token_ttl_seconds = 3600;
  // Resources besides Azure Databricks' application id that the AAD endpoint issues tokens
  // for (such as the management resource a gateway sends as
  // X-Databricks-Azure-SP-Management-Token); those tokens do not open the Databricks APIs.
  std::vector<std::string> azure_extra_resources;
  bool azure_workspace = false;  // refuse tokens with 30 s or less to live (403)
  JobsOptions jobs;
  SqlOptions sql;
  CatalogOptions catalog;
  EngineOptions engine;
  std::vector<ThrottleRule> throttles;
  std::vector<FaultRule> faults;
  uint64_t seed = 1;  // fault probabilities and generated tokens
};

class Emulator {
 public:
  // Listens on options.address and serves until destroyed.
  static absl::StatusOr<std::unique_ptr<Emulator>> Start(EmulatorOptions options);
  ~Emulator();

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  struct Counters {
    std::map<std::string, int64_t> requests, responses, throttled, faults, principals;
  };
  // One API request as it arrived, for tests that check timing (retry back-off, rate
  // limits). Times are real (steady) microseconds since the emulator started, whatever
  // the emulated clock says.
  struct JournalEntry {
    std::string route;  // RouteKey
    int64_t at_us = 0;
  };
  static constexpr size_t kJournalCapacity = 100'000;
  struct Bucket {
    double tokens = 0;
    int64_t updated_ms = 0;
  };
  struct IssuedToken {
    std::string principal;
    int64_t expires_ms = 0;
    bool azure = false;
  };

  explicit Emulator(EmulatorOptions options);
  void Handle(const gateway::http::Request& request, gateway::http::Responder respond);
  // Sends `response` through `respond` after `delay`, from a timer (at once when `delay` is
  // not positive).
  void DeliverAfter(absl::Duration delay, gateway::http::Responder respond,
                    gateway::http::Response response);
  void Dispatch(const gateway::http::Request& request, const std::string& principal,
                const gateway::http::Responder& respond) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Response Control(const gateway::http::Request& request) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Response OAuthToken(const gateway::http::Request& request) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Response AzureToken(const gateway::http::Request& request, absl::string_view tenant)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The caller's principal, or the 401/403 to send.
  std::optional<Response> Authenticate(const gateway::http::Request& request,
                                       std::string* principal) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::optional<Response> Throttle(const std::string& key, const std::string& principal)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  FaultRule* PickFault(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t NowMs() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Advance() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SchedulePoll() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string RandomToken(absl::string_view prefix) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Count(std::map<std::string, int64_t> Counters::*which, const std::string& key);

  absl::Mutex mu_;
  EmulatorOptions options_ ABSL_GUARDED_BY(mu_);
  int64_t clock_offset_ms_ ABSL_GUARDED_BY(mu_) = 0;
  std::unique_ptr<DeltaEngine> engine_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<JobsApi> jobs_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<SqlApi> sql_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<CatalogApi> catalog_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<Replay> replay_;  // set before serving; thread-safe itself
  std::map<std::string, Bucket> buckets_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, IssuedToken> issued_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, bool> revoked_ ABSL_GUARDED_BY(mu_);  // PATs and client ids
  std::mt19937_64 random_ ABSL_GUARDED_BY(mu_);
  bool poll_scheduled_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;

  absl::Mutex counters_mu_;
  Counters counters_ ABSL_GUARDED_BY(counters_mu_);
  std::vector<JournalEntry> journal_ ABSL_GUARDED_BY(counters_mu_);
  int64_t journal_dropped_ ABSL_GUARDED_BY(counters_mu_) = 0;
  // Connection counts at the last counters/reset.
  gateway::http::ServerStats connections_base_ ABSL_GUARDED_BY(counters_mu_);
  const absl::Time started_ = absl::Now();

  int port_ = 0;
  std::unique_ptr<gateway::http::Server> server_;
};

// "METHOD /path" with ids replaced by {id}, as counters and rules name endpoints.
std::string RouteKey(absl::string_view method, absl::string_view path);

}  // namespace emulator

#endif  // TESTS_EMULATOR_EMULATOR_H_
