// CatalogService: databricks.gateway.v1.CatalogService on Unity Catalog 2.1. Each method
// is one request; lists page with Databricks' page tokens. Thread-safe.
#ifndef SERVER_SERVICES_CATALOG_SERVICE_H_
#define SERVER_SERVICES_CATALOG_SERVICE_H_

#include "proto/databricks/gateway/v1/catalog.grpc.pb.h"
#include "server/services/route.h"

namespace gateway::services {

class CatalogService final : public databricks::gateway::v1::CatalogService::CallbackService {
 public:
  // Not owned; outlives the service.
  explicit CatalogService(Router* router) : router_(*router) {}

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

 private:
  Router& router_;
};

}  // namespace gateway::services

#endif  // SERVER_SERVICES_CATALOG_SERVICE_H_
