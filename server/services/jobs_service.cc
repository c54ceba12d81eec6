#include "server/services/jobs_service.h"

#include "server/services/unavailable.h"

namespace gateway::services {

namespace v1 = ::databricks::gateway::v1;

grpc::ServerUnaryReactor* JobsService::SubmitRun(grpc::CallbackServerContext* context,
                                                 const v1::SubmitRunRequest*,
                                                 v1::SubmitRunResponse*) {
  return NotServed(context, "JobsService/SubmitRun");
}

grpc::ServerUnaryReactor* JobsService::RunNow(grpc::CallbackServerContext* context,
                                              const v1::RunNowRequest*, v1::RunNowResponse*) {
  return NotServed(context, "JobsService/RunNow");
}

grpc::ServerUnaryReactor* JobsService::GetRun(grpc::CallbackServerContext* context,
                                              const v1::GetRunRequest*, v1::GetRunResponse*) {
  return NotServed(context, "JobsService/GetRun");
}

grpc::ServerUnaryReactor* JobsService::ListRuns(grpc::CallbackServerContext* context,
                                                const v1::ListRunsRequest*, v1::ListRunsResponse*) {
  return NotServed(context, "JobsService/ListRuns");
}

grpc::ServerUnaryReactor* JobsService::CancelRun(grpc::CallbackServerContext* context,
                                                 const v1::CancelRunRequest*,
                                                 v1::CancelRunResponse*) {
  return NotServed(context, "JobsService/CancelRun");
}

grpc::ServerUnaryReactor* JobsService::GetRunOutput(grpc::CallbackServerContext* context,
                                                    const v1::GetRunOutputRequest*,
                                                    v1::GetRunOutputResponse*) {
  return NotServed(context, "JobsService/GetRunOutput");
}

grpc::ServerWriteReactor<v1::WaitRunResponse>* JobsService::WaitRun(grpc::CallbackServerContext*,
                                                                    const v1::WaitRunRequest*) {
  return NotServedStream<v1::WaitRunResponse>("JobsService/WaitRun");
}

grpc::ServerUnaryReactor* JobsService::CreateJob(grpc::CallbackServerContext* context,
                                                 const v1::CreateJobRequest*,
                                                 v1::CreateJobResponse*) {
  return NotServed(context, "JobsService/CreateJob");
}

grpc::ServerUnaryReactor* JobsService::GetJob(grpc::CallbackServerContext* context,
                                              const v1::GetJobRequest*, v1::GetJobResponse*) {
  return NotServed(context, "JobsService/GetJob");
}

grpc::ServerUnaryReactor* JobsService::ListJobs(grpc::CallbackServerContext* context,
                                                const v1::ListJobsRequest*, v1::ListJobsResponse*) {
  return NotServed(context, "JobsService/ListJobs");
}

grpc::ServerUnaryReactor* JobsService::DeleteJob(grpc::CallbackServerContext* context,
                                                 const v1::DeleteJobRequest*,
                                                 v1::DeleteJobResponse*) {
  return NotServed(context, "JobsService/DeleteJob");
}

grpc::ServerUnaryReactor* JobsService::SubmitStreamingRun(grpc::CallbackServerContext* context,
                                                          const v1::SubmitStreamingRunRequest*,
                                                          v1::SubmitStreamingRunResponse*) {
  return NotServed(context, "JobsService/SubmitStreamingRun");
}

}  // namespace gateway::services
