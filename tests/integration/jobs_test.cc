// JobsService end to end: the gateway binary against the emulator binary over loopback.
// Seed 004 section 4.2: PAT auth, submit a notebook job and wait, submit a JAR job, cancel a
// job; plus run output, paging, jobs, idempotent submits, handles and validation.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/databricks/gateway/v1/jobs.grpc.pb.h"
#include "tests/integration/stack.h"

namespace gateway {
namespace {

namespace v1 = ::databricks::gateway::v1;
using ::gateway::testing::Context;
using ::gateway::testing::Stack;
using ::testing::HasSubstr;

constexpr char kEmulator[] = R"yaml(
jobs:
  pending_seconds: 0.2
  running_seconds: 0.4
  terminating_seconds: 0.1
  outcomes:
    - match: {notebook_path: "/Workspace/fail*"}
      result_state: FAILED
      error: "Exception: scripted failure"
      error_trace: "Traceback (most recent call last):\nException: scripted failure"
    - match: {notebook_path: "/Workspace/slow*"}
      running_seconds: 60
    - match: {notebook_path: "/Workspace/answer*"}
      notebook_output: "42"
)yaml";

class JobsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { stack_ = new Stack("jobs", kEmulator); }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  void SetUp() override {
    ASSERT_TRUE(stack_->ok()) << stack_->error();
    stub_ = v1::JobsService::NewStub(stack_->channel());
  }

  static v1::SubmitRunRequest NotebookRun(const std::string& path) {
    v1::SubmitRunRequest request;
    request.set_run_name(path);
    v1::Task* task = request.add_tasks();
    task->set_task_key("main");
    task->set_existing_cluster_id("cluster-1");
    task->mutable_notebook_task()->set_notebook_path(path);
    return request;
  }

  std::string Submit(const v1::SubmitRunRequest& request) {
    v1::SubmitRunResponse response;
    const grpc::Status status = stub_->SubmitRun(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    EXPECT_FALSE(response.run_id().empty());
    return response.run_id();
  }

  // Every message WaitRun sends until the stream ends, and the final status.
  std::vector<v1::WaitRunResponse> Wait(const std::string& run_id, grpc::Status* status,
                                        absl::Duration timeout = absl::Seconds(30)) {
    auto context = Context(timeout);
    v1::WaitRunRequest request;
    request.set_run_id(run_id);
    auto reader = stub_->WaitRun(context.get(), request);
    std::vector<v1::WaitRunResponse> messages;
    v1::WaitRunResponse message;
    while (reader->Read(&message)) messages.push_back(message);
    *status = reader->Finish();
    return messages;
  }

  static Stack* stack_;
  std::unique_ptr<v1::JobsService::Stub> stub_;
};

Stack* JobsTest::stack_ = nullptr;

TEST_F(JobsTest, SubmitNotebookRunAndWaitStreamsEveryStateChangeUntilSuccess) {
  const std::string run_id = Submit(NotebookRun("/Workspace/answer"));
  grpc::Status status;
  const std::vector<v1::WaitRunResponse> messages = Wait(run_id, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_GE(messages.size(), 2u);
  for (size_t i = 0; i + 1 < messages.size(); ++i) {
    EXPECT_FALSE(messages[i].terminal());
    const v1::RunState& a = messages[i].run().state();
    const v1::RunState& b = messages[i + 1].run().state();
    EXPECT_TRUE(a.life_cycle_state() != b.life_cycle_state() ||
                a.state_message() != b.state_message() ||
                messages[i].run().tasks(0).state().life_cycle_state() !=
                    messages[i + 1].run().tasks(0).state().life_cycle_state())
        << "message " << i + 1 << " repeats the state before it";
  }
  const v1::WaitRunResponse& last = messages.back();
  EXPECT_TRUE(last.terminal());
  EXPECT_EQ(last.run().run_id(), run_id);
  EXPECT_EQ(last.run().state().life_cycle_state(), v1::RunState::TERMINATED);
  EXPECT_EQ(last.run().state().result_state(), v1::RunState::SUCCESS);
  EXPECT_EQ(last.run().state().result_state_text(), "SUCCESS");
  // Every life-cycle state the run went through was seen in order.
  std::vector<std::string> states;
  for (const v1::WaitRunResponse& m : messages) {
    const std::string& s = m.run().state().life_cycle_state_text();
    if (states.empty() || states.back() != s) states.push_back(s);
  }
  EXPECT_THAT(states, ::testing::IsSupersetOf({"RUNNING", "TERMINATED"}));

  // The output of the single-task run: its task run's handle.
  ASSERT_EQ(last.run().tasks_size(), 1);
  v1::GetRunOutputRequest output_request;
  output_request.set_run_id(last.run().tasks(0).run_id());
  v1::GetRunOutputResponse output;
  ASSERT_TRUE(stub_->GetRunOutput(Context().get(), output_request, &output).ok());
  EXPECT_EQ(output.notebook_output().result(), "42");
  EXPECT_EQ(output.metadata().run_id(), last.run().tasks(0).run_id());

  EXPECT_THAT(stack_->Metrics(),
              HasSubstr("databricks_job_duration_seconds_count{result_state=\"SUCCESS\","
                        "workspace=\"default\"}"));
}

TEST_F(JobsTest, SubmitJarRunWithLibrariesSucceeds) {
  v1::SubmitRunRequest request;
  request.set_run_name("jar");
  v1::Task* task = request.add_tasks();
  task->set_task_key("etl");
  v1::ClusterSpec* cluster = task->mutable_new_cluster();
  cluster->set_spark_version("15.4.x-scala2.12");
  cluster->set_node_type_id("i3.xlarge");
  cluster->set_num_workers(2);
  task->mutable_spark_jar_task()->set_main_class_name("com.acme.Etl");
  task->mutable_spark_jar_task()->add_parameters("--day=2026-11-21");
  task->add_libraries()->set_jar("dbfs:/jars/etl.jar");
  task->add_libraries()->set_maven_coordinates("org.acme:util:1.0");
  const std::string run_id = Submit(request);

  grpc::Status status;
  const std::vector<v1::WaitRunResponse> messages = Wait(run_id, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_FALSE(messages.empty());
  EXPECT_EQ(messages.back().run().state().result_state(), v1::RunState::SUCCESS);
  ASSERT_EQ(messages.back().run().tasks_size(), 1);
  EXPECT_EQ(messages.back().run().tasks(0).task_key(), "etl");
}

TEST_F(JobsTest, CancelRunEndsAWatchedRunCanceled) {
  const std::string run_id = Submit(NotebookRun("/Workspace/slow"));
  auto context = Context(absl::Seconds(30));
  v1::WaitRunRequest wait;
  wait.set_run_id(run_id);
  auto reader = stub_->WaitRun(context.get(), wait);
  v1::WaitRunResponse message;
  // Watch until it runs, then cancel it.
  while (reader->Read(&message) &&
         message.run().state().life_cycle_state() != v1::RunState::RUNNING) {
  }
  ASSERT_EQ(message.run().state().life_cycle_state(), v1::RunState::RUNNING);
  v1::CancelRunRequest cancel;
  cancel.set_run_id(run_id);
  v1::CancelRunResponse cancelled;
  ASSERT_TRUE(stub_->CancelRun(Context().get(), cancel, &cancelled).ok());
  while (reader->Read(&message)) {
  }
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_TRUE(message.terminal());
  EXPECT_EQ(message.run().state().life_cycle_state(), v1::RunState::TERMINATED);
  EXPECT_EQ(message.run().state().result_state(), v1::RunState::CANCELED);
  EXPECT_EQ(message.run().status().termination_details().code(), "USER_CANCELED");
}

TEST_F(JobsTest, FailedRunReportsItsErrorAndTrace) {
  const std::string run_id = Submit(NotebookRun("/Workspace/fail"));
  grpc::Status status;
  const std::vector<v1::WaitRunResponse> messages = Wait(run_id, &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  ASSERT_FALSE(messages.empty());
  const v1::Run& run = messages.back().run();
  EXPECT_EQ(run.state().result_state(), v1::RunState::FAILED);
  v1::GetRunOutputRequest request;
  request.set_run_id(run.tasks(0).run_id());
  v1::GetRunOutputResponse output;
  ASSERT_TRUE(stub_->GetRunOutput(Context().get(), request, &output).ok());
  EXPECT_EQ(output.error(), "Exception: scripted failure");
  EXPECT_THAT(output.error_trace(), HasSubstr("Traceback"));
}

TEST_F(JobsTest, WaitRunEndsWithDeadlineExceededWhileTheRunIsStillRunning) {
  const std::string run_id = Submit(NotebookRun("/Workspace/slow-deadline"));
  grpc::Status status;
  const absl::Time start = absl::Now();
  const std::vector<v1::WaitRunResponse> messages = Wait(run_id, &status, absl::Seconds(2));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  ASSERT_FALSE(messages.empty());
  EXPECT_FALSE(messages.back().terminal());
}

TEST_F(JobsTest, SubmitWithoutTokenIsRetriedWithTheGatewaysTokenAndStartsOneRun) {
  // The first submit is processed but its answer is lost: only an idempotency token keeps
  // the gateway's retry from starting a second run.
  stack_->SetFaults(
      R"([{"endpoint": "POST /api/2.2/jobs/runs/submit", "kind": "reset_after", "count": 1}])");
  stack_->ResetCounters();
  const std::string run_id = Submit(NotebookRun("/Workspace/answer-idempotent"));
  stack_->SetFaults("[]");
  EXPECT_EQ(stack_->EmulatorRequests("POST /api/2.2/jobs/runs/submit"), 2);

  v1::ListRunsRequest list;
  list.set_page_size(24);
  v1::ListRunsResponse runs;
  ASSERT_TRUE(stub_->ListRuns(Context().get(), list, &runs).ok());
  int named = 0;
  for (const v1::Run& run : runs.runs()) {
    if (run.run_name() == "/Workspace/answer-idempotent") {
      ++named;
      EXPECT_EQ(run.run_id(), run_id);
    }
  }
  EXPECT_EQ(named, 1);
}

TEST_F(JobsTest, ListRunsPagesWithoutRepeatsOrGaps) {
  std::set<std::string> submitted;
  for (int i = 0; i < 3; ++i) {
    submitted.insert(Submit(NotebookRun(absl::StrCat("/Workspace/answer-page-", i))));
  }
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    v1::ListRunsRequest request;
    request.set_page_size(2);
    request.set_page_token(token);
    v1::ListRunsResponse response;
    ASSERT_TRUE(stub_->ListRuns(Context().get(), request, &response).ok());
    EXPECT_LE(response.runs_size(), 2);
    for (const v1::Run& run : response.runs()) {
      EXPECT_TRUE(seen.insert(run.run_id()).second) << "run " << run.run_id() << " repeated";
    }
    token = response.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 100);
  EXPECT_GE(pages, 2);
  for (const std::string& id : submitted) EXPECT_EQ(seen.count(id), 1u) << id;
}

TEST_F(JobsTest, JobsCanBeCreatedReadListedRunAndDeleted) {
  v1::CreateJobRequest create;
  v1::JobSettings* settings = create.mutable_settings();
  settings->set_name("nightly-etl");
  settings->set_max_concurrent_runs(1);
  v1::Task* task = settings->add_tasks();
  task->set_task_key("load");
  task->set_existing_cluster_id("cluster-1");
  task->mutable_notebook_task()->set_notebook_path("/Workspace/answer-job");
  task->add_libraries()->set_pypi_package("requests==2.32.0");
  v1::CreateJobResponse created;
  ASSERT_TRUE(stub_->CreateJob(Context().get(), create, &created).ok());
  ASSERT_GT(created.job_id(), 0);

  v1::GetJobRequest get;
  get.set_job_id(created.job_id());
  v1::GetJobResponse job;
  ASSERT_TRUE(stub_->GetJob(Context().get(), get, &job).ok());
  EXPECT_EQ(job.job().settings().name(), "nightly-etl");
  ASSERT_EQ(job.job().settings().tasks_size(), 1);
  ASSERT_EQ(job.job().settings().tasks(0).libraries_size(), 1);
  EXPECT_EQ(job.job().settings().tasks(0).libraries(0).pypi_package(), "requests==2.32.0");

  v1::ListJobsRequest list;
  list.set_name("nightly-etl");
  v1::ListJobsResponse jobs;
  ASSERT_TRUE(stub_->ListJobs(Context().get(), list, &jobs).ok());
  ASSERT_EQ(jobs.jobs_size(), 1);
  EXPECT_EQ(jobs.jobs(0).job_id(), created.job_id());

  v1::RunNowRequest run_now;
  run_now.set_job_id(created.job_id());
  (*run_now.mutable_job_parameters())["day"] = "2026-11-21";
  v1::RunNowResponse run;
  ASSERT_TRUE(stub_->RunNow(Context().get(), run_now, &run).ok());
  grpc::Status status;
  const std::vector<v1::WaitRunResponse> messages = Wait(run.run_id(), &status);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(messages.back().run().job_id(), created.job_id());
  EXPECT_EQ(messages.back().run().state().result_state(), v1::RunState::SUCCESS);

  v1::DeleteJobRequest remove;
  remove.set_job_id(created.job_id());
  v1::DeleteJobResponse removed;
  ASSERT_TRUE(stub_->DeleteJob(Context().get(), remove, &removed).ok());
  const grpc::Status gone = stub_->GetJob(Context().get(), get, &job);
  EXPECT_EQ(gone.error_code(), grpc::StatusCode::NOT_FOUND) << gone.error_message();
}

TEST_F(JobsTest, UnknownOrMalformedRunHandlesAreNotFound) {
  v1::GetRunRequest request;
  request.set_run_id("987654321");
  v1::GetRunResponse response;
  grpc::Status status = stub_->GetRun(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("987654321"));

  stack_->ResetCounters();
  request.set_run_id("1; DROP TABLE x");
  status = stub_->GetRun(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "run '1; DROP TABLE x' does not exist");
  EXPECT_EQ(stack_->EmulatorApiRequests(), 0);
}

TEST_F(JobsTest, InvalidRequestsAreRefusedBeforeReachingDatabricks) {
  stack_->ResetCounters();
  v1::SubmitRunResponse response;
  v1::SubmitRunRequest empty;
  grpc::Status status = stub_->SubmitRun(Context().get(), empty, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "tasks: at least one task is required");

  v1::SubmitRunRequest no_type = NotebookRun("/Workspace/x");
  no_type.mutable_tasks(0)->clear_notebook_task();
  status = stub_->SubmitRun(Context().get(), no_type, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("tasks[0]: set one task type"));

  v1::SubmitRunRequest long_token = NotebookRun("/Workspace/x");
  long_token.set_idempotency_token(std::string(65, 't'));
  status = stub_->SubmitRun(Context().get(), long_token, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "idempotency_token: at most 64 characters, got 65");

  v1::ListRunsRequest list;
  list.set_page_size(25);
  v1::ListRunsResponse runs;
  status = stub_->ListRuns(Context().get(), list, &runs);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "page_size: must be between 0 and 24, got 25");
  EXPECT_EQ(stack_->EmulatorApiRequests(), 0);
}

TEST_F(JobsTest, StreamingRunIsBuiltFromStructuredOptionsAndSecretsMustBeReferences) {
  v1::SubmitStreamingRunRequest request;
  request.set_run_name("orders-stream");
  v1::KafkaSource* kafka = request.mutable_source()->mutable_kafka();
  kafka->set_bootstrap_servers("broker:9092");
  kafka->add_topics("orders");
  (*kafka->mutable_options())["kafka.sasl.jaas.config"] = "plain-text-password";
  request.mutable_sink()->mutable_delta_table()->set_table("orders_bronze");
  request.mutable_trigger()->set_available_now(true);
  request.set_checkpoint_location("/Volumes/main/default/checkpoints/orders");
  request.set_existing_cluster_id("cluster-1");
  v1::SubmitStreamingRunResponse response;
  grpc::Status status = stub_->SubmitStreamingRun(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("source.kafka.options.kafka.sasl.jaas.config"));
  EXPECT_THAT(status.error_message(), ::testing::Not(HasSubstr("plain-text-password")));

  (*kafka->mutable_options())["kafka.sasl.jaas.config"] = "{{secrets/kafka/jaas}}";
  status = stub_->SubmitStreamingRun(Context().get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  v1::GetRunRequest get;
  get.set_run_id(response.run_id());
  v1::GetRunResponse run;
  ASSERT_TRUE(stub_->GetRun(Context().get(), get, &run).ok());
  EXPECT_EQ(run.run().run_name(), "orders-stream");
  ASSERT_EQ(run.run().tasks_size(), 1);
  EXPECT_EQ(run.run().tasks(0).task_key(), "stream");
}

}  // namespace
}  // namespace gateway
