// Protobuf messages ↔ Databricks REST JSON, by reflection.
//
// The public API mirrors Databricks' REST field names (docs/architecture.md), so most
// requests and responses map field by field. protobuf's own JSON utility does not fit the
// wire: it prints int64 as quoted strings (Databricks' SDKs send numbers, and a quoted
// number is refused), it refuses a number for a string field (Databricks' numeric run ids
// are strings in this API), and it loses an enum value it does not know. These two
// functions do the mapping with Databricks' conventions instead.
#ifndef SERVER_DATABRICKS_JSON_PROTO_H_
#define SERVER_DATABRICKS_JSON_PROTO_H_

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "server/common/json.h"

namespace gateway::databricks {

// The fields of `message` that are set (proto3: non-default), by their proto field names.
// int32/int64 → JSON numbers, enums → their value names, maps → objects, bytes → base64,
// google.protobuf.Timestamp → RFC 3339 text.
json::Value MessageToJson(const google::protobuf::Message& message);

// Merges the members of `object` into `message`. Unknown members and nulls are ignored
// (Databricks adds fields). Lenient where Databricks is: a string field takes a number
// (numeric ids become decimal text), an integer field takes a decimal string (Azure's
// style). An enum value this API does not know leaves the enum unset; when the message has
// a string field `<enum field>_text`, the value as sent is kept there either way.
// Errors: INVALID_ARGUMENT naming the member path, e.g. "run.tasks[2].start_time:
// expected a number, got object".
absl::Status MergeJson(const json::Value& object, google::protobuf::Message* message);

}  // namespace gateway::databricks

#endif  // SERVER_DATABRICKS_JSON_PROTO_H_
