// `dbgw jobs …`: one command per JobsService method.
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/cli/command.h"

namespace gateway::cli {
namespace {

const std::vector<Column>& RunColumns() {
  static const auto* columns = new std::vector<Column>{
      {"run_id", "run_id"},
      {"run_name", "run_name"},
      {"state", "state.life_cycle_state"},
      {"result", "state.result_state"},
      {"start", "start_time", true},
      {"end", "end_time", true},
      {"message", "state.state_message"},
  };
  return *columns;
}

const std::vector<Column>& JobColumns() {
  static const auto* columns = new std::vector<Column>{
      {"job_id", "job_id"},
      {"name", "settings.name"},
      {"creator", "creator_user_name"},
      {"created", "created_time", true},
  };
  return *columns;
}

void PrintRun(Context& context, const v1::Run& run) {
  context.printer.BeginList(RunColumns());
  context.printer.Item(run);
  context.printer.End();
}

std::string StateText(const v1::RunState& state) {
  std::string text = state.life_cycle_state_text().empty()
                         ? v1::RunState::LifeCycleState_Name(state.life_cycle_state())
                         : state.life_cycle_state_text();
  if (state.result_state() != v1::RunState::RESULT_STATE_UNSPECIFIED) {
    absl::StrAppend(&text, " ", v1::RunState::ResultState_Name(state.result_state()));
  }
  return text;
}

std::string RunProgress(const v1::Run& run) {
  std::string text = absl::StrCat("run ", run.run_id(), "  ", StateText(run.state()));
  if (run.tasks_size() > 1) {
    int done = 0;
    for (const v1::RunTask& task : run.tasks()) {
      const auto state = task.state().life_cycle_state();
      if (state == v1::RunState::TERMINATED || state == v1::RunState::SKIPPED ||
          state == v1::RunState::INTERNAL_ERROR) {
        ++done;
      }
    }
    absl::StrAppend(&text, "  tasks ", done, "/", run.tasks_size(), " done");
  }
  return text;
}

// Follows the run to its end with a progress line; prints the final run. A run that did
// not succeed is a Databricks failure (exit 1).
int WaitAndPrint(Context& context, const std::string& run_id) {
  context.progress.Set(absl::StrCat("run ", run_id, "  waiting"));
  absl::StatusOr<v1::Run> run = context.client.WaitForRun(
      run_id, [&context](const v1::Run& current) { context.progress.Set(RunProgress(current)); },
      context.wait);
  context.progress.Finish();
  if (!run.ok()) return context.Fail(run.status());
  PrintRun(context, *run);
  if (run->state().result_state() != v1::RunState::SUCCESS) {
    return context.DatabricksFailure(absl::StrCat(
        "run ", run_id, " ended ", StateText(run->state()),
        run->state().state_message().empty() ? "" : ": ", run->state().state_message()));
  }
  return kExitOk;
}

absl::StatusOr<int64_t> JobIdArgument(const std::string& text) {
  int64_t id = 0;
  if (!absl::SimpleAtoi(text, &id) || id <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("JOB_ID \"", text, "\" is not a job id"));
  }
  return id;
}

// The task of `jobs submit` and `jobs create` from flags, or nullopt-like empty task when
// none of --notebook, --python-file, --jar-class is given.
absl::Status TaskFromFlags(const ParsedArgs& args, v1::Task* task, bool* given) {
  const int kinds = args.Has("notebook") + args.Has("python-file") + args.Has("jar-class");
  *given = kinds > 0;
  if (kinds == 0) return absl::OkStatus();
  if (kinds > 1) {
    return absl::InvalidArgumentError("give one of --notebook, --python-file, --jar-class");
  }
  task->set_task_key(args.Get("task-key", "main"));
  const std::vector<std::string> params = args.GetAll("param");
  if (args.Has("notebook")) {
    task->mutable_notebook_task()->set_notebook_path(args.Get("notebook"));
    absl::Status status =
        AddKeyValues("param", params, task->mutable_notebook_task()->mutable_base_parameters());
    if (!status.ok()) return status;
  } else if (args.Has("python-file")) {
    task->mutable_spark_python_task()->set_python_file(args.Get("python-file"));
    for (const std::string& p : params) task->mutable_spark_python_task()->add_parameters(p);
  } else {
    task->mutable_spark_jar_task()->set_main_class_name(args.Get("jar-class"));
    for (const std::string& p : params) task->mutable_spark_jar_task()->add_parameters(p);
    for (const std::string& jar : args.GetAll("jar")) task->add_libraries()->set_jar(jar);
  }
  if (args.Has("cluster")) {
    task->set_existing_cluster_id(args.Get("cluster"));
  } else if (args.Has("spark-version") || args.Has("node-type")) {
    v1::ClusterSpec* cluster = task->mutable_new_cluster();
    cluster->set_spark_version(args.Get("spark-version"));
    cluster->set_node_type_id(args.Get("node-type"));
    absl::StatusOr<int64_t> workers = args.GetInt("workers", 1);
    if (!workers.ok()) return workers.status();
    cluster->set_num_workers(static_cast<int32_t>(*workers));
  }
  return absl::OkStatus();
}

std::vector<FlagSpec> TaskFlags() {
  return {
      {"notebook", "PATH", "a notebook task: the notebook's workspace path"},
      {"python-file", "PATH", "a Python task: the file (workspace path or URI)"},
      {"jar-class", "CLASS", "a JAR task: the main class"},
      {"jar", "PATH", "a JAR to install for --jar-class", true},
      {"param", "KEY=VALUE", "notebook parameter (or argument VALUE for Python and JAR tasks)",
       true},
      {"task-key", "KEY", "the task's key (default main)"},
      {"cluster", "ID", "run on this existing cluster (default: serverless)"},
      {"spark-version", "VERSION", "run on a new cluster of this runtime"},
      {"node-type", "TYPE", "node type of the new cluster"},
      {"workers", "N", "workers of the new cluster (default 1)"},
  };
}

int Submit(Context& context) {
  v1::SubmitRunRequest request;
  if (absl::Status s = MergeRequestFile(context.args, &request); !s.ok())
    return context.Usage(std::string(s.message()));
  v1::Task task;
  bool given = false;
  if (absl::Status s = TaskFromFlags(context.args, &task, &given); !s.ok()) {
    return context.Usage(std::string(s.message()));
  }
  if (given) *request.add_tasks() = task;
  if (request.tasks().empty()) {
    return context.Usage("give --notebook, --python-file, --jar-class or --request FILE");
  }
  if (context.args.Has("name")) request.set_run_name(context.args.Get("name"));
  if (context.args.Has("idempotency-token")) {
    request.set_idempotency_token(context.args.Get("idempotency-token"));
  }
  absl::StatusOr<int64_t> run_timeout =
      context.args.GetInt("run-timeout", request.timeout_seconds());
  if (!run_timeout.ok()) return context.Usage(std::string(run_timeout.status().message()));
  request.set_timeout_seconds(static_cast<int32_t>(*run_timeout));
  absl::StatusOr<v1::SubmitRunResponse> response =
      context.client.SubmitRun(std::move(request), context.call);
  if (!response.ok()) return context.Fail(response.status());
  if (context.args.Has("wait")) return WaitAndPrint(context, response->run_id());
  context.printer.Message(*response);
  return kExitOk;
}

int RunNow(Context& context) {
  v1::RunNowRequest request;
  if (absl::Status s = MergeRequestFile(context.args, &request); !s.ok())
    return context.Usage(std::string(s.message()));
  absl::StatusOr<int64_t> job_id = JobIdArgument(context.args.positional()[0]);
  if (!job_id.ok()) return context.Usage(std::string(job_id.status().message()));
  request.set_job_id(*job_id);
  if (absl::Status s =
          AddKeyValues("param", context.args.GetAll("param"), request.mutable_job_parameters());
      !s.ok()) {
    return context.Usage(std::string(s.message()));
  }
  for (const std::string& key : context.args.GetAll("only")) request.add_only(key);
  if (context.args.Has("idempotency-token")) {
    request.set_idempotency_token(context.args.Get("idempotency-token"));
  }
  absl::StatusOr<v1::RunNowResponse> response =
      context.client.RunNow(std::move(request), context.call);
  if (!response.ok()) return context.Fail(response.status());
  if (context.args.Has("wait")) return WaitAndPrint(context, response->run_id());
  context.printer.Message(*response);
  return kExitOk;
}

int GetRun(Context& context) {
  v1::GetRunRequest request;
  request.set_run_id(context.args.positional()[0]);
  absl::StatusOr<v1::GetRunResponse> response = context.client.GetRun(request, context.call);
  if (!response.ok()) return context.Fail(response.status());
  if (context.args.Has("tasks")) {
    context.printer.BeginList({{"run_id", "run_id"},
                               {"task_key", "task_key"},
                               {"state", "state.life_cycle_state"},
                               {"result", "state.result_state"},
                               {"start", "start_time", true},
                               {"end", "end_time", true}});
    for (const v1::RunTask& task : response->run().tasks()) context.printer.Item(task);
    context.printer.End();
    return kExitOk;
  }
  context.printer.Message(response->run());
  return kExitOk;
}

int ListRuns(Context& context) {
  v1::ListRunsRequest request;
  absl::StatusOr<int64_t> job_id = context.args.GetInt("job-id", 0);
  absl::StatusOr<int64_t> limit = context.args.GetInt("limit", 25);
  if (!job_id.ok()) return context.Usage(std::string(job_id.status().message()));
  if (!limit.ok()) return context.Usage(std::string(limit.status().message()));
  request.set_job_id(*job_id);
  request.set_active_only(context.args.Has("active"));
  request.set_completed_only(context.args.Has("completed"));
  request.set_run_type(context.args.Get("run-type"));
  client::Pager<v1::Run> runs = context.client.Runs(request, context.call);
  return PrintItems(context, runs, RunColumns(), *limit);
}

int CancelRun(Context& context) {
  v1::CancelRunRequest request;
  request.set_run_id(context.args.positional()[0]);
  absl::StatusOr<v1::CancelRunResponse> response = context.client.CancelRun(request, context.call);
  if (!response.ok()) return context.Fail(response.status());
  if (!context.args.Has("wait")) {
    context.printer.Message(*response);
    return kExitOk;
  }
  absl::StatusOr<v1::Run> run = context.client.WaitForRun(
      request.run_id(),
      [&context](const v1::Run& current) { context.progress.Set(RunProgress(current)); },
      context.wait);
  context.progress.Finish();
  if (!run.ok()) return context.Fail(run.status());
  PrintRun(context, *run);
  return kExitOk;
}

int RunOutput(Context& context) {
  v1::GetRunOutputRequest request;
  request.set_run_id(context.args.positional()[0]);
  return PrintResponse(context, context.client.GetRunOutput(request, context.call));
}

int Wait(Context& context) { return WaitAndPrint(context, context.args.positional()[0]); }

int CreateJob(Context& context) {
  v1::CreateJobRequest request;
  if (absl::Status s = MergeRequestFile(context.args, &request); !s.ok())
    return context.Usage(std::string(s.message()));
  v1::Task task;
  bool given = false;
  if (absl::Status s = TaskFromFlags(context.args, &task, &given); !s.ok()) {
    return context.Usage(std::string(s.message()));
  }
  if (given) *request.mutable_settings()->add_tasks() = task;
  if (context.args.Has("name")) request.mutable_settings()->set_name(context.args.Get("name"));
  if (request.settings().name().empty() || request.settings().tasks().empty()) {
    return context.Usage(
        "a job needs --name and a task (--notebook, --python-file, --jar-class) "
        "or --request FILE");
  }
  return PrintResponse(context, context.client.CreateJob(request, context.call));
}

int GetJob(Context& context) {
  absl::StatusOr<int64_t> job_id = JobIdArgument(context.args.positional()[0]);
  if (!job_id.ok()) return context.Usage(std::string(job_id.status().message()));
  v1::GetJobRequest request;
  request.set_job_id(*job_id);
  absl::StatusOr<v1::GetJobResponse> response = context.client.GetJob(request, context.call);
  if (!response.ok()) return context.Fail(response.status());
  context.printer.Message(response->job());
  return kExitOk;
}

int ListJobs(Context& context) {
  absl::StatusOr<int64_t> limit = context.args.GetInt("limit", 0);
  if (!limit.ok()) return context.Usage(std::string(limit.status().message()));
  v1::ListJobsRequest request;
  request.set_name(context.args.Get("name"));
  client::Pager<v1::Job> jobs = context.client.Jobs(request, context.call);
  return PrintItems(context, jobs, JobColumns(), *limit);
}

int DeleteJob(Context& context) {
  absl::StatusOr<int64_t> job_id = JobIdArgument(context.args.positional()[0]);
  if (!job_id.ok()) return context.Usage(std::string(job_id.status().message()));
  v1::DeleteJobRequest request;
  request.set_job_id(*job_id);
  return PrintResponse(context, context.client.DeleteJob(request, context.call));
}

int SubmitStreaming(Context& context) {
  v1::SubmitStreamingRunRequest request;
  if (absl::Status s = MergeRequestFile(context.args, &request); !s.ok())
    return context.Usage(std::string(s.message()));
  const ParsedArgs& args = context.args;
  if (args.Has("source-table")) {
    absl::StatusOr<v1::TableName> source = TableArgument(args.Get("source-table"));
    if (!source.ok())
      return context.Usage(absl::StrCat("--source-table: ", source.status().message()));
    *request.mutable_source()->mutable_delta_table() = *source;
  }
  if (args.Has("sink-table")) {
    absl::StatusOr<v1::TableName> sink = TableArgument(args.Get("sink-table"));
    if (!sink.ok()) return context.Usage(absl::StrCat("--sink-table: ", sink.status().message()));
    *request.mutable_sink()->mutable_delta_table() = *sink;
  }
  if (args.Has("checkpoint")) request.set_checkpoint_location(args.Get("checkpoint"));
  if (args.Has("cluster")) request.set_existing_cluster_id(args.Get("cluster"));
  if (args.Has("available-now")) request.mutable_trigger()->set_available_now(true);
  if (args.Has("name")) request.set_run_name(args.Get("name"));
  return PrintResponse(context,
                       context.client.SubmitStreamingRun(std::move(request), context.call));
}

const FlagSpec kRequestFlag{
    "request", "FILE", "the request as JSON (proto field names; - for stdin); flags add to it"};
const FlagSpec kWaitFlag{
    "wait", "", "wait for the run to end, with a progress line; exit 1 unless it succeeds"};

}  // namespace

std::vector<Command> JobsCommands() {
  std::vector<FlagSpec> submit_flags = TaskFlags();
  submit_flags.insert(submit_flags.end(),
                      {{"name", "NAME", "the run's name"},
                       {"idempotency-token", "TOKEN",
                        "the same token returns the same run (default: a fresh one per call)"},
                       {"run-timeout", "SECONDS", "end the run TIMEDOUT after this long"},
                       kWaitFlag,
                       kRequestFlag});
  std::vector<FlagSpec> create_flags = TaskFlags();
  create_flags.insert(create_flags.end(), {{"name", "NAME", "the job's name"}, kRequestFlag});
  return {
      {{"jobs submit", "Submit a one-time run (SubmitRun) and print its handle.", "", 0, 0,
        submit_flags,
        "Examples:\n  dbgw jobs submit --notebook /Workspace/etl/daily --param day=2026-11-21 "
        "--wait\n"
        "  dbgw jobs submit --request run.json\n"},
       Submit},
      {{"jobs run-now",
        "Trigger a run of an existing job (RunNow).",
        "JOB_ID",
        1,
        1,
        {{"param", "KEY=VALUE", "a job parameter", true},
         {"only", "TASK_KEY", "run only this task", true},
         {"idempotency-token", "TOKEN", "the same token returns the same run"},
         kWaitFlag,
         kRequestFlag}},
       RunNow},
      {{"jobs get",
        "Show a run (GetRun).",
        "RUN_ID",
        1,
        1,
        {{"tasks", "", "list the run's task runs instead"}}},
       GetRun},
      {{"jobs list",
        "List runs, newest first (ListRuns).",
        "",
        0,
        0,
        {{"job-id", "ID", "only runs of this job"},
         {"active", "", "only active runs"},
         {"completed", "", "only completed runs"},
         {"run-type", "TYPE", "JOB_RUN, WORKFLOW_RUN or SUBMIT_RUN"},
         {"limit", "N", "at most N runs (default 25; 0: all)"}}},
       ListRuns},
      {{"jobs cancel",
        "Request a run's cancellation (CancelRun).",
        "RUN_ID",
        1,
        1,
        {{"wait", "", "wait until the run has ended"}}},
       CancelRun},
      {{"jobs output",
        "Show a run's output: notebook result, logs, error (GetRunOutput).",
        "RUN_ID",
        1,
        1,
        {}},
       RunOutput},
      {{"jobs wait",
        "Follow a run until it ends (WaitRun), with a progress line.",
        "RUN_ID",
        1,
        1,
        {},
        "Exits 0 when the run ends SUCCESS and 1 when it ends in any other state.\n"},
       Wait},
      {{"jobs create", "Create a job (CreateJob).", "", 0, 0, create_flags,
        "Example:\n  dbgw jobs create --name nightly --notebook /Workspace/etl/nightly\n"},
       CreateJob},
      {{"jobs get-job", "Show a job's settings (GetJob).", "JOB_ID", 1, 1, {}}, GetJob},
      {{"jobs list-jobs",
        "List jobs (ListJobs).",
        "",
        0,
        0,
        {{"name", "NAME", "only jobs with exactly this name"},
         {"limit", "N", "at most N jobs (default: all)"}}},
       ListJobs},
      {{"jobs delete-job", "Delete a job (DeleteJob).", "JOB_ID", 1, 1, {}}, DeleteJob},
      {{"jobs submit-streaming",
        "Submit a Structured Streaming run built by the gateway (SubmitStreamingRun).",
        "",
        0,
        0,
        {{"source-table", "TABLE", "read this Delta table as a stream"},
         {"sink-table", "TABLE", "write to this Delta table"},
         {"checkpoint", "PATH", "the checkpoint location"},
         {"cluster", "ID", "run on this existing cluster"},
         {"available-now", "", "process what is available, then stop"},
         {"name", "NAME", "the run's name"},
         kRequestFlag},
        "Kafka and file sources are given with --request FILE.\n"},
       SubmitStreaming},
  };
}

}  // namespace gateway::cli
