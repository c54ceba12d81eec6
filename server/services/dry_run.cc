#include "server/services/dry_run.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace gateway::services {
namespace {

constexpr char kStopPayload[] = "type.gateway/dry_run_stop";

}  // namespace

absl::StatusOr<bool> ParseDryRunHeader(const std::optional<std::string>& value) {
  if (!value.has_value()) return false;
  const std::string lower = absl::AsciiStrToLower(*value);
  if (lower == "true") return true;
  if (lower == "false") return false;
  return absl::InvalidArgumentError(absl::StrCat("metadata ", kDryRunHeader,
                                                 ": expected true or false, got '",
                                                 absl::CHexEscape(*value), "'"));
}

void DryRunLog::Add(const upstream::Call& call) {
  json::Value request = json::Value::EmptyObject();
  request.Set("method", upstream::MethodName(call.method));
  if (call.url.empty()) {
    request.Set("path", call.path);
  } else {
    // A presigned link's query is its signature: a secret.
    request.Set("url", call.url.substr(0, call.url.find('?')));
  }
  request.Set("operation", call.operation);
  if (!call.body.empty()) {
    absl::StatusOr<json::Value> body = json::Parse(call.body);
    request.Set("body", body.ok() ? *std::move(body) : json::Value(call.body));
  }
  absl::MutexLock lock(&mu_);
  requests_.push_back(std::move(request));
}

std::string DryRunLog::Dump() const {
  json::Value out = json::Value::EmptyObject();
  out.Set("dry_run", true);
  {
    absl::MutexLock lock(&mu_);
    out.Set("requests", requests_);
  }
  return out.Dump();
}

absl::Status DryRunStop() {
  absl::Status status = absl::AbortedError("dry run: the request to Databricks was not sent");
  status.SetPayload(kStopPayload, absl::Cord("1"));
  return status;
}

bool IsDryRunStop(const absl::Status& status) {
  return status.GetPayload(kStopPayload).has_value();
}

}  // namespace gateway::services
