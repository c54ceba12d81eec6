#include "client/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/any.pb.h"
#include "proto/google/rpc/error_details.pb.h"
#include "proto/google/rpc/status.pb.h"

namespace gateway::client {
namespace {

constexpr char kTypePrefix[] = "type.googleapis.com/";

template <typename Message>
std::optional<Message> Detail(const absl::Status& status) {
  auto payload = status.GetPayload(absl::StrCat(kTypePrefix, Message::descriptor()->full_name()));
  if (!payload.has_value()) return std::nullopt;
  Message detail;
  if (!detail.ParseFromString(std::string(*payload))) return std::nullopt;
  return detail;
}

// Durations for people: "250ms", "1.5s", "2m5s".
std::string FormatDelay(absl::Duration delay) {
  if (delay < absl::Seconds(1)) return absl::StrCat(absl::ToInt64Milliseconds(delay), "ms");
  return absl::FormatDuration(absl::Trunc(delay, absl::Milliseconds(100)));
}

}  // namespace

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  absl::Status result(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
  google::rpc::Status details;
  if (status.error_details().empty() || !details.ParseFromString(status.error_details())) {
    return result;
  }
  for (const google::protobuf::Any& any : details.details()) {
    if (!absl::StartsWith(any.type_url(), kTypePrefix)) continue;
    result.SetPayload(any.type_url(), absl::Cord(any.value()));
  }
  return result;
}

ErrorDetails DetailsOf(const absl::Status& status) {
  ErrorDetails details;
  if (auto retry = Detail<google::rpc::RetryInfo>(status); retry.has_value()) {
    details.retry_delay = absl::Seconds(retry->retry_delay().seconds()) +
                          absl::Nanoseconds(retry->retry_delay().nanos());
  }
  if (auto info = Detail<google::rpc::ErrorInfo>(status); info.has_value()) {
    details.reason = info->reason();
    details.domain = info->domain();
    details.metadata.insert(info->metadata().begin(), info->metadata().end());
  }
  if (auto quota = Detail<google::rpc::QuotaFailure>(status); quota.has_value()) {
    for (const auto& violation : quota->violations()) {
      details.quota_violations.emplace_back(violation.subject(), violation.description());
    }
  }
  return details;
}

std::string CodeName(absl::StatusCode code) { return absl::StatusCodeToString(code); }

std::string DescribeError(const absl::Status& status) {
  std::string line = absl::StrCat(CodeName(status.code()), ": ", status.message());
  const ErrorDetails details = DetailsOf(status);
  std::vector<std::string> parts;
  if (details.retry_delay.has_value()) {
    parts.push_back(absl::StrCat("retry after ", FormatDelay(*details.retry_delay)));
  }
  for (const auto& [subject, description] : details.quota_violations) {
    parts.push_back(absl::StrCat("quota ", subject, ": ", description));
  }
  if (!details.reason.empty()) {
    parts.push_back(absl::StrCat("reason ", details.reason, " from ", details.domain));
  }
  if (!parts.empty()) absl::StrAppend(&line, " (", absl::StrJoin(parts, "; "), ")");
  return line;
}

}  // namespace gateway::client
