// Unity Catalog 2.1 ↔ databricks.gateway.v1.CatalogService messages. Pure: no I/O.
#ifndef SERVER_DATABRICKS_CATALOG_H_
#define SERVER_DATABRICKS_CATALOG_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/databricks/gateway/v1/catalog.pb.h"
#include "server/common/json.h"
#include "server/databricks/api.h"

namespace gateway::databricks {

namespace v1 = ::databricks::gateway::v1;

// A Unity Catalog name part: 1–255 characters, none of '.', ' ', '/' or control
// characters. Errors: INVALID_ARGUMENT naming `field`.
absl::Status ValidateCatalogName(absl::string_view name, absl::string_view field);

// List requests always send max_results (0: the server's page size), as the Databricks
// SDKs do; an unpaginated listing is legacy and fails on large schemas.
absl::StatusOr<ApiRequest> BuildListCatalogs(const v1::ListCatalogsRequest& request);
absl::StatusOr<ApiRequest> BuildListSchemas(const v1::ListSchemasRequest& request);
absl::StatusOr<ApiRequest> BuildListTables(const v1::ListTablesRequest& request);
// `table` must be complete (the service applies the caller's default catalog and schema).
absl::StatusOr<ApiRequest> BuildGetTable(const v1::TableName& table);

absl::Status ParseListCatalogs(const json::Value& body, v1::ListCatalogsResponse* out);
absl::Status ParseListSchemas(const json::Value& body, v1::ListSchemasResponse* out);
absl::Status ParseListTables(const json::Value& body, v1::ListTablesResponse* out);
absl::Status ParseTable(const json::Value& body, v1::TableInfo* table);

}  // namespace gateway::databricks

#endif  // SERVER_DATABRICKS_CATALOG_H_
