// DeltaService: Delta Lake operations as SQL statements the gateway builds
// (server/databricks/delta.h) and runs through the Statement Execution API
// (statements.h). ReadTable streams like StreamStatementResults; LoadTables runs a planned
// set of CREATE TABLE … AS statements in waves (load_plan.h). Every operation that reaches
// Databricks counts in databricks_delta_operations_total.
#ifndef SERVER_SERVICES_DELTA_SERVICE_H_
#define SERVER_SERVICES_DELTA_SERVICE_H_

#include "proto/databricks/gateway/v1/delta.grpc.pb.h"
#include "server/metrics/service_metrics.h"
#include "server/services/route.h"

namespace gateway::services {

class DeltaService final : public databricks::gateway::v1::DeltaService::CallbackService {
 public:
  // Not owned; both outlive the service.
  DeltaService(Router* router, metrics::ServiceMetrics* metrics)
      : router_(*router), metrics_(*metrics) {}

  grpc::ServerWriteReactor<databricks::gateway::v1::ReadTableResponse>* ReadTable(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::ReadTableRequest* request) override;
  grpc::ServerUnaryReactor* WriteTable(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::WriteTableRequest* request,
      databricks::gateway::v1::WriteTableResponse* response) override;
  grpc::ServerUnaryReactor* MergeInto(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::MergeIntoRequest* request,
      databricks::gateway::v1::MergeIntoResponse* response) override;
  grpc::ServerUnaryReactor* DeleteRows(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::DeleteRowsRequest* request,
      databricks::gateway::v1::DeleteRowsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateRows(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::UpdateRowsRequest* request,
      databricks::gateway::v1::UpdateRowsResponse* response) override;
  grpc::ServerUnaryReactor* OptimizeTable(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::OptimizeTableRequest* request,
      databricks::gateway::v1::OptimizeTableResponse* response) override;
  grpc::ServerUnaryReactor* VacuumTable(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::VacuumTableRequest* request,
      databricks::gateway::v1::VacuumTableResponse* response) override;
  grpc::ServerUnaryReactor* DescribeHistory(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::DescribeHistoryRequest* request,
      databricks::gateway::v1::DescribeHistoryResponse* response) override;
  grpc::ServerUnaryReactor* RestoreTable(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::RestoreTableRequest* request,
      databricks::gateway::v1::RestoreTableResponse* response) override;
  grpc::ServerUnaryReactor* GetTableSchema(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::GetTableSchemaRequest* request,
      databricks::gateway::v1::GetTableSchemaResponse* response) override;
  grpc::ServerUnaryReactor* EvolveSchema(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::EvolveSchemaRequest* request,
      databricks::gateway::v1::EvolveSchemaResponse* response) override;
  grpc::ServerUnaryReactor* CloneTable(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::CloneTableRequest* request,
      databricks::gateway::v1::CloneTableResponse* response) override;
  grpc::ServerUnaryReactor* ConvertToDelta(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::ConvertToDeltaRequest* request,
      databricks::gateway::v1::ConvertToDeltaResponse* response) override;
  grpc::ServerWriteReactor<databricks::gateway::v1::LoadTablesResponse>* LoadTables(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::LoadTablesRequest* request) override;

 private:
  Router& router_;
  metrics::ServiceMetrics& metrics_;
};

}  // namespace gateway::services

#endif  // SERVER_SERVICES_DELTA_SERVICE_H_
