#include "server/services/catalog_service.h"

#include "server/services/unavailable.h"

namespace gateway::services {

namespace v1 = ::databricks::gateway::v1;

grpc::ServerUnaryReactor* CatalogService::ListCatalogs(grpc::CallbackServerContext* context,
                                                       const v1::ListCatalogsRequest*,
                                                       v1::ListCatalogsResponse*) {
  return NotServed(context, "CatalogService/ListCatalogs");
}

grpc::ServerUnaryReactor* CatalogService::ListSchemas(grpc::CallbackServerContext* context,
                                                      const v1::ListSchemasRequest*,
                                                      v1::ListSchemasResponse*) {
  return NotServed(context, "CatalogService/ListSchemas");
}

grpc::ServerUnaryReactor* CatalogService::ListTables(grpc::CallbackServerContext* context,
                                                     const v1::ListTablesRequest*,
                                                     v1::ListTablesResponse*) {
  return NotServed(context, "CatalogService/ListTables");
}

grpc::ServerUnaryReactor* CatalogService::GetTable(grpc::CallbackServerContext* context,
                                                   const v1::GetTableRequest*,
                                                   v1::GetTableResponse*) {
  return NotServed(context, "CatalogService/GetTable");
}

}  // namespace gateway::services
