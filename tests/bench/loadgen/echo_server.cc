// echo_server: the floor of one gRPC hop on this machine. It serves JobsService.GetRun
// with the gRPC callback API, as the gateway does, and answers every call at once with a
// fixed response (read from --response=FILE, a binary GetRunResponse, so its size matches
// the gateway's answer), the run id of the request copied in. No upstream, no checks.
//
//   echo_server [--port=N] [--response=FILE]
//
// Prints "echo listening: 127.0.0.1:PORT" once it serves; runs until SIGTERM or SIGINT.
#include <csignal>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "grpcpp/grpcpp.h"
#include "proto/databricks/gateway/v1/jobs.grpc.pb.h"

namespace {

namespace v1 = ::databricks::gateway::v1;

constexpr char kUsage[] =
    "usage: echo_server [--port=N] [--response=FILE]\n"
    "  --port=N         port on 127.0.0.1 (default 0: a free one)\n"
    "  --response=FILE  the GetRunResponse to answer with (binary protobuf)\n";

class EchoJobs final : public v1::JobsService::CallbackService {
 public:
  explicit EchoJobs(v1::GetRunResponse response) : response_(std::move(response)) {}

  grpc::ServerUnaryReactor* GetRun(grpc::CallbackServerContext* context,
                                   const v1::GetRunRequest* request,
                                   v1::GetRunResponse* response) override {
    *response = response_;
    response->mutable_run()->set_run_id(request->run_id());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  const v1::GetRunResponse response_;
};

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  std::string response_path;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (absl::StartsWith(arg, "--port=") && absl::SimpleAtoi(arg.substr(7), &port)) continue;
    if (absl::StartsWith(arg, "--response=")) {
      response_path = arg.substr(11);
      continue;
    }
    std::cerr << (arg == "--help" ? "" : "echo_server: bad flag \"" + arg + "\"\n") << kUsage;
    return arg == "--help" ? 0 : 2;
  }
  v1::GetRunResponse response;
  if (!response_path.empty()) {
    std::ifstream in(response_path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (!in || !response.ParseFromString(bytes.str())) {
      std::cerr << "echo_server: cannot read a GetRunResponse from " << response_path << "\n";
      return 2;
    }
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  EchoJobs service(std::move(response));
  int bound = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials(),
                           &bound);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || bound == 0) {
    std::cerr << "echo_server: cannot listen on 127.0.0.1:" << port << "\n";
    return 1;
  }
  std::cout << "echo listening: 127.0.0.1:" << bound << std::endl;
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  server->Shutdown();
  return 0;
}
