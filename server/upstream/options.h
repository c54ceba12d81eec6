// Options of the upstream client: one Databricks workspace and how the gateway calls it.
// Plain data; config/ fills it from YAML and the DATABRICKS_* environment variables.
#ifndef SERVER_UPSTREAM_OPTIONS_H_
#define SERVER_UPSTREAM_OPTIONS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gateway::upstream {

// Retries of safe requests (GETs, POSTs with an idempotency token, cancels).
struct RetryOptions {
  // Attempts after the first (DATABRICKS_MAX_RETRIES).
  int max_retries = 3;
  // Base of the exponential back-off with full jitter.
  int base_backoff_ms = 100;
  // Cap of one back-off.
  int max_backoff_ms = 10'000;
  // Cap of a Retry-After wait that is honoured; longer waits are not retried.
  int max_retry_after_seconds = 300;
  // Retries may add at most this share of the request rate (Envoy-style budget) …
  double budget_percent = 20.0;
  // … but at least this many concurrent retries are always allowed.
  int min_retry_concurrency = 3;
};

// How a workspace's requests are paced and shared between tenants (server/upstream/budget.h).
struct PacingOptions {
  // What learns each endpoint's rate from Databricks' 429s: "gradient" (the rate Databricks
  // accepted over the last second) or "aimd" (× 0.9 on a 429, +1 request/s per second).
  std::string controller = "gradient";
  // The lowest rate, requests/s per endpoint, a controller goes down to.
  double min_rate = 1;
  // Requests one tenant may have waiting for one endpoint's budget; more are refused.
  int queue_per_tenant = 1000;
  // The longest an endpoint that Databricks refuses entirely waits, whatever its
  // Retry-After says.
  int max_cool_down_seconds = 60;
  // Operation ("jobs.runs.get") → the most requests/s the gateway sends that endpoint, where
  // Databricks' limit for it is known to be lower than rate_limit_rps (which still bounds
  // every endpoint together). The endpoint's learned rate starts there and never exceeds it.
  std::map<std::string, double> rates;
};

// Per-workspace circuit breaker.
struct CircuitBreakerOptions {
  // Consecutive failures (5xx, timeouts, connection errors) that open the breaker.
  int failure_threshold = 5;
  // How long it stays open before half-open probes.
  int open_seconds = 30;
  // Probe requests allowed while half-open.
  int half_open_probes = 1;
};

struct WorkspaceOptions {
  // Unique name; tenants' credential pools refer to it. The DATABRICKS_* variables
  // describe the workspace named "default".
  std::string name;
  // Base URL of the workspace, https://<workspace host> (DATABRICKS_HOST).
  std::string host;
  // Allow an http:// host. Only for the local emulator.
  bool allow_plaintext = false;
  // PEM file of CAs to trust instead of the system store; empty: system store.
  std::string ca_file;
  // Deadline of one upstream call when the caller sets none, and the cap of a caller's
  // deadline (DATABRICKS_TIMEOUT_SECS).
  int timeout_seconds = 30;
  // TCP + TLS connect timeout.
  int connect_timeout_ms = 5'000;
  // Keep-alive connections per workspace.
  int max_connections = 32;
  // Idle keep-alive connections are closed after this long.
  int idle_timeout_seconds = 60;
  // Larger responses fail with RESOURCE_EXHAUSTED.
  int64_t max_response_bytes = int64_t{64} * 1024 * 1024;
  // Requests per second the gateway sends this workspace, all tenants and endpoints
  // together (DATABRICKS_RATE_LIMIT); also where each endpoint's learned rate starts.
  double rate_limit_rps = 100;
  // Burst of that limit: over any interval t at most burst + rate·t requests are sent, so a
  // small burst keeps every second close to rate_limit_rps.
  int rate_limit_burst = 10;
  PacingOptions pacing;
  RetryOptions retry;
  CircuitBreakerOptions circuit_breaker;
  // Defaults for SQL and Delta calls that name none (DATABRICKS_WAREHOUSE_ID,
  // DATABRICKS_CATALOG, DATABRICKS_SCHEMA).
  std::string default_warehouse_id;
  std::string default_catalog = "main";
  std::string default_schema = "default";
  // Workspace path of the notebook SubmitStreamingRun runs (the gateway ships it as
  // deploy/databricks/streaming_entry.py; import it there).
  std::string streaming_notebook_path = "/Shared/databricks-gateway/streaming_entry";
};

// Recording of every upstream exchange to a JSON-lines file (recorder.h).
struct RecordOptions {
  // The file; recording is off when empty.
  std::string path;
  // The file is rotated (path → path.1 → path.2 …) before it would grow past this.
  int64_t max_bytes = 64 << 20;
  // Rotated files kept besides the current one.
  int max_files = 3;
  // JSON or form fields redacted besides the built-in credential names, matched without
  // regard to case.
  std::vector<std::string> redact_fields;
};

}  // namespace gateway::upstream

#endif  // SERVER_UPSTREAM_OPTIONS_H_
