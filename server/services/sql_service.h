// SqlService: the gRPC service class for databricks.gateway.v1.SqlService.
//
// Every method of the public API is registered. Methods that are not connected to
// Databricks yet answer UNIMPLEMENTED with a message naming the method.
#ifndef SERVER_SERVICES_SQL_SERVICE_H_
#define SERVER_SERVICES_SQL_SERVICE_H_

#include "proto/databricks/gateway/v1/sql.grpc.pb.h"

namespace gateway::services {

class SqlService final : public databricks::gateway::v1::SqlService::CallbackService {
 public:
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
};

}  // namespace gateway::services

#endif  // SERVER_SERVICES_SQL_SERVICE_H_
