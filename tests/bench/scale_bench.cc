// The gateway at scale, against the emulator:
//
//   tenants  the gateway with 1 and with 10,000 tenants configured: start-up time, idle
//            resident set, and GetRun through the last tenant at 16 calls in flight
//            (throughput, latency, CPU per call): authentication and the rate-limit
//            decision must cost the same;
//   waiters  10,000 concurrent JobsService.WaitRun streams on 10,000 running runs: the
//            gateway's resident set before and with them open, its CPU while they wait,
//            the polls it sends, and every stream ending with the terminal state.
//
// With --doc=PATH it writes its tables into PATH's "scale" section.
//
//   scale_bench [--doc=docs/performance.md] [--command="make bench"] [--tenants=N]
//               [--streams=N]
#include <atomic>
#include <condition_variable>
#include <iostream>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "proto/databricks/gateway/v1/jobs.grpc.pb.h"
#include "tests/bench/bench_common.h"
#include "tests/bench/loadgen/loadgen.h"
#include "tests/bench/loadgen/targets.h"
#include "tests/integration/stack.h"

namespace gateway::bench {
namespace {

namespace v1 = ::databricks::gateway::v1;
using testing::Context;
using testing::Stack;
using testing::StackOptions;

std::string KeyOf(int tenant) { return absl::StrCat("scale-tenant-key-", tenant); }

// A gateway whose `tenants` tenants (keys KeyOf(i)) share one PAT; Databricks' 100/s
// workspace limit lifted, as a deployment of this size would.
StackOptions Options(int tenants, const std::string& emulator_yaml) {
  StackOptions options;
  options.emulator_yaml = emulator_yaml;
  options.workspace_yaml = "    rate_limit_rps: 1000000\n    rate_limit_burst: 100000\n";
  options.gateway_yaml =
      "credential_pools:\n"
      "  - name: shared\n"
      "    workspace: default\n"
      "    credentials:\n"
      "      - {name: pat, type: pat, token: {env: DATABRICKS_TOKEN}}\n"
      "security:\n"
      "  handle_signing_key: {env: HANDLE_KEY}\n"
      "tenants:\n";
  for (int i = 0; i < tenants; ++i) {
    absl::StrAppend(&options.gateway_yaml, "  - {name: tenant-", i, ", api_key_sha256: [\"",
                    testing::Sha256Hex(KeyOf(i)),
                    "\"], credential_pool: shared, quota: {requests_per_second: 100000, "
                    "burst: 100000, max_concurrent: 0}}\n");
  }
  options.gateway_env = {{"HANDLE_KEY", "scale-bench-handle-signing-key-padded-to-32-bytes"}};
  return options;
}

std::unique_ptr<grpc::ClientContext> ContextFor(int tenant, absl::Duration timeout) {
  auto context = Context(timeout);
  context->AddMetadata("authorization", absl::StrCat("Bearer ", KeyOf(tenant)));
  return context;
}

v1::SubmitRunRequest RunRequest(int n) {
  v1::SubmitRunRequest request;
  // Distinct names: the gateway derives the idempotency token from the call.
  request.set_run_name(absl::StrCat("scale-", n));
  v1::Task* task = request.add_tasks();
  task->set_task_key("main");
  task->set_existing_cluster_id("cluster-1");
  task->mutable_notebook_task()->set_notebook_path("/Workspace/bench/scale");
  return request;
}

struct TenantFigures {
  int tenants = 0;
  double start_seconds = 0;
  int64_t idle_rss_kb = 0;
  LoadReport load;
  double cpu_micros_per_call = 0;
  bool ok = false;
};

TenantFigures MeasureTenants(int tenants) {
  TenantFigures f;
  f.tenants = tenants;
  const absl::Time start = absl::Now();
  Stack stack(absl::StrCat("scale-tenants-", tenants), Options(tenants, ""));
  f.start_seconds = absl::ToDoubleSeconds(absl::Now() - start);
  if (!stack.ok()) {
    std::cerr << stack.error() << "\n";
    return f;
  }
  absl::SleepFor(absl::Seconds(1));
  f.idle_rss_kb = StatusKb(stack.gateway_pid(), "VmRSS");
  const int last = tenants - 1;
  auto jobs = v1::JobsService::NewStub(stack.channel());
  v1::SubmitRunResponse submitted;
  const grpc::Status status =
      jobs->SubmitRun(ContextFor(last, absl::Seconds(10)).get(), RunRequest(0), &submitted);
  if (!status.ok()) {
    std::cerr << "SubmitRun: " << status.error_message() << "\n";
    return f;
  }
  GrpcGetRunTarget target(stack.target(), KeyOf(last), submitted.run_id());
  LoadOptions options;
  options.mode = LoadOptions::Mode::kClosed;
  options.concurrency = 16;
  const double cpu_before = CpuSeconds(stack.gateway_pid());
  const absl::Time began = absl::Now();
  f.load = RunLoad(target, options);
  const double share = f.load.seconds / absl::ToDoubleSeconds(absl::Now() - began);
  f.cpu_micros_per_call = (CpuSeconds(stack.gateway_pid()) - cpu_before) * share * 1e6 /
                          std::max<int64_t>(1, f.load.ended);
  f.ok = f.load.failures() == 0 && f.load.ended > 0;
  return f;
}

// Counts what the streams saw.
struct Tally {
  std::atomic<int> opened{0};
  std::atomic<int> ended{0};
  std::atomic<int> ended_terminal{0};
  std::mutex mu;
  std::map<std::string, int> errors;  // status code and message → streams
};

// One WaitRun stream: counts its first message, remembers whether the last one was
// terminal, and reports how it ended.
class Watcher : public grpc::ClientReadReactor<v1::WaitRunResponse> {
 public:
  Watcher(v1::JobsService::Stub& stub, const std::string& run_id, Tally& tally)
      : tally_(tally), context_(ContextFor(0, absl::Minutes(5))) {
    request_.set_run_id(run_id);
    stub.async()->WaitRun(context_.get(), &request_, this);
    StartRead(&response_);
    StartCall();
  }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // OnDone follows.
    if (!opened_) {
      opened_ = true;
      ++tally_.opened;
    }
    terminal_ = response_.terminal();
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    if (status.ok() && terminal_) {
      ++tally_.ended_terminal;
    } else {
      std::lock_guard<std::mutex> lock(tally_.mu);
      ++tally_.errors[absl::StrCat(status.error_code(), " ", status.error_message())];
    }
    ++tally_.ended;
  }

 private:
  Tally& tally_;
  std::unique_ptr<grpc::ClientContext> context_;
  v1::WaitRunRequest request_;
  v1::WaitRunResponse response_;
  bool opened_ = false;
  bool terminal_ = false;
};

struct WaiterFigures {
  int streams = 0;
  double submit_seconds = 0;
  double open_seconds = 0;
  int64_t rss_before_kb = 0;
  int64_t rss_open_kb = 0;
  int64_t rss_end_kb = 0;
  double wait_cpu_share = 0;    // of one core, while the streams wait
  double polls_per_second = 0;  // runs/get the gateway sends while they wait
  int ended_terminal = 0;
  std::map<std::string, int> errors;
  bool ok = false;
};

WaiterFigures MeasureWaiters(int streams) {
  WaiterFigures f;
  f.streams = streams;
  // Runs wait 2 s in PENDING, then stay RUNNING long enough to measure the waiting.
  Stack stack("scale-waiters", Options(1, "jobs:\n  pending_seconds: 2\n  running_seconds: 50\n"));
  if (!stack.ok()) {
    std::cerr << stack.error() << "\n";
    return f;
  }
  std::vector<std::unique_ptr<v1::JobsService::Stub>> stubs;
  for (int i = 0; i < 16; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("scale-bench-connection", i);
    stubs.push_back(v1::JobsService::NewStub(
        grpc::CreateCustomChannel(stack.target(), grpc::InsecureChannelCredentials(), args)));
  }

  // Submit the runs, 64 at a time.
  const absl::Time submitting = absl::Now();
  std::vector<std::string> handles(streams);
  std::mutex mu;
  std::condition_variable changed;
  int in_flight = 0;
  int failed = 0;
  struct Submit {
    std::unique_ptr<grpc::ClientContext> context;
    v1::SubmitRunRequest request;
    v1::SubmitRunResponse response;
  };
  std::vector<std::unique_ptr<Submit>> submits(streams);
  for (int i = 0; i < streams; ++i) {
    {
      std::unique_lock<std::mutex> lock(mu);
      changed.wait(lock, [&] { return in_flight < 64; });
      ++in_flight;
    }
    submits[i] = std::make_unique<Submit>();
    Submit& s = *submits[i];
    s.context = ContextFor(0, absl::Seconds(30));
    s.request = RunRequest(i);
    stubs[i % stubs.size()]->async()->SubmitRun(s.context.get(), &s.request, &s.response,
                                                [&, i](const grpc::Status& status) {
                                                  std::lock_guard<std::mutex> lock(mu);
                                                  if (status.ok()) {
                                                    handles[i] = submits[i]->response.run_id();
                                                  } else {
                                                    ++failed;
                                                  }
                                                  --in_flight;
                                                  changed.notify_all();
                                                });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    changed.wait(lock, [&] { return in_flight == 0; });
  }
  f.submit_seconds = absl::ToDoubleSeconds(absl::Now() - submitting);
  if (failed > 0) {
    std::cerr << failed << " of " << streams << " SubmitRun calls failed\n";
    return f;
  }
  submits.clear();

  const pid_t gateway = stack.gateway_pid();
  f.rss_before_kb = StatusKb(gateway, "VmRSS");
  Tally tally;
  std::vector<std::unique_ptr<Watcher>> watchers;
  const absl::Time opening = absl::Now();
  watchers.reserve(streams);
  for (int i = 0; i < streams; ++i) {
    watchers.push_back(std::make_unique<Watcher>(*stubs[i % stubs.size()], handles[i], tally));
  }
  const bool opened =
      testing::PollUntil([&] { return tally.opened == streams; }, absl::Seconds(60));
  f.open_seconds = absl::ToDoubleSeconds(absl::Now() - opening);
  if (!opened) {
    std::cerr << "only " << tally.opened << " of " << streams
              << " streams got their first message\n";
  }
  f.rss_open_kb = StatusKb(gateway, "VmRSS");

  // The waiting: CPU and polls over 15 s while every run is RUNNING.
  absl::SleepFor(absl::Seconds(3));
  const std::string polls = "GET /api/2.2/jobs/runs/get";
  const double cpu_before = CpuSeconds(gateway);
  const int64_t polls_before = stack.EmulatorRequests(polls);
  const absl::Time waiting = absl::Now();
  absl::SleepFor(absl::Seconds(15));
  const double seconds = absl::ToDoubleSeconds(absl::Now() - waiting);
  f.wait_cpu_share = (CpuSeconds(gateway) - cpu_before) / seconds;
  f.polls_per_second = (stack.EmulatorRequests(polls) - polls_before) / seconds;

  testing::PollUntil([&] { return tally.ended == streams; }, absl::Seconds(120));
  f.rss_end_kb = StatusKb(gateway, "VmRSS");
  f.ended_terminal = tally.ended_terminal;
  {
    std::lock_guard<std::mutex> lock(tally.mu);
    f.errors = tally.errors;
  }
  f.ok = opened && tally.ended == streams && f.ended_terminal == streams;
  if (tally.ended != streams) {
    std::cerr << tally.ended << " of " << streams << " streams ended; not waiting longer\n";
    // The watchers of streams still open must outlive them: leave them to the process.
    for (auto& w : watchers) static_cast<void>(w.release());
  }
  return f;
}

std::string Mb(int64_t kb) { return absl::StrFormat("%.1f", kb / 1024.0); }

int Main(int argc, char** argv) {
  std::string doc;
  std::string command = "make bench";
  int tenants = 10000;
  int streams = 10000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (PublishFlag(arg, &doc, &command)) continue;
    if (!(absl::StartsWith(arg, "--tenants=") && absl::SimpleAtoi(arg.substr(10), &tenants)) &&
        !(absl::StartsWith(arg, "--streams=") && absl::SimpleAtoi(arg.substr(10), &streams))) {
      std::cerr << "usage: scale_bench [--doc=PATH] [--command=TEXT] [--tenants=N] [--streams=N]\n";
      return 2;
    }
  }
  std::vector<TenantFigures> by_tenants;
  for (int n : {1, tenants}) {
    by_tenants.push_back(MeasureTenants(n));
    const TenantFigures& f = by_tenants.back();
    std::cout << n << " tenants: start " << f.start_seconds << " s, idle RSS " << Mb(f.idle_rss_kb)
              << " MB, " << f.load.Summary() << ", CPU " << f.cpu_micros_per_call << " us/call\n";
  }
  const WaiterFigures w = MeasureWaiters(streams);
  std::cout << "waiters: " << w.ended_terminal << " of " << streams << " ended terminal\n";

  bool ok = w.ok;
  std::string md = absl::StrCat(
      MeasuredBy(command, "tests/bench/scale_bench.cc"),
      ".\n\n"
      "Tenants configured: GetRun through the last tenant, 16 calls in flight for 5 s.\n\n"
      "| tenants | stack start s | gateway idle RSS MB | calls/s | p50 µs | p99 µs | "
      "gateway CPU µs/call | errors |\n"
      "|---|---|---|---|---|---|---|---|\n");
  for (const TenantFigures& f : by_tenants) {
    ok &= f.ok;
    absl::StrAppend(&md, absl::StrFormat("| %d | %.2f | %s | %.0f | %.0f | %.0f | %.1f | %d |\n",
                                         f.tenants, f.start_seconds, Mb(f.idle_rss_kb),
                                         f.load.throughput(), f.load.latency.Quantile(0.5) / 1e3,
                                         f.load.latency.Quantile(0.99) / 1e3, f.cpu_micros_per_call,
                                         f.load.failures()));
  }
  std::string errors;
  for (const auto& [error, count] : w.errors) absl::StrAppend(&errors, "; ", count, "× ", error);
  absl::StrAppend(
      &md,
      absl::StrFormat(
          "\n%d concurrent WaitRun streams (runs RUNNING for 50 s; %d submitted in %.1f s):\n\n"
          "| gateway RSS before MB | with the streams open MB | per stream KB | after they "
          "ended MB | all opened in s | CPU while waiting (of one core) | runs/get polls/s | "
          "ended with the terminal state |\n"
          "|---|---|---|---|---|---|---|---|\n"
          "| %s | %s | %.1f | %s | %.1f | %.1f %% | %.0f | %d of %d%s |\n",
          w.streams, w.streams, w.submit_seconds, Mb(w.rss_before_kb), Mb(w.rss_open_kb),
          static_cast<double>(w.rss_open_kb - w.rss_before_kb) / std::max(1, w.streams),
          Mb(w.rss_end_kb), w.open_seconds, 100 * w.wait_cpu_share, w.polls_per_second,
          w.ended_terminal, w.streams, errors));
  return Publish(doc, "scale", md) && ok ? 0 : 1;
}

}  // namespace
}  // namespace gateway::bench

int main(int argc, char** argv) { return gateway::bench::Main(argc, argv); }
