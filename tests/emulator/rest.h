// Helpers shared by the emulated REST APIs: Databricks error bodies, typed access to JSON
// bodies and query strings, opaque page tokens.
#ifndef TESTS_EMULATOR_REST_H_
#define TESTS_EMULATOR_REST_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/common/json.h"
#include "server/http/server.h"

namespace emulator {

namespace json = gateway::json;
using gateway::http::Request;
using gateway::http::Response;

// {"error_code": code, "message": message} with `status`.
Response ApiError(int status, absl::string_view error_code, absl::string_view message);
Response JsonResponse(const json::Value& body, int status = 200);

// A request failure on its way to becoming an ApiError. Handlers return StatusOr-like
// results; this keeps the HTTP status with the Databricks code.
struct ApiFailure {
  int status;
  std::string error_code;
  std::string message;
  Response ToResponse() const { return ApiError(status, error_code, message); }
};
ApiFailure BadParameter(absl::string_view message);  // 400 INVALID_PARAMETER_VALUE

// The body of a POST as a JSON object ({} when empty).
std::optional<ApiFailure> ParseBody(const Request& request, json::Value* body);

// Typed fields of a JSON body. Absent fields leave `out` unchanged and return nullopt. A
// number sent as a string is refused: the SDKs send numbers, and so must the gateway.
std::optional<ApiFailure> GetInt(const json::Value& body, absl::string_view field, int64_t* out);
std::optional<ApiFailure> GetBool(const json::Value& body, absl::string_view field, bool* out);
std::optional<ApiFailure> GetString(const json::Value& body, absl::string_view field,
                                    std::string* out);

// Query-string values. Integers must parse; booleans are "true"/"false".
std::optional<ApiFailure> QueryInt(const Request& request, absl::string_view name, int64_t* out,
                                   bool* present = nullptr);
std::optional<ApiFailure> QueryBool(const Request& request, absl::string_view name, bool* out);
bool QueryString(const Request& request, absl::string_view name, std::string* out);

// Opaque page tokens carrying an offset (and a tag so tokens of one list do not fit another).
std::string EncodePageToken(absl::string_view tag, int64_t offset);
std::optional<int64_t> DecodePageToken(absl::string_view tag, absl::string_view token);
// The offset named by the request's `page_token` (unchanged when there is none); a token that
// is not one of this list's is 400 "Invalid page_token".
std::optional<ApiFailure> PageOffset(const Request& request, absl::string_view tag,
                                     int64_t* offset);

}  // namespace emulator

#endif  // TESTS_EMULATOR_REST_H_
