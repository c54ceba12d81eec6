#include "server/services/catalog_service.h"

#include "server/databricks/catalog.h"
#include "server/services/rest.h"

namespace gateway::services {

namespace v1 = ::databricks::gateway::v1;

grpc::ServerUnaryReactor* CatalogService::ListCatalogs(grpc::CallbackServerContext* context,
                                                       const v1::ListCatalogsRequest* request,
                                                       v1::ListCatalogsResponse* response) {
  return ProxyUnary<v1::ListCatalogsResponse>(
      router_, context, response,
      [request](const Route&) { return databricks::BuildListCatalogs(*request); },
      [](const Route&, const json::Value& body, v1::ListCatalogsResponse* out) {
        return databricks::ParseListCatalogs(body, out);
      });
}

grpc::ServerUnaryReactor* CatalogService::ListSchemas(grpc::CallbackServerContext* context,
                                                      const v1::ListSchemasRequest* request,
                                                      v1::ListSchemasResponse* response) {
  return ProxyUnary<v1::ListSchemasResponse>(
      router_, context, response,
      [request](const Route&) { return databricks::BuildListSchemas(*request); },
      [](const Route&, const json::Value& body, v1::ListSchemasResponse* out) {
        return databricks::ParseListSchemas(body, out);
      });
}

grpc::ServerUnaryReactor* CatalogService::ListTables(grpc::CallbackServerContext* context,
                                                     const v1::ListTablesRequest* request,
                                                     v1::ListTablesResponse* response) {
  return ProxyUnary<v1::ListTablesResponse>(
      router_, context, response,
      [request](const Route&) { return databricks::BuildListTables(*request); },
      [](const Route&, const json::Value& body, v1::ListTablesResponse* out) {
        return databricks::ParseListTables(body, out);
      });
}

grpc::ServerUnaryReactor* CatalogService::GetTable(grpc::CallbackServerContext* context,
                                                   const v1::GetTableRequest* request,
                                                   v1::GetTableResponse* response) {
  return ProxyUnary<v1::GetTableResponse>(
      router_, context, response,
      [request](const Route& route) {
        v1::TableName table = request->table();
        if (table.catalog().empty()) table.set_catalog(route.defaults().catalog);
        if (table.schema().empty()) table.set_schema(route.defaults().schema);
        return databricks::BuildGetTable(table);
      },
      [](const Route&, const json::Value& body, v1::GetTableResponse* out) {
        return databricks::ParseTable(body, out->mutable_table());
      });
}

}  // namespace gateway::services
