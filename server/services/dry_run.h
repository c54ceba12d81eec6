// Dry run: a call is authenticated, authorized, rate-limited and mapped as usual, but its
// requests to Databricks are written down instead of sent, and the caller gets them back.
//
// A route in dry run answers each upstream request with DryRunStop() at once. A flow whose
// next request does not depend on an answer (statements run in a fixed order, a load's
// waves) goes on; any other flow ends there, having recorded every request it could make
// without Databricks. The call then ends OK with an empty response, and its trailing
// metadata `x-dry-run-requests-bin` holds, as JSON:
//   {"dry_run": true, "requests": [{"method": "POST", "path": "/api/2.2/jobs/runs/submit",
//                                   "operation": "jobs.runs.submit", "body": {…}}, …]}
// A Delta operation's SQL and its named parameters are the statement request's
// "statement" and "parameters". No credential is ever part of it.
#ifndef SERVER_SERVICES_DRY_RUN_H_
#define SERVER_SERVICES_DRY_RUN_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/common/json.h"
#include "server/upstream/workspace_client.h"

namespace gateway::services {

// The request metadata that asks for a dry run ("true" or "false", any case).
inline constexpr char kDryRunHeader[] = "x-dry-run";
// The trailing metadata that carries the requests (binary: bodies may hold any UTF-8).
inline constexpr char kDryRunRequestsTrailer[] = "x-dry-run-requests-bin";

// Reads `x-dry-run`: absent is false. Anything but true/false is INVALID_ARGUMENT naming it.
absl::StatusOr<bool> ParseDryRunHeader(const std::optional<std::string>& value);

// The requests one call would have sent, in the order it made them. Thread-safe.
class DryRunLog {
 public:
  // Records `call` (method, path or link without its query, operation, body).
  void Add(const upstream::Call& call) ABSL_LOCKS_EXCLUDED(mu_);
  // {"dry_run": true, "requests": [...]}, serialized.
  std::string Dump() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  json::Array requests_ ABSL_GUARDED_BY(mu_);
};

// What an upstream request answers with in a dry run. It never reaches a caller: a call in
// dry run ends OK when its flow ends with it.
absl::Status DryRunStop();
bool IsDryRunStop(const absl::Status& status);

}  // namespace gateway::services

#endif  // SERVER_SERVICES_DRY_RUN_H_
