#include "server/databricks/api.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "server/common/error_details.h"

namespace gateway::databricks {

std::string PathWithQuery(absl::string_view path,
                          const std::vector<std::pair<absl::string_view, std::string>>& query) {
  std::string out(path);
  char separator = '?';
  for (const auto& [key, value] : query) {
    if (value.empty()) continue;
    absl::StrAppend(&out, std::string(1, separator), key, "=", UrlEncode(value));
    separator = '&';
  }
  return out;
}

absl::Status UnreadableResponse(absl::string_view operation, absl::string_view why) {
  absl::Status status = absl::InternalError(absl::StrCat(
      "Databricks answered ", operation, " with a response the gateway cannot read: ", why));
  SetErrorInfo(status, "DATABRICKS_INVALID_RESPONSE", kGatewayDomain,
               {{"operation", std::string(operation)}});
  return status;
}

absl::StatusOr<json::Value> ParseResponseBody(absl::string_view operation, absl::string_view body) {
  if (absl::StripAsciiWhitespace(body).empty()) return json::Value::EmptyObject();
  absl::StatusOr<json::Value> parsed = json::Parse(body);
  if (!parsed.ok()) return UnreadableResponse(operation, parsed.status().message());
  if (!parsed->is_object()) return UnreadableResponse(operation, "not a JSON object");
  return parsed;
}

absl::Status InvalidField(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
}

}  // namespace gateway::databricks
