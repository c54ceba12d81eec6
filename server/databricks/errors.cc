#include "server/databricks/errors.h"

#include <algorithm>
#include <cstdint>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/common/error_details.h"
#include "server/common/json.h"

namespace gateway::databricks {
namespace {

using Code = absl::StatusCode;

// error_type label values.
constexpr absl::string_view kInvalidRequest = "invalid_request";
constexpr absl::string_view kInvalidState = "invalid_state";
constexpr absl::string_view kAuthentication = "authentication";
constexpr absl::string_view kPermissionDenied = "permission_denied";
constexpr absl::string_view kNotFound = "not_found";
constexpr absl::string_view kConflict = "conflict";
constexpr absl::string_view kRateLimited = "rate_limited";
constexpr absl::string_view kQuotaExceeded = "quota_exceeded";
constexpr absl::string_view kCancelled = "cancelled";
constexpr absl::string_view kServerError = "server_error";
constexpr absl::string_view kNotImplemented = "not_implemented";
constexpr absl::string_view kUnavailable = "unavailable";

struct CodeRow {
  absl::string_view error_code;
  ErrorClass error_class;
};

// By error_code: these win over the HTTP status (Databricks has sent REQUEST_LIMIT_EXCEEDED
// with HTTP 500).
constexpr CodeRow kByErrorCode[] = {
    {"INVALID_PARAMETER_VALUE", {Code::kInvalidArgument, kInvalidRequest, false, false}},
    {"MALFORMED_REQUEST", {Code::kInvalidArgument, kInvalidRequest, false, false}},
    {"BAD_REQUEST", {Code::kInvalidArgument, kInvalidRequest, false, false}},
    {"INVALID_STATE", {Code::kFailedPrecondition, kInvalidState, false, false}},
    {"QUOTA_EXCEEDED", {Code::kResourceExhausted, kQuotaExceeded, false, false}},
    {"UNAUTHENTICATED", {Code::kUnauthenticated, kAuthentication, false, false}},
    {"PERMISSION_DENIED", {Code::kPermissionDenied, kPermissionDenied, false, false}},
    {"RESOURCE_DOES_NOT_EXIST", {Code::kNotFound, kNotFound, false, false}},
    {"NOT_FOUND", {Code::kNotFound, kNotFound, false, false}},
    {"RESOURCE_ALREADY_EXISTS", {Code::kAlreadyExists, kConflict, false, false}},
    {"ALREADY_EXISTS", {Code::kAlreadyExists, kConflict, false, false}},
    {"RESOURCE_CONFLICT", {Code::kAborted, kConflict, false, false}},
    {"ABORTED", {Code::kAborted, kConflict, false, false}},
    {"REQUEST_LIMIT_EXCEEDED", {Code::kResourceExhausted, kRateLimited, true, true}},
    {"RESOURCE_EXHAUSTED", {Code::kResourceExhausted, kRateLimited, true, true}},
    {"TEMPORARILY_UNAVAILABLE", {Code::kUnavailable, kUnavailable, true, false}},
    {"CANCELLED", {Code::kCancelled, kCancelled, false, false}},
    {"INTERNAL_ERROR", {Code::kInternal, kServerError, false, false}},
    {"UNKNOWN", {Code::kUnknown, kServerError, false, false}},
    {"DATA_LOSS", {Code::kDataLoss, kServerError, false, false}},
    {"NOT_IMPLEMENTED", {Code::kUnimplemented, kNotImplemented, false, false}},
    {"DEADLINE_EXCEEDED", {Code::kDeadlineExceeded, kErrorTypeTimeout, false, false}},
};

// Unity Catalog names its errors after the object: TABLE_DOES_NOT_EXIST,
// SCHEMA_ALREADY_EXISTS, ...
constexpr CodeRow kByErrorCodeSuffix[] = {
    {"_DOES_NOT_EXIST", {Code::kNotFound, kNotFound, false, false}},
    {"_NOT_FOUND", {Code::kNotFound, kNotFound, false, false}},
    {"_ALREADY_EXISTS", {Code::kAlreadyExists, kConflict, false, false}},
};

struct StatusRow {
  int http_status;
  ErrorClass error_class;
};

// By HTTP status, when the error code is absent or unknown (google/rpc/code.proto's HTTP
// mapping, inverted).
constexpr StatusRow kByHttpStatus[] = {
    {400, {Code::kInvalidArgument, kInvalidRequest, false, false}},
    {401, {Code::kUnauthenticated, kAuthentication, false, false}},
    {403, {Code::kPermissionDenied, kPermissionDenied, false, false}},
    {404, {Code::kNotFound, kNotFound, false, false}},
    {405, {Code::kUnimplemented, kNotImplemented, false, false}},
    {409, {Code::kAborted, kConflict, false, false}},
    {412, {Code::kFailedPrecondition, kInvalidState, false, false}},
    {429, {Code::kResourceExhausted, kRateLimited, true, true}},
    {499, {Code::kCancelled, kCancelled, false, false}},
    {500, {Code::kInternal, kServerError, false, false}},
    {501, {Code::kUnimplemented, kNotImplemented, false, false}},
    {502, {Code::kUnavailable, kUnavailable, true, false}},
    {503, {Code::kUnavailable, kUnavailable, true, false}},
    {504, {Code::kDeadlineExceeded, kErrorTypeTimeout, true, false}},
};

constexpr ErrorClass kOtherClientError = {Code::kInvalidArgument, kInvalidRequest, false, false};
constexpr ErrorClass kOtherServerError = {Code::kInternal, kServerError, false, false};

// Longer messages (an HTML page, a stack trace) are cut here.
constexpr size_t kMaxMessageBytes = 1024;

absl::string_view ReasonPhrase(int http_status) {
  switch (http_status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

bool IsErrorCodeWord(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return absl::ascii_isupper(c) || absl::ascii_isdigit(c) || c == '_';
  });
}

std::string ScalarText(const json::Value* value) {
  if (value == nullptr) return "";
  if (value->is_string()) return value->as_string();
  if (value->is_int()) return absl::StrCat(value->as_int());
  return "";
}

// {"error_code", "message", "details"}, {"error"} and SCIM's {"detail", "status"}.
void ParseJsonBody(const json::Value& body, ApiError& error) {
  error.error_code = ScalarText(body.Find("error_code"));
  error.message = ScalarText(body.Find("message"));
  if (error.message.empty()) error.message = ScalarText(body.Find("error"));
  const json::Value* detail = body.Find("detail");
  if (error.error_code.empty() && detail != nullptr) {
    error.message = ScalarText(detail);
    const std::string scim_status = ScalarText(body.Find("status"));
    error.error_code =
        absl::StrCat("SCIM_", scim_status.empty() ? absl::StrCat(error.http_status) : scim_status);
  }
  const json::Value* details = body.Find("details");
  if (details == nullptr || !details->is_array()) return;
  for (const json::Value& entry : details->as_array()) {
    if (!entry.is_object()) continue;
    const std::string type = ScalarText(entry.Find("@type"));
    absl::Duration delay;
    if (absl::EndsWith(type, "google.rpc.RetryInfo") &&
        absl::ParseDuration(ScalarText(entry.Find("retry_delay")), &delay)) {
      error.retry_after = delay;
    }
    if (absl::EndsWith(type, "google.rpc.ErrorInfo") && error.error_code.empty()) {
      error.error_code = ScalarText(entry.Find("reason"));
    }
  }
}

void ParseTextBody(absl::string_view text, ApiError& error) {
  const size_t pre = text.find("<pre>");
  if (pre != absl::string_view::npos) {
    absl::string_view inside = text.substr(pre + 5);
    error.message =
        std::string(absl::StripAsciiWhitespace(inside.substr(0, inside.find("</pre>"))));
    return;
  }
  if (absl::StartsWithIgnoreCase(text, "<")) return;  // HTML without a message
  const size_t colon = text.find(": ");
  if (colon != absl::string_view::npos && IsErrorCodeWord(text.substr(0, colon))) {
    error.error_code = std::string(text.substr(0, colon));
    error.message = std::string(text.substr(colon + 2));
    return;
  }
  error.message = std::string(text);
}

// ErrorInfo.reason must match [A-Z][A-Z0-9_]*; numeric codes of old endpoints become HTTP_.
std::string Reason(const ApiError& error) {
  if (!error.error_code.empty() && absl::ascii_isupper(error.error_code[0]) &&
      IsErrorCodeWord(error.error_code)) {
    return error.error_code.substr(0, 63);
  }
  return absl::StrCat("HTTP_", error.http_status);
}

}  // namespace

absl::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  int64_t seconds = 0;
  if (absl::SimpleAtoi(value, &seconds)) {
    if (seconds < 0) return absl::nullopt;
    return absl::Seconds(seconds);
  }
  absl::Time when;
  std::string unused;
  if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", value, absl::UTCTimeZone(), &when, &unused)) {
    return std::max(absl::ZeroDuration(), when - now);
  }
  return absl::nullopt;
}

ApiError ParseApiError(int http_status, absl::string_view body,
                       absl::string_view retry_after_header, absl::Time now) {
  ApiError error;
  error.http_status = http_status;
  body = absl::StripAsciiWhitespace(body);
  absl::StatusOr<json::Value> parsed =
      absl::StartsWith(body, "{") ? json::Parse(body) : absl::StatusOr<json::Value>();
  if (parsed.ok() && parsed->is_object()) {
    ParseJsonBody(*parsed, error);
  } else if (!body.empty()) {
    ParseTextBody(body, error);
  }
  if (!retry_after_header.empty()) {
    absl::optional<absl::Duration> header = ParseRetryAfter(retry_after_header, now);
    if (header.has_value()) error.retry_after = header;
  }
  if (error.message.size() > kMaxMessageBytes) {
    error.message.resize(kMaxMessageBytes);
    error.message += "…";
  }
  if (error.message.empty()) {
    const absl::string_view phrase = ReasonPhrase(http_status);
    error.message = phrase.empty() ? absl::StrCat("HTTP ", http_status) : std::string(phrase);
  }
  return error;
}

bool IsCredentialVerdict(const ApiError& error) {
  if (error.http_status == 401) return true;
  if (error.http_status != 403) return false;
  if (error.error_code.empty() || error.error_code == "403") return true;
  for (absl::string_view phrase : {"Invalid access token", "Token is expiring", "Token expired",
                                   "Token is expired", "JWT has expired"}) {
    if (absl::StartsWithIgnoreCase(error.message, phrase)) return true;
  }
  return false;
}

ErrorClass Classify(const ApiError& error) {
  // The Jobs API answers a missing job or run with 400 INVALID_PARAMETER_VALUE; the
  // Databricks SDKs turn that into "not found", and so does the gateway.
  if (error.error_code == "INVALID_PARAMETER_VALUE" &&
      (absl::StartsWith(error.message, "Job ") || absl::StartsWith(error.message, "Run ")) &&
      absl::StrContains(error.message, " does not exist")) {
    return {Code::kNotFound, kNotFound, false, false};
  }
  for (const CodeRow& row : kByErrorCode) {
    if (error.error_code == row.error_code) return row.error_class;
  }
  for (const CodeRow& row : kByErrorCodeSuffix) {
    if (absl::EndsWith(error.error_code, row.error_code)) return row.error_class;
  }
  for (const StatusRow& row : kByHttpStatus) {
    if (error.http_status == row.http_status) return row.error_class;
  }
  return error.http_status >= 500 ? kOtherServerError : kOtherClientError;
}

absl::Status ToStatus(const ApiError& error) {
  absl::Status status(Classify(error).code, error.message);
  std::map<std::string, std::string> metadata = {{"http_status", absl::StrCat(error.http_status)}};
  if (!error.error_code.empty() && Reason(error) != error.error_code) {
    metadata["error_code"] = error.error_code;
  }
  SetErrorInfo(status, Reason(error), kDatabricksDomain, metadata);
  if (error.retry_after.has_value()) SetRetryInfo(status, *error.retry_after);
  return status;
}

const std::vector<absl::string_view>& ErrorTypes() {
  static const auto* types = new std::vector<absl::string_view>{
      kInvalidRequest,
      kInvalidState,
      kAuthentication,
      kPermissionDenied,
      kNotFound,
      kConflict,
      kRateLimited,
      kQuotaExceeded,
      kCancelled,
      kServerError,
      kNotImplemented,
      kUnavailable,
      kErrorTypeTimeout,
      kErrorTypeConnection,
      kErrorTypeInvalidResponse,
  };
  return *types;
}

}  // namespace gateway::databricks
