#include "server/services/catalog_service.h"

#include <algorithm>

#include "server/databricks/catalog.h"
#include "server/services/rest.h"

namespace gateway::services {

namespace v1 = ::databricks::gateway::v1;

grpc::ServerUnaryReactor* CatalogService::ListCatalogs(grpc::CallbackServerContext* context,
                                                       const v1::ListCatalogsRequest* request,
                                                       v1::ListCatalogsResponse* response) {
  return ProxyUnary(
      router_, context, "CatalogService/ListCatalogs", request, response,
      [](const Route&, const v1::ListCatalogsRequest& request) {
        return databricks::BuildListCatalogs(request);
      },
      [](const Route& route, const json::Value& body, v1::ListCatalogsResponse* out) {
        absl::Status parsed = databricks::ParseListCatalogs(body, out);
        // Only the catalogs the tenant's access rules reach into.
        auto* catalogs = out->mutable_catalogs();
        catalogs->erase(std::remove_if(catalogs->begin(), catalogs->end(),
                                       [&route](const v1::CatalogInfo& c) {
                                         return !route.CatalogAllowed(c.name());
                                       }),
                        catalogs->end());
        return parsed;
      });
}

grpc::ServerUnaryReactor* CatalogService::ListSchemas(grpc::CallbackServerContext* context,
                                                      const v1::ListSchemasRequest* request,
                                                      v1::ListSchemasResponse* response) {
  return ProxyUnary(
      router_, context, "CatalogService/ListSchemas", request, response,
      [](const Route& route,
         const v1::ListSchemasRequest& request) -> absl::StatusOr<databricks::ApiRequest> {
        absl::Status allowed = route.CheckCatalog(request.catalog_name());
        if (!allowed.ok()) return allowed;
        return databricks::BuildListSchemas(request);
      },
      [](const Route& route, const json::Value& body, v1::ListSchemasResponse* out) {
        absl::Status parsed = databricks::ParseListSchemas(body, out);
        auto* schemas = out->mutable_schemas();
        schemas->erase(std::remove_if(schemas->begin(), schemas->end(),
                                      [&route](const v1::SchemaInfo& s) {
                                        return !route.SchemaAllowed(s.catalog_name(), s.name());
                                      }),
                       schemas->end());
        return parsed;
      });
}

grpc::ServerUnaryReactor* CatalogService::ListTables(grpc::CallbackServerContext* context,
                                                     const v1::ListTablesRequest* request,
                                                     v1::ListTablesResponse* response) {
  return ProxyUnary(
      router_, context, "CatalogService/ListTables", request, response,
      [](const Route& route,
         const v1::ListTablesRequest& request) -> absl::StatusOr<databricks::ApiRequest> {
        absl::Status allowed = route.CheckSchema(request.catalog_name(), request.schema_name());
        if (!allowed.ok()) return allowed;
        return databricks::BuildListTables(request);
      },
      [](const Route&, const json::Value& body, v1::ListTablesResponse* out) {
        return databricks::ParseListTables(body, out);
      });
}

grpc::ServerUnaryReactor* CatalogService::GetTable(grpc::CallbackServerContext* context,
                                                   const v1::GetTableRequest* request,
                                                   v1::GetTableResponse* response) {
  return ProxyUnary(
      router_, context, "CatalogService/GetTable", request, response,
      [](const Route& route, const v1::GetTableRequest& request) {
        v1::TableName table = request.table();
        if (table.catalog().empty()) table.set_catalog(route.defaults().catalog);
        if (table.schema().empty()) table.set_schema(route.defaults().schema);
        absl::Status allowed = route.CheckSchema(table.catalog(), table.schema());
        if (!allowed.ok()) return absl::StatusOr<databricks::ApiRequest>(allowed);
        return databricks::BuildGetTable(table);
      },
      [](const Route&, const json::Value& body, v1::GetTableResponse* out) {
        return databricks::ParseTable(body, out->mutable_table());
      });
}

}  // namespace gateway::services
