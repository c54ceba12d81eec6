// The gateway binary as an operator runs it: started with a config file, reached over
// loopback through real gRPC channels and real HTTP requests, stopped and reloaded with
// signals.
#include <algorithm>
#include <csignal>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/databricks/gateway/v1/delta.grpc.pb.h"
#include "proto/databricks/gateway/v1/jobs.grpc.pb.h"
#include "tests/harness/process.h"
#include "tests/integration/proto/health.grpc.pb.h"
#include "tests/integration/proto/reflection.grpc.pb.h"

namespace gateway {
namespace {

using ::gateway::testing::HttpRequest;
using ::gateway::testing::HttpResponse;
using ::gateway::testing::PollUntil;
using ::gateway::testing::ReadFile;
using ::gateway::testing::Subprocess;
using ::gateway::testing::WriteFile;
using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "dapi5ecret0123456789abcdef";

std::string Config(int drain_seconds, const std::string& warehouse = "wh-1") {
  return absl::StrCat(R"yaml(
server:
  grpc_address: 127.0.0.1:0
  admin_address: 127.0.0.1:0
  drain_seconds: )yaml",
                      drain_seconds, R"yaml(
workspaces:
  - name: default
    host: http://127.0.0.1:1
    allow_plaintext: true
    default_warehouse_id: )yaml",
                      warehouse, "\n");
}

// A gateway process started on free ports with a config written for the test.
class GatewayProcess {
 public:
  explicit GatewayProcess(const std::string& config, const std::string& name)
      : config_path_(absl::StrCat(testing::TempDir(), "/", name, ".yaml")),
        log_path_(absl::StrCat(testing::TempDir(), "/", name, ".log")) {
    WriteFile(config_path_, config);
    absl::StatusOr<Subprocess> process =
        Subprocess::Start({testing::Runfile("server/gateway"), "--config=" + config_path_},
                          {{"DATABRICKS_TOKEN", kToken}}, log_path_);
    EXPECT_TRUE(process.ok()) << process.status();
    process_ = std::make_unique<Subprocess>(*std::move(process));
    std::optional<std::string> line = process_->ReadLine(absl::Seconds(30));
    EXPECT_TRUE(line.has_value()) << "no listening line; log:\n" << ReadFile(log_path_);
    if (!line.has_value()) return;
    // "gateway listening: grpc=127.0.0.1:P admin=http://127.0.0.1:Q"
    grpc_target_ = line->substr(line->find("grpc=") + 5);
    grpc_target_.resize(std::min(grpc_target_.size(), grpc_target_.find(' ')));
    const std::string admin = line->substr(line->rfind(':') + 1);
    EXPECT_TRUE(absl::SimpleAtoi(admin, &admin_port_)) << *line;
  }

  std::shared_ptr<grpc::Channel> Channel() const {
    return grpc::CreateChannel(grpc_target_, grpc::InsecureChannelCredentials());
  }
  HttpResponse Get(const std::string& target) const { return Request("GET", target); }
  HttpResponse Request(const std::string& method, const std::string& target) const {
    absl::StatusOr<HttpResponse> response = HttpRequest(admin_port_, method, target);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : HttpResponse{};
  }
  std::string Log() const { return ReadFile(log_path_); }
  Subprocess& process() { return *process_; }
  const std::string& config_path() const { return config_path_; }

 private:
  std::string config_path_;
  std::string log_path_;
  std::unique_ptr<Subprocess> process_;
  std::string grpc_target_;
  int admin_port_ = 0;
};

grpc::Status Check(Health::Stub& stub, const std::string& service, HealthCheckResponse* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  HealthCheckRequest request;
  request.set_service(service);
  return stub.Check(&context, request, response);
}

TEST(GatewayProcessTest, HealthServesWholeServerAndEachServiceOverARealChannel) {
  GatewayProcess gateway(Config(5), "health");
  auto stub = Health::NewStub(gateway.Channel());
  HealthCheckResponse response;
  ASSERT_TRUE(Check(*stub, "", &response).ok());
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  for (const char* service :
       {"databricks.gateway.v1.JobsService", "databricks.gateway.v1.SqlService",
        "databricks.gateway.v1.DeltaService", "databricks.gateway.v1.CatalogService"}) {
    ASSERT_TRUE(Check(*stub, service, &response).ok()) << service;
    EXPECT_EQ(response.status(), HealthCheckResponse::SERVING) << service;
  }
  const grpc::Status unknown = Check(*stub, "no.such.Service", &response);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST(GatewayProcessTest, ReflectionListsTheFourServicesAndServesTheirDescriptors) {
  GatewayProcess gateway(Config(5), "reflection");
  auto stub = grpc::reflection::v1alpha::ServerReflection::NewStub(gateway.Channel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub->ServerReflectionInfo(&context);

  grpc::reflection::v1alpha::ServerReflectionRequest request;
  request.set_list_services("");
  ASSERT_TRUE(stream->Write(request));
  grpc::reflection::v1alpha::ServerReflectionResponse response;
  ASSERT_TRUE(stream->Read(&response));
  std::vector<std::string> services;
  for (const auto& service : response.list_services_response().service()) {
    services.push_back(service.name());
  }
  EXPECT_THAT(services,
              ::testing::IsSupersetOf(
                  {"databricks.gateway.v1.JobsService", "databricks.gateway.v1.SqlService",
                   "databricks.gateway.v1.DeltaService", "databricks.gateway.v1.CatalogService",
                   "grpc.health.v1.Health"}));

  request.set_file_containing_symbol("databricks.gateway.v1.JobsService");
  ASSERT_TRUE(stream->Write(request));
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_TRUE(response.has_file_descriptor_response());
  bool found = false;
  for (const std::string& bytes : response.file_descriptor_response().file_descriptor_proto()) {
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(bytes));
    if (file.name() != "proto/databricks/gateway/v1/jobs.proto") continue;
    found = true;
    ASSERT_EQ(file.service_size(), 1);
    std::vector<std::string> methods;
    for (const auto& method : file.service(0).method()) methods.push_back(method.name());
    EXPECT_THAT(methods, ::testing::Contains("SubmitRun"));
    EXPECT_THAT(methods, ::testing::Contains("WaitRun"));
  }
  EXPECT_TRUE(found);
  stream->WritesDone();
}

// Delta requests are checked in the gateway: a bad one is refused with a message naming the
// field, whatever the upstream (this gateway's workspace is not even reachable).
TEST(GatewayProcessTest, BadDeltaRequestsAreRefusedInTheGatewayNamingTheField) {
  GatewayProcess gateway(Config(5), "refused");
  auto stub = databricks::gateway::v1::DeltaService::NewStub(gateway.Channel());
  {
    grpc::ClientContext context;
    databricks::gateway::v1::WriteTableResponse response;
    const grpc::Status status =
        stub->WriteTable(&context, databricks::gateway::v1::WriteTableRequest(), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(status.error_message(), "table.table: required");
  }
  {
    grpc::ClientContext context;
    databricks::gateway::v1::ReadTableRequest request;
    request.mutable_table()->set_table("orders; DROP TABLE x");
    auto reader = stub->ReadTable(&context, request);
    databricks::gateway::v1::ReadTableResponse response;
    EXPECT_FALSE(reader->Read(&response));
    const grpc::Status status = reader->Finish();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("table.table: ';' at position 6"));
  }
}

TEST(GatewayProcessTest, AdminEndpointsAnswerRealHttpRequests) {
  GatewayProcess gateway(Config(5), "admin");
  const HttpResponse healthz = gateway.Get("/healthz");
  EXPECT_EQ(healthz.status, 200);
  EXPECT_EQ(healthz.body, "ok\n");

  const HttpResponse readyz = gateway.Get("/readyz");
  EXPECT_EQ(readyz.status, 200);
  EXPECT_EQ(readyz.body, "ready\n");

  const HttpResponse metrics = gateway.Get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(metrics.body, HasSubstr("gateway_build_info{version=\"0.1.0\"} 1"));
  EXPECT_THAT(metrics.body, HasSubstr("gateway_ready 1"));
  EXPECT_THAT(metrics.body, HasSubstr("# TYPE gateway_config_reloads_total counter"));

  const HttpResponse config = gateway.Get("/config");
  EXPECT_EQ(config.status, 200);
  EXPECT_THAT(config.body, HasSubstr("default_warehouse_id: wh-1"));
  EXPECT_THAT(config.body, HasSubstr("token: {env: DATABRICKS_TOKEN}"));
  EXPECT_THAT(config.body, Not(HasSubstr(kToken)));

  EXPECT_EQ(gateway.Get("/nope").status, 404);
  const HttpResponse post = gateway.Request("POST", "/config");
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.body, "only GET is allowed\n");
}

TEST(GatewayProcessTest, SecretsReachNeitherLogsNorMetricsNorConfig) {
  GatewayProcess gateway(Config(5), "secrets");
  EXPECT_EQ(gateway.Get("/readyz").status, 200);
  const std::string everything =
      gateway.Get("/metrics").body + gateway.Get("/config").body + gateway.Log();
  EXPECT_THAT(everything, Not(HasSubstr(kToken)));
  EXPECT_THAT(gateway.Log(), HasSubstr("\"msg\":\"gateway serving\""));
}

TEST(GatewayProcessTest, SigtermDrainsACallInFlightThenExitsZero) {
  GatewayProcess gateway(Config(/*drain_seconds=*/30), "drain");
  auto stub = Health::NewStub(gateway.Channel());
  grpc::ClientContext watch_context;
  HealthCheckRequest request;
  auto watch = stub->Watch(&watch_context, request);
  HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::SERVING);

  const absl::Time sigterm_at = absl::Now();
  gateway.process().Signal(SIGTERM);
  // The call in flight is not cut: it sees the gateway turn NOT_SERVING.
  ASSERT_TRUE(watch->Read(&update));
  EXPECT_EQ(update.status(), HealthCheckResponse::NOT_SERVING);
  HealthCheckResponse service_health;
  ASSERT_TRUE(Check(*stub, "databricks.gateway.v1.JobsService", &service_health).ok());
  EXPECT_EQ(service_health.status(), HealthCheckResponse::NOT_SERVING);
  const HttpResponse readyz = gateway.Get("/readyz");
  EXPECT_EQ(readyz.status, 503);
  EXPECT_EQ(readyz.body, "not ready: draining\n");
  // The Check above is counted until the server finishes it, which can be just after the
  // client has its answer; then only the Watch is left.
  EXPECT_TRUE(PollUntil(
      [&] { return absl::StrContains(gateway.Get("/metrics").body, "gateway_inflight_calls 1\n"); },
      absl::Seconds(5)))
      << gateway.Get("/metrics").body;
  EXPECT_FALSE(gateway.process().Wait(absl::Milliseconds(300)).has_value())
      << "the gateway exited while a call was in flight";

  // Once the last call ends, the gateway stops at once instead of waiting out the window.
  watch_context.TryCancel();
  watch->Finish().IgnoreError();
  EXPECT_EQ(gateway.process().Wait(absl::Seconds(20)), 0);
  EXPECT_LT(absl::Now() - sigterm_at, absl::Seconds(20));
  EXPECT_THAT(gateway.Log(), HasSubstr("\"msg\":\"draining\",\"inflight_calls\":\"1\""));
  EXPECT_THAT(gateway.Log(), HasSubstr("\"msg\":\"stopped\""));
}

TEST(GatewayProcessTest, SigtermCancelsCallsStillInFlightWhenTheWindowEnds) {
  GatewayProcess gateway(Config(/*drain_seconds=*/1), "drain-window");
  auto stub = Health::NewStub(gateway.Channel());
  grpc::ClientContext watch_context;
  auto watch = stub->Watch(&watch_context, HealthCheckRequest());
  HealthCheckResponse update;
  ASSERT_TRUE(watch->Read(&update));

  gateway.process().Signal(SIGTERM);
  EXPECT_EQ(gateway.process().Wait(absl::Seconds(20)), 0);
  while (watch->Read(&update)) {
  }
  EXPECT_FALSE(watch->Finish().ok());
  EXPECT_THAT(gateway.Log(), HasSubstr("drain window ended; cancelling calls still in flight"));
}

TEST(GatewayProcessTest, SighupWithABadFileKeepsTheOldConfigThenAGoodFileApplies) {
  GatewayProcess gateway(Config(5, "wh-old"), "reload");
  ASSERT_THAT(gateway.Get("/config").body, HasSubstr("default_warehouse_id: wh-old"));

  WriteFile(gateway.config_path(), Config(5, "wh-bad") + "surprise: 1\n");
  gateway.process().Signal(SIGHUP);
  ASSERT_TRUE(
      PollUntil([&] { return absl::StrContains(gateway.Log(), "configuration reload rejected"); },
                absl::Seconds(20)));
  EXPECT_THAT(gateway.Log(), HasSubstr("surprise: unknown key"));
  EXPECT_THAT(gateway.Get("/config").body, HasSubstr("default_warehouse_id: wh-old"));
  EXPECT_EQ(gateway.Get("/readyz").status, 200);
  EXPECT_THAT(gateway.Get("/metrics").body,
              HasSubstr("gateway_config_reloads_total{result=\"failure\"} 1"));

  WriteFile(gateway.config_path(), Config(5, "wh-new"));
  gateway.process().Signal(SIGHUP);
  ASSERT_TRUE(PollUntil(
      [&] {
        return absl::StrContains(gateway.Get("/config").body, "default_warehouse_id: wh-new");
      },
      absl::Seconds(20)));
  EXPECT_THAT(gateway.Get("/metrics").body,
              HasSubstr("gateway_config_reloads_total{result=\"success\"} 1"));
  gateway.process().Signal(SIGTERM);
  EXPECT_EQ(gateway.process().Wait(absl::Seconds(20)), 0);
}

TEST(GatewayProcessTest, InvalidConfigExitsTwoListingEveryErrorWithItsPath) {
  const std::string config_path = testing::TempDir() + "/invalid.yaml";
  const std::string log_path = testing::TempDir() + "/invalid.log";
  WriteFile(config_path, "server: {drain_seconds: forever}\nworkspaces: [{name: w}]\n");
  absl::StatusOr<Subprocess> process = Subprocess::Start(
      {testing::Runfile("server/gateway"), "--config=" + config_path}, {}, log_path);
  ASSERT_TRUE(process.ok());
  EXPECT_EQ(process->Wait(absl::Seconds(20)), 2);
  const std::string errors = ReadFile(log_path);
  EXPECT_THAT(errors, HasSubstr("server.drain_seconds: must be an integer, not \"forever\""));
  EXPECT_THAT(errors, HasSubstr("workspaces[0].host: is required"));
}

TEST(GatewayProcessTest, CheckPrintsTheRedactedConfigAndExitsZero) {
  const std::string config_path = testing::TempDir() + "/check.yaml";
  const std::string log_path = testing::TempDir() + "/check.log";
  WriteFile(config_path, Config(5, "wh-check"));
  absl::StatusOr<Subprocess> check =
      Subprocess::Start({testing::Runfile("server/gateway"), "--config=" + config_path, "--check"},
                        {{"DATABRICKS_TOKEN", kToken}}, log_path);
  ASSERT_TRUE(check.ok());
  std::string output;
  while (std::optional<std::string> line = check->ReadLine(absl::Seconds(10))) {
    output += *line + "\n";
  }
  EXPECT_EQ(check->Wait(absl::Seconds(10)), 0);
  EXPECT_THAT(output, HasSubstr("default_warehouse_id: wh-check"));
  EXPECT_THAT(output, HasSubstr("token: {env: DATABRICKS_TOKEN}"));
  EXPECT_THAT(output, Not(HasSubstr(kToken)));
}

TEST(GatewayProcessTest, HelpAndBadFlags) {
  const std::string log_path = testing::TempDir() + "/flags.log";
  absl::StatusOr<Subprocess> help =
      Subprocess::Start({testing::Runfile("server/gateway"), "--help"}, {}, log_path);
  ASSERT_TRUE(help.ok());
  std::optional<std::string> first = help->ReadLine(absl::Seconds(10));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, "Usage: gateway --config=PATH [--check]");
  EXPECT_EQ(help->Wait(absl::Seconds(10)), 0);

  absl::StatusOr<Subprocess> bad =
      Subprocess::Start({testing::Runfile("server/gateway"), "--confg=x"}, {}, log_path);
  ASSERT_TRUE(bad.ok());
  EXPECT_EQ(bad->Wait(absl::Seconds(10)), 2);
  EXPECT_THAT(ReadFile(log_path), HasSubstr("unknown flag \"--confg=x\""));
}

}  // namespace
}  // namespace gateway
