// Jobs API 2.2 ↔ databricks.gateway.v1.JobsService messages. Pure: no I/O.
//
// Builders validate the public request (INVALID_ARGUMENT naming the field) and describe the
// REST call. Parsers read Databricks' JSON into the public messages; run ids come out as
// Databricks' decimal ids, which the service turns into the caller's handles.
#ifndef SERVER_DATABRICKS_JOBS_H_
#define SERVER_DATABRICKS_JOBS_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/databricks/gateway/v1/jobs.pb.h"
#include "server/common/json.h"
#include "server/databricks/api.h"

namespace gateway::databricks {

namespace v1 = ::databricks::gateway::v1;

// Every builder of an object takes the calling `tenant` (empty without tenants) and marks
// what it creates as the tenant's (server/auth/ownership.h): the run or job name, the job's
// `gateway_tenant` tag and the `custom_tags` of the clusters a run starts. A caller's own tag
// of that name is INVALID_ARGUMENT.

// POST /api/2.2/jobs/runs/submit with `idempotency_token` (the caller's when it gave one).
// Retried safely: the token makes a repeated submit return the same run.
absl::StatusOr<ApiRequest> BuildSubmitRun(const v1::SubmitRunRequest& request,
                                          absl::string_view idempotency_token,
                                          absl::string_view tenant);
// POST /api/2.2/jobs/run-now with `idempotency_token`.
absl::StatusOr<ApiRequest> BuildRunNow(const v1::RunNowRequest& request,
                                       absl::string_view idempotency_token);
// GET /api/2.2/jobs/runs/get; `page_token` continues the task list of a large run.
ApiRequest BuildGetRun(int64_t run_id, absl::string_view page_token);
// runs/list from the upstream page `page_token`. With a tenant, pages are always of the
// largest size (the listing filters them, server/services/jobs_service.cc).
absl::StatusOr<ApiRequest> BuildListRuns(const v1::ListRunsRequest& request,
                                         absl::string_view page_token, absl::string_view tenant);
// POST /api/2.2/jobs/runs/cancel (idempotent: cancelling twice is harmless).
ApiRequest BuildCancelRun(int64_t run_id);
ApiRequest BuildGetRunOutput(int64_t run_id);
absl::StatusOr<ApiRequest> BuildCreateJob(const v1::CreateJobRequest& request,
                                          absl::string_view tenant);
absl::StatusOr<ApiRequest> BuildGetJob(int64_t job_id);
// jobs/list from the upstream page `page_token`; a name filter is matched with the mark.
absl::StatusOr<ApiRequest> BuildListJobs(const v1::ListJobsRequest& request,
                                         absl::string_view page_token, absl::string_view tenant);
absl::StatusOr<ApiRequest> BuildDeleteJob(int64_t job_id);
// A runs/submit of one notebook task: `entry_point` (the workspace path of the gateway's
// streaming notebook, deploy/databricks/streaming_entry.py) with the source, sink, trigger
// and checkpoint as notebook parameters.
absl::StatusOr<ApiRequest> BuildSubmitStreamingRun(const v1::SubmitStreamingRunRequest& request,
                                                   absl::string_view idempotency_token,
                                                   absl::string_view entry_point,
                                                   absl::string_view tenant);

// Responses. Errors: INTERNAL naming the operation and the field that could not be read.
absl::Status ParseRun(const json::Value& body, v1::Run* run);
absl::Status ParseRunOutput(const json::Value& body, v1::GetRunOutputResponse* out);
absl::Status ParseListRuns(const json::Value& body, v1::ListRunsResponse* out);
absl::Status ParseJob(const json::Value& body, v1::Job* job);
absl::Status ParseListJobs(const json::Value& body, v1::ListJobsResponse* out);

// Ownership as Databricks keeps it (server/auth/ownership.h): a run by its run name, a job
// by its `gateway_tenant` tag. Everything is owned without tenants.
bool RunOwnedBy(const v1::Run& run, absl::string_view tenant);
bool JobOwnedBy(const v1::Job& job, absl::string_view tenant);
// The names as the tenant gave them, without the mark.
void UnmarkRun(v1::Run* run, absl::string_view tenant);
void UnmarkJob(v1::Job* job, absl::string_view tenant);

// The page token of a filtered listing: where the next page starts, as an upstream page
// token and the number of the tenant's objects on that upstream page already returned.
struct ListCursor {
  std::string upstream_token;
  int skip = 0;
};
std::string EncodeListCursor(const ListCursor& cursor);
// Errors: INVALID_ARGUMENT naming page_token for a token this gateway did not write.
absl::StatusOr<ListCursor> DecodeListCursor(absl::string_view page_token);

// Replaces every run id in `run` (the run, its first attempt, its tasks) with fn(id).
void MapRunIds(v1::Run* run, const std::function<std::string(const std::string&)>& fn);

// TERMINATED, SKIPPED or INTERNAL_ERROR.
bool IsTerminal(const v1::RunState& state);

// What WaitRun compares to decide that a run changed: the life-cycle and result states and
// the state message of the run and of each task.
std::string RunStateKey(const v1::Run& run);

}  // namespace gateway::databricks

#endif  // SERVER_DATABRICKS_JOBS_H_
