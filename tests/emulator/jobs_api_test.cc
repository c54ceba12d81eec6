// The emulated Jobs API over real HTTP, with a manual clock.
#include "gmock/gmock.h"
#include "tests/emulator/emulator_test_base.h"

namespace emulator {
namespace {

using ::testing::HasSubstr;

std::string NotebookRun(const std::string& path, const std::string& extra = "") {
  return absl::StrCat(
      R"({"run_name":"r","tasks":[{"task_key":"t","notebook_task":{"notebook_path":")", path,
      R"("}}])", extra, "}");
}

class JobsApiTest : public EmulatorTest {
 protected:
  int64_t Submit(const std::string& body) {
    Reply r = Post("/api/2.2/jobs/runs/submit", body);
    EXPECT_EQ(r.status, 200) << r.raw;
    return At(r.body, "run_id").is_int() ? At(r.body, "run_id").as_int() : 0;
  }
  Reply Run(int64_t run_id, const std::string& version = "2.2") {
    return Get(absl::StrCat("/api/", version, "/jobs/runs/get?run_id=", run_id));
  }
  std::string Life(int64_t run_id) { return Str(Run(run_id).body, "state.life_cycle_state"); }
  int64_t CreateJob(const std::string& body, const std::string& version = "2.2") {
    Reply r = Post(absl::StrCat("/api/", version, "/jobs/create"), body);
    EXPECT_EQ(r.status, 200) << r.raw;
    return At(r.body, "job_id").as_int();
  }
};

TEST_F(JobsApiTest, SubmittedRunWalksEveryStateWithBothStateObjects) {
  const int64_t run_id = Submit(NotebookRun("/Workspace/ok"));
  Reply r = Run(run_id);
  EXPECT_EQ(Str(r.body, "state.life_cycle_state"), "PENDING");
  EXPECT_EQ(Str(r.body, "status.state"), "PENDING");
  EXPECT_EQ(Str(r.body, "run_type"), "SUBMIT_RUN");
  EXPECT_EQ(At(r.body, "end_time").as_int(), 0);
  const int64_t task_run = At(r.body, "tasks.0.run_id").as_int();
  EXPECT_NE(task_run, run_id);
  Advance(1);
  EXPECT_EQ(Life(run_id), "RUNNING");
  Advance(2);
  EXPECT_EQ(Life(run_id), "TERMINATING");
  Advance(0.5);
  r = Run(run_id);
  EXPECT_EQ(Str(r.body, "state.life_cycle_state"), "TERMINATED");
  EXPECT_EQ(Str(r.body, "state.result_state"), "SUCCESS");
  EXPECT_EQ(Str(r.body, "status.state"), "TERMINATED");
  EXPECT_EQ(Str(r.body, "status.termination_details.code"), "SUCCESS");
  EXPECT_EQ(Str(r.body, "status.termination_details.type"), "SUCCESS");
  EXPECT_EQ(At(r.body, "end_time").as_int(), kStartMs + 3500);
  EXPECT_EQ(At(r.body, "execution_duration").as_int(), 2000);
  EXPECT_EQ(Str(r.body, "tasks.0.state.result_state"), "SUCCESS");
  // A task run id reads as a run of its own.
  EXPECT_EQ(Str(Run(task_run).body, "state.life_cycle_state"), "TERMINATED");
}

TEST_F(JobsApiTest, ScriptedOutcomesAndTheirOutput) {
  const int64_t failed = Submit(NotebookRun("/fail/now"));
  const int64_t broken = Submit(NotebookRun("/internal"));
  const int64_t answer = Submit(
      R"({"tasks":[{"task_key":"t","notebook_task":{"notebook_path":"/x","base_parameters":{"answer":"42"}}}]})");
  Advance(10);
  Reply f = Run(failed);
  EXPECT_EQ(Str(f.body, "state.result_state"), "FAILED");
  EXPECT_EQ(Str(f.body, "status.termination_details.code"), "RUN_EXECUTION_ERROR");
  Reply out = Get(absl::StrCat("/api/2.2/jobs/runs/get-output?run_id=", failed));
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(Str(out.body, "error"), "Exception: boom");
  EXPECT_EQ(Str(out.body, "error_trace"), "Traceback: boom");
  Reply b = Run(broken);
  EXPECT_EQ(Str(b.body, "state.life_cycle_state"), "INTERNAL_ERROR");
  EXPECT_EQ(Str(b.body, "status.termination_details.code"), "INTERNAL_ERROR");
  Reply a = Get(absl::StrCat("/api/2.2/jobs/runs/get-output?run_id=", answer));
  EXPECT_EQ(Str(a.body, "notebook_output.result"), "forty-two");
  EXPECT_EQ(Str(a.body, "metadata.state.result_state"), "SUCCESS");
}

TEST_F(JobsApiTest, GetOutputOfAMultiTaskRunIsRefusedAsDatabricksDoes) {
  const int64_t run_id = Submit(R"({"tasks":[
      {"task_key":"a","notebook_task":{"notebook_path":"/a"}},
      {"task_key":"b","depends_on":[{"task_key":"a"}],"notebook_task":{"notebook_path":"/b"}}]})");
  Reply r = Get(absl::StrCat("/api/2.2/jobs/runs/get-output?run_id=", run_id));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Str(r.body, "error_code"), "INVALID_PARAMETER_VALUE");
  EXPECT_EQ(Str(r.body, "message"),
            "Retrieving the output of runs with multiple tasks is not supported. Please retrieve "
            "the output of each individual task run instead.");
  // b waits for a: it starts when a ends.
  Reply run = Run(run_id);
  EXPECT_EQ(Str(run.body, "tasks.1.status.state"), "BLOCKED");
  Advance(3.5);
  EXPECT_EQ(Str(Run(run_id).body, "tasks.1.state.life_cycle_state"), "PENDING");
  EXPECT_EQ(Str(Run(run_id).body, "tasks.0.state.result_state"), "SUCCESS");
}

TEST_F(JobsApiTest, UpstreamFailureSkipsDependentTasks) {
  const int64_t run_id = Submit(R"({"tasks":[
      {"task_key":"a","notebook_task":{"notebook_path":"/fail"}},
      {"task_key":"b","depends_on":[{"task_key":"a"}],"notebook_task":{"notebook_path":"/b"}}]})");
  Advance(10);
  Reply r = Run(run_id);
  EXPECT_EQ(Str(r.body, "tasks.1.state.result_state"), "UPSTREAM_FAILED");
  EXPECT_EQ(Str(r.body, "state.result_state"), "FAILED");
}

TEST_F(JobsApiTest, CancelIsAsynchronousAndEndsCanceled) {
  const int64_t run_id = Submit(NotebookRun("/Workspace/ok"));
  Advance(1.5);
  ASSERT_EQ(Life(run_id), "RUNNING");
  Reply c = Post("/api/2.2/jobs/runs/cancel", absl::StrCat(R"({"run_id":)", run_id, "}"));
  EXPECT_EQ(c.status, 200);
  EXPECT_EQ(c.raw, "{}");
  EXPECT_EQ(Life(run_id), "TERMINATING");
  Advance(0.5);
  Reply r = Run(run_id);
  EXPECT_EQ(Str(r.body, "state.life_cycle_state"), "TERMINATED");
  EXPECT_EQ(Str(r.body, "state.result_state"), "CANCELED");
  EXPECT_EQ(Str(r.body, "state.user_cancelled_or_timedout"), "true");
  EXPECT_EQ(Str(r.body, "status.termination_details.code"), "USER_CANCELED");
  // Cancelling a finished run changes nothing.
  EXPECT_EQ(Post("/api/2.2/jobs/runs/cancel", absl::StrCat(R"({"run_id":)", run_id, "}")).status,
            200);
  EXPECT_EQ(Str(Run(run_id).body, "state.result_state"), "CANCELED");
}

TEST_F(JobsApiTest, TimeoutEndsTimedout) {
  const int64_t run_id = Submit(NotebookRun("/Workspace/ok", R"(,"timeout_seconds":2)"));
  Advance(10);
  Reply r = Run(run_id);
  EXPECT_EQ(Str(r.body, "state.result_state"), "TIMEDOUT");
  EXPECT_EQ(Str(r.body, "status.termination_details.code"), "CANCELED");
  EXPECT_EQ(At(r.body, "end_time").as_int(), kStartMs + 2500);
}

TEST_F(JobsApiTest, IdempotencyTokenReturnsTheSameRun) {
  const std::string body = NotebookRun("/Workspace/ok", R"(,"idempotency_token":"tok-1")");
  const int64_t first = Submit(body);
  EXPECT_EQ(Submit(body), first);
  Reply list = Get("/api/2.2/jobs/runs/list");
  EXPECT_EQ(At(list.body, "runs").as_array().size(), 1u);
  Reply too_long = Post(
      "/api/2.2/jobs/runs/submit",
      NotebookRun("/x", absl::StrCat(R"(,"idempotency_token":")", std::string(65, 'x'), "\"")));
  EXPECT_EQ(too_long.status, 400);
  Advance(10);
  EXPECT_EQ(Post("/api/2.2/jobs/runs/delete", absl::StrCat(R"({"run_id":)", first, "}")).status,
            200);
  Reply again = Post("/api/2.2/jobs/runs/submit", body);
  EXPECT_EQ(again.status, 400);
  EXPECT_THAT(Str(again.body, "message"), HasSubstr("was deleted"));
}

TEST_F(JobsApiTest, MissingRunOrJobIs400InvalidParameterValue) {
  for (const std::string& target : {std::string("/api/2.2/jobs/runs/get?run_id=77"),
                                    std::string("/api/2.1/jobs/runs/get?run_id=77"),
                                    std::string("/api/2.2/jobs/runs/get-output?run_id=77")}) {
    Reply r = Get(target);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_EQ(Str(r.body, "error_code"), "INVALID_PARAMETER_VALUE");
    EXPECT_EQ(Str(r.body, "message"), "Run 77 does not exist.");
  }
  Reply job = Get("/api/2.2/jobs/get?job_id=5");
  EXPECT_EQ(job.status, 400);
  EXPECT_EQ(Str(job.body, "message"), "Job 5 does not exist.");
  EXPECT_EQ(Post("/api/2.2/jobs/run-now", R"({"job_id":5})").status, 400);
  EXPECT_EQ(Post("/api/2.2/jobs/runs/cancel", R"({"run_id":77})").status, 400);
}

TEST_F(JobsApiTest, QuotedNumbersAreRefused) {
  Reply r = Post("/api/2.2/jobs/runs/cancel", R"({"run_id":"123"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Str(r.body, "error_code"), "MALFORMED_REQUEST");
  EXPECT_THAT(Str(r.body, "message"), HasSubstr("expected an integer for 'run_id', got a string"));
}

TEST_F(JobsApiTest, MaxConcurrentRunsQueueOn22AndSkipOn21) {
  const std::string job = R"({"name":"nightly","max_concurrent_runs":1,
      "tasks":[{"task_key":"t","notebook_task":{"notebook_path":"/x"}}]})";
  const int64_t queued_job = CreateJob(job, "2.2");
  const int64_t first =
      At(Post("/api/2.2/jobs/run-now", absl::StrCat(R"({"job_id":)", queued_job, "}")).body,
         "run_id")
          .as_int();
  const int64_t second =
      At(Post("/api/2.2/jobs/run-now", absl::StrCat(R"({"job_id":)", queued_job, "}")).body,
         "run_id")
          .as_int();
  Reply q = Run(second);
  EXPECT_EQ(Str(q.body, "state.life_cycle_state"), "QUEUED");
  EXPECT_EQ(Str(q.body, "status.queue_details.code"), "MAX_CONCURRENT_RUNS_REACHED");
  Advance(3.5);  // the first ends; the second starts at that instant
  EXPECT_EQ(Str(Run(first).body, "state.result_state"), "SUCCESS");
  Reply started = Run(second);
  EXPECT_EQ(Str(started.body, "state.life_cycle_state"), "PENDING");
  EXPECT_EQ(At(started.body, "queue_duration").as_int(), 3500);

  const int64_t skipping_job = CreateJob(job, "2.1");
  Post("/api/2.1/jobs/run-now", absl::StrCat(R"({"job_id":)", skipping_job, "}"));
  const int64_t skipped =
      At(Post("/api/2.1/jobs/run-now", absl::StrCat(R"({"job_id":)", skipping_job, "}")).body,
         "run_id")
          .as_int();
  Reply s = Run(skipped, "2.1");
  EXPECT_EQ(Str(s.body, "state.life_cycle_state"), "SKIPPED");
  EXPECT_EQ(Str(s.body, "state.result_state"), "MAXIMUM_CONCURRENT_RUNS_REACHED");
  EXPECT_EQ(Str(s.body, "status.termination_details.code"), "MAX_CONCURRENT_RUNS_EXCEEDED");
}

TEST_F(JobsApiTest, ListRunsPagesNewestFirstWithLimitsAndTokens) {
  for (int i = 0; i < 12; ++i) {
    Submit(NotebookRun("/Workspace/ok"));
    Advance(1);
  }
  EXPECT_EQ(Get("/api/2.2/jobs/runs/list?limit=25").status, 400);
  EXPECT_EQ(Get("/api/2.2/jobs/runs/list?limit=-1").status, 400);
  Reply over = Get("/api/2.2/jobs/runs/list?offset=10001");
  EXPECT_EQ(over.status, 400);
  EXPECT_THAT(Str(over.body, "message"), HasSubstr("has exceeded the value of 10000"));
  std::vector<int64_t> seen;
  std::string token;
  int pages = 0;
  do {
    Reply page =
        Get("/api/2.2/jobs/runs/list?limit=5" + (token.empty() ? "" : "&page_token=" + token));
    ASSERT_EQ(page.status, 200) << page.raw;
    const gateway::json::Value runs = At(page.body, "runs");
    for (const auto& run : runs.as_array()) seen.push_back(At(run, "run_id").as_int());
    token = Str(page.body, "next_page_token");
    EXPECT_EQ(At(page.body, "has_more").as_bool(), !token.empty());
    if (pages > 0) {
      EXPECT_FALSE(Str(page.body, "prev_page_token").empty());
    }
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 12u);
  EXPECT_TRUE(std::is_sorted(seen.rbegin(), seen.rend()));  // newest first
  Reply active = Get("/api/2.2/jobs/runs/list?active_only=true");
  EXPECT_EQ(At(active.body, "runs").as_array().size(), 3u);  // started in the last 3.5 s
  EXPECT_EQ(Get("/api/2.2/jobs/runs/list?active_only=true&completed_only=true").status, 400);
  EXPECT_EQ(At(Get("/api/2.2/jobs/runs/list?completed_only=true&limit=24").body, "runs")
                .as_array()
                .size(),
            9u);
}

TEST_F(JobsApiTest, JobsCreateGetListDeleteAnd22TaskPaging) {
  std::string tasks;
  for (int i = 0; i < 150; ++i) {
    absl::StrAppend(&tasks, i ? "," : "", R"({"task_key":"t)", i,
                    R"(","notebook_task":{"notebook_path":"/x"}})");
  }
  const int64_t big = CreateJob(absl::StrCat(R"({"name":"Big","tasks":[)", tasks, "]}"));
  const int64_t small = CreateJob(R"({"name":"small"})");
  Reply page1 = Get(absl::StrCat("/api/2.2/jobs/get?job_id=", big));
  EXPECT_EQ(At(page1.body, "settings.tasks").as_array().size(), 100u);
  const std::string token = Str(page1.body, "next_page_token");
  ASSERT_FALSE(token.empty());
  Reply page2 = Get(absl::StrCat("/api/2.2/jobs/get?job_id=", big, "&page_token=", token));
  EXPECT_EQ(At(page2.body, "settings.tasks").as_array().size(), 50u);
  EXPECT_EQ(Str(page2.body, "next_page_token"), "");
  EXPECT_EQ(At(Get(absl::StrCat("/api/2.1/jobs/get?job_id=", big)).body, "settings.tasks")
                .as_array()
                .size(),
            150u);
  // Runs page their tasks the same way on 2.2.
  const int64_t run =
      At(Post("/api/2.2/jobs/run-now", absl::StrCat(R"({"job_id":)", big, "}")).body, "run_id")
          .as_int();
  Reply run_page = Run(run);
  EXPECT_EQ(At(run_page.body, "tasks").as_array().size(), 100u);
  EXPECT_FALSE(Str(run_page.body, "next_page_token").empty());

  Reply by_name = Get("/api/2.2/jobs/list?name=BIG");
  ASSERT_EQ(At(by_name.body, "jobs").as_array().size(), 1u);
  EXPECT_EQ(At(by_name.body, "jobs.0.job_id").as_int(), big);
  EXPECT_TRUE(At(by_name.body, "jobs.0.settings.tasks").is_null());  // not expanded
  EXPECT_EQ(Get("/api/2.2/jobs/list?limit=101").status, 400);
  Reply one = Get("/api/2.2/jobs/list?limit=1");
  EXPECT_TRUE(At(one.body, "has_more").as_bool());
  EXPECT_EQ(Post("/api/2.2/jobs/delete", absl::StrCat(R"({"job_id":)", small, "}")).status, 200);
  EXPECT_EQ(Get(absl::StrCat("/api/2.2/jobs/get?job_id=", small)).status, 400);
}

TEST_F(JobsApiTest, RunNowMergesJobParametersAndRejectsBadTasks) {
  const int64_t job = CreateJob(R"({"name":"p","parameters":[{"name":"answer","default":"1"}],
      "tasks":[{"task_key":"t","notebook_task":{"notebook_path":"/x"}}]})");
  const int64_t run =
      At(Post("/api/2.2/jobs/run-now",
              absl::StrCat(R"({"job_id":)", job, R"(,"job_parameters":{"answer":"42"}})"))
             .body,
         "run_id")
          .as_int();
  Reply r = Run(run);
  EXPECT_EQ(Str(r.body, "job_parameters.0.value"), "42");
  Advance(10);
  EXPECT_EQ(Str(Get(absl::StrCat("/api/2.2/jobs/runs/get-output?run_id=", run)).body,
                "notebook_output.result"),
            "forty-two");
  EXPECT_EQ(Post("/api/2.2/jobs/runs/submit", R"({"tasks":[]})").status, 400);
  EXPECT_EQ(Post("/api/2.2/jobs/runs/submit", R"({"tasks":[{"task_key":"a"}]})").status, 400);
  EXPECT_EQ(
      Post(
          "/api/2.2/jobs/runs/submit",
          R"({"tasks":[{"task_key":"a","depends_on":[{"task_key":"a"}],"notebook_task":{"notebook_path":"/x"}}]})")
          .status,
      400);
}

}  // namespace
}  // namespace emulator
