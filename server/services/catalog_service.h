// CatalogService: the gRPC service class for databricks.gateway.v1.CatalogService.
//
// Every method of the public API is registered. Methods that are not connected to
// Databricks yet answer UNIMPLEMENTED with a message naming the method.
#ifndef SERVER_SERVICES_CATALOG_SERVICE_H_
#define SERVER_SERVICES_CATALOG_SERVICE_H_

#include "proto/databricks/gateway/v1/catalog.grpc.pb.h"

namespace gateway::services {

class CatalogService final : public databricks::gateway::v1::CatalogService::CallbackService {
 public:
  grpc::ServerUnaryReactor* ListCatalogs(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::ListCatalogsRequest* request,
      databricks::gateway::v1::ListCatalogsResponse* response) override;
  grpc::ServerUnaryReactor* ListSchemas(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::ListSchemasRequest* request,
      databricks::gateway::v1::ListSchemasResponse* response) override;
  grpc::ServerUnaryReactor* ListTables(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::ListTablesRequest* request,
      databricks::gateway::v1::ListTablesResponse* response) override;
  grpc::ServerUnaryReactor* GetTable(grpc::CallbackServerContext* context,
                                     const databricks::gateway::v1::GetTableRequest* request,
                                     databricks::gateway::v1::GetTableResponse* response) override;
};

}  // namespace gateway::services

#endif  // SERVER_SERVICES_CATALOG_SERVICE_H_
