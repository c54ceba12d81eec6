// SqlService: databricks.gateway.v1.SqlService on the SQL Statement Execution API 2.0 and
// the SQL Warehouses API.
//
// ExecuteStatement, GetStatement and GetResultChunk return inline results (Databricks'
// 25 MiB INLINE limit applies); StreamStatementResults fetches the result through
// presigned links chunk by chunk, so its size is not limited by the gateway's memory.
// Thread-safe; methods never block a gRPC thread.
#ifndef SERVER_SERVICES_SQL_SERVICE_H_
#define SERVER_SERVICES_SQL_SERVICE_H_

#include "proto/databricks/gateway/v1/sql.grpc.pb.h"
#include "server/metrics/service_metrics.h"
#include "server/services/route.h"

namespace gateway::services {

class SqlService final : public databricks::gateway::v1::SqlService::CallbackService {
 public:
  // Not owned; both outlive the service.
  SqlService(Router* router, metrics::ServiceMetrics* metrics)
      : router_(*router), metrics_(*metrics) {}

  grpc::ServerUnaryReactor* ExecuteStatement(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::ExecuteStatementRequest* request,
      databricks::gateway::v1::ExecuteStatementResponse* response) override;
  grpc::ServerUnaryReactor* GetStatement(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::GetStatementRequest* request,
      databricks::gateway::v1::GetStatementResponse* response) override;
  grpc::ServerUnaryReactor* CancelStatement(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::CancelStatementRequest* request,
      databricks::gateway::v1::CancelStatementResponse* response) override;
  grpc::ServerUnaryReactor* GetResultChunk(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::GetResultChunkRequest* request,
      databricks::gateway::v1::GetResultChunkResponse* response) override;
  grpc::ServerWriteReactor<databricks::gateway::v1::StreamStatementResultsResponse>*
  StreamStatementResults(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::StreamStatementResultsRequest* request) override;
  grpc::ServerUnaryReactor* ListWarehouses(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::ListWarehousesRequest* request,
      databricks::gateway::v1::ListWarehousesResponse* response) override;
  grpc::ServerUnaryReactor* GetWarehouse(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::GetWarehouseRequest* request,
      databricks::gateway::v1::GetWarehouseResponse* response) override;
  grpc::ServerUnaryReactor* StartWarehouse(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::StartWarehouseRequest* request,
      databricks::gateway::v1::StartWarehouseResponse* response) override;

 private:
  Router& router_;
  metrics::ServiceMetrics& metrics_;
};

}  // namespace gateway::services

#endif  // SERVER_SERVICES_SQL_SERVICE_H_
