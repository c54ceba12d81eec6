#include "server/common/error_details.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/any.pb.h"
#include "proto/google/rpc/error_details.pb.h"
#include "proto/google/rpc/status.pb.h"

namespace gateway {
namespace {

constexpr absl::string_view kTypePrefix = "type.googleapis.com/";

void SetDetail(absl::Status& status, const google::protobuf::Message& detail) {
  if (status.ok()) return;  // an OK status carries no payloads
  status.SetPayload(absl::StrCat(kTypePrefix, detail.GetDescriptor()->full_name()),
                    absl::Cord(detail.SerializeAsString()));
}

template <typename Message>
absl::optional<Message> GetDetail(const absl::Status& status) {
  absl::optional<absl::Cord> payload =
      status.GetPayload(absl::StrCat(kTypePrefix, Message::descriptor()->full_name()));
  if (!payload.has_value()) return absl::nullopt;
  Message detail;
  if (!detail.ParseFromString(std::string(*payload))) return absl::nullopt;
  return detail;
}

}  // namespace

void SetRetryInfo(absl::Status& status, absl::Duration delay) {
  google::rpc::RetryInfo info;
  const int64_t nanos = absl::ToInt64Nanoseconds(delay);
  info.mutable_retry_delay()->set_seconds(nanos / 1'000'000'000);
  info.mutable_retry_delay()->set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
  SetDetail(status, info);
}

void SetErrorInfo(absl::Status& status, absl::string_view reason, absl::string_view domain,
                  const std::map<std::string, std::string>& metadata) {
  google::rpc::ErrorInfo info;
  info.set_reason(std::string(reason));
  info.set_domain(std::string(domain));
  for (const auto& [key, value] : metadata) (*info.mutable_metadata())[key] = value;
  SetDetail(status, info);
}

void SetQuotaFailure(absl::Status& status, absl::string_view subject,
                     absl::string_view description) {
  google::rpc::QuotaFailure failure;
  google::rpc::QuotaFailure::Violation* violation = failure.add_violations();
  violation->set_subject(std::string(subject));
  violation->set_description(std::string(description));
  SetDetail(status, failure);
}

absl::optional<absl::Duration> GetRetryDelay(const absl::Status& status) {
  absl::optional<google::rpc::RetryInfo> info = GetDetail<google::rpc::RetryInfo>(status);
  if (!info.has_value()) return absl::nullopt;
  return absl::Seconds(info->retry_delay().seconds()) +
         absl::Nanoseconds(info->retry_delay().nanos());
}

ErrorReason GetErrorReason(const absl::Status& status) {
  absl::optional<google::rpc::ErrorInfo> info = GetDetail<google::rpc::ErrorInfo>(status);
  if (!info.has_value()) return {};
  return {info->reason(), info->domain(),
          std::map<std::string, std::string>(info->metadata().begin(), info->metadata().end())};
}

std::string GetQuotaViolation(const absl::Status& status) {
  absl::optional<google::rpc::QuotaFailure> quota = GetDetail<google::rpc::QuotaFailure>(status);
  if (!quota.has_value() || quota->violations_size() == 0) return "";
  return absl::StrCat(quota->violations(0).subject(), ": ", quota->violations(0).description());
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(status.code());
  const std::string message(status.message());
  google::rpc::Status details;
  status.ForEachPayload([&details](absl::string_view type_url, const absl::Cord& value) {
    if (!absl::StartsWith(type_url, kTypePrefix)) return;
    google::protobuf::Any* any = details.add_details();
    any->set_type_url(std::string(type_url));
    any->set_value(std::string(value));
  });
  if (details.details_size() == 0) return grpc::Status(code, message);
  details.set_code(static_cast<int32_t>(code));
  details.set_message(message);
  return grpc::Status(code, message, details.SerializeAsString());
}

}  // namespace gateway
