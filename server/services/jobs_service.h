// JobsService: databricks.gateway.v1.JobsService on the Jobs API 2.2.
//
// Thin: each method routes the call, maps the request (server/databricks/jobs.h), sends it
// through the route and maps the answer back. WaitRun polls runs/get with back-off and
// streams each state change. Thread-safe; methods never block a gRPC thread.
#ifndef SERVER_SERVICES_JOBS_SERVICE_H_
#define SERVER_SERVICES_JOBS_SERVICE_H_

#include "proto/databricks/gateway/v1/jobs.grpc.pb.h"
#include "server/metrics/service_metrics.h"
#include "server/services/route.h"

namespace gateway::services {

class JobsService final : public databricks::gateway::v1::JobsService::CallbackService {
 public:
  // Not owned; both outlive the service.
  JobsService(Router* router, metrics::ServiceMetrics* metrics)
      : router_(*router), metrics_(*metrics) {}

  grpc::ServerUnaryReactor* SubmitRun(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::SubmitRunRequest* request,
      databricks::gateway::v1::SubmitRunResponse* response) override;
  grpc::ServerUnaryReactor* RunNow(grpc::CallbackServerContext* context,
                                   const databricks::gateway::v1::RunNowRequest* request,
                                   databricks::gateway::v1::RunNowResponse* response) override;
  grpc::ServerUnaryReactor* GetRun(grpc::CallbackServerContext* context,
                                   const databricks::gateway::v1::GetRunRequest* request,
                                   databricks::gateway::v1::GetRunResponse* response) override;
  grpc::ServerUnaryReactor* ListRuns(grpc::CallbackServerContext* context,
                                     const databricks::gateway::v1::ListRunsRequest* request,
                                     databricks::gateway::v1::ListRunsResponse* response) override;
  grpc::ServerUnaryReactor* CancelRun(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::CancelRunRequest* request,
      databricks::gateway::v1::CancelRunResponse* response) override;
  grpc::ServerUnaryReactor* GetRunOutput(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::GetRunOutputRequest* request,
      databricks::gateway::v1::GetRunOutputResponse* response) override;
  grpc::ServerWriteReactor<databricks::gateway::v1::WaitRunResponse>* WaitRun(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::WaitRunRequest* request) override;
  grpc::ServerUnaryReactor* CreateJob(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::CreateJobRequest* request,
      databricks::gateway::v1::CreateJobResponse* response) override;
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* context,
                                   const databricks::gateway::v1::GetJobRequest* request,
                                   databricks::gateway::v1::GetJobResponse* response) override;
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* context,
                                     const databricks::gateway::v1::ListJobsRequest* request,
                                     databricks::gateway::v1::ListJobsResponse* response) override;
  grpc::ServerUnaryReactor* DeleteJob(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::DeleteJobRequest* request,
      databricks::gateway::v1::DeleteJobResponse* response) override;
  grpc::ServerUnaryReactor* SubmitStreamingRun(
      grpc::CallbackServerContext* context,
      const databricks::gateway::v1::SubmitStreamingRunRequest* request,
      databricks::gateway::v1::SubmitStreamingRunResponse* response) override;

 private:
  Router& router_;
  metrics::ServiceMetrics& metrics_;
};

}  // namespace gateway::services

#endif  // SERVER_SERVICES_JOBS_SERVICE_H_
