// The one table that turns a Databricks error response into a status.
//
// Databricks answers a failed call with an HTTP status and, usually, a JSON body
// {"error_code", "message", "details"}; older endpoints send {"error"}, SCIM sends
// {"detail", "status"}, proxies send text or HTML. ParseApiError reads all of them; Classify
// looks the error up by `error_code` first and falls back to the HTTP status, as the
// Databricks SDKs do; ToStatus builds what the caller sees. The upstream client uses
// Classify to decide retries; the services use ToStatus.
#ifndef SERVER_DATABRICKS_ERRORS_H_
#define SERVER_DATABRICKS_ERRORS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"

namespace gateway::databricks {

// What Databricks said about a failed call.
struct ApiError {
  int http_status = 0;
  std::string error_code;  // as sent ("" when the body names none)
  std::string message;     // never empty: the HTTP reason phrase when the body has none
  // From the Retry-After header, else from a google.rpc.RetryInfo in `details`.
  absl::optional<absl::Duration> retry_after;
};

// Parses a non-2xx response. `retry_after_header` is "" when the header is absent; `now`
// resolves a Retry-After given as an HTTP date.
ApiError ParseApiError(int http_status, absl::string_view body,
                       absl::string_view retry_after_header, absl::Time now);

// Retry-After as delay-seconds ("120") or an HTTP date; nullopt when malformed. A date in
// the past is a zero delay.
absl::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now);

// One row of the error table.
struct ErrorClass {
  absl::StatusCode code;
  // Label value of databricks_errors_total{error_type}; one of ErrorTypes().
  absl::string_view error_type;
  // A safe request that failed this way is worth sending again.
  bool retryable;
  // Databricks throttled the call (counted in databricks_rate_limits_total).
  bool throttled;
};

ErrorClass Classify(const ApiError& error);

// The caller's status: the table's code, Databricks' message, ErrorInfo{reason: the
// error code (or HTTP_<status>), domain: databricks.com, metadata: http_status} and, when
// Databricks said when to come back, RetryInfo.
absl::Status ToStatus(const ApiError& error);

// Whether the error is Databricks' verdict on the credential itself rather than on the
// request: any 401; a 403 whose error_code is the bare status ("403", as workspaces answer
// an invalid, revoked or expired token) or missing; a 403 whose message begins with one
// of the token phrases ("Invalid access token", "Token is expiring", "Token expired",
// "JWT has expired"). A 403 PERMISSION_DENIED about a securable ("User does not have
// SELECT on Table …") is not one: the message is matched from its start only, so a name
// a caller chose cannot turn a refusal into a verdict on the shared credential.
bool IsCredentialVerdict(const ApiError& error);

// error_type values of failures that never got an answer from Databricks.
inline constexpr absl::string_view kErrorTypeConnection = "connection";  // connect, TLS, reset
inline constexpr absl::string_view kErrorTypeTimeout = "timeout";        // deadline passed
// An answer the gateway refused: larger than its limit, or undecodable.
inline constexpr absl::string_view kErrorTypeInvalidResponse = "invalid_response";

// Every error_type value, so metric series can be created up front.
const std::vector<absl::string_view>& ErrorTypes();

}  // namespace gateway::databricks

#endif  // SERVER_DATABRICKS_ERRORS_H_
