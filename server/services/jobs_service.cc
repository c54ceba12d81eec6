#include "server/services/jobs_service.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "server/databricks/jobs.h"
#include "server/services/calls.h"
#include "server/services/rest.h"

namespace gateway::services {
namespace {

namespace v1 = ::databricks::gateway::v1;
using databricks::ApiRequest;

// The idempotency token sent to Databricks. A caller's own token is made the tenant's
// (two tenants' equal tokens must not meet in one workspace). A call without one gets a
// fresh token that the gateway's own retries reuse, so they can never start a second run.
// (A caller that retries the whole call itself should send its own token.)
std::string IdempotencyToken(const Route& route, const std::string& given) {
  if (!given.empty()) return route.IdempotencyToken(given);
  thread_local std::mt19937_64 random{std::random_device{}()};
  return absl::StrFormat("gw-%016x%016x", random(), random());
}

// Databricks run ids in `run` → the caller's handles.
void ToHandles(const Route& route, v1::Run* run) {
  databricks::MapRunIds(run, [&route](const std::string& id) {
    int64_t n;
    return absl::SimpleAtoi(id, &n) ? route.RunHandle(n) : id;
  });
}

// Reads the new run's id from a submit or run-now answer into `handle`.
absl::Status NewRunHandle(const Route& route, const json::Value& body, absl::string_view operation,
                          std::string* handle) {
  const json::Value* id = body.Find("run_id");
  if (id == nullptr || !id->is_int()) return databricks::UnreadableResponse(operation, "no run_id");
  *handle = route.RunHandle(id->as_int());
  return absl::OkStatus();
}

using RunCallback = std::function<void(absl::StatusOr<v1::Run>)>;

// runs/get, following Jobs 2.2's task paging until the run has all its tasks.
class RunFetch : public std::enable_shared_from_this<RunFetch> {
 public:
  static void Start(std::shared_ptr<const Route> route, int64_t run_id, absl::Time deadline,
                    RunCallback done) {
    auto fetch = std::shared_ptr<RunFetch>(
        new RunFetch(std::move(route), run_id, deadline, std::move(done)));
    fetch->Page("");
  }

 private:
  RunFetch(std::shared_ptr<const Route> route, int64_t run_id, absl::Time deadline,
           RunCallback done)
      : route_(std::move(route)), run_id_(run_id), deadline_(deadline), done_(std::move(done)) {}

  void Page(const std::string& token) {
    SendApi(*route_, databricks::BuildGetRun(run_id_, token), deadline_,
            [self = shared_from_this(), first = token.empty()](absl::StatusOr<json::Value> body) {
              self->OnPage(first, std::move(body));
            });
  }

  void OnPage(bool first, absl::StatusOr<json::Value> body) {
    if (!body.ok()) {
      done_(body.status());
      return;
    }
    v1::Run page;
    if (absl::Status parsed = databricks::ParseRun(*body, &page); !parsed.ok()) {
      done_(parsed);
      return;
    }
    if (first) {
      run_ = std::move(page);
    } else {
      for (v1::RunTask& task : *page.mutable_tasks()) *run_.add_tasks() = std::move(task);
    }
    const json::Value* next = body->Find("next_page_token");
    if (next != nullptr && next->is_string() && !next->as_string().empty()) {
      Page(next->as_string());
      return;
    }
    ToHandles(*route_, &run_);
    done_(std::move(run_));
  }

  const std::shared_ptr<const Route> route_;
  const int64_t run_id_;
  const absl::Time deadline_;
  const RunCallback done_;
  v1::Run run_;
};

// WaitRun: polls the run with back-off (reset whenever it changes, since one change tends
// to follow another) and writes each change; ends at a terminal state. The caller's
// deadline ends the stream through gRPC (DEADLINE_EXCEEDED).
class RunWatch : public std::enable_shared_from_this<RunWatch> {
 public:
  static constexpr absl::Duration kFirstDelay = absl::Milliseconds(250);
  static constexpr absl::Duration kMaxDelay = absl::Seconds(5);

  RunWatch(std::shared_ptr<StreamCall<v1::WaitRunResponse>> call,
           std::shared_ptr<const Route> route, int64_t run_id, metrics::ServiceMetrics& metrics)
      : call_(std::move(call)), route_(std::move(route)), run_id_(run_id), metrics_(metrics) {}

  void Poll() {
    if (call_->finished()) return;
    RunFetch::Start(
        route_, run_id_, call_->deadline(),
        [self = shared_from_this()](absl::StatusOr<v1::Run> run) { self->OnRun(std::move(run)); });
  }

 private:
  void OnRun(absl::StatusOr<v1::Run> run) {
    if (!run.ok()) {
      call_->Finish(run.status());
      return;
    }
    const std::string key = databricks::RunStateKey(*run);
    if (key == last_key_) {
      delay_ = std::min(delay_ * 2, kMaxDelay);
      ScheduleNext();
      return;
    }
    last_key_ = key;
    delay_ = kFirstDelay;
    const bool terminal = databricks::IsTerminal(run->state());
    if (terminal) ObserveDuration(*run);
    v1::WaitRunResponse message;
    *message.mutable_run() = *std::move(run);
    message.set_terminal(terminal);
    call_->Write(std::move(message), [self = shared_from_this(), terminal] {
      if (terminal) {
        self->call_->Finish(absl::OkStatus());
      } else {
        self->ScheduleNext();
      }
    });
  }

  void ScheduleNext() {
    if (call_->finished()) return;
    const absl::Duration left = call_->deadline() - absl::Now();
    route_->RunAfter(std::max(absl::ZeroDuration(), std::min(delay_, left)),
                     [self = shared_from_this()] { self->Poll(); });
  }

  void ObserveDuration(const v1::Run& run) {
    if (run.start_time() <= 0 || run.end_time() < run.start_time()) return;
    const v1::RunState& state = run.state();
    const std::string& result = !state.result_state_text().empty() ? state.result_state_text()
                                                                   : state.life_cycle_state_text();
    metrics_.ObserveJobRun(route_->workspace(), absl::StrCat(run_id_), result,
                           static_cast<double>(run.end_time() - run.start_time()) / 1000.0);
  }

  const std::shared_ptr<StreamCall<v1::WaitRunResponse>> call_;
  const std::shared_ptr<const Route> route_;
  const int64_t run_id_;
  metrics::ServiceMetrics& metrics_;
  // Touched only by the one step in progress: polls and writes never overlap.
  std::string last_key_;
  absl::Duration delay_ = kFirstDelay;
};

// Routes the call and decodes its run handle, then runs `then(route, run_id)`; a refusal
// or an unknown handle finishes `call`.
template <typename CallPtr, typename Request, typename Then>
void RoutedRun(Router& router, const grpc::CallbackServerContext& context, absl::string_view method,
               CallPtr call, const Request& request, Then then) {
  Routed(
      router, context, method, call, request,
      [call, then = std::move(then)](std::shared_ptr<const Route> route, const Request& request) {
        absl::StatusOr<int64_t> run_id = route->RunId(request.run_id());
        if (!run_id.ok()) {
          call->Finish(run_id.status());
          return;
        }
        then(std::move(route), *run_id);
      });
}

}  // namespace

grpc::ServerUnaryReactor* JobsService::SubmitRun(grpc::CallbackServerContext* context,
                                                 const v1::SubmitRunRequest* request,
                                                 v1::SubmitRunResponse* response) {
  return ProxyUnary(
      router_, context, "JobsService/SubmitRun", request, response,
      [](const Route& route, const v1::SubmitRunRequest& request) {
        return databricks::BuildSubmitRun(request,
                                          IdempotencyToken(route, request.idempotency_token()));
      },
      [](const Route& route, const json::Value& body, v1::SubmitRunResponse* out) {
        return NewRunHandle(route, body, "jobs.runs.submit", out->mutable_run_id());
      });
}

grpc::ServerUnaryReactor* JobsService::RunNow(grpc::CallbackServerContext* context,
                                              const v1::RunNowRequest* request,
                                              v1::RunNowResponse* response) {
  return ProxyUnary(
      router_, context, "JobsService/RunNow", request, response,
      [](const Route& route, const v1::RunNowRequest& request) {
        return databricks::BuildRunNow(request,
                                       IdempotencyToken(route, request.idempotency_token()));
      },
      [](const Route& route, const json::Value& body, v1::RunNowResponse* out) {
        absl::Status read = NewRunHandle(route, body, "jobs.run_now", out->mutable_run_id());
        if (!read.ok()) return read;
        if (const json::Value* n = body.Find("number_in_job"); n != nullptr && n->is_int()) {
          out->set_number_in_job(n->as_int());
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* JobsService::GetRun(grpc::CallbackServerContext* context,
                                              const v1::GetRunRequest* request,
                                              v1::GetRunResponse* response) {
  auto call = UnaryCall<v1::GetRunResponse>::Start(context, response);
  RoutedRun(router_, *context, "JobsService/GetRun", call, *request,
            [call](std::shared_ptr<const Route> route, int64_t run_id) {
              RunFetch::Start(std::move(route), run_id, call->deadline(),
                              [call](absl::StatusOr<v1::Run> run) {
                                if (!run.ok()) {
                                  call->Finish(run.status());
                                  return;
                                }
                                v1::GetRunResponse out;
                                *out.mutable_run() = *std::move(run);
                                call->Finish(std::move(out));
                              });
            });
  return call->reactor();
}

grpc::ServerUnaryReactor* JobsService::ListRuns(grpc::CallbackServerContext* context,
                                                const v1::ListRunsRequest* request,
                                                v1::ListRunsResponse* response) {
  return ProxyUnary(
      router_, context, "JobsService/ListRuns", request, response,
      [](const Route&, const v1::ListRunsRequest& request) {
        return databricks::BuildListRuns(request);
      },
      [](const Route& route, const json::Value& body, v1::ListRunsResponse* out) {
        absl::Status parsed = databricks::ParseListRuns(body, out);
        for (v1::Run& run : *out->mutable_runs()) ToHandles(route, &run);
        return parsed;
      });
}

grpc::ServerUnaryReactor* JobsService::CancelRun(grpc::CallbackServerContext* context,
                                                 const v1::CancelRunRequest* request,
                                                 v1::CancelRunResponse* response) {
  return ProxyUnary(
      router_, context, "JobsService/CancelRun", request, response,
      [](const Route& route, const v1::CancelRunRequest& request) -> absl::StatusOr<ApiRequest> {
        absl::StatusOr<int64_t> id = route.RunId(request.run_id());
        if (!id.ok()) return id.status();
        return databricks::BuildCancelRun(*id);
      },
      [](const Route&, const json::Value&, v1::CancelRunResponse*) { return absl::OkStatus(); });
}

grpc::ServerUnaryReactor* JobsService::GetRunOutput(grpc::CallbackServerContext* context,
                                                    const v1::GetRunOutputRequest* request,
                                                    v1::GetRunOutputResponse* response) {
  return ProxyUnary(
      router_, context, "JobsService/GetRunOutput", request, response,
      [](const Route& route, const v1::GetRunOutputRequest& request) -> absl::StatusOr<ApiRequest> {
        absl::StatusOr<int64_t> id = route.RunId(request.run_id());
        if (!id.ok()) return id.status();
        return databricks::BuildGetRunOutput(*id);
      },
      [](const Route& route, const json::Value& body, v1::GetRunOutputResponse* out) {
        absl::Status parsed = databricks::ParseRunOutput(body, out);
        ToHandles(route, out->mutable_metadata());
        return parsed;
      });
}

grpc::ServerWriteReactor<v1::WaitRunResponse>* JobsService::WaitRun(
    grpc::CallbackServerContext* context, const v1::WaitRunRequest* request) {
  auto call = StreamCall<v1::WaitRunResponse>::Start(context);
  RoutedRun(router_, *context, "JobsService/WaitRun", call, *request,
            [call, metrics = &metrics_](std::shared_ptr<const Route> route, int64_t run_id) {
              std::make_shared<RunWatch>(call, std::move(route), run_id, *metrics)->Poll();
            });
  return call->reactor();
}

grpc::ServerUnaryReactor* JobsService::CreateJob(grpc::CallbackServerContext* context,
                                                 const v1::CreateJobRequest* request,
                                                 v1::CreateJobResponse* response) {
  return ProxyUnary(
      router_, context, "JobsService/CreateJob", request, response,
      [](const Route&, const v1::CreateJobRequest& request) {
        return databricks::BuildCreateJob(request);
      },
      [](const Route&, const json::Value& body, v1::CreateJobResponse* out) {
        const json::Value* id = body.Find("job_id");
        if (id == nullptr || !id->is_int()) {
          return databricks::UnreadableResponse("jobs.create", "no job_id");
        }
        out->set_job_id(id->as_int());
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* JobsService::GetJob(grpc::CallbackServerContext* context,
                                              const v1::GetJobRequest* request,
                                              v1::GetJobResponse* response) {
  return ProxyUnary(
      router_, context, "JobsService/GetJob", request, response,
      [](const Route&, const v1::GetJobRequest& request) {
        return databricks::BuildGetJob(request.job_id());
      },
      [](const Route&, const json::Value& body, v1::GetJobResponse* out) {
        return databricks::ParseJob(body, out->mutable_job());
      });
}

grpc::ServerUnaryReactor* JobsService::ListJobs(grpc::CallbackServerContext* context,
                                                const v1::ListJobsRequest* request,
                                                v1::ListJobsResponse* response) {
  return ProxyUnary(
      router_, context, "JobsService/ListJobs", request, response,
      [](const Route&, const v1::ListJobsRequest& request) {
        return databricks::BuildListJobs(request);
      },
      [](const Route&, const json::Value& body, v1::ListJobsResponse* out) {
        return databricks::ParseListJobs(body, out);
      });
}

grpc::ServerUnaryReactor* JobsService::DeleteJob(grpc::CallbackServerContext* context,
                                                 const v1::DeleteJobRequest* request,
                                                 v1::DeleteJobResponse* response) {
  return ProxyUnary(
      router_, context, "JobsService/DeleteJob", request, response,
      [](const Route&, const v1::DeleteJobRequest& request) {
        return databricks::BuildDeleteJob(request.job_id());
      },
      [](const Route&, const json::Value&, v1::DeleteJobResponse*) { return absl::OkStatus(); });
}

grpc::ServerUnaryReactor* JobsService::SubmitStreamingRun(
    grpc::CallbackServerContext* context, const v1::SubmitStreamingRunRequest* request,
    v1::SubmitStreamingRunResponse* response) {
  return ProxyUnary(
      router_, context, "JobsService/SubmitStreamingRun", request, response,
      [](const Route& route, const v1::SubmitStreamingRunRequest& request) {
        const std::string token = IdempotencyToken(route, request.idempotency_token());
        v1::SubmitStreamingRunRequest complete = request;
        for (v1::TableName* name : {complete.mutable_sink()->mutable_delta_table(),
                                    complete.mutable_source()->has_delta_table()
                                        ? complete.mutable_source()->mutable_delta_table()
                                        : nullptr}) {
          if (name == nullptr) continue;
          if (name->catalog().empty()) name->set_catalog(route.defaults().catalog);
          if (name->schema().empty()) name->set_schema(route.defaults().schema);
        }
        return databricks::BuildSubmitStreamingRun(complete, token,
                                                   route.streaming_notebook_path());
      },
      [](const Route& route, const json::Value& body, v1::SubmitStreamingRunResponse* out) {
        return NewRunHandle(route, body, "jobs.runs.submit", out->mutable_run_id());
      });
}

}  // namespace gateway::services
