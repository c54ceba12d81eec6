// What a failed gateway call says: its gRPC code and message plus the google.rpc details
// the gateway attaches (RetryInfo, QuotaFailure, ErrorInfo), carried on an absl::Status.
#ifndef CLIENT_ERRORS_H_
#define CLIENT_ERRORS_H_

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"

namespace gateway::client {

// ErrorInfo.domain of an error Databricks returned.
inline constexpr char kDatabricksDomain[] = "databricks.com";
// ErrorInfo.domain of a refusal by the gateway itself (its limits, its breaker, its rules).
inline constexpr char kGatewayDomain[] = "gateway.databricks";

// The google.rpc details of a failed call. Every field is empty when the status has none.
struct ErrorDetails {
  // RetryInfo: wait at least this long before calling again.
  std::optional<absl::Duration> retry_delay;
  // ErrorInfo: e.g. "TENANT_RATE_LIMITED" from "gateway.databricks", or Databricks'
  // error_code ("RESOURCE_DOES_NOT_EXIST") from "databricks.com".
  std::string reason;
  std::string domain;
  std::map<std::string, std::string> metadata;
  // QuotaFailure violations as (subject, description), e.g.
  // ("tenant:team", "5 requests per second, burst 5").
  std::vector<std::pair<std::string, std::string>> quota_violations;
};

// The same code and message, with the details of `grpc-status-details-bin` attached as
// payloads keyed by their type URL. OK stays OK.
absl::Status FromGrpcStatus(const grpc::Status& status);

// The details attached to `status` by FromGrpcStatus.
ErrorDetails DetailsOf(const absl::Status& status);

// One line for a person: "RESOURCE_EXHAUSTED: <message> (retry after 1.5s; quota
// tenant:team: 5 requests per second, burst 5; reason TENANT_RATE_LIMITED from
// gateway.databricks)". The parenthesis is left out when there are no details.
std::string DescribeError(const absl::Status& status);

// The canonical name of a code, e.g. "RESOURCE_EXHAUSTED".
std::string CodeName(absl::StatusCode code);

}  // namespace gateway::client

#endif  // CLIENT_ERRORS_H_
