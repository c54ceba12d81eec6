#include "server/databricks/catalog.h"

#include "absl/strings/str_cat.h"
#include "server/common/status_macros.h"
#include "server/databricks/json_proto.h"

namespace gateway::databricks {
namespace {

constexpr absl::string_view kUnityCatalog = "/api/2.1/unity-catalog";

absl::Status ValidatePageSize(int page_size) {
  if (page_size < 0) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: must be >= 0, got ", page_size));
  }
  return absl::OkStatus();
}

ApiRequest ListRequest(absl::string_view resource, absl::string_view operation,
                       const std::vector<std::pair<absl::string_view, std::string>>& query) {
  ApiRequest api;
  api.path = PathWithQuery(absl::StrCat(kUnityCatalog, "/", resource), query);
  api.operation = std::string(operation);
  api.idempotent = true;
  return api;
}

absl::Status Read(absl::string_view operation, const json::Value& body,
                  google::protobuf::Message* message) {
  absl::Status status = MergeJson(body, message);
  if (!status.ok()) return UnreadableResponse(operation, status.message());
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateCatalogName(absl::string_view name, absl::string_view field) {
  if (name.empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  if (name.size() > 255) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": at most 255 characters"));
  }
  for (const char c : name) {
    if (c == '.' || c == ' ' || c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": a Unity Catalog name has no '.', ' ', '/' or control characters"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<ApiRequest> BuildListCatalogs(const v1::ListCatalogsRequest& request) {
  GW_RETURN_IF_ERROR(ValidatePageSize(request.page_size()));
  return ListRequest(
      "catalogs", "catalog.catalogs.list",
      {{"max_results", absl::StrCat(request.page_size())}, {"page_token", request.page_token()}});
}

absl::StatusOr<ApiRequest> BuildListSchemas(const v1::ListSchemasRequest& request) {
  GW_RETURN_IF_ERROR(ValidateCatalogName(request.catalog_name(), "catalog_name"));
  GW_RETURN_IF_ERROR(ValidatePageSize(request.page_size()));
  return ListRequest("schemas", "catalog.schemas.list",
                     {{"catalog_name", request.catalog_name()},
                      {"max_results", absl::StrCat(request.page_size())},
                      {"page_token", request.page_token()}});
}

absl::StatusOr<ApiRequest> BuildListTables(const v1::ListTablesRequest& request) {
  GW_RETURN_IF_ERROR(ValidateCatalogName(request.catalog_name(), "catalog_name"));
  GW_RETURN_IF_ERROR(ValidateCatalogName(request.schema_name(), "schema_name"));
  GW_RETURN_IF_ERROR(ValidatePageSize(request.page_size()));
  return ListRequest("tables", "catalog.tables.list",
                     {{"catalog_name", request.catalog_name()},
                      {"schema_name", request.schema_name()},
                      {"max_results", absl::StrCat(request.page_size())},
                      {"page_token", request.page_token()},
                      {"omit_columns", request.omit_columns() ? "true" : ""}});
}

absl::StatusOr<ApiRequest> BuildGetTable(const v1::TableName& table) {
  GW_RETURN_IF_ERROR(ValidateCatalogName(table.catalog(), "table.catalog"));
  GW_RETURN_IF_ERROR(ValidateCatalogName(table.schema(), "table.schema"));
  GW_RETURN_IF_ERROR(ValidateCatalogName(table.table(), "table.table"));
  ApiRequest api;
  api.path = absl::StrCat(kUnityCatalog, "/tables/", UrlEncode(table.catalog()), ".",
                          UrlEncode(table.schema()), ".", UrlEncode(table.table()));
  api.operation = "catalog.tables.get";
  api.idempotent = true;
  return api;
}

absl::Status ParseListCatalogs(const json::Value& body, v1::ListCatalogsResponse* out) {
  return Read("catalog.catalogs.list", body, out);
}

absl::Status ParseListSchemas(const json::Value& body, v1::ListSchemasResponse* out) {
  return Read("catalog.schemas.list", body, out);
}

absl::Status ParseListTables(const json::Value& body, v1::ListTablesResponse* out) {
  return Read("catalog.tables.list", body, out);
}

absl::Status ParseTable(const json::Value& body, v1::TableInfo* table) {
  return Read("catalog.tables.get", body, table);
}

}  // namespace gateway::databricks
