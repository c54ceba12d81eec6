#include "server/services/sql_service.h"

#include "server/services/unavailable.h"

namespace gateway::services {

namespace v1 = ::databricks::gateway::v1;

grpc::ServerUnaryReactor* SqlService::ExecuteStatement(grpc::CallbackServerContext* context,
                                                       const v1::ExecuteStatementRequest*,
                                                       v1::ExecuteStatementResponse*) {
  return NotServed(context, "SqlService/ExecuteStatement");
}

grpc::ServerUnaryReactor* SqlService::GetStatement(grpc::CallbackServerContext* context,
                                                   const v1::GetStatementRequest*,
                                                   v1::GetStatementResponse*) {
  return NotServed(context, "SqlService/GetStatement");
}

grpc::ServerUnaryReactor* SqlService::CancelStatement(grpc::CallbackServerContext* context,
                                                      const v1::CancelStatementRequest*,
                                                      v1::CancelStatementResponse*) {
  return NotServed(context, "SqlService/CancelStatement");
}

grpc::ServerUnaryReactor* SqlService::GetResultChunk(grpc::CallbackServerContext* context,
                                                     const v1::GetResultChunkRequest*,
                                                     v1::GetResultChunkResponse*) {
  return NotServed(context, "SqlService/GetResultChunk");
}

grpc::ServerWriteReactor<v1::StreamStatementResultsResponse>* SqlService::StreamStatementResults(
    grpc::CallbackServerContext*, const v1::StreamStatementResultsRequest*) {
  return NotServedStream<v1::StreamStatementResultsResponse>("SqlService/StreamStatementResults");
}

grpc::ServerUnaryReactor* SqlService::ListWarehouses(grpc::CallbackServerContext* context,
                                                     const v1::ListWarehousesRequest*,
                                                     v1::ListWarehousesResponse*) {
  return NotServed(context, "SqlService/ListWarehouses");
}

grpc::ServerUnaryReactor* SqlService::GetWarehouse(grpc::CallbackServerContext* context,
                                                   const v1::GetWarehouseRequest*,
                                                   v1::GetWarehouseResponse*) {
  return NotServed(context, "SqlService/GetWarehouse");
}

grpc::ServerUnaryReactor* SqlService::StartWarehouse(grpc::CallbackServerContext* context,
                                                     const v1::StartWarehouseRequest*,
                                                     v1::StartWarehouseResponse*) {
  return NotServed(context, "SqlService/StartWarehouse");
}

}  // namespace gateway::services
