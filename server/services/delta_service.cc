#include "server/services/delta_service.h"

#include "server/services/unavailable.h"

namespace gateway::services {

namespace v1 = ::databricks::gateway::v1;

grpc::ServerWriteReactor<v1::ReadTableResponse>* DeltaService::ReadTable(
    grpc::CallbackServerContext*, const v1::ReadTableRequest*) {
  return NotServedStream<v1::ReadTableResponse>("DeltaService/ReadTable");
}

grpc::ServerUnaryReactor* DeltaService::WriteTable(grpc::CallbackServerContext* context,
                                                   const v1::WriteTableRequest*,
                                                   v1::WriteTableResponse*) {
  return NotServed(context, "DeltaService/WriteTable");
}

grpc::ServerUnaryReactor* DeltaService::MergeInto(grpc::CallbackServerContext* context,
                                                  const v1::MergeIntoRequest*,
                                                  v1::MergeIntoResponse*) {
  return NotServed(context, "DeltaService/MergeInto");
}

grpc::ServerUnaryReactor* DeltaService::DeleteRows(grpc::CallbackServerContext* context,
                                                   const v1::DeleteRowsRequest*,
                                                   v1::DeleteRowsResponse*) {
  return NotServed(context, "DeltaService/DeleteRows");
}

grpc::ServerUnaryReactor* DeltaService::UpdateRows(grpc::CallbackServerContext* context,
                                                   const v1::UpdateRowsRequest*,
                                                   v1::UpdateRowsResponse*) {
  return NotServed(context, "DeltaService/UpdateRows");
}

grpc::ServerUnaryReactor* DeltaService::OptimizeTable(grpc::CallbackServerContext* context,
                                                      const v1::OptimizeTableRequest*,
                                                      v1::OptimizeTableResponse*) {
  return NotServed(context, "DeltaService/OptimizeTable");
}

grpc::ServerUnaryReactor* DeltaService::VacuumTable(grpc::CallbackServerContext* context,
                                                    const v1::VacuumTableRequest*,
                                                    v1::VacuumTableResponse*) {
  return NotServed(context, "DeltaService/VacuumTable");
}

grpc::ServerUnaryReactor* DeltaService::DescribeHistory(grpc::CallbackServerContext* context,
                                                        const v1::DescribeHistoryRequest*,
                                                        v1::DescribeHistoryResponse*) {
  return NotServed(context, "DeltaService/DescribeHistory");
}

grpc::ServerUnaryReactor* DeltaService::RestoreTable(grpc::CallbackServerContext* context,
                                                     const v1::RestoreTableRequest*,
                                                     v1::RestoreTableResponse*) {
  return NotServed(context, "DeltaService/RestoreTable");
}

grpc::ServerUnaryReactor* DeltaService::GetTableSchema(grpc::CallbackServerContext* context,
                                                       const v1::GetTableSchemaRequest*,
                                                       v1::GetTableSchemaResponse*) {
  return NotServed(context, "DeltaService/GetTableSchema");
}

grpc::ServerUnaryReactor* DeltaService::EvolveSchema(grpc::CallbackServerContext* context,
                                                     const v1::EvolveSchemaRequest*,
                                                     v1::EvolveSchemaResponse*) {
  return NotServed(context, "DeltaService/EvolveSchema");
}

grpc::ServerUnaryReactor* DeltaService::CloneTable(grpc::CallbackServerContext* context,
                                                   const v1::CloneTableRequest*,
                                                   v1::CloneTableResponse*) {
  return NotServed(context, "DeltaService/CloneTable");
}

grpc::ServerUnaryReactor* DeltaService::ConvertToDelta(grpc::CallbackServerContext* context,
                                                       const v1::ConvertToDeltaRequest*,
                                                       v1::ConvertToDeltaResponse*) {
  return NotServed(context, "DeltaService/ConvertToDelta");
}

grpc::ServerWriteReactor<v1::LoadTablesResponse>* DeltaService::LoadTables(
    grpc::CallbackServerContext*, const v1::LoadTablesRequest*) {
  return NotServedStream<v1::LoadTablesResponse>("DeltaService/LoadTables");
}

}  // namespace gateway::services
