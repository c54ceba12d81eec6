// Emulated Jobs API 2.1 / 2.2: jobs, runs and a run state machine on the emulator's clock.
//
// A run's whole timeline (each task's PENDING, RUNNING and TERMINATING phases and its outcome)
// is planned when it leaves the queue, from the configured durations and outcome rules, so its
// state at any instant is a pure function of the clock; cancellation and timeouts cut the plan
// short. Not thread-safe: the emulator serializes calls.
#ifndef TESTS_EMULATOR_JOBS_API_H_
#define TESTS_EMULATOR_JOBS_API_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/emulator/rest.h"

namespace emulator {

// How one task run ends, chosen by the first matching rule.
struct TaskOutcome {
  // Matching (all given conditions must hold).
  std::string match_notebook_path;  // exact, or a prefix when it ends with '*'
  std::string match_python_file;    // same
  std::string match_task_key;
  std::string match_parameter;  // "name=value" among the task's or run's parameters

  std::string result_state = "SUCCESS";  // SUCCESS, FAILED, ...
  bool internal_error = false;           // ends in life cycle INTERNAL_ERROR
  std::string state_message;
  std::string error;
  std::string error_trace;
  std::string notebook_output;  // the value a notebook passed to dbutils.notebook.exit
  std::string logs;             // stdout of python/jar tasks
  int64_t pending_ms = -1;      // -1: the defaults
  int64_t running_ms = -1;
};

struct JobsOptions {
  int64_t pending_ms = 1000;
  int64_t running_ms = 2000;
  int64_t terminating_ms = 500;
  std::vector<TaskOutcome> outcomes;
  std::string user = "emulator-user";
  std::string host = "http://127.0.0.1";  // for run_page_url
};

class JobsApi {
 public:
  explicit JobsApi(JobsOptions options) : options_(std::move(options)) {}

  // Handles /api/2.1/jobs/... and /api/2.2/jobs/...; `route` is the path after "jobs/".
  Response Handle(const Request& request, absl::string_view route, bool v22, int64_t now_ms);
  void set_host(std::string host) { options_.host = std::move(host); }
  // Applies every queue transition due by `now_ms`.
  void AdvanceTo(int64_t now_ms);

 private:
  struct Task {
    std::string key;
    json::Value spec;
    std::vector<std::string> depends_on;
    std::string run_if = "ALL_SUCCESS";
    int64_t run_id = 0;
    TaskOutcome outcome;
    // Planned timeline (absolute ms); start < 0 until the run starts.
    int64_t start_ms = -1, running_ms = -1, terminating_ms = -1, end_ms = -1;
    std::string result_state;  // at end_ms
    bool internal_error = false;
    bool upstream_failed = false;
  };
  struct Run {
    int64_t run_id = 0;
    int64_t job_id = 0;  // 0 for one-time runs
    std::string run_type = "SUBMIT_RUN";
    std::string run_name;
    std::string idempotency_token;
    int64_t timeout_s = 0;
    int64_t created_ms = 0;
    int64_t start_ms = -1;  // left the queue
    bool skipped = false;
    int64_t cancel_ms = -1;  // when a cancel or timeout cut the plan
    bool timed_out = false;
    bool deleted = false;
    std::vector<Task> tasks;
    json::Value job_parameters;  // [{name, default, value}]
    json::Value overriding_parameters;
  };
  struct Job {
    int64_t job_id = 0;
    int64_t created_ms = 0;
    json::Value settings;
    int64_t max_concurrent_runs = 1;
    bool queue_enabled = false;
  };
  struct Snapshot {  // a run or task at one instant
    std::string life_cycle, result_state, state_message, status_state;
    std::string termination_code, termination_type;
    bool user_cancelled_or_timedout = false;
    int64_t end_ms = 0;
  };

  Response SubmitOrRunNow(const Request& request, bool run_now, bool v22, int64_t now_ms);
  Response GetRun(const Request& request, bool v22, int64_t now_ms);
  Response ListRuns(const Request& request, int64_t now_ms);
  Response CancelRun(const Request& request, int64_t now_ms);
  Response CancelAll(const Request& request, int64_t now_ms);
  Response DeleteRun(const Request& request, int64_t now_ms);
  Response GetOutput(const Request& request, int64_t now_ms);
  Response CreateJob(const Request& request, bool v22, int64_t now_ms);
  Response GetJob(const Request& request, bool v22);
  Response ListJobs(const Request& request);
  Response DeleteJob(const Request& request);

  TaskOutcome OutcomeFor(const Task& task, const Run& run) const;
  void Plan(Run& run, int64_t start_ms);
  void Cut(Run& run, int64_t at_ms, bool timeout) const;
  static Snapshot TaskAt(const Run& run, const Task& task, int64_t now_ms);
  static Snapshot RunAt(const Run& run, int64_t now_ms);
  static bool Active(const Run& run, int64_t now_ms);
  json::Value RunJson(const Run& run, int64_t now_ms, bool with_tasks, size_t task_offset,
                      size_t task_limit) const;
  static json::Value StateJson(const Snapshot& s);
  static json::Value StatusJson(const Snapshot& s);
  static json::Value TaskJson(const Run& run, const Task& task, int64_t now_ms);
  Run* FindRun(int64_t run_id, const Task** task = nullptr);
  // The run (and, for a task run id, the task) named by the query's run_id: 400 when it is
  // missing, malformed, or names no run, as the service answers.
  std::optional<ApiFailure> RunFromQuery(const Request& request, Run** run, const Task** task);
  // A task run shown as a run of its own (runs/get and get-output of a task run id).
  static Run TaskAsRun(const Run& run, const Task& task);

  JobsOptions options_;
  std::map<int64_t, Run> runs_;
  std::map<int64_t, int64_t> task_run_to_run_;
  std::map<std::string, int64_t> tokens_;
  std::map<int64_t, Job> jobs_;
  std::set<int64_t> jobs_with_queue_;  // jobs that may have QUEUED runs
  int64_t next_id_ = 1001;
};

}  // namespace emulator

#endif  // TESTS_EMULATOR_JOBS_API_H_
