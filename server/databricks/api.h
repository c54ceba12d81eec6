// What a mapper asks the services to send to Databricks: one REST request, described as
// data. Mappers build these from the public API's requests (pure, testable); the services
// send them through the caller's route.
#ifndef SERVER_DATABRICKS_API_H_
#define SERVER_DATABRICKS_API_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "server/common/json.h"
#include "server/common/url.h"
#include "server/upstream/http_client.h"

namespace gateway::databricks {

struct ApiRequest {
  upstream::Method method = upstream::Method::kGet;
  // Path and query, e.g. "/api/2.2/jobs/runs/get?run_id=7".
  std::string path;
  // The JSON body; null sends none.
  json::Value body;
  // Metric label naming the API method, e.g. "jobs.runs.get".
  std::string operation;
  // Sending it twice does no harm, so the upstream client may retry it.
  bool idempotent = false;
};

// Builds "path?k=v&…" from the pairs whose value is not empty, percent-encoding the values.
std::string PathWithQuery(absl::string_view path,
                          const std::vector<std::pair<absl::string_view, std::string>>& query);

// Parses a 2xx response body: a JSON object (an empty body is an empty object). Anything
// else is INTERNAL naming the operation, since Databricks broke its own contract.
absl::StatusOr<json::Value> ParseResponseBody(absl::string_view operation, absl::string_view body);

// INVALID_ARGUMENT "<field>: <what>", the shape of every request the mappers refuse.
absl::Status InvalidField(absl::string_view field, absl::string_view what);

// INTERNAL "Databricks answered <operation> with a response the gateway cannot read: <why>".
absl::Status UnreadableResponse(absl::string_view operation, absl::string_view why);

}  // namespace gateway::databricks

#endif  // SERVER_DATABRICKS_API_H_
