#include "server/databricks/errors.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "server/common/error_details.h"

namespace gateway::databricks {
namespace {

using Code = absl::StatusCode;

const absl::Time kNow = absl::FromUnixSeconds(1'767'225'600);  // 2026-01-01T00:00:00Z

struct Row {
  int http_status;
  std::string body;
  Code code;
  std::string error_type;
  bool retryable;
  bool throttled;
};

std::string Body(absl::string_view error_code) {
  return absl::StrCat(R"({"error_code":")", error_code, R"(","message":"m"})");
}

// One case per row of the table: every error code, every suffix rule, every HTTP status and
// both fallbacks.
const Row kRows[] = {
    // By error code.
    {400, Body("INVALID_PARAMETER_VALUE"), Code::kInvalidArgument, "invalid_request", false, false},
    {400, Body("MALFORMED_REQUEST"), Code::kInvalidArgument, "invalid_request", false, false},
    {400, Body("BAD_REQUEST"), Code::kInvalidArgument, "invalid_request", false, false},
    {400, Body("INVALID_STATE"), Code::kFailedPrecondition, "invalid_state", false, false},
    {400, Body("QUOTA_EXCEEDED"), Code::kResourceExhausted, "quota_exceeded", false, false},
    {401, Body("UNAUTHENTICATED"), Code::kUnauthenticated, "authentication", false, false},
    {403, Body("PERMISSION_DENIED"), Code::kPermissionDenied, "permission_denied", false, false},
    {404, Body("RESOURCE_DOES_NOT_EXIST"), Code::kNotFound, "not_found", false, false},
    {404, Body("NOT_FOUND"), Code::kNotFound, "not_found", false, false},
    {409, Body("RESOURCE_ALREADY_EXISTS"), Code::kAlreadyExists, "conflict", false, false},
    {409, Body("ALREADY_EXISTS"), Code::kAlreadyExists, "conflict", false, false},
    {409, Body("RESOURCE_CONFLICT"), Code::kAborted, "conflict", false, false},
    {409, Body("ABORTED"), Code::kAborted, "conflict", false, false},
    {429, Body("REQUEST_LIMIT_EXCEEDED"), Code::kResourceExhausted, "rate_limited", true, true},
    {429, Body("RESOURCE_EXHAUSTED"), Code::kResourceExhausted, "rate_limited", true, true},
    {503, Body("TEMPORARILY_UNAVAILABLE"), Code::kUnavailable, "unavailable", true, false},
    {499, Body("CANCELLED"), Code::kCancelled, "cancelled", false, false},
    {500, Body("INTERNAL_ERROR"), Code::kInternal, "server_error", false, false},
    {500, Body("UNKNOWN"), Code::kUnknown, "server_error", false, false},
    {500, Body("DATA_LOSS"), Code::kDataLoss, "server_error", false, false},
    {501, Body("NOT_IMPLEMENTED"), Code::kUnimplemented, "not_implemented", false, false},
    {504, Body("DEADLINE_EXCEEDED"), Code::kDeadlineExceeded, "timeout", false, false},
    // The code wins over the status, whatever it is.
    {500, Body("REQUEST_LIMIT_EXCEEDED"), Code::kResourceExhausted, "rate_limited", true, true},
    {400, Body("TEMPORARILY_UNAVAILABLE"), Code::kUnavailable, "unavailable", true, false},
    // Unity Catalog's object-named codes.
    {404, Body("TABLE_DOES_NOT_EXIST"), Code::kNotFound, "not_found", false, false},
    {404, Body("METASTORE_NOT_FOUND"), Code::kNotFound, "not_found", false, false},
    {409, Body("SCHEMA_ALREADY_EXISTS"), Code::kAlreadyExists, "conflict", false, false},
    // By HTTP status, with an unknown code or none.
    {400, Body("SOMETHING_NEW"), Code::kInvalidArgument, "invalid_request", false, false},
    {401, "", Code::kUnauthenticated, "authentication", false, false},
    {403, "", Code::kPermissionDenied, "permission_denied", false, false},
    {404, "", Code::kNotFound, "not_found", false, false},
    {405, "", Code::kUnimplemented, "not_implemented", false, false},
    {409, "", Code::kAborted, "conflict", false, false},
    {412, "", Code::kFailedPrecondition, "invalid_state", false, false},
    {429, "", Code::kResourceExhausted, "rate_limited", true, true},
    {499, "", Code::kCancelled, "cancelled", false, false},
    {500, "", Code::kInternal, "server_error", false, false},
    {501, "", Code::kUnimplemented, "not_implemented", false, false},
    {502, "", Code::kUnavailable, "unavailable", true, false},
    {503, "", Code::kUnavailable, "unavailable", true, false},
    {504, "", Code::kDeadlineExceeded, "timeout", true, false},
    // Fallbacks for statuses not in the table.
    {418, "", Code::kInvalidArgument, "invalid_request", false, false},
    {599, "", Code::kInternal, "server_error", false, false},
};

TEST(ErrorTableTest, EveryRow) {
  for (const Row& row : kRows) {
    SCOPED_TRACE(absl::StrCat(row.http_status, " ", row.body));
    const ErrorClass got = Classify(ParseApiError(row.http_status, row.body, "", kNow));
    EXPECT_EQ(got.code, row.code);
    EXPECT_EQ(got.error_type, row.error_type);
    EXPECT_EQ(got.retryable, row.retryable);
    EXPECT_EQ(got.throttled, row.throttled);
    bool known_type = false;
    for (absl::string_view type : ErrorTypes()) known_type |= type == got.error_type;
    EXPECT_TRUE(known_type) << got.error_type << " is missing from ErrorTypes()";
  }
}

TEST(ErrorTableTest, MissingJobOrRunIsNotFound) {
  const ApiError run = ParseApiError(
      400, R"({"error_code":"INVALID_PARAMETER_VALUE","message":"Run 123 does not exist."})", "",
      kNow);
  EXPECT_EQ(Classify(run).code, Code::kNotFound);
  const ApiError job = ParseApiError(
      400, R"({"error_code":"INVALID_PARAMETER_VALUE","message":"Job 7 does not exist."})", "",
      kNow);
  EXPECT_EQ(Classify(job).code, Code::kNotFound);
  const ApiError other = ParseApiError(
      400, R"({"error_code":"INVALID_PARAMETER_VALUE","message":"Cluster does not exist"})", "",
      kNow);
  EXPECT_EQ(Classify(other).code, Code::kInvalidArgument);
}

TEST(ParseApiErrorTest, BodyFormats) {
  ApiError e = ParseApiError(404, Body("RESOURCE_DOES_NOT_EXIST"), "", kNow);
  EXPECT_EQ(e.error_code, "RESOURCE_DOES_NOT_EXIST");
  EXPECT_EQ(e.message, "m");

  e = ParseApiError(400, R"({"error_code": 400, "message": "numeric"})", "", kNow);
  EXPECT_EQ(e.error_code, "400");
  EXPECT_EQ(e.message, "numeric");

  e = ParseApiError(400, R"({"error": "API 1.2 style"})", "", kNow);
  EXPECT_EQ(e.error_code, "");
  EXPECT_EQ(e.message, "API 1.2 style");

  e = ParseApiError(404, R"({"detail": "User not found", "status": "404", "scimType": "x"})", "",
                    kNow);
  EXPECT_EQ(e.error_code, "SCIM_404");
  EXPECT_EQ(e.message, "User not found");

  e = ParseApiError(503, "TEMPORARILY_UNAVAILABLE: try again later", "", kNow);
  EXPECT_EQ(e.error_code, "TEMPORARILY_UNAVAILABLE");
  EXPECT_EQ(e.message, "try again later");

  e = ParseApiError(502, "<html><body><pre>upstream connect error</pre></body></html>", "", kNow);
  EXPECT_EQ(e.error_code, "");
  EXPECT_EQ(e.message, "upstream connect error");
  EXPECT_EQ(Classify(e).code, Code::kUnavailable);

  e = ParseApiError(503, "<html><body>down</body></html>", "", kNow);
  EXPECT_EQ(e.message, "Service Unavailable");

  e = ParseApiError(500, "   ", "", kNow);
  EXPECT_EQ(e.message, "Internal Server Error");

  e = ParseApiError(520, "", "", kNow);
  EXPECT_EQ(e.message, "HTTP 520");

  e = ParseApiError(500, "plain words, no code", "", kNow);
  EXPECT_EQ(e.error_code, "");
  EXPECT_EQ(e.message, "plain words, no code");

  e = ParseApiError(500, std::string(5000, 'x'), "", kNow);
  EXPECT_LT(e.message.size(), 1100u);
}

TEST(ParseApiErrorTest, RetryAfter) {
  EXPECT_EQ(ParseRetryAfter("2", kNow), absl::Seconds(2));
  EXPECT_EQ(ParseRetryAfter(" 120 ", kNow), absl::Seconds(120));
  EXPECT_EQ(ParseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", kNow), absl::Seconds(30));
  EXPECT_EQ(ParseRetryAfter("Wed, 31 Dec 2025 23:00:00 GMT", kNow), absl::ZeroDuration());
  EXPECT_FALSE(ParseRetryAfter("-1", kNow).has_value());
  EXPECT_FALSE(ParseRetryAfter("soon", kNow).has_value());

  EXPECT_EQ(ParseApiError(429, Body("REQUEST_LIMIT_EXCEEDED"), "7", kNow).retry_after,
            absl::Seconds(7));
  const std::string with_detail =
      R"({"error_code":"RESOURCE_EXHAUSTED","message":"m","details":[)"
      R"({"@type":"type.googleapis.com/google.rpc.RetryInfo","retry_delay":"42s"}]})";
  EXPECT_EQ(ParseApiError(429, with_detail, "", kNow).retry_after, absl::Seconds(42));
  // The header wins over the body.
  EXPECT_EQ(ParseApiError(429, with_detail, "3", kNow).retry_after, absl::Seconds(3));
  EXPECT_FALSE(ParseApiError(429, Body("REQUEST_LIMIT_EXCEEDED"), "soon", kNow).retry_after);
}

TEST(CredentialVerdictTest, OnlyAVerdictOnTheCredentialCounts) {
  struct Case {
    int status;
    const char* body;
    bool verdict;
  };
  const Case cases[] = {
      // What workspaces answer a bad, revoked or expired token.
      {401, R"({"error_code":"UNAUTHENTICATED","message":"Invalid access token."})", true},
      {401, R"({"error_code":401,"message":"Credential was not sent"})", true},
      {403, R"({"error_code":403,"message":"Invalid access token."})", true},
      {403, R"({"error_code":"403","message":"JWT has expired"})", true},
      {403, "<html><body>Error 403 Invalid access token.</body></html>", true},
      {403,
       R"({"error_code":"PERMISSION_DENIED","message":"Token is expiring within 30 seconds."})",
       true},
      // A refusal about a securable, whatever the caller named it.
      {403,
       R"({"error_code":"PERMISSION_DENIED","message":"User does not have SELECT on Table )"
       R"('main.default.invalid_access_token_credential'."})",
       false},
      {403, R"({"error_code":"PERMISSION_DENIED","message":"No USE SCHEMA on 'Token expired'"})",
       false},
      {403, R"({"error_code":"PERMISSION_DENIED","message":"User x does not have Manage Run"})",
       false},
      {404, R"({"error_code":"RESOURCE_DOES_NOT_EXIST","message":"Invalid access token"})", false},
      {500, R"({"error_code":"INTERNAL_ERROR","message":"Token is expiring"})", false},
  };
  for (const Case& c : cases) {
    const ApiError error = ParseApiError(c.status, c.body, "", absl::Now());
    EXPECT_EQ(IsCredentialVerdict(error), c.verdict) << c.status << " " << c.body;
  }
}

TEST(ToStatusTest, CarriesCodeMessageAndDetails) {
  absl::Status status = ToStatus(ParseApiError(429, Body("REQUEST_LIMIT_EXCEEDED"), "2", kNow));
  EXPECT_EQ(status.code(), Code::kResourceExhausted);
  EXPECT_EQ(status.message(), "m");
  EXPECT_EQ(GetErrorReason(status).reason, "REQUEST_LIMIT_EXCEEDED");
  EXPECT_EQ(GetErrorReason(status).domain, kDatabricksDomain);
  EXPECT_EQ(GetRetryDelay(status), absl::Seconds(2));

  status = ToStatus(ParseApiError(503, "", "", kNow));
  EXPECT_EQ(status.code(), Code::kUnavailable);
  EXPECT_EQ(status.message(), "Service Unavailable");
  EXPECT_EQ(GetErrorReason(status).reason, "HTTP_503");
  EXPECT_FALSE(GetRetryDelay(status).has_value());

  status = ToStatus(ParseApiError(400, R"({"error_code": 12, "message": "old"})", "", kNow));
  EXPECT_EQ(GetErrorReason(status).reason, "HTTP_400");
}

}  // namespace
}  // namespace gateway::databricks
