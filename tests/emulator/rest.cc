#include "tests/emulator/rest.h"

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace emulator {

Response ApiError(int status, absl::string_view error_code, absl::string_view message) {
  json::Value body;
  body.Set("error_code", error_code).Set("message", message);
  return JsonResponse(body, status);
}

Response JsonResponse(const json::Value& body, int status) {
  return Response::Json(status, body.Dump());
}

ApiFailure BadParameter(absl::string_view message) {
  return ApiFailure{400, "INVALID_PARAMETER_VALUE", std::string(message)};
}

std::optional<ApiFailure> ParseBody(const Request& request, json::Value* body) {
  if (absl::StripAsciiWhitespace(request.body).empty()) {
    *body = json::Value::EmptyObject();
    return std::nullopt;
  }
  absl::StatusOr<json::Value> parsed = json::Parse(request.body);
  if (!parsed.ok()) {
    return ApiFailure{
        400, "MALFORMED_REQUEST",
        absl::StrCat("Invalid JSON given in the body of the request: ", parsed.status().message())};
  }
  if (!parsed->is_object()) {
    return ApiFailure{400, "MALFORMED_REQUEST", "The body of the request must be a JSON object"};
  }
  *body = *std::move(parsed);
  return std::nullopt;
}

std::optional<ApiFailure> GetInt(const json::Value& body, absl::string_view field, int64_t* out) {
  const json::Value* value = body.Find(field);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (!value->is_int()) {
    return ApiFailure{400, "MALFORMED_REQUEST",
                      absl::StrCat("Invalid JSON given in the body of the request - expected an "
                                   "integer for '",
                                   field, "', got a ", json::TypeName(value->type()))};
  }
  *out = value->as_int();
  return std::nullopt;
}

std::optional<ApiFailure> GetBool(const json::Value& body, absl::string_view field, bool* out) {
  const json::Value* value = body.Find(field);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (!value->is_bool()) {
    return ApiFailure{400, "MALFORMED_REQUEST",
                      absl::StrCat("Invalid JSON given in the body of the request - expected a "
                                   "boolean for '",
                                   field, "', got a ", json::TypeName(value->type()))};
  }
  *out = value->as_bool();
  return std::nullopt;
}

std::optional<ApiFailure> GetString(const json::Value& body, absl::string_view field,
                                    std::string* out) {
  const json::Value* value = body.Find(field);
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (!value->is_string()) {
    return ApiFailure{400, "MALFORMED_REQUEST",
                      absl::StrCat("Invalid JSON given in the body of the request - expected a "
                                   "string for '",
                                   field, "', got a ", json::TypeName(value->type()))};
  }
  *out = value->as_string();
  return std::nullopt;
}

std::optional<ApiFailure> QueryInt(const Request& request, absl::string_view name, int64_t* out,
                                   bool* present) {
  std::string text;
  const bool found = gateway::http::QueryParam(request.query, name, &text);
  if (present != nullptr) *present = found;
  if (!found) return std::nullopt;
  if (!absl::SimpleAtoi(text, out)) {
    return BadParameter(
        absl::StrCat("Invalid value for parameter ", name, ": '", text, "' is not an integer"));
  }
  return std::nullopt;
}

std::optional<ApiFailure> QueryBool(const Request& request, absl::string_view name, bool* out) {
  std::string text;
  if (!gateway::http::QueryParam(request.query, name, &text)) return std::nullopt;
  if (text == "true") {
    *out = true;
  } else if (text == "false") {
    *out = false;
  } else {
    return BadParameter(
        absl::StrCat("Invalid value for parameter ", name, ": '", text, "' is not a boolean"));
  }
  return std::nullopt;
}

bool QueryString(const Request& request, absl::string_view name, std::string* out) {
  return gateway::http::QueryParam(request.query, name, out);
}

std::string EncodePageToken(absl::string_view tag, int64_t offset) {
  return absl::WebSafeBase64Escape(absl::StrCat(tag, ":", offset));
}

std::optional<int64_t> DecodePageToken(absl::string_view tag, absl::string_view token) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) return std::nullopt;
  absl::string_view view(raw);
  if (!absl::ConsumePrefix(&view, tag) || !absl::ConsumePrefix(&view, ":")) return std::nullopt;
  int64_t offset = 0;
  if (!absl::SimpleAtoi(view, &offset) || offset < 0) return std::nullopt;
  return offset;
}

std::optional<ApiFailure> PageOffset(const Request& request, absl::string_view tag,
                                     int64_t* offset) {
  std::string token;
  if (!QueryString(request, "page_token", &token) || token.empty()) return std::nullopt;
  std::optional<int64_t> decoded = DecodePageToken(tag, token);
  if (!decoded) return BadParameter("Invalid page_token");
  *offset = *decoded;
  return std::nullopt;
}

}  // namespace emulator
