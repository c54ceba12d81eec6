// Fuzzes the REST→proto mappers with any body Databricks (or something pretending to be it)
// could send: the bytes are parsed as JSON and given to every response mapper, and as an
// error body (with the first byte picking the HTTP status) to the error parser. Properties:
// no crash; a mapped message serializes; an error always has a message and a status code
// other than OK, and its error_code (the gRPC ErrorInfo reason) is a valid reason.
#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "server/common/json.h"
#include "server/databricks/catalog.h"
#include "server/databricks/errors.h"
#include "server/databricks/jobs.h"
#include "server/databricks/sql.h"
#include "tests/fuzz/fuzz_check.h"

namespace db = ::gateway::databricks;
namespace v1 = ::databricks::gateway::v1;

namespace {

template <typename Message, typename Parser>
void Map(const gateway::json::Value& body, Parser parse) {
  Message out;
  if (parse(body, &out).ok()) {
    std::string wire;
    FUZZ_CHECK(out.SerializeToString(&wire), "%s does not serialize", out.GetTypeName().c_str());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);

  constexpr int kStatuses[] = {400, 401, 403, 404, 409, 429, 500, 502, 503, 504};
  const int status = kStatuses[data[0] % (sizeof(kStatuses) / sizeof(kStatuses[0]))];
  const db::ApiError error =
      db::ParseApiError(status, body, data[0] & 0x80 ? "7" : "", absl::UnixEpoch());
  FUZZ_CHECK(!error.message.empty(), "no message for HTTP %d", status);
  const absl::Status as_status = db::ToStatus(error);
  FUZZ_CHECK(!as_status.ok(), "HTTP %d became OK", status);

  absl::StatusOr<gateway::json::Value> json = gateway::json::Parse(body);
  if (!json.ok()) return 0;
  Map<v1::Run>(*json, db::ParseRun);
  Map<v1::GetRunOutputResponse>(*json, db::ParseRunOutput);
  Map<v1::ListRunsResponse>(*json, db::ParseListRuns);
  Map<v1::Job>(*json, db::ParseJob);
  Map<v1::ListJobsResponse>(*json, db::ParseListJobs);
  Map<v1::Warehouse>(*json, db::ParseWarehouse);
  Map<v1::ListWarehousesResponse>(*json, db::ParseListWarehouses);
  Map<v1::ListCatalogsResponse>(*json, db::ParseListCatalogs);
  Map<v1::ListSchemasResponse>(*json, db::ParseListSchemas);
  Map<v1::ListTablesResponse>(*json, db::ParseListTables);
  Map<v1::TableInfo>(*json, db::ParseTable);
  absl::StatusOr<db::Statement> statement = db::ParseStatement(*json);
  if (statement.ok() && !statement->result.is_null()) {
    // The rows of the first chunk, typed by the schema the statement declared.
    v1::ResultChunk chunk;
    absl::optional<db::ExternalLink> link;
    if (db::ParseResultData(statement->result, statement->manifest.schema(), &chunk, &link).ok()) {
      std::string wire;
      FUZZ_CHECK(chunk.SerializeToString(&wire), "the chunk does not serialize");
    }
  }
  // The same body as the rows of an external link, typed by a schema of every type.
  v1::Schema schema;
  for (int type = v1::ColumnSchema::TypeName_MIN; type <= v1::ColumnSchema::TypeName_MAX; ++type) {
    if (!v1::ColumnSchema::TypeName_IsValid(type)) continue;
    v1::ColumnSchema* column = schema.add_columns();
    column->set_name("c" + std::to_string(type));
    column->set_type_name(static_cast<v1::ColumnSchema::TypeName>(type));
    column->set_position(schema.columns_size() - 1);
    column->set_type_precision(10);
    column->set_type_scale(2);
  }
  v1::ResultChunk external;
  (void)db::ParseExternalRows(body, schema, &external);
  return 0;
}
