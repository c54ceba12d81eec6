// SQL Statement Execution API 2.0 and SQL Warehouses API ↔ databricks.gateway.v1 messages.
// Pure: no I/O.
//
// Databricks returns every result value as a string (or null); the gateway returns typed
// values, converted by the column's type_name (common.proto, message Value).
#ifndef SERVER_DATABRICKS_SQL_H_
#define SERVER_DATABRICKS_SQL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "proto/databricks/gateway/v1/sql.pb.h"
#include "server/common/json.h"
#include "server/databricks/api.h"

namespace gateway::databricks {

namespace v1 = ::databricks::gateway::v1;

// How a statement's result comes back.
enum class Disposition {
  // In the statement and chunk responses (at most 25 MiB in all).
  kInline,
  // As presigned links, one per chunk, fetched without the Databricks credential (no size
  // limit short of 100 GiB). Used for streamed results.
  kExternalLinks,
};

// What to execute. The SQL text and its parameters; everything else as in the public API.
struct StatementSpec {
  std::string statement;
  std::vector<v1::SqlParameter> parameters;
  std::string warehouse_id;
  std::string catalog;
  std::string schema;
  int64_t row_limit = 0;
  int64_t byte_limit = 0;
  Disposition disposition = Disposition::kInline;
};

// Largest SQL text Databricks accepts.
inline constexpr size_t kMaxStatementBytes = size_t{16} * 1024 * 1024;

// POST /api/2.0/sql/statements. `wait` is how long Databricks holds the answer (0, or
// 5–50 s); `cancel_on_timeout` cancels the statement when the wait passes. Errors:
// INVALID_ARGUMENT for an empty or over-long statement, a missing warehouse, a bad
// parameter name or an unsupported parameter value.
absl::StatusOr<ApiRequest> BuildExecuteStatement(const StatementSpec& spec, absl::Duration wait,
                                                 bool cancel_on_timeout);
ApiRequest BuildGetStatement(absl::string_view statement_id);
ApiRequest BuildCancelStatement(absl::string_view statement_id);
ApiRequest BuildGetChunk(absl::string_view statement_id, int64_t chunk_index);

// A parameter value as Databricks' parameter text, with its SQL type ("" when the value is
// NULL). INVALID_ARGUMENT for bytes values (Databricks has no BINARY parameters).
struct ParameterText {
  absl::optional<std::string> value;  // nullopt: SQL NULL
  std::string type;
};
absl::StatusOr<ParameterText> ParameterToText(const v1::SqlParameter& parameter);

// The statement response: handle, status, manifest and the first chunk as sent.
struct Statement {
  std::string statement_id;
  v1::StatementStatus status;
  bool has_manifest = false;
  v1::ResultManifest manifest;
  // The `result` object (ResultData): rows inline, or an external link; null when absent.
  json::Value result;
};
absl::StatusOr<Statement> ParseStatement(const json::Value& body);

// The error a caller sees for a statement that did not succeed: FAILED maps Databricks'
// error code through the error table (ErrorInfo reason = the code, metadata sql_state and
// statement_id = `handle`); CANCELED is CANCELLED; CLOSED is FAILED_PRECONDITION (the
// result expired).
absl::Status StatementFailure(const v1::StatementStatus& status, absl::string_view handle);

// PENDING and RUNNING are not terminal; everything else is.
bool IsTerminal(const v1::StatementStatus& status);

// A chunk's link to download (EXTERNAL_LINKS), with the headers Databricks says to send.
struct ExternalLink {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Reads a ResultData object: its position, next_chunk_index, and its rows (typed by
// `schema`) when inline. `link` receives the external link when there is one (and the rows
// are left empty). Errors: INTERNAL naming the row and column that could not be read.
absl::Status ParseResultData(const json::Value& data, const v1::Schema& schema,
                             v1::ResultChunk* chunk, absl::optional<ExternalLink>* link);

// Reads the body of an external link (JSON_ARRAY format: an array of rows) into `chunk`.
absl::Status ParseExternalRows(absl::string_view body, const v1::Schema& schema,
                               v1::ResultChunk* chunk);

// One result value, typed by its column.
absl::StatusOr<v1::Value> ParseCell(const json::Value& cell, const v1::ColumnSchema& column);

// Warehouses.
absl::StatusOr<ApiRequest> BuildListWarehouses(const v1::ListWarehousesRequest& request);
absl::StatusOr<ApiRequest> BuildGetWarehouse(absl::string_view id);
absl::StatusOr<ApiRequest> BuildStartWarehouse(absl::string_view id);
absl::Status ParseWarehouse(const json::Value& body, v1::Warehouse* warehouse);
absl::Status ParseListWarehouses(const json::Value& body, v1::ListWarehousesResponse* out);

}  // namespace gateway::databricks

#endif  // SERVER_DATABRICKS_SQL_H_
