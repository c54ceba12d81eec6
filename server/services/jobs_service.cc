#include "server/services/jobs_service.h"

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "server/databricks/errors.h"
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

// A run of the caller's as the caller sees it: Databricks run ids → the caller's handles,
// the run name without the tenant's mark. Only ever given runs the caller owns: a handle is
// the caller's proof of ownership from then on.
void ToHandles(const Route& route, v1::Run* run) {
  databricks::MapRunIds(run, [&route](const std::string& id) {
    int64_t n;
    return absl::SimpleAtoi(id, &n) ? route.RunHandle(n) : id;
  });
  databricks::UnmarkRun(run, route.tenant());
}

// The answer for a job that is not the caller's: the one Databricks gives for a job that
// does not exist, so a tenant learns nothing about other tenants' jobs.
absl::Status NoSuchJob(int64_t job_id) {
  databricks::ApiError error;
  error.http_status = 400;
  error.error_code = "INVALID_PARAMETER_VALUE";
  error.message = absl::StrCat("Job ", job_id, " does not exist.");
  return databricks::ToStatus(error);
}

using JobCallback = std::function<void(absl::StatusOr<v1::Job>)>;

// jobs/get of a job the caller owns (by its gateway_tenant tag); another tenant's job is
// NoSuchJob.
void FetchOwnedJob(const std::shared_ptr<const Route>& route, int64_t job_id, absl::Time deadline,
                   JobCallback done) {
  absl::StatusOr<ApiRequest> get = databricks::BuildGetJob(job_id);
  if (!get.ok()) {
    done(get.status());
    return;
  }
  SendApi(*route, *std::move(get), deadline,
          [route, job_id, done = std::move(done)](absl::StatusOr<json::Value> body) {
            if (!body.ok()) {
              done(body.status());
              return;
            }
            v1::Job job;
            if (absl::Status parsed = databricks::ParseJob(*body, &job); !parsed.ok()) {
              done(parsed);
              return;
            }
            if (!databricks::JobOwnedBy(job, route->tenant())) {
              done(NoSuchJob(job_id));
              return;
            }
            done(std::move(job));
          });
}

// Runs `then` once the job is known to be the caller's (at once without tenants, where
// every job is); otherwise finishes `call`.
template <typename CallPtr>
void WithOwnedJob(const std::shared_ptr<const Route>& route, int64_t job_id, CallPtr call,
                  std::function<void()> then) {
  // A dry run sends nothing, so it cannot read the job either; it shows the request.
  if (route->tenant().empty() || route->dry_run() != nullptr || job_id <= 0) {
    then();
    return;
  }
  FetchOwnedJob(route, job_id, call->deadline(),
                [call, then = std::move(then)](const absl::StatusOr<v1::Job>& job) {
                  if (!job.ok()) {
                    call->Finish(job.status());
                    return;
                  }
                  then();
                });
}

// A listing that returns only the caller's objects. Databricks cannot filter by tenant, so
// the listing reads upstream pages of the largest size, keeps the caller's objects, and
// stops when the caller's page is full, Databricks has no more, or kMaxPages were read.
// Its page token (databricks::ListCursor) says where the next page starts: an upstream
// page and how many of the caller's objects on it were already returned. A page may hold
// fewer objects than asked for, even none, and still have a next page token (as AIP-158
// allows); an empty token is the end.
template <typename Response, typename Item>
class OwnedListing : public std::enable_shared_from_this<OwnedListing<Response, Item>> {
 public:
  static constexpr int kMaxPages = 10;

  struct Spec {
    // The upstream request for the page at `upstream_token`.
    std::function<absl::StatusOr<ApiRequest>(const std::string& upstream_token)> build;
    // Parses one upstream page into a response.
    std::function<absl::Status(const json::Value&, Response*)> parse;
    google::protobuf::RepeatedPtrField<Item>* (Response::*items)();
    std::function<bool(const Item&)> owned;
    // Turns an owned item into what the caller sees (handles, names without the mark).
    std::function<void(Item*)> present;
  };

  static void Start(std::shared_ptr<UnaryCall<Response>> call, std::shared_ptr<const Route> route,
                    Spec spec, absl::string_view page_token, int page_size) {
    absl::StatusOr<databricks::ListCursor> cursor = databricks::DecodeListCursor(page_token);
    if (!cursor.ok()) {
      call->Finish(cursor.status());
      return;
    }
    auto listing = std::shared_ptr<OwnedListing>(
        new OwnedListing(std::move(call), std::move(route), std::move(spec), *std::move(cursor),
                         page_size > 0 ? page_size : 20));
    listing->Fetch();
  }

 private:
  OwnedListing(std::shared_ptr<UnaryCall<Response>> call, std::shared_ptr<const Route> route,
               Spec spec, databricks::ListCursor cursor, int want)
      : call_(std::move(call)),
        route_(std::move(route)),
        spec_(std::move(spec)),
        cursor_(std::move(cursor)),
        want_(want) {}

  void Fetch() {
    if (call_->finished()) return;
    absl::StatusOr<ApiRequest> api = spec_.build(cursor_.upstream_token);
    if (!api.ok()) {
      call_->Finish(api.status());
      return;
    }
    SendApi(*route_, *std::move(api), call_->deadline(),
            [self = this->shared_from_this()](absl::StatusOr<json::Value> body) {
              self->OnPage(std::move(body));
            });
  }

  void OnPage(absl::StatusOr<json::Value> body) {
    if (!body.ok()) {
      call_->Finish(body.status());
      return;
    }
    Response page;
    if (absl::Status parsed = spec_.parse(*body, &page); !parsed.ok()) {
      call_->Finish(parsed);
      return;
    }
    google::protobuf::RepeatedPtrField<Item>* out = (out_.*spec_.items)();
    int seen = 0;  // the caller's objects on this page, returned before or now
    for (Item& item : *(page.*spec_.items)()) {
      if (!spec_.owned(item)) continue;
      if (seen++ < cursor_.skip) continue;
      if (out->size() == want_) {
        Done({cursor_.upstream_token, seen - 1});
        return;
      }
      spec_.present(&item);
      *out->Add() = std::move(item);
    }
    const std::string next = page.next_page_token();
    if (next.empty()) {
      Done({});
      return;
    }
    if (out->size() == want_ || ++pages_ == kMaxPages) {
      Done({next, 0});
      return;
    }
    cursor_ = {next, 0};
    // Each further page counts toward the tenant's rate like a call (Route::Pace).
    route_->Pace([self = this->shared_from_this()] { self->Fetch(); },
                 [call = call_] { return call->finished(); });
  }

  void Done(const databricks::ListCursor& next) {
    out_.set_next_page_token(databricks::EncodeListCursor(next));
    call_->Finish(std::move(out_));
  }

  const std::shared_ptr<UnaryCall<Response>> call_;
  const std::shared_ptr<const Route> route_;
  const Spec spec_;
  databricks::ListCursor cursor_;
  const int want_;
  int pages_ = 0;
  Response out_;
};

// Reads the new run's id from a submit or run-now answer into `handle`.
absl::Status NewRunHandle(const Route& route, const json::Value& body, absl::string_view operation,
                          std::string* handle) {
  const json::Value* id = body.Find("run_id");
  if (id == nullptr || !id->is_int()) return databricks::UnreadableResponse(operation, "no run_id");
  *handle = route.RunHandle(id->as_int());
  return absl::OkStatus();
}

// A streaming run's source and sink under the tenant's schema rules, its storage paths (a
// file source, the checkpoint: a volume path is in its schema, any other path is refused
// under schema rules), and the secret scopes its options reference.
absl::Status CheckStreamTables(const Route& route, const v1::SubmitStreamingRunRequest& request) {
  const v1::TableName& sink = request.sink().delta_table();
  absl::Status allowed = route.CheckSchema(sink.catalog(), sink.schema());
  if (!allowed.ok()) return allowed;
  const v1::StreamSource& source = request.source();
  if (source.has_delta_table()) {
    allowed = route.CheckSchema(source.delta_table().catalog(), source.delta_table().schema());
  } else if (source.has_files()) {
    allowed = route.CheckPath("source.files.path", source.files().path());
    if (allowed.ok()) allowed = route.CheckSecretReferences(source.files().options());
  } else if (source.has_kafka()) {
    allowed = route.CheckSecretReferences(source.kafka().options());
  }
  if (!allowed.ok()) return allowed;
  // The cluster's environment and Spark conf resolve secret references too.
  allowed = route.CheckSecretReferences(request.new_cluster().spark_env_vars());
  if (allowed.ok()) allowed = route.CheckSecretReferences(request.new_cluster().spark_conf());
  if (!allowed.ok()) return allowed;
  // Options that are storage paths (a schema location, a bad-records path) are paths too.
  for (const auto* options : {&source.files().options(), &source.kafka().options()}) {
    for (const auto& [key, value] : *options) {
      if (absl::StartsWith(value, "/") || absl::StrContains(value, ":/")) {
        allowed = route.CheckPath(absl::StrCat("source options ", key), value);
        if (!allowed.ok()) return allowed;
      }
    }
  }
  return route.CheckPath("checkpoint_location", request.checkpoint_location());
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
    // Each poll after the first counts toward the tenant's rate like a call (Route::Pace).
    route_->RunAfter(
        std::max(absl::ZeroDuration(), std::min(delay_, left)), [self = shared_from_this()] {
          self->route_->Pace([self] { self->Poll(); }, [self] { return self->call_->finished(); });
        });
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
      // Task code is beyond the access rules: the loader gives SubmitRun, RunNow and
      // CreateJob only to tenants without schema, warehouse or secret-scope rules.
      [](const Route& route, const v1::SubmitRunRequest& request) {
        return databricks::BuildSubmitRun(
            request, IdempotencyToken(route, request.idempotency_token()), route.tenant());
      },
      [](const Route& route, const json::Value& body, v1::SubmitRunResponse* out) {
        return NewRunHandle(route, body, "jobs.runs.submit", out->mutable_run_id());
      });
}

grpc::ServerUnaryReactor* JobsService::RunNow(grpc::CallbackServerContext* context,
                                              const v1::RunNowRequest* request,
                                              v1::RunNowResponse* response) {
  auto call = UnaryCall<v1::RunNowResponse>::Start(context, response);
  Routed(
      router_, *context, "JobsService/RunNow", call, *request,
      [call](const std::shared_ptr<const Route>& route, const v1::RunNowRequest& request) {
        absl::StatusOr<ApiRequest> api =
            databricks::BuildRunNow(request, IdempotencyToken(*route, request.idempotency_token()));
        if (!api.ok()) {
          call->Finish(api.status());
          return;
        }
        WithOwnedJob(route, request.job_id(), call, [call, route, api = *std::move(api)] {
          SendApi(*route, api, call->deadline(), [call, route](absl::StatusOr<json::Value> body) {
            if (!body.ok()) {
              call->Finish(body.status());
              return;
            }
            v1::RunNowResponse out;
            absl::Status read = NewRunHandle(*route, *body, "jobs.run_now", out.mutable_run_id());
            if (!read.ok()) {
              call->Finish(read);
              return;
            }
            if (const json::Value* n = body->Find("number_in_job"); n != nullptr && n->is_int()) {
              out.set_number_in_job(n->as_int());
            }
            call->Finish(std::move(out));
          });
        });
      });
  return call->reactor();
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
  auto call = UnaryCall<v1::ListRunsResponse>::Start(context, response);
  Routed(router_, *context, "JobsService/ListRuns", call, *request,
         [call](const std::shared_ptr<const Route>& route, const v1::ListRunsRequest& request) {
           using Listing = OwnedListing<v1::ListRunsResponse, v1::Run>;
           Listing::Spec spec;
           spec.build = [request, tenant = route->tenant()](const std::string& token) {
             return databricks::BuildListRuns(request, token, tenant);
           };
           spec.parse = databricks::ParseListRuns;
           spec.items = &v1::ListRunsResponse::mutable_runs;
           spec.owned = [tenant = route->tenant()](const v1::Run& run) {
             return databricks::RunOwnedBy(run, tenant);
           };
           spec.present = [route](v1::Run* run) { ToHandles(*route, run); };
           // The runs of another tenant's job are refused as the job would be, so that an
           // empty listing does not tell a job that exists from one that does not.
           WithOwnedJob(
               route, request.job_id(), call,
               [call, route, spec = std::move(spec), token = request.page_token(),
                size = request.page_size()] { Listing::Start(call, route, spec, token, size); });
         });
  return call->reactor();
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
      [](const Route& route, const v1::CreateJobRequest& request) {
        return databricks::BuildCreateJob(request, route.tenant());
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
  auto call = UnaryCall<v1::GetJobResponse>::Start(context, response);
  Routed(router_, *context, "JobsService/GetJob", call, *request,
         [call](const std::shared_ptr<const Route>& route, const v1::GetJobRequest& request) {
           FetchOwnedJob(route, request.job_id(), call->deadline(),
                         [call, route](absl::StatusOr<v1::Job> job) {
                           if (!job.ok()) {
                             call->Finish(job.status());
                             return;
                           }
                           v1::GetJobResponse out;
                           *out.mutable_job() = *std::move(job);
                           databricks::UnmarkJob(out.mutable_job(), route->tenant());
                           call->Finish(std::move(out));
                         });
         });
  return call->reactor();
}

grpc::ServerUnaryReactor* JobsService::ListJobs(grpc::CallbackServerContext* context,
                                                const v1::ListJobsRequest* request,
                                                v1::ListJobsResponse* response) {
  auto call = UnaryCall<v1::ListJobsResponse>::Start(context, response);
  Routed(router_, *context, "JobsService/ListJobs", call, *request,
         [call](const std::shared_ptr<const Route>& route, const v1::ListJobsRequest& request) {
           using Listing = OwnedListing<v1::ListJobsResponse, v1::Job>;
           Listing::Spec spec;
           spec.build = [request, tenant = route->tenant()](const std::string& token) {
             return databricks::BuildListJobs(request, token, tenant);
           };
           spec.parse = databricks::ParseListJobs;
           spec.items = &v1::ListJobsResponse::mutable_jobs;
           spec.owned = [tenant = route->tenant()](const v1::Job& job) {
             return databricks::JobOwnedBy(job, tenant);
           };
           spec.present = [tenant = route->tenant()](v1::Job* job) {
             databricks::UnmarkJob(job, tenant);
           };
           Listing::Start(call, route, std::move(spec), request.page_token(), request.page_size());
         });
  return call->reactor();
}

grpc::ServerUnaryReactor* JobsService::DeleteJob(grpc::CallbackServerContext* context,
                                                 const v1::DeleteJobRequest* request,
                                                 v1::DeleteJobResponse* response) {
  auto call = UnaryCall<v1::DeleteJobResponse>::Start(context, response);
  Routed(router_, *context, "JobsService/DeleteJob", call, *request,
         [call](const std::shared_ptr<const Route>& route, const v1::DeleteJobRequest& request) {
           absl::StatusOr<ApiRequest> api = databricks::BuildDeleteJob(request.job_id());
           if (!api.ok()) {
             call->Finish(api.status());
             return;
           }
           WithOwnedJob(route, request.job_id(), call, [call, route, api = *std::move(api)] {
             SendApi(*route, api, call->deadline(),
                     [call](const absl::StatusOr<json::Value>& body) {
                       if (!body.ok()) {
                         call->Finish(body.status());
                         return;
                       }
                       call->Finish(v1::DeleteJobResponse());
                     });
           });
         });
  return call->reactor();
}

grpc::ServerUnaryReactor* JobsService::SubmitStreamingRun(
    grpc::CallbackServerContext* context, const v1::SubmitStreamingRunRequest* request,
    v1::SubmitStreamingRunResponse* response) {
  return ProxyUnary(
      router_, context, "JobsService/SubmitStreamingRun", request, response,
      [](const Route& route,
         const v1::SubmitStreamingRunRequest& request) -> absl::StatusOr<ApiRequest> {
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
        absl::Status allowed = CheckStreamTables(route, complete);
        if (!allowed.ok()) return allowed;
        return databricks::BuildSubmitStreamingRun(complete, token, route.streaming_notebook_path(),
                                                   route.tenant());
      },
      [](const Route& route, const json::Value& body, v1::SubmitStreamingRunResponse* out) {
        return NewRunHandle(route, body, "jobs.runs.submit", out->mutable_run_id());
      });
}

}  // namespace gateway::services
