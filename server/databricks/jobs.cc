#include "server/databricks/jobs.h"

#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/auth/ownership.h"
#include "server/common/status_macros.h"
#include "server/databricks/json_proto.h"

namespace gateway::databricks {
namespace {

constexpr absl::string_view kJobs = "/api/2.2/jobs";
constexpr size_t kMaxTokenLength = 64;

// The public Library flattens Databricks' {"pypi": {"package"}} and {"maven":
// {"coordinates"}}; these two move between the shapes, for every task in `tasks`.
void LibrariesToRest(json::Value* tasks) {
  if (tasks == nullptr || !tasks->is_array()) return;
  for (json::Value& task : tasks->as_array()) {
    json::Value* libraries = task.Find("libraries");
    if (libraries == nullptr || !libraries->is_array()) continue;
    for (json::Value& library : libraries->as_array()) {
      if (const json::Value* p = library.Find("pypi_package")) {
        library = json::Value::EmptyObject().Set("pypi", json::Value().Set("package", *p));
      } else if (const json::Value* m = library.Find("maven_coordinates")) {
        library = json::Value::EmptyObject().Set("maven", json::Value().Set("coordinates", *m));
      }
    }
  }
}

void LibrariesFromRest(json::Value* tasks) {
  if (tasks == nullptr || !tasks->is_array()) return;
  for (json::Value& task : tasks->as_array()) {
    json::Value* libraries = task.Find("libraries");
    if (libraries == nullptr || !libraries->is_array()) continue;
    for (json::Value& library : libraries->as_array()) {
      if (const json::Value* p = library.Find("pypi")) {
        const json::Value* package = p->Find("package");
        library = json::Value::EmptyObject().Set("pypi_package",
                                                 package != nullptr ? *package : json::Value());
      } else if (const json::Value* m = library.Find("maven")) {
        const json::Value* coordinates = m->Find("coordinates");
        library = json::Value::EmptyObject().Set(
            "maven_coordinates", coordinates != nullptr ? *coordinates : json::Value());
      }
    }
  }
}

bool ValidTaskKey(absl::string_view key) {
  if (key.empty() || key.size() > 100) return false;
  for (const char c : key) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  }
  return true;
}

absl::Status ValidateTasks(const google::protobuf::RepeatedPtrField<v1::Task>& tasks,
                           absl::string_view field) {
  if (tasks.empty()) return InvalidField(field, "at least one task is required");
  std::set<std::string> keys;
  for (int i = 0; i < tasks.size(); ++i) {
    const v1::Task& task = tasks[i];
    const std::string path = absl::StrCat(field, "[", i, "]");
    if (!ValidTaskKey(task.task_key())) {
      return InvalidField(absl::StrCat(path, ".task_key"),
                          "required; 1-100 letters, digits, '_' or '-'");
    }
    if (!keys.insert(task.task_key()).second) {
      return InvalidField(absl::StrCat(path, ".task_key"),
                          absl::StrCat("'", task.task_key(), "' is used by two tasks"));
    }
    if (task.task_case() == v1::Task::TASK_NOT_SET) {
      return InvalidField(path,
                          "set one task type (notebook_task, spark_jar_task, spark_python_task, "
                          "spark_submit_task, python_wheel_task or sql_task)");
    }
    for (int d = 0; d < task.depends_on_size(); ++d) {
      if (task.depends_on(d).task_key().empty()) {
        return InvalidField(absl::StrCat(path, ".depends_on[", d, "].task_key"), "required");
      }
    }
    if (task.has_spark_jar_task() && task.spark_jar_task().main_class_name().empty()) {
      return InvalidField(absl::StrCat(path, ".spark_jar_task.main_class_name"), "required");
    }
    if (task.has_notebook_task() && task.notebook_task().notebook_path().empty()) {
      return InvalidField(absl::StrCat(path, ".notebook_task.notebook_path"), "required");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateToken(absl::string_view token) {
  if (token.size() > kMaxTokenLength) {
    return InvalidField("idempotency_token", absl::StrCat("at most ", kMaxTokenLength,
                                                          " characters, got ", token.size()));
  }
  return absl::OkStatus();
}

absl::Status ValidatePageSize(int page_size, int max) {
  if (page_size < 0 || page_size > max) {
    return InvalidField("page_size",
                        absl::StrCat("must be between 0 and ", max, ", got ", page_size));
  }
  return absl::OkStatus();
}

absl::Status ValidateJobId(int64_t job_id) {
  if (job_id <= 0) return InvalidField("job_id", "required (a positive job id)");
  return absl::OkStatus();
}

std::string Flag(bool value) { return value ? "true" : ""; }
std::string Number(int64_t value) { return value != 0 ? absl::StrCat(value) : ""; }

// Reads `body` into `message`, turning a mapping error into INTERNAL for `operation`.
absl::Status Read(absl::string_view operation, const json::Value& body,
                  google::protobuf::Message* message) {
  absl::Status status = MergeJson(body, message);
  if (!status.ok()) return UnreadableResponse(operation, status.message());
  return absl::OkStatus();
}

// A run's JSON with its task libraries in the public shape.
json::Value PublicRunJson(const json::Value& run) {
  json::Value copy = run;
  LibrariesFromRest(copy.Find("tasks"));
  return copy;
}

absl::Status ValidateTableName(const v1::TableName& name, absl::string_view field) {
  if (name.table().empty()) return InvalidField(absl::StrCat(field, ".table"), "required");
  return absl::OkStatus();
}

// Option keys whose values are credentials: they must be Databricks secret references so
// that no secret travels in a run's parameters.
bool SecretOption(absl::string_view key) {
  const std::string lower = absl::AsciiStrToLower(key);
  for (absl::string_view marker : {"password", "secret", "jaas", "token", "credential"}) {
    if (absl::StrContains(lower, marker)) return true;
  }
  return false;
}

bool SecretReference(absl::string_view value) {
  return absl::StartsWith(value, "{{secrets/") && absl::EndsWith(value, "}}");
}

absl::Status ValidateOptions(const google::protobuf::Map<std::string, std::string>& options,
                             absl::string_view field) {
  for (const auto& [key, value] : options) {
    if (SecretOption(key) && !SecretReference(value)) {
      return InvalidField(absl::StrCat(field, ".", key),
                          "looks like a credential; give a Databricks secret reference "
                          "{{secrets/<scope>/<key>}}, never the value");
    }
  }
  return absl::OkStatus();
}

// Runs/list and jobs/list pages a filtered listing reads: the largest Databricks serves.
constexpr int kRunsPage = 24;
constexpr int kJobsPage = 100;

// A caller's tag that would claim another tenant's mark.
absl::Status RefuseTenantTag(const google::protobuf::Map<std::string, std::string>& tags,
                             absl::string_view field) {
  if (tags.count(std::string(auth::kTenantTag)) != 0) {
    return InvalidField(absl::StrCat(field, ".", auth::kTenantTag),
                        "is set by the gateway to the calling tenant; remove it");
  }
  return absl::OkStatus();
}

absl::Status RefuseTenantTags(const google::protobuf::RepeatedPtrField<v1::Task>& tasks,
                              absl::string_view field) {
  for (int i = 0; i < tasks.size(); ++i) {
    GW_RETURN_IF_ERROR(RefuseTenantTag(tasks[i].new_cluster().custom_tags(),
                                       absl::StrCat(field, "[", i, "].new_cluster.custom_tags")));
  }
  return absl::OkStatus();
}

// Sets `key` of the object `holder[field]` (created when missing) to the tenant.
void SetTenantTag(json::Value* holder, absl::string_view field, absl::string_view tenant) {
  if (holder == nullptr || !holder->is_object()) return;
  json::Value* tags = holder->Find(field);
  if (tags == nullptr || !tags->is_object()) {
    holder->Set(field, json::Value::EmptyObject());
    tags = holder->Find(field);
  }
  tags->Set(auth::kTenantTag, tenant);
}

// Tags every new cluster of `tasks` (a JSON array) with the tenant.
void TagTaskClusters(json::Value* tasks, absl::string_view tenant) {
  if (tenant.empty() || tasks == nullptr || !tasks->is_array()) return;
  for (json::Value& task : tasks->as_array()) {
    SetTenantTag(task.Find("new_cluster"), "custom_tags", tenant);
  }
}

}  // namespace

absl::StatusOr<ApiRequest> BuildSubmitRun(const v1::SubmitRunRequest& request,
                                          absl::string_view idempotency_token,
                                          absl::string_view tenant) {
  GW_RETURN_IF_ERROR(ValidateTasks(request.tasks(), "tasks"));
  GW_RETURN_IF_ERROR(ValidateToken(idempotency_token));
  if (request.timeout_seconds() < 0) return InvalidField("timeout_seconds", "must be >= 0");
  if (!tenant.empty()) GW_RETURN_IF_ERROR(RefuseTenantTags(request.tasks(), "tasks"));
  ApiRequest api;
  api.method = upstream::Method::kPost;
  api.path = absl::StrCat(kJobs, "/runs/submit");
  api.operation = "jobs.runs.submit";
  api.body = MessageToJson(request);
  api.body.Set("idempotency_token", idempotency_token);
  if (!tenant.empty()) api.body.Set("run_name", auth::MarkName(tenant, request.run_name()));
  LibrariesToRest(api.body.Find("tasks"));
  TagTaskClusters(api.body.Find("tasks"), tenant);
  api.idempotent = true;  // the token makes a repeat return the same run
  return api;
}

absl::StatusOr<ApiRequest> BuildRunNow(const v1::RunNowRequest& request,
                                       absl::string_view idempotency_token) {
  GW_RETURN_IF_ERROR(ValidateJobId(request.job_id()));
  GW_RETURN_IF_ERROR(ValidateToken(idempotency_token));
  ApiRequest api;
  api.method = upstream::Method::kPost;
  api.path = absl::StrCat(kJobs, "/run-now");
  api.operation = "jobs.run_now";
  api.body = MessageToJson(request);
  api.body.Set("idempotency_token", idempotency_token);
  api.idempotent = true;
  return api;
}

ApiRequest BuildGetRun(int64_t run_id, absl::string_view page_token) {
  ApiRequest api;
  api.path =
      PathWithQuery(absl::StrCat(kJobs, "/runs/get"),
                    {{"run_id", absl::StrCat(run_id)}, {"page_token", std::string(page_token)}});
  api.operation = "jobs.runs.get";
  api.idempotent = true;
  return api;
}

absl::StatusOr<ApiRequest> BuildListRuns(const v1::ListRunsRequest& request,
                                         absl::string_view page_token, absl::string_view tenant) {
  GW_RETURN_IF_ERROR(ValidatePageSize(request.page_size(), 24));
  if (request.active_only() && request.completed_only()) {
    return InvalidField("active_only", "cannot be combined with completed_only");
  }
  if (request.job_id() < 0) return InvalidField("job_id", "must be positive");
  const std::string& type = request.run_type();
  if (!type.empty() && type != "JOB_RUN" && type != "WORKFLOW_RUN" && type != "SUBMIT_RUN") {
    return InvalidField(
        "run_type", absl::StrCat("must be JOB_RUN, WORKFLOW_RUN or SUBMIT_RUN, got '", type, "'"));
  }
  ApiRequest api;
  api.path = PathWithQuery(absl::StrCat(kJobs, "/runs/list"),
                           {{"job_id", Number(request.job_id())},
                            {"active_only", Flag(request.active_only())},
                            {"completed_only", Flag(request.completed_only())},
                            {"run_type", type},
                            {"start_time_from", Number(request.start_time_from())},
                            {"start_time_to", Number(request.start_time_to())},
                            {"expand_tasks", Flag(request.expand_tasks())},
                            {"limit", absl::StrCat(!tenant.empty()            ? kRunsPage
                                                   : request.page_size() != 0 ? request.page_size()
                                                                              : 20)},
                            {"page_token", std::string(page_token)}});
  api.operation = "jobs.runs.list";
  api.idempotent = true;
  return api;
}

ApiRequest BuildCancelRun(int64_t run_id) {
  ApiRequest api;
  api.method = upstream::Method::kPost;
  api.path = absl::StrCat(kJobs, "/runs/cancel");
  api.body.Set("run_id", run_id);
  api.operation = "jobs.runs.cancel";
  api.idempotent = true;
  return api;
}

ApiRequest BuildGetRunOutput(int64_t run_id) {
  ApiRequest api;
  api.path =
      PathWithQuery(absl::StrCat(kJobs, "/runs/get-output"), {{"run_id", absl::StrCat(run_id)}});
  api.operation = "jobs.runs.get_output";
  api.idempotent = true;
  return api;
}

absl::StatusOr<ApiRequest> BuildCreateJob(const v1::CreateJobRequest& request,
                                          absl::string_view tenant) {
  const v1::JobSettings& settings = request.settings();
  if (settings.name().empty()) return InvalidField("settings.name", "required");
  GW_RETURN_IF_ERROR(ValidateTasks(settings.tasks(), "settings.tasks"));
  if (settings.max_concurrent_runs() < 0) {
    return InvalidField("settings.max_concurrent_runs", "must be >= 0");
  }
  if (!tenant.empty()) {
    GW_RETURN_IF_ERROR(RefuseTenantTag(settings.tags(), "settings.tags"));
    GW_RETURN_IF_ERROR(RefuseTenantTags(settings.tasks(), "settings.tasks"));
    for (int i = 0; i < settings.job_clusters_size(); ++i) {
      GW_RETURN_IF_ERROR(
          RefuseTenantTag(settings.job_clusters(i).new_cluster().custom_tags(),
                          absl::StrCat("settings.job_clusters[", i, "].new_cluster.custom_tags")));
    }
  }
  ApiRequest api;
  api.method = upstream::Method::kPost;
  api.path = absl::StrCat(kJobs, "/create");
  api.operation = "jobs.create";
  api.body = MessageToJson(settings);
  LibrariesToRest(api.body.Find("tasks"));
  if (!tenant.empty()) {
    // The job's runs take its name as their run name, so they carry the mark too. Job tags
    // reach the job's clusters; clusters of its own tasks are tagged as a submit's are.
    api.body.Set("name", auth::MarkName(tenant, settings.name()));
    SetTenantTag(&api.body, "tags", tenant);
    TagTaskClusters(api.body.Find("tasks"), tenant);
    if (json::Value* clusters = api.body.Find("job_clusters");
        clusters != nullptr && clusters->is_array()) {
      for (json::Value& cluster : clusters->as_array()) {
        SetTenantTag(cluster.Find("new_cluster"), "custom_tags", tenant);
      }
    }
  }
  return api;
}

absl::StatusOr<ApiRequest> BuildGetJob(int64_t job_id) {
  GW_RETURN_IF_ERROR(ValidateJobId(job_id));
  ApiRequest api;
  api.path = PathWithQuery(absl::StrCat(kJobs, "/get"), {{"job_id", absl::StrCat(job_id)}});
  api.operation = "jobs.get";
  api.idempotent = true;
  return api;
}

absl::StatusOr<ApiRequest> BuildListJobs(const v1::ListJobsRequest& request,
                                         absl::string_view page_token, absl::string_view tenant) {
  GW_RETURN_IF_ERROR(ValidatePageSize(request.page_size(), 100));
  ApiRequest api;
  api.path =
      PathWithQuery(absl::StrCat(kJobs, "/list"),
                    {{"name", request.name().empty() ? "" : auth::MarkName(tenant, request.name())},
                     {"expand_tasks", Flag(request.expand_tasks())},
                     {"limit", absl::StrCat(!tenant.empty()            ? kJobsPage
                                            : request.page_size() != 0 ? request.page_size()
                                                                       : 20)},
                     {"page_token", std::string(page_token)}});
  api.operation = "jobs.list";
  api.idempotent = true;
  return api;
}

absl::StatusOr<ApiRequest> BuildDeleteJob(int64_t job_id) {
  GW_RETURN_IF_ERROR(ValidateJobId(job_id));
  ApiRequest api;
  api.method = upstream::Method::kPost;
  api.path = absl::StrCat(kJobs, "/delete");
  api.body.Set("job_id", job_id);
  api.operation = "jobs.delete";
  return api;
}

absl::StatusOr<ApiRequest> BuildSubmitStreamingRun(const v1::SubmitStreamingRunRequest& request,
                                                   absl::string_view idempotency_token,
                                                   absl::string_view entry_point,
                                                   absl::string_view tenant) {
  const v1::StreamSource& source = request.source();
  std::string kind;
  switch (source.source_case()) {
    case v1::StreamSource::kDeltaTable:
      GW_RETURN_IF_ERROR(ValidateTableName(source.delta_table(), "source.delta_table"));
      kind = "delta";
      break;
    case v1::StreamSource::kKafka:
      if (source.kafka().bootstrap_servers().empty()) {
        return InvalidField("source.kafka.bootstrap_servers", "required");
      }
      if (source.kafka().topics().empty()) {
        return InvalidField("source.kafka.topics", "at least one topic is required");
      }
      GW_RETURN_IF_ERROR(ValidateOptions(source.kafka().options(), "source.kafka.options"));
      kind = "kafka";
      break;
    case v1::StreamSource::kFiles:
      if (source.files().path().empty()) return InvalidField("source.files.path", "required");
      if (source.files().format().empty()) return InvalidField("source.files.format", "required");
      GW_RETURN_IF_ERROR(ValidateOptions(source.files().options(), "source.files.options"));
      kind = "files";
      break;
    case v1::StreamSource::SOURCE_NOT_SET:
      return InvalidField("source", "required: delta_table, kafka or files");
  }
  GW_RETURN_IF_ERROR(ValidateTableName(request.sink().delta_table(), "sink.delta_table"));
  if (request.checkpoint_location().empty()) return InvalidField("checkpoint_location", "required");
  GW_RETURN_IF_ERROR(ValidateToken(idempotency_token));
  if (request.timeout_seconds() < 0) return InvalidField("timeout_seconds", "must be >= 0");
  if (!tenant.empty()) {
    GW_RETURN_IF_ERROR(
        RefuseTenantTag(request.new_cluster().custom_tags(), "new_cluster.custom_tags"));
  }

  json::Value parameters = json::Value::EmptyObject();
  parameters.Set("source_kind", kind)
      .Set("source", MessageToJson(source).Dump())
      .Set("sink", MessageToJson(request.sink()).Dump())
      .Set("trigger", MessageToJson(request.trigger()).Dump())
      .Set("checkpoint_location", request.checkpoint_location());
  json::Value notebook;
  notebook.Set("notebook_path", entry_point).Set("base_parameters", parameters);
  json::Value task;
  task.Set("task_key", "stream");
  if (request.has_new_cluster()) {
    task.Set("new_cluster", MessageToJson(request.new_cluster()));
  } else if (!request.existing_cluster_id().empty()) {
    task.Set("existing_cluster_id", request.existing_cluster_id());
  }
  task.Set("notebook_task", notebook);
  json::Value tasks = json::Value::EmptyArray();
  tasks.Append(task);
  TagTaskClusters(&tasks, tenant);

  ApiRequest api;
  api.method = upstream::Method::kPost;
  api.path = absl::StrCat(kJobs, "/runs/submit");
  api.operation = "jobs.runs.submit";
  const std::string run_name =
      request.run_name().empty() ? "gateway streaming run" : request.run_name();
  api.body.Set("run_name", auth::MarkName(tenant, run_name))
      .Set("tasks", tasks)
      .Set("idempotency_token", idempotency_token);
  if (request.timeout_seconds() > 0) {
    api.body.Set("timeout_seconds", int64_t{request.timeout_seconds()});
  }
  api.idempotent = true;
  return api;
}

absl::Status ParseRun(const json::Value& body, v1::Run* run) {
  return Read("jobs.runs.get", PublicRunJson(body), run);
}

absl::Status ParseRunOutput(const json::Value& body, v1::GetRunOutputResponse* out) {
  json::Value copy = body;
  if (json::Value* metadata = copy.Find("metadata")) *metadata = PublicRunJson(*metadata);
  return Read("jobs.runs.get_output", copy, out);
}

absl::Status ParseListRuns(const json::Value& body, v1::ListRunsResponse* out) {
  json::Value copy = body;
  if (json::Value* runs = copy.Find("runs"); runs != nullptr && runs->is_array()) {
    for (json::Value& run : runs->as_array()) run = PublicRunJson(run);
  }
  GW_RETURN_IF_ERROR(Read("jobs.runs.list", copy, out));
  // Databricks pairs next_page_token with has_more; an empty token ends the listing.
  const json::Value* has_more = body.Find("has_more");
  if (has_more != nullptr && has_more->is_bool() && !has_more->as_bool()) {
    out->clear_next_page_token();
  }
  return absl::OkStatus();
}

absl::Status ParseJob(const json::Value& body, v1::Job* job) {
  json::Value copy = body;
  if (json::Value* settings = copy.Find("settings")) LibrariesFromRest(settings->Find("tasks"));
  return Read("jobs.get", copy, job);
}

absl::Status ParseListJobs(const json::Value& body, v1::ListJobsResponse* out) {
  json::Value copy = body;
  if (json::Value* jobs = copy.Find("jobs"); jobs != nullptr && jobs->is_array()) {
    for (json::Value& job : jobs->as_array()) {
      if (json::Value* settings = job.Find("settings")) LibrariesFromRest(settings->Find("tasks"));
    }
  }
  GW_RETURN_IF_ERROR(Read("jobs.list", copy, out));
  const json::Value* has_more = body.Find("has_more");
  if (has_more != nullptr && has_more->is_bool() && !has_more->as_bool()) {
    out->clear_next_page_token();
  }
  return absl::OkStatus();
}

bool RunOwnedBy(const v1::Run& run, absl::string_view tenant) {
  return auth::NameOwnedBy(tenant, run.run_name());
}

bool JobOwnedBy(const v1::Job& job, absl::string_view tenant) {
  if (tenant.empty()) return true;
  const auto& tags = job.settings().tags();
  auto tag = tags.find(std::string(auth::kTenantTag));
  return tag != tags.end() && tag->second == tenant;
}

void UnmarkRun(v1::Run* run, absl::string_view tenant) {
  run->set_run_name(auth::UnmarkName(tenant, run->run_name()));
}

void UnmarkJob(v1::Job* job, absl::string_view tenant) {
  if (job->has_settings()) {
    job->mutable_settings()->set_name(auth::UnmarkName(tenant, job->settings().name()));
  }
}

std::string EncodeListCursor(const ListCursor& cursor) {
  if (cursor.upstream_token.empty() && cursor.skip == 0) return "";
  return absl::StrCat(cursor.skip, ".", absl::WebSafeBase64Escape(cursor.upstream_token));
}

absl::StatusOr<ListCursor> DecodeListCursor(absl::string_view page_token) {
  ListCursor cursor;
  if (page_token.empty()) return cursor;
  const size_t dot = page_token.find('.');
  if (dot == absl::string_view::npos ||
      !absl::SimpleAtoi(page_token.substr(0, dot), &cursor.skip) || cursor.skip < 0 ||
      cursor.skip > kJobsPage ||
      !absl::WebSafeBase64Unescape(page_token.substr(dot + 1), &cursor.upstream_token)) {
    return InvalidField("page_token", "is not a next_page_token this gateway returned");
  }
  return cursor;
}

void MapRunIds(v1::Run* run, const std::function<std::string(const std::string&)>& fn) {
  if (!run->run_id().empty()) run->set_run_id(fn(run->run_id()));
  if (!run->original_attempt_run_id().empty()) {
    run->set_original_attempt_run_id(fn(run->original_attempt_run_id()));
  }
  for (v1::RunTask& task : *run->mutable_tasks()) {
    if (!task.run_id().empty()) task.set_run_id(fn(task.run_id()));
  }
}

bool IsTerminal(const v1::RunState& state) {
  switch (state.life_cycle_state()) {
    case v1::RunState::TERMINATED:
    case v1::RunState::SKIPPED:
    case v1::RunState::INTERNAL_ERROR:
      return true;
    default:
      return false;
  }
}

std::string RunStateKey(const v1::Run& run) {
  auto state_key = [](const v1::RunState& s) {
    return absl::StrCat(s.life_cycle_state_text(), "/", s.result_state_text(), "/",
                        s.state_message());
  };
  std::string key = state_key(run.state());
  for (const v1::RunTask& task : run.tasks()) {
    absl::StrAppend(&key, "|", task.task_key(), "=", state_key(task.state()));
  }
  return key;
}

}  // namespace gateway::databricks
