#include "tests/emulator/jobs_api.h"

#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace emulator {
namespace {

constexpr size_t kArrayPage = 100;  // Jobs 2.2 pages arrays inside jobs and runs
constexpr int64_t kMaxOffset = 10000;
constexpr const char* kMultiTaskOutput =
    "Retrieving the output of runs with multiple tasks is not supported. Please retrieve the "
    "output of each individual task run instead.";

constexpr const char* kTaskTypes[] = {
    "notebook_task",     "spark_jar_task",    "spark_python_task",
    "spark_submit_task", "python_wheel_task", "sql_task",
    "condition_task",    "run_job_task",      "for_each_task",
    "pipeline_task",     "dbt_task",          "dashboard_task",
    "alert_task",        "power_bi_task",     "clean_rooms_notebook_task"};

bool Matches(const std::string& pattern, const std::string& value) {
  if (pattern.empty()) return true;
  if (pattern.back() == '*') return absl::StartsWith(value, pattern.substr(0, pattern.size() - 1));
  return pattern == value;
}

std::string ScalarText(const json::Value& v) {
  if (v.is_string()) return v.as_string();
  if (v.is_null()) return "";
  return v.Dump();
}

// Every "name=value" the task would see: its own parameters and the run's.
std::set<std::string> ParameterPairs(const json::Value& spec, const json::Value& job_parameters,
                                     const json::Value& overriding) {
  std::set<std::string> pairs;
  auto add_object = [&](const json::Value* object) {
    if (object == nullptr || !object->is_object()) return;
    for (const auto& [k, v] : object->as_object()) pairs.insert(k + "=" + ScalarText(v));
  };
  auto add_list = [&](const json::Value* list) {
    if (list == nullptr || !list->is_array()) return;
    for (const json::Value& v : list->as_array()) pairs.insert(ScalarText(v));
  };
  for (const char* type : kTaskTypes) {
    const json::Value* task = spec.Find(type);
    if (task == nullptr) continue;
    add_object(task->Find("base_parameters"));
    add_object(task->Find("named_parameters"));
    add_object(task->Find("parameters"));
    add_list(task->Find("parameters"));
  }
  if (job_parameters.is_array()) {
    for (const json::Value& p : job_parameters.as_array()) {
      const json::Value* name = p.Find("name");
      const json::Value* value = p.Find("value");
      if (name && value) pairs.insert(ScalarText(*name) + "=" + ScalarText(*value));
    }
  }
  for (const char* key : {"notebook_params", "python_named_params", "sql_params"}) {
    add_object(overriding.Find(key));
  }
  for (const char* key : {"jar_params", "python_params", "spark_submit_params"}) {
    add_list(overriding.Find(key));
  }
  return pairs;
}

json::Value Object() { return json::Value::EmptyObject(); }

// The paging fields of a runs or jobs list holding items [offset, offset + limit) of `total`:
// the array (omitted when empty, as the service does), has_more and the page tokens.
void SetListPage(const char* key, json::Value items, int64_t offset, int64_t limit, size_t total,
                 json::Value* out) {
  const bool more = offset + limit < static_cast<int64_t>(total);
  if (!items.as_array().empty()) out->Set(key, std::move(items));
  out->Set("has_more", more);
  if (more) out->Set("next_page_token", EncodePageToken(key, offset + limit));
  if (offset > 0) {
    out->Set("prev_page_token", EncodePageToken(key, std::max<int64_t>(0, offset - limit)));
  }
}

}  // namespace

TaskOutcome JobsApi::OutcomeFor(const Task& task, const Run& run) const {
  const std::set<std::string> pairs =
      ParameterPairs(task.spec, run.job_parameters, run.overriding_parameters);
  std::string notebook;
  std::string python;
  if (const json::Value* nb = task.spec.Find("notebook_task")) {
    if (const json::Value* p = nb->Find("notebook_path"); p && p->is_string())
      notebook = p->as_string();
  }
  if (const json::Value* py = task.spec.Find("spark_python_task")) {
    if (const json::Value* p = py->Find("python_file"); p && p->is_string())
      python = p->as_string();
  }
  for (const TaskOutcome& rule : options_.outcomes) {
    if (!rule.match_notebook_path.empty() && !Matches(rule.match_notebook_path, notebook)) continue;
    if (!rule.match_python_file.empty() && !Matches(rule.match_python_file, python)) continue;
    if (!rule.match_task_key.empty() && rule.match_task_key != task.key) continue;
    if (!rule.match_parameter.empty() && pairs.count(rule.match_parameter) == 0) continue;
    return rule;
  }
  return TaskOutcome{};
}

void JobsApi::Plan(Run& run, int64_t start_ms) {
  run.start_ms = start_ms;
  // Tasks start when their dependencies end; a failed dependency fails them (run_if
  // ALL_SUCCESS) without running. Dependencies were validated to be acyclic.
  std::map<std::string, Task*> by_key;
  for (Task& t : run.tasks) by_key[t.key] = &t;
  std::set<std::string> planned;
  while (planned.size() < run.tasks.size()) {
    for (Task& t : run.tasks) {
      if (planned.count(t.key)) continue;
      bool ready = true;
      int64_t begin = start_ms;
      bool upstream_failed = false;
      for (const std::string& dep : t.depends_on) {
        if (!planned.count(dep)) {
          ready = false;
          break;
        }
        const Task* d = by_key[dep];
        begin = std::max(begin, d->end_ms);
        upstream_failed |= d->result_state != "SUCCESS";
      }
      if (!ready) continue;
      planned.insert(t.key);
      t.start_ms = begin;
      if (upstream_failed && t.run_if == "ALL_SUCCESS") {
        t.upstream_failed = true;
        t.running_ms = t.terminating_ms = t.end_ms = begin;
        t.result_state = "UPSTREAM_FAILED";
        continue;
      }
      const int64_t pending =
          t.outcome.pending_ms >= 0 ? t.outcome.pending_ms : options_.pending_ms;
      const int64_t running =
          t.outcome.running_ms >= 0 ? t.outcome.running_ms : options_.running_ms;
      t.running_ms = begin + pending;
      t.terminating_ms = t.running_ms + running;
      t.end_ms = t.terminating_ms + options_.terminating_ms;
      t.result_state = t.outcome.internal_error ? "FAILED" : t.outcome.result_state;
      t.internal_error = t.outcome.internal_error;
    }
  }
  if (run.timeout_s > 0) {
    int64_t end = 0;
    for (const Task& t : run.tasks) end = std::max(end, t.end_ms);
    const int64_t deadline = start_ms + run.timeout_s * 1000;
    if (end > deadline) Cut(run, deadline, true);
  }
}

void JobsApi::Cut(Run& run, int64_t at_ms, bool timeout) const {
  if (run.cancel_ms >= 0) return;
  run.cancel_ms = at_ms;
  run.timed_out = timeout;
  const std::string result = timeout ? "TIMEDOUT" : "CANCELED";
  if (run.start_ms < 0) return;  // still queued: never starts
  for (Task& t : run.tasks) {
    if (t.end_ms <= at_ms) continue;  // already finished
    if (t.start_ms >= at_ms || t.running_ms >= at_ms) {
      // Not started yet (or still pending): ends at once.
      t.start_ms = std::min(t.start_ms, at_ms);
      t.running_ms = t.terminating_ms = t.end_ms = at_ms;
      t.result_state = t.start_ms < at_ms ? result : "CANCELED";
    } else {
      t.terminating_ms = std::min(t.terminating_ms, at_ms);
      t.end_ms = t.terminating_ms + options_.terminating_ms;
      t.result_state = result;
    }
    t.internal_error = false;
  }
}

JobsApi::Snapshot JobsApi::TaskAt(const Run& run, const Task& task, int64_t now_ms) {
  Snapshot s;
  if (run.skipped) {
    s.life_cycle = "SKIPPED";
    s.status_state = "TERMINATED";
    s.result_state = "EXCLUDED";
    s.termination_code = "SKIPPED";
    s.termination_type = "SUCCESS";
    s.end_ms = run.created_ms;
    return s;
  }
  if (task.start_ms < 0 || now_ms < task.start_ms) {
    if (run.start_ms < 0 && run.cancel_ms >= 0) {
      s.life_cycle = "TERMINATED";
      s.status_state = "TERMINATED";
      s.result_state = "CANCELED";
      s.termination_code = "USER_CANCELED";
      s.termination_type = "SUCCESS";
      s.user_cancelled_or_timedout = true;
      s.end_ms = run.cancel_ms;
      return s;
    }
    s.life_cycle = run.start_ms < 0 ? "QUEUED" : "PENDING";
    s.status_state = run.start_ms < 0 ? "QUEUED" : "BLOCKED";
    s.state_message = run.start_ms < 0 ? "Queued" : "Waiting for upstream tasks";
    return s;
  }
  if (now_ms < task.running_ms) {
    s.life_cycle = s.status_state = "PENDING";
    s.state_message = "Waiting for cluster";
    return s;
  }
  if (now_ms < task.terminating_ms) {
    s.life_cycle = s.status_state = "RUNNING";
    s.state_message = "In run";
    return s;
  }
  if (now_ms < task.end_ms) {
    s.life_cycle = s.status_state = "TERMINATING";
    return s;
  }
  s.end_ms = task.end_ms;
  s.status_state = "TERMINATED";
  s.life_cycle = task.internal_error ? "INTERNAL_ERROR" : "TERMINATED";
  s.result_state = task.result_state;
  s.state_message = task.outcome.state_message;
  if (task.internal_error) {
    s.termination_code = "INTERNAL_ERROR";
    s.termination_type = "INTERNAL_ERROR";
    if (s.state_message.empty())
      s.state_message = "An internal error occurred in the Jobs service.";
  } else if (task.result_state == "SUCCESS") {
    s.termination_code = s.termination_type = "SUCCESS";
  } else if (task.result_state == "CANCELED") {
    s.termination_code = run.timed_out ? "CANCELED" : "USER_CANCELED";
    s.termination_type = run.timed_out ? "CLIENT_ERROR" : "SUCCESS";
    s.user_cancelled_or_timedout = true;
  } else if (task.result_state == "TIMEDOUT") {
    s.termination_code = "CANCELED";
    s.termination_type = "CLIENT_ERROR";
    s.user_cancelled_or_timedout = true;
    s.state_message = absl::StrCat("Run timed out after ", run.timeout_s, " seconds.");
  } else if (task.result_state == "UPSTREAM_FAILED") {
    s.termination_code = "RUN_EXECUTION_ERROR";
    s.termination_type = "CLIENT_ERROR";
    s.state_message = "Task was not run because an upstream task failed.";
  } else {
    s.termination_code = "RUN_EXECUTION_ERROR";
    s.termination_type = "CLIENT_ERROR";
    if (s.state_message.empty()) s.state_message = "Workload failed, see run output for details";
  }
  return s;
}

JobsApi::Snapshot JobsApi::RunAt(const Run& run, int64_t now_ms) {
  Snapshot s;
  if (run.skipped) {
    s = TaskAt(run, run.tasks.front(), now_ms);
    s.life_cycle = "SKIPPED";
    s.result_state = "MAXIMUM_CONCURRENT_RUNS_REACHED";
    s.termination_code = "MAX_CONCURRENT_RUNS_EXCEEDED";
    s.termination_type = "CLIENT_ERROR";
    s.state_message =
        "Skipping this run because the limit of maximum concurrent runs has been reached.";
    return s;
  }
  bool any_running = false;
  bool any_pending = false;
  bool any_terminating = false;
  bool any_started = false;
  bool any_internal = false;
  bool any_failed = false;
  bool all_done = true;
  int64_t end = 0;
  std::string message;
  for (const Task& task : run.tasks) {
    const Snapshot t = TaskAt(run, task, now_ms);
    any_running |= t.life_cycle == "RUNNING";
    any_pending |= t.life_cycle == "PENDING" || t.life_cycle == "QUEUED";
    any_terminating |= t.life_cycle == "TERMINATING";
    any_started |= t.life_cycle != "PENDING" && t.life_cycle != "QUEUED";
    const bool done = t.status_state == "TERMINATED";
    all_done &= done;
    if (done) {
      end = std::max(end, t.end_ms);
      any_internal |= t.life_cycle == "INTERNAL_ERROR";
      any_failed |= t.result_state == "FAILED" || t.result_state == "UPSTREAM_FAILED";
      if (message.empty() && t.result_state != "SUCCESS") message = t.state_message;
    }
  }
  if (run.start_ms < 0 && run.cancel_ms < 0) {
    s.life_cycle = s.status_state = "QUEUED";
    s.state_message = "Queued: the maximum number of concurrent runs has been reached.";
    return s;
  }
  if (!all_done) {
    if (any_running || (any_pending && any_started)) {
      s.life_cycle = s.status_state = "RUNNING";
      s.state_message = "In run";
    } else if (any_pending) {
      s.life_cycle = s.status_state = "PENDING";
      s.state_message = "Waiting for cluster";
    } else if (any_terminating) {
      s.life_cycle = s.status_state = "TERMINATING";
    }
    return s;
  }
  s.end_ms = end;
  s.status_state = "TERMINATED";
  s.state_message = message;
  if (run.cancel_ms >= 0) {
    s.life_cycle = "TERMINATED";
    s.result_state = run.timed_out ? "TIMEDOUT" : "CANCELED";
    s.termination_code = run.timed_out ? "CANCELED" : "USER_CANCELED";
    s.termination_type = run.timed_out ? "CLIENT_ERROR" : "SUCCESS";
    s.user_cancelled_or_timedout = true;
    s.state_message = run.timed_out
                          ? absl::StrCat("Run timed out after ", run.timeout_s, " seconds.")
                          : "Run cancelled.";
    if (run.start_ms < 0) s.end_ms = run.cancel_ms;
  } else if (any_internal) {
    s.life_cycle = "INTERNAL_ERROR";
    s.result_state = "FAILED";
    s.termination_code = s.termination_type = "INTERNAL_ERROR";
  } else if (any_failed) {
    s.life_cycle = "TERMINATED";
    s.result_state = "FAILED";
    s.termination_code = "RUN_EXECUTION_ERROR";
    s.termination_type = "CLIENT_ERROR";
  } else {
    s.life_cycle = "TERMINATED";
    s.result_state = "SUCCESS";
    s.termination_code = s.termination_type = "SUCCESS";
  }
  return s;
}

bool JobsApi::Active(const Run& run, int64_t now_ms) {
  return RunAt(run, now_ms).status_state != "TERMINATED";
}

void JobsApi::AdvanceTo(int64_t now_ms) {
  // Start queued runs as earlier runs of the same job end (FIFO per job).
  for (auto job_it = jobs_with_queue_.begin(); job_it != jobs_with_queue_.end();) {
    const int64_t job_id = *job_it;
    auto found = jobs_.find(job_id);
    if (found == jobs_.end()) {
      job_it = jobs_with_queue_.erase(job_it);
      continue;
    }
    const Job& job = found->second;
    std::vector<Run*> queued;
    std::vector<int64_t> ends;  // of started runs
    for (auto& [id, run] : runs_) {
      if (run.job_id != job_id || run.skipped || run.deleted) continue;
      if (run.start_ms < 0 && run.cancel_ms < 0) {
        queued.push_back(&run);
      } else if (run.start_ms >= 0) {
        int64_t end = 0;
        for (const Task& t : run.tasks) end = std::max(end, t.end_ms);
        ends.push_back(end);
      }
    }
    size_t started = 0;
    for (Run* run : queued) {
      std::vector<int64_t> overlapping;
      for (int64_t e : ends) {
        if (e > run->created_ms) overlapping.push_back(e);
      }
      std::sort(overlapping.begin(), overlapping.end());
      const int64_t limit = std::max<int64_t>(1, job.max_concurrent_runs);
      int64_t start = run->created_ms;
      if (static_cast<int64_t>(overlapping.size()) >= limit) {
        start = overlapping[overlapping.size() - static_cast<size_t>(limit)];
      }
      if (start > now_ms) break;
      Plan(*run, start);
      int64_t end = 0;
      for (const Task& t : run->tasks) end = std::max(end, t.end_ms);
      ends.push_back(end);
      ++started;
    }
    if (started == queued.size()) {
      job_it = jobs_with_queue_.erase(job_it);
    } else {
      ++job_it;
    }
  }
}

std::optional<ApiFailure> JobsApi::RunFromQuery(const Request& request, Run** run,
                                                const Task** task) {
  int64_t run_id = 0;
  bool present = false;
  if (auto f = QueryInt(request, "run_id", &run_id, &present)) return f;
  if (!present) return BadParameter("Missing required field: run_id");
  *run = FindRun(run_id, task);
  if (*run == nullptr) return BadParameter(absl::StrCat("Run ", run_id, " does not exist."));
  return std::nullopt;
}

JobsApi::Run JobsApi::TaskAsRun(const Run& run, const Task& task) {
  Run single = run;
  single.run_id = task.run_id;
  single.tasks = {task};
  return single;
}

JobsApi::Run* JobsApi::FindRun(int64_t run_id, const Task** task) {
  auto it = runs_.find(run_id);
  if (it != runs_.end() && !it->second.deleted) return &it->second;
  auto t = task_run_to_run_.find(run_id);
  if (t == task_run_to_run_.end()) return nullptr;
  Run& run = runs_.at(t->second);
  if (run.deleted) return nullptr;
  if (task != nullptr) {
    for (const Task& candidate : run.tasks) {
      if (candidate.run_id == run_id) *task = &candidate;
    }
  }
  return &run;
}

// The deprecated `state` object, which the SDKs still poll.
json::Value JobsApi::StateJson(const Snapshot& s) {
  json::Value state;
  state.Set("life_cycle_state", s.life_cycle);
  if (!s.result_state.empty()) state.Set("result_state", s.result_state);
  state.Set("state_message", s.state_message)
      .Set("user_cancelled_or_timedout", s.user_cancelled_or_timedout);
  if (s.life_cycle == "QUEUED") state.Set("queue_reason", s.state_message);
  return state;
}

// The newer `status` object: state plus queue or termination details.
json::Value JobsApi::StatusJson(const Snapshot& s) {
  json::Value status;
  status.Set("state", s.status_state);
  if (s.status_state == "QUEUED") {
    json::Value queue;
    queue.Set("code", "MAX_CONCURRENT_RUNS_REACHED").Set("message", s.state_message);
    status.Set("queue_details", queue);
  }
  if (!s.termination_code.empty()) {
    json::Value details;
    details.Set("code", s.termination_code)
        .Set("type", s.termination_type)
        .Set("message", s.state_message);
    status.Set("termination_details", details);
  }
  return status;
}

json::Value JobsApi::TaskJson(const Run& run, const Task& task, int64_t now_ms) {
  json::Value out = task.spec;
  const Snapshot s = TaskAt(run, task, now_ms);
  out.Set("run_id", task.run_id).Set("task_key", task.key).Set("attempt_number", 0);
  out.Set("state", StateJson(s)).Set("status", StatusJson(s));
  const bool started = task.start_ms >= 0 && now_ms >= task.start_ms;
  out.Set("start_time", started ? task.start_ms : int64_t{0});
  out.Set("end_time", s.status_state == "TERMINATED" ? s.end_ms : int64_t{0});
  auto elapsed = [&](int64_t from, int64_t to) {
    if (from < 0 || now_ms < from) return int64_t{0};
    return std::min(now_ms, to) - from;
  };
  out.Set("setup_duration", elapsed(task.start_ms, task.running_ms))
      .Set("execution_duration", elapsed(task.running_ms, task.terminating_ms))
      .Set("cleanup_duration", elapsed(task.terminating_ms, task.end_ms));
  if (started && !task.upstream_failed) {
    json::Value cluster;
    cluster.Set("cluster_id", absl::StrCat("0101-", run.run_id, "-emulated"))
        .Set("spark_context_id", absl::StrCat(task.run_id * 7919));
    out.Set("cluster_instance", cluster);
  }
  return out;
}

json::Value JobsApi::RunJson(const Run& run, int64_t now_ms, bool with_tasks, size_t task_offset,
                             size_t task_limit) const {
  const Snapshot s = RunAt(run, now_ms);
  json::Value out;
  if (run.job_id != 0) out.Set("job_id", run.job_id);
  out.Set("run_id", run.run_id)
      .Set("number_in_job", run.run_id)
      .Set("original_attempt_run_id", run.run_id)
      .Set("attempt_number", 0)
      .Set("creator_user_name", options_.user)
      .Set("run_name", run.run_name)
      .Set("run_type", run.run_type)
      .Set("format", "MULTI_TASK");
  if (run.job_id != 0) out.Set("trigger", "ONE_TIME");
  out.Set("state", StateJson(s)).Set("status", StatusJson(s));
  const int64_t start = run.start_ms >= 0 ? run.start_ms : run.created_ms;
  out.Set("start_time", start);
  out.Set("end_time", s.status_state == "TERMINATED" ? s.end_ms : int64_t{0});
  int64_t setup = 0;
  int64_t execution = 0;
  int64_t cleanup = 0;
  for (const Task& t : run.tasks) {
    const json::Value tj = TaskJson(run, t, now_ms);
    setup = std::max(setup, tj.Find("setup_duration")->as_int());
    execution = std::max(execution, tj.Find("execution_duration")->as_int());
    cleanup = std::max(cleanup, tj.Find("cleanup_duration")->as_int());
  }
  out.Set("setup_duration", setup)
      .Set("execution_duration", execution)
      .Set("cleanup_duration", cleanup)
      .Set("run_duration",
           run.start_ms < 0 ? int64_t{0}
                            : (s.status_state == "TERMINATED" ? s.end_ms : now_ms) - run.start_ms)
      .Set("queue_duration",
           (run.start_ms >= 0 ? run.start_ms : (run.cancel_ms >= 0 ? run.cancel_ms : now_ms)) -
               run.created_ms);
  out.Set("run_page_url", absl::StrCat(options_.host, "/#job/", run.job_id, "/run/", run.run_id));
  if (run.job_parameters.is_array()) out.Set("job_parameters", run.job_parameters);
  if (run.overriding_parameters.is_object() && !run.overriding_parameters.as_object().empty()) {
    out.Set("overriding_parameters", run.overriding_parameters);
  }
  if (with_tasks) {
    json::Value tasks = json::Value::EmptyArray();
    for (size_t i = task_offset; i < run.tasks.size() && i < task_offset + task_limit; ++i) {
      tasks.Append(TaskJson(run, run.tasks[i], now_ms));
    }
    out.Set("tasks", tasks);
  }
  return out;
}

Response JobsApi::Handle(const Request& request, absl::string_view route, bool v22,
                         int64_t now_ms) {
  AdvanceTo(now_ms);
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  if (route == "runs/submit" && post) return SubmitOrRunNow(request, false, v22, now_ms);
  if (route == "run-now" && post) return SubmitOrRunNow(request, true, v22, now_ms);
  if (route == "runs/get" && get) return GetRun(request, v22, now_ms);
  if (route == "runs/list" && get) return ListRuns(request, now_ms);
  if (route == "runs/cancel" && post) return CancelRun(request, now_ms);
  if (route == "runs/cancel-all" && post) return CancelAll(request, now_ms);
  if (route == "runs/delete" && post) return DeleteRun(request, now_ms);
  if (route == "runs/get-output" && get) return GetOutput(request, now_ms);
  if (route == "create" && post) return CreateJob(request, v22, now_ms);
  if (route == "get" && get) return GetJob(request, v22);
  if (route == "list" && get) return ListJobs(request);
  if (route == "delete" && post) return DeleteJob(request);
  return ApiError(404, "ENDPOINT_NOT_FOUND",
                  absl::StrCat("No API found for '", request.method, " ", request.path, "'"));
}

Response JobsApi::SubmitOrRunNow(const Request& request, bool run_now, bool v22, int64_t now_ms) {
  json::Value body;
  if (auto f = ParseBody(request, &body)) return f->ToResponse();
  std::string token;
  if (auto f = GetString(body, "idempotency_token", &token)) return f->ToResponse();
  if (token.size() > 64) {
    return BadParameter("idempotency_token must be at most 64 characters").ToResponse();
  }
  if (!token.empty()) {
    auto it = tokens_.find(token);
    if (it != tokens_.end()) {
      const Run& existing = runs_.at(it->second);
      if (existing.deleted) {
        return BadParameter(absl::StrCat("The run with idempotency token ", token, " was deleted."))
            .ToResponse();
      }
      json::Value out;
      out.Set("run_id", existing.run_id);
      if (run_now) out.Set("number_in_job", existing.run_id);
      return JsonResponse(out);
    }
  }
  Run run;
  run.run_id = next_id_++;
  run.created_ms = now_ms;
  run.idempotency_token = token;
  json::Value tasks_spec;
  const Job* job = nullptr;
  if (run_now) {
    int64_t job_id = 0;
    if (auto f = GetInt(body, "job_id", &job_id)) return f->ToResponse();
    auto it = jobs_.find(job_id);
    if (job_id == 0 || it == jobs_.end()) {
      return BadParameter(absl::StrCat("Job ", job_id, " does not exist.")).ToResponse();
    }
    job = &it->second;
    run.job_id = job_id;
    run.run_type = "JOB_RUN";
    if (const json::Value* name = job->settings.Find("name"); name && name->is_string()) {
      run.run_name = name->as_string();
    }
    if (const json::Value* t = job->settings.Find("timeout_seconds"); t && t->is_int()) {
      run.timeout_s = t->as_int();
    }
    tasks_spec =
        job->settings.Find("tasks") ? *job->settings.Find("tasks") : json::Value::EmptyArray();
    // Job parameters: the job's defaults overridden by the request.
    const json::Value* overrides = body.Find("job_parameters");
    if (overrides != nullptr && !overrides->is_object()) {
      return BadParameter("job_parameters must be an object").ToResponse();
    }
    json::Value params = json::Value::EmptyArray();
    if (const json::Value* defs = job->settings.Find("parameters"); defs && defs->is_array()) {
      for (const json::Value& def : defs->as_array()) {
        json::Value p = def;
        const json::Value* name = def.Find("name");
        const json::Value* given = overrides && name ? overrides->Find(name->as_string()) : nullptr;
        p.Set("value",
              given ? ScalarText(*given)
                    : ScalarText(def.Find("default") ? *def.Find("default") : json::Value("")));
        params.Append(p);
      }
    }
    run.job_parameters = params;
    json::Value overriding = Object();
    for (const char* key : {"notebook_params", "jar_params", "python_params", "python_named_params",
                            "spark_submit_params", "sql_params"}) {
      if (const json::Value* v = body.Find(key)) overriding.Set(key, *v);
    }
    run.overriding_parameters = overriding;
  } else {
    if (auto f = GetString(body, "run_name", &run.run_name)) return f->ToResponse();
    if (run.run_name.empty()) run.run_name = "Untitled";
    if (auto f = GetInt(body, "timeout_seconds", &run.timeout_s)) return f->ToResponse();
    tasks_spec = body.Find("tasks") ? *body.Find("tasks") : json::Value();
  }
  if (run.timeout_s < 0) return BadParameter("timeout_seconds must be >= 0").ToResponse();
  if (!tasks_spec.is_array() || tasks_spec.as_array().empty()) {
    return BadParameter(run_now ? "The job has no tasks" : "At least one task is required")
        .ToResponse();
  }
  std::set<std::string> keys;
  for (const json::Value& spec : tasks_spec.as_array()) {
    Task task;
    const json::Value* key = spec.Find("task_key");
    if (key == nullptr || !key->is_string() || key->as_string().empty()) {
      return BadParameter("Every task needs a task_key").ToResponse();
    }
    task.key = key->as_string();
    if (!keys.insert(task.key).second) {
      return BadParameter(absl::StrCat("Task key ", task.key, " is not unique")).ToResponse();
    }
    int types = 0;
    for (const char* type : kTaskTypes) types += spec.Find(type) != nullptr ? 1 : 0;
    if (types != 1) {
      return BadParameter(absl::StrCat("Task ", task.key,
                                       " must set exactly one task type (notebook_task, "
                                       "spark_python_task, ...)"))
          .ToResponse();
    }
    if (const json::Value* nb = spec.Find("notebook_task")) {
      const json::Value* path = nb->Find("notebook_path");
      if (path == nullptr || !path->is_string() || path->as_string().empty()) {
        return BadParameter(
                   absl::StrCat("Task ", task.key, ": notebook_task.notebook_path is required"))
            .ToResponse();
      }
    }
    if (const json::Value* deps = spec.Find("depends_on"); deps && deps->is_array()) {
      for (const json::Value& d : deps->as_array()) {
        const json::Value* k = d.Find("task_key");
        if (k && k->is_string()) task.depends_on.push_back(k->as_string());
      }
    }
    if (const json::Value* run_if = spec.Find("run_if"); run_if && run_if->is_string()) {
      task.run_if = run_if->as_string();
    }
    task.spec = spec;
    task.spec.Erase("depends_on_resolved");
    task.run_id = next_id_++;
    run.tasks.push_back(std::move(task));
  }
  // Dependencies must name tasks of the run and form no cycle.
  for (const Task& t : run.tasks) {
    for (const std::string& dep : t.depends_on) {
      if (!keys.count(dep)) {
        return BadParameter(absl::StrCat("Task ", t.key, " depends on ", dep,
                                         ", which is not a task of this run"))
            .ToResponse();
      }
    }
  }
  {
    std::set<std::string> done;
    bool progress = true;
    while (progress && done.size() < run.tasks.size()) {
      progress = false;
      for (const Task& t : run.tasks) {
        if (done.count(t.key)) continue;
        if (std::all_of(t.depends_on.begin(), t.depends_on.end(),
                        [&](const std::string& d) { return done.count(d) > 0; })) {
          done.insert(t.key);
          progress = true;
        }
      }
    }
    if (done.size() < run.tasks.size()) {
      return BadParameter("The task dependencies form a cycle").ToResponse();
    }
  }
  for (Task& t : run.tasks) t.outcome = OutcomeFor(t, run);
  // Concurrency: a job's runs beyond max_concurrent_runs queue or are skipped.
  bool start_now = true;
  if (job != nullptr) {
    int64_t active = 0;
    for (const auto& [id, other] : runs_) {
      if (other.job_id == job->job_id && !other.deleted && Active(other, now_ms)) ++active;
    }
    if (active >= std::max<int64_t>(1, job->max_concurrent_runs)) {
      bool queue = job->queue_enabled;
      if (const json::Value* q = body.Find("queue");
          q && q->Find("enabled") && q->Find("enabled")->is_bool()) {
        queue = q->Find("enabled")->as_bool();
      }
      start_now = false;
      if (!queue) {
        run.skipped = true;
      } else {
        jobs_with_queue_.insert(job->job_id);
      }
    }
  }
  (void)v22;
  if (start_now) Plan(run, now_ms);
  for (const Task& t : run.tasks) task_run_to_run_[t.run_id] = run.run_id;
  if (!token.empty()) tokens_[token] = run.run_id;
  const int64_t run_id = run.run_id;
  runs_[run_id] = std::move(run);
  json::Value out;
  out.Set("run_id", run_id);
  if (run_now) out.Set("number_in_job", run_id);
  return JsonResponse(out);
}

Response JobsApi::GetRun(const Request& request, bool v22, int64_t now_ms) {
  Run* run = nullptr;
  const Task* task = nullptr;
  if (auto f = RunFromQuery(request, &run, &task)) return f->ToResponse();
  if (task != nullptr) {
    // A task run: shown as a run of its own.
    return JsonResponse(RunJson(TaskAsRun(*run, *task), now_ms, true, 0, 1));
  }
  int64_t page_offset = 0;
  if (v22) {
    if (auto f = PageOffset(request, "tasks", &page_offset)) return f->ToResponse();
  }
  const auto offset = static_cast<size_t>(page_offset);
  const size_t limit = v22 ? kArrayPage : run->tasks.size();
  json::Value out = RunJson(*run, now_ms, true, offset, limit);
  if (v22 && offset + limit < run->tasks.size()) {
    out.Set("next_page_token", EncodePageToken("tasks", static_cast<int64_t>(offset + limit)));
    out.Set("has_more", true);
  }
  return JsonResponse(out);
}

Response JobsApi::ListRuns(const Request& request, int64_t now_ms) {
  int64_t job_id = 0;
  int64_t limit = 20;
  int64_t offset = 0;
  int64_t from = 0;
  int64_t to = 0;
  bool has_limit = false;
  bool has_job = false;
  bool active_only = false;
  bool completed_only = false;
  bool expand = false;
  if (auto f = QueryInt(request, "job_id", &job_id, &has_job)) return f->ToResponse();
  if (auto f = QueryInt(request, "limit", &limit, &has_limit)) return f->ToResponse();
  if (auto f = QueryInt(request, "offset", &offset)) return f->ToResponse();
  if (auto f = QueryInt(request, "start_time_from", &from)) return f->ToResponse();
  if (auto f = QueryInt(request, "start_time_to", &to)) return f->ToResponse();
  if (auto f = QueryBool(request, "active_only", &active_only)) return f->ToResponse();
  if (auto f = QueryBool(request, "completed_only", &completed_only)) return f->ToResponse();
  if (auto f = QueryBool(request, "expand_tasks", &expand)) return f->ToResponse();
  std::string run_type;
  std::string page_token;
  QueryString(request, "run_type", &run_type);
  if (has_limit && limit == 0) limit = 24;  // 0 asks for the server's maximum
  if (limit < 1 || limit >= 25) {
    return BadParameter(absl::StrCat("The limit ", limit,
                                     " is invalid: it must be greater than 0 and less than 25"))
        .ToResponse();
  }
  if (active_only && completed_only) {
    return BadParameter("active_only and completed_only cannot both be true").ToResponse();
  }
  if (offset < 0) return BadParameter("offset must be >= 0").ToResponse();
  if (QueryString(request, "page_token", &page_token) && !page_token.empty()) {
    if (auto f = PageOffset(request, "runs", &offset)) return f->ToResponse();
  } else if (offset > kMaxOffset) {
    return BadParameter(absl::StrCat("The supplied offset ", offset,
                                     " has exceeded the value of 10000. Please use the "
                                     "page_token parameter to paginate through runs instead."))
        .ToResponse();
  }
  if (has_job && jobs_.count(job_id) == 0) {
    return BadParameter(absl::StrCat("Job ", job_id, " does not exist.")).ToResponse();
  }
  std::vector<const Run*> matching;
  for (const auto& [id, run] : runs_) {
    if (run.deleted) continue;
    if (has_job && run.job_id != job_id) continue;
    if (!run_type.empty() && run.run_type != run_type) continue;
    const int64_t start = run.start_ms >= 0 ? run.start_ms : run.created_ms;
    if (from > 0 && start < from) continue;
    if (to > 0 && start > to) continue;
    const bool active = Active(run, now_ms);
    if (active_only && !active) continue;
    if (completed_only && active) continue;
    matching.push_back(&run);
  }
  // Newest first.
  std::sort(matching.begin(), matching.end(), [](const Run* a, const Run* b) {
    const int64_t sa = a->start_ms >= 0 ? a->start_ms : a->created_ms;
    const int64_t sb = b->start_ms >= 0 ? b->start_ms : b->created_ms;
    return sa != sb ? sa > sb : a->run_id > b->run_id;
  });
  json::Value out = Object();
  json::Value runs = json::Value::EmptyArray();
  for (int64_t i = offset; i < static_cast<int64_t>(matching.size()) && i < offset + limit; ++i) {
    const Run& run = *matching[static_cast<size_t>(i)];
    json::Value item = RunJson(run, now_ms, expand, 0, kArrayPage);
    if (expand && run.tasks.size() > kArrayPage) item.Set("has_more", true);
    runs.Append(item);
  }
  SetListPage("runs", std::move(runs), offset, limit, matching.size(), &out);
  return JsonResponse(out);
}

Response JobsApi::CancelRun(const Request& request, int64_t now_ms) {
  json::Value body;
  if (auto f = ParseBody(request, &body)) return f->ToResponse();
  int64_t run_id = 0;
  if (auto f = GetInt(body, "run_id", &run_id)) return f->ToResponse();
  if (body.Find("run_id") == nullptr)
    return BadParameter("Missing required field: run_id").ToResponse();
  Run* run = FindRun(run_id);
  if (run == nullptr) {
    return BadParameter(absl::StrCat("Run ", run_id, " does not exist.")).ToResponse();
  }
  // Asynchronous: the run passes through TERMINATING before it ends as CANCELED.
  if (Active(*run, now_ms)) Cut(*run, now_ms, false);
  AdvanceTo(now_ms);
  return JsonResponse(Object());
}

Response JobsApi::CancelAll(const Request& request, int64_t now_ms) {
  json::Value body;
  if (auto f = ParseBody(request, &body)) return f->ToResponse();
  int64_t job_id = 0;
  bool all_queued = false;
  if (auto f = GetInt(body, "job_id", &job_id)) return f->ToResponse();
  if (auto f = GetBool(body, "all_queued_runs", &all_queued)) return f->ToResponse();
  if (job_id == 0 && !all_queued) {
    return BadParameter("Either job_id or all_queued_runs must be given").ToResponse();
  }
  if (job_id != 0 && jobs_.count(job_id) == 0) {
    return BadParameter(absl::StrCat("Job ", job_id, " does not exist.")).ToResponse();
  }
  for (auto& [id, run] : runs_) {
    if (run.deleted || !Active(run, now_ms)) continue;
    const bool queued = run.start_ms < 0;
    if ((job_id != 0 && run.job_id == job_id && (!all_queued || queued)) ||
        (job_id == 0 && all_queued && queued)) {
      Cut(run, now_ms, false);
    }
  }
  AdvanceTo(now_ms);
  return JsonResponse(Object());
}

Response JobsApi::DeleteRun(const Request& request, int64_t now_ms) {
  json::Value body;
  if (auto f = ParseBody(request, &body)) return f->ToResponse();
  int64_t run_id = 0;
  if (auto f = GetInt(body, "run_id", &run_id)) return f->ToResponse();
  Run* run = FindRun(run_id);
  if (run == nullptr || run->run_id != run_id) {
    return BadParameter(absl::StrCat("Run ", run_id, " does not exist.")).ToResponse();
  }
  if (Active(*run, now_ms)) {
    return ApiError(400, "INVALID_STATE",
                    absl::StrCat("Run ", run_id, " is still active and cannot be deleted."));
  }
  run->deleted = true;
  return JsonResponse(Object());
}

Response JobsApi::GetOutput(const Request& request, int64_t now_ms) {
  Run* run = nullptr;
  const Task* task = nullptr;
  if (auto f = RunFromQuery(request, &run, &task)) return f->ToResponse();
  if (task == nullptr) {
    if (run->tasks.size() > 1) return BadParameter(kMultiTaskOutput).ToResponse();
    task = &run->tasks.front();
  }
  json::Value out;
  out.Set("metadata", RunJson(TaskAsRun(*run, *task), now_ms, true, 0, 1));
  const Snapshot s = TaskAt(*run, *task, now_ms);
  if (s.status_state == "TERMINATED") {
    const TaskOutcome& o = task->outcome;
    const bool failed = s.result_state == "FAILED" || s.life_cycle == "INTERNAL_ERROR";
    if (task->spec.Find("notebook_task") != nullptr && !failed && s.result_state == "SUCCESS") {
      json::Value notebook;
      if (!o.notebook_output.empty()) notebook.Set("result", o.notebook_output);
      notebook.Set("truncated", false);
      out.Set("notebook_output", notebook);
    }
    if (task->spec.Find("notebook_task") == nullptr && !o.logs.empty()) {
      out.Set("logs", o.logs).Set("logs_truncated", false);
    }
    if (failed) {
      out.Set("error", o.error.empty() ? s.state_message : o.error);
      if (!o.error_trace.empty()) out.Set("error_trace", o.error_trace);
    }
  }
  return JsonResponse(out);
}

Response JobsApi::CreateJob(const Request& request, bool v22, int64_t now_ms) {
  json::Value body;
  if (auto f = ParseBody(request, &body)) return f->ToResponse();
  Job job;
  job.job_id = next_id_++;
  job.created_ms = now_ms;
  if (auto f = GetInt(body, "max_concurrent_runs", &job.max_concurrent_runs))
    return f->ToResponse();
  int64_t timeout = 0;
  if (auto f = GetInt(body, "timeout_seconds", &timeout)) return f->ToResponse();
  if (job.max_concurrent_runs < 0 || job.max_concurrent_runs > 1000) {
    return BadParameter("max_concurrent_runs must be between 0 and 1000").ToResponse();
  }
  // Jobs created through 2.2 queue by default; through 2.1 they do not.
  job.queue_enabled = v22;
  if (const json::Value* q = body.Find("queue");
      q && q->Find("enabled") && q->Find("enabled")->is_bool()) {
    job.queue_enabled = q->Find("enabled")->as_bool();
  }
  json::Value settings = body;
  settings.Erase("access_control_list");
  if (settings.Find("name") == nullptr) settings.Set("name", "Untitled");
  settings.Set("max_concurrent_runs",
               job.max_concurrent_runs == 0 ? int64_t{1} : job.max_concurrent_runs);
  if (job.max_concurrent_runs == 0) job.max_concurrent_runs = 1;
  json::Value queue;
  queue.Set("enabled", job.queue_enabled);
  settings.Set("queue", queue);
  settings.Set("format", "MULTI_TASK");
  job.settings = settings;
  const int64_t job_id = job.job_id;
  jobs_[job_id] = std::move(job);
  json::Value out;
  out.Set("job_id", job_id);
  return JsonResponse(out);
}

Response JobsApi::GetJob(const Request& request, bool v22) {
  int64_t job_id = 0;
  bool present = false;
  if (auto f = QueryInt(request, "job_id", &job_id, &present)) return f->ToResponse();
  if (!present) return BadParameter("Missing required field: job_id").ToResponse();
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) {
    return BadParameter(absl::StrCat("Job ", job_id, " does not exist.")).ToResponse();
  }
  const Job& job = it->second;
  json::Value out;
  out.Set("job_id", job.job_id)
      .Set("creator_user_name", options_.user)
      .Set("run_as_user_name", options_.user)
      .Set("created_time", job.created_ms);
  json::Value settings = job.settings;
  if (v22) {
    int64_t page_offset = 0;
    if (auto f = PageOffset(request, "tasks", &page_offset)) return f->ToResponse();
    const auto offset = static_cast<size_t>(page_offset);
    if (const json::Value* tasks = job.settings.Find("tasks"); tasks && tasks->is_array()) {
      json::Value page = json::Value::EmptyArray();
      for (size_t i = offset; i < tasks->as_array().size() && i < offset + kArrayPage; ++i) {
        page.Append(tasks->as_array()[i]);
      }
      settings.Set("tasks", page);
      if (offset + kArrayPage < tasks->as_array().size()) {
        out.Set("next_page_token",
                EncodePageToken("tasks", static_cast<int64_t>(offset + kArrayPage)));
        out.Set("has_more", true);
      }
    }
  }
  out.Set("settings", settings);
  return JsonResponse(out);
}

Response JobsApi::ListJobs(const Request& request) {
  int64_t limit = 20;
  int64_t offset = 0;
  bool expand = false;
  if (auto f = QueryInt(request, "limit", &limit)) return f->ToResponse();
  if (auto f = QueryInt(request, "offset", &offset)) return f->ToResponse();
  if (auto f = QueryBool(request, "expand_tasks", &expand)) return f->ToResponse();
  if (limit < 1 || limit > 100) {
    return BadParameter(
               absl::StrCat("The limit ", limit, " is invalid: it must be between 1 and 100"))
        .ToResponse();
  }
  std::string name;
  QueryString(request, "name", &name);
  if (auto f = PageOffset(request, "jobs", &offset)) return f->ToResponse();
  std::vector<const Job*> matching;
  for (const auto& [id, job] : jobs_) {
    if (!name.empty()) {
      const json::Value* job_name = job.settings.Find("name");
      if (job_name == nullptr || !absl::EqualsIgnoreCase(job_name->as_string(), name)) continue;
    }
    matching.push_back(&job);
  }
  json::Value out = Object();
  json::Value jobs = json::Value::EmptyArray();
  for (int64_t i = offset; i < static_cast<int64_t>(matching.size()) && i < offset + limit; ++i) {
    const Job& job = *matching[static_cast<size_t>(i)];
    json::Value item;
    item.Set("job_id", job.job_id)
        .Set("creator_user_name", options_.user)
        .Set("created_time", job.created_ms);
    json::Value settings = job.settings;
    if (!expand) settings.Erase("tasks");
    item.Set("settings", settings);
    jobs.Append(item);
  }
  SetListPage("jobs", std::move(jobs), offset, limit, matching.size(), &out);
  return JsonResponse(out);
}

Response JobsApi::DeleteJob(const Request& request) {
  json::Value body;
  if (auto f = ParseBody(request, &body)) return f->ToResponse();
  int64_t job_id = 0;
  if (auto f = GetInt(body, "job_id", &job_id)) return f->ToResponse();
  if (jobs_.erase(job_id) == 0) {
    return BadParameter(absl::StrCat("Job ", job_id, " does not exist.")).ToResponse();
  }
  return JsonResponse(Object());
}

}  // namespace emulator
