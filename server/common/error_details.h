// google.rpc error details carried on an absl::Status, and the conversion to a gRPC status.
//
// Components attach details as absl::Status payloads keyed by their type URL
// ("type.googleapis.com/google.rpc.RetryInfo", ...) holding the serialized message. At the
// gRPC boundary ToGrpcStatus() packs every such payload into google.rpc.Status.details, which
// gRPC sends as the `grpc-status-details-bin` trailer.
#ifndef SERVER_COMMON_ERROR_DETAILS_H_
#define SERVER_COMMON_ERROR_DETAILS_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "grpcpp/support/status.h"

namespace gateway {

// ErrorInfo.domain of an error Databricks returned.
inline constexpr absl::string_view kDatabricksDomain = "databricks.com";
// ErrorInfo.domain of a refusal by the gateway itself (its limits, its breaker).
inline constexpr absl::string_view kGatewayDomain = "gateway.databricks";

// Attaches google.rpc.RetryInfo{retry_delay}: the caller should wait at least this long.
void SetRetryInfo(absl::Status& status, absl::Duration delay);

// Attaches google.rpc.ErrorInfo. `reason` should match [A-Z][A-Z0-9_]*.
void SetErrorInfo(absl::Status& status, absl::string_view reason, absl::string_view domain,
                  const std::map<std::string, std::string>& metadata = {});

// Attaches google.rpc.QuotaFailure with one violation.
void SetQuotaFailure(absl::Status& status, absl::string_view subject,
                     absl::string_view description);

// The RetryInfo delay attached to `status`, if any.
absl::optional<absl::Duration> GetRetryDelay(const absl::Status& status);

// The ErrorInfo attached to `status`: reason and domain, empty when there is none.
struct ErrorReason {
  std::string reason;
  std::string domain;
  std::map<std::string, std::string> metadata;
};
ErrorReason GetErrorReason(const absl::Status& status);

// The first QuotaFailure violation attached to `status` as "subject: description", empty
// when there is none.
std::string GetQuotaViolation(const absl::Status& status);

// The same code and message, with every google.rpc payload in the status details.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace gateway

#endif  // SERVER_COMMON_ERROR_DETAILS_H_
