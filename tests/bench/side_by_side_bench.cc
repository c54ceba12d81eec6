// The gateway beside the alternatives, in one run, against one emulator, with one call
// (get a run):
//
//   rest     the emulator's REST API called directly: the floor;
//   gateway  JobsService.GetRun through the gateway (gRPC in, REST out);
//   nginx    Debian's nginx as a reverse proxy (caller key → tenant, limit_req per tenant,
//            workspace token injected, keep-alive upstream);
//   echo     a gRPC server that answers GetRun at once with a response of the same size:
//            the floor of one gRPC hop on this machine.
//
// Each is driven by the same load generator (tests/bench/loadgen) in this process, at
// fixed rates (open loop) and fixed concurrencies (closed loop). For each run it reads
// the CPU time of the process in the middle (the gateway, nginx's master and workers, the
// echo server) and of the emulator from /proc. Prints markdown tables, and with
// --doc=PATH writes them into PATH's "side-by-side" section.
//
//   side_by_side_bench [--doc=docs/performance.md] [--command="make bench"] [--quick]
#include <sys/stat.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
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
#include "tests/bench/nginx_proxy.h"
#include "tests/integration/stack.h"

namespace gateway::bench {
namespace {

namespace v1 = ::databricks::gateway::v1;
using testing::Context;
using testing::Stack;
using testing::StackOptions;

constexpr char kBenchKey[] = "bench-caller-key";

struct Contender {
  std::string name;
  std::unique_ptr<CallTarget> target;
  // The process between the load generator and the emulator; 0 for the direct calls.
  pid_t middle = 0;
  bool middle_has_children = false;
};

struct Measurement {
  LoadReport report;
  double middle_cpu_seconds = 0;
  double emulator_cpu_seconds = 0;

  double MiddleMicrosPerCall() const {
    return report.ended > 0 ? middle_cpu_seconds * 1e6 / report.ended : 0;
  }
  double EmulatorMicrosPerCall() const {
    return report.ended > 0 ? emulator_cpu_seconds * 1e6 / report.ended : 0;
  }
};

struct Scenario {
  std::string name;  // "2000/s" or "c=16"
  LoadOptions options;
};

Measurement Measure(Contender& contender, const LoadOptions& options, pid_t emulator) {
  // CPU from the start of the warm-up to the end: scaled to the measured calls below by
  // counting only the window's calls against the window's share of the time.
  const double middle_before =
      contender.middle > 0 ? CpuSeconds(contender.middle, contender.middle_has_children) : 0;
  const double emulator_before = CpuSeconds(emulator);
  const absl::Time start = absl::Now();
  Measurement m;
  m.report = RunLoad(*contender.target, options);
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - start);
  const double share = m.report.seconds / elapsed;
  if (contender.middle > 0) {
    m.middle_cpu_seconds =
        (CpuSeconds(contender.middle, contender.middle_has_children) - middle_before) * share;
  }
  m.emulator_cpu_seconds = (CpuSeconds(emulator) - emulator_before) * share;
  return m;
}

std::string Micros(int64_t nanos) { return absl::StrFormat("%.0f", nanos / 1e3); }
std::string Signed(double micros) { return absl::StrFormat("%+.0f", micros); }

// Runs the gateway's calls read in turn: more than the most calls in flight (64).
constexpr int kGatewayRuns = 128;

// Submits a run for the bench's tenant; its handle, or "" (said on stderr) on a failure.
std::string SubmitRun(v1::JobsService::Stub& jobs) {
  v1::SubmitRunRequest submit;
  submit.set_run_name("side-by-side");
  v1::Task* task = submit.add_tasks();
  task->set_task_key("main");
  task->set_existing_cluster_id("cluster-1");
  task->mutable_notebook_task()->set_notebook_path("/Workspace/bench/side_by_side");
  v1::SubmitRunResponse submitted;
  auto context = Context();
  context->AddMetadata("authorization", absl::StrCat("Bearer ", kBenchKey));
  const grpc::Status status = jobs.SubmitRun(context.get(), submit, &submitted);
  if (!status.ok()) {
    std::cerr << "SubmitRun: " << status.error_message() << "\n";
    return "";
  }
  return submitted.run_id();
}

// The run the benchmark gets: submitted through the gateway; its Databricks id read
// from the emulator (the only run there).
bool PrepareRun(const Stack& stack, v1::JobsService::Stub& jobs, std::string* handle,
                int64_t* databricks_id, v1::GetRunResponse* got) {
  *handle = SubmitRun(jobs);
  if (handle->empty()) return false;
  v1::GetRunRequest request;
  request.set_run_id(*handle);
  auto context = Context();
  context->AddMetadata("authorization", absl::StrCat("Bearer ", kBenchKey));
  const grpc::Status status = jobs.GetRun(context.get(), request, got);
  if (!status.ok()) {
    std::cerr << "GetRun: " << status.error_message() << "\n";
    return false;
  }
  absl::StatusOr<testing::HttpResponse> list =
      testing::HttpRequest(stack.emulator_port(), "GET", "/api/2.2/jobs/runs/list", "",
                           {{"Authorization", absl::StrCat("Bearer ", testing::kStackToken)}});
  absl::StatusOr<json::Value> runs =
      list.ok() ? json::Parse(list->body) : absl::StatusOr<json::Value>(list.status());
  const json::Value* array = runs.ok() ? runs->Find("runs") : nullptr;
  if (array == nullptr || !array->is_array() || array->as_array().size() != 1) {
    std::cerr << "runs/list on the emulator did not list the one run\n";
    return false;
  }
  *databricks_id = array->as_array()[0].Find("run_id")->as_int();
  return true;
}

// The scenarios: fixed rates (open loop) and fixed concurrencies (closed loop).
std::vector<Scenario> Scenarios(bool quick) {
  const absl::Duration duration = quick ? absl::Seconds(1) : absl::Seconds(5);
  const absl::Duration warmup = quick ? absl::Milliseconds(300) : absl::Seconds(1);
  std::vector<Scenario> scenarios;
  for (double rate : {500.0, 1000.0, 2000.0}) {
    Scenario s{absl::StrCat(rate, "/s"), {}};
    s.options.mode = LoadOptions::Mode::kOpen;
    s.options.rate = rate;
    scenarios.push_back(s);
  }
  for (int concurrency : {1, 4, 16, 64}) {
    Scenario s{absl::StrCat("c=", concurrency), {}};
    s.options.mode = LoadOptions::Mode::kClosed;
    s.options.concurrency = concurrency;
    scenarios.push_back(s);
  }
  for (Scenario& s : scenarios) {
    s.options.duration = duration;
    s.options.warmup = warmup;
  }
  return scenarios;
}

using Results = std::map<std::string, std::map<std::string, Measurement>>;  // scenario → name

std::string OutcomesText(const LoadReport& report) {
  std::string text;
  for (const auto& [outcome, calls] : report.outcomes) {
    if (outcome == "OK") continue;
    absl::StrAppend(&text, text.empty() ? "" : ", ", outcome, " ", calls);
  }
  if (report.started != report.ended) {
    absl::StrAppend(&text, text.empty() ? "" : ", ", report.started - report.ended, " unfinished");
  }
  return text.empty() ? "0" : text;
}

// The verdict on one target: "met" or "missed by …".
std::string Verdict(bool met, const std::string& by) {
  return met ? "**met**" : absl::StrCat("**missed** by ", by);
}

std::string Tables(const std::vector<Scenario>& scenarios, const std::vector<std::string>& names,
                   Results& results) {
  std::string md;
  absl::StrAppend(&md,
                  "Fixed rates (open loop; latency from each call's scheduled time). \"added\" "
                  "is over `rest` at the same rate; `echo` has nothing behind it, so all of its "
                  "latency is added. CPU is the middle process' user + system time per call "
                  "(for `rest`, the emulator's).\n\n"
                  "| rate | path | p50 µs | p90 µs | p99 µs | p99.9 µs | p50 added | p99 added | "
                  "CPU µs/call | emulator CPU µs/call | errors |\n"
                  "|---|---|---|---|---|---|---|---|---|---|---|\n");
  auto row = [&](const Scenario& s, const std::string& name, bool open) {
    const Measurement& m = results[s.name][name];
    const Measurement& floor = results[s.name]["rest"];
    const LatencyHistogram& h = m.report.latency;
    double added50 = 0;
    double added99 = 0;
    if (name == "echo") {
      added50 = h.Quantile(0.5) / 1e3;
      added99 = h.Quantile(0.99) / 1e3;
    } else {
      added50 = (h.Quantile(0.5) - floor.report.latency.Quantile(0.5)) / 1e3;
      added99 = (h.Quantile(0.99) - floor.report.latency.Quantile(0.99)) / 1e3;
    }
    const std::string cpu = name == "rest" ? absl::StrFormat("(%.1f)", m.EmulatorMicrosPerCall())
                                           : absl::StrFormat("%.1f", m.MiddleMicrosPerCall());
    const std::string emulator =
        name == "echo" ? "–" : absl::StrFormat("%.1f", m.EmulatorMicrosPerCall());
    if (open) {
      absl::StrAppend(&md, "| ", s.name, " | ", name, " | ", Micros(h.Quantile(0.5)), " | ",
                      Micros(h.Quantile(0.9)), " | ", Micros(h.Quantile(0.99)), " | ",
                      Micros(h.Quantile(0.999)), " | ", name == "rest" ? "–" : Signed(added50),
                      " | ", name == "rest" ? "–" : Signed(added99), " | ", cpu, " | ", emulator,
                      " | ", OutcomesText(m.report), " |\n");
    } else {
      absl::StrAppend(&md, "| ", s.name, " | ", name, " | ",
                      absl::StrFormat("%.0f", m.report.throughput()), " | ",
                      Micros(h.Quantile(0.5)), " | ", Micros(h.Quantile(0.99)), " | ",
                      name == "rest" ? "–" : Signed(added99), " | ", cpu, " | ", emulator, " | ",
                      OutcomesText(m.report), " |\n");
    }
  };
  for (const Scenario& s : scenarios) {
    if (s.options.mode != LoadOptions::Mode::kOpen) continue;
    for (const std::string& name : names) row(s, name, true);
  }
  absl::StrAppend(&md,
                  "\nFixed concurrency (closed loop: each caller sends its next call when the "
                  "last one ends).\n\n"
                  "| callers | path | calls/s | p50 µs | p99 µs | p99 added | CPU µs/call | "
                  "emulator CPU µs/call | errors |\n"
                  "|---|---|---|---|---|---|---|---|---|\n");
  for (const Scenario& s : scenarios) {
    if (s.options.mode != LoadOptions::Mode::kClosed) continue;
    for (const std::string& name : names) row(s, name, false);
  }
  return md;
}

// The targets of issue 9, each with its verdict.
std::string Targets(const std::vector<Scenario>& scenarios, Results& results) {
  const std::string at = "2000/s";
  if (results.count(at) == 0) return "";
  std::map<std::string, Measurement>& r = results[at];
  const double gateway_cpu = r["gateway"].MiddleMicrosPerCall();
  const double echo_cpu = r["echo"].MiddleMicrosPerCall();
  const double nginx_cpu = r["nginx"].MiddleMicrosPerCall();
  const double rest_p99 = r["rest"].report.latency.Quantile(0.99) / 1e3;
  const double gateway_added_p99 = r["gateway"].report.latency.Quantile(0.99) / 1e3 - rest_p99;
  const double echo_added_p99 = r["echo"].report.latency.Quantile(0.99) / 1e3;
  std::map<std::string, double> saturation;
  for (const Scenario& s : scenarios) {
    if (s.options.mode != LoadOptions::Mode::kClosed) continue;
    for (auto& [name, m] : results[s.name]) {
      saturation[name] = std::max(saturation[name], m.report.throughput());
    }
  }
  std::string md = "| target | measured | verdict |\n|---|---|---|\n";
  const double cpu_limit = echo_cpu + nginx_cpu;
  absl::StrAppend(
      &md,
      absl::StrFormat(
          "| CPU per call at 2,000/s ≤ echo's + nginx's | %.1f µs ≤ %.1f + %.1f = %.1f µs | %s |\n",
          gateway_cpu, echo_cpu, nginx_cpu, cpu_limit,
          Verdict(gateway_cpu <= cpu_limit,
                  absl::StrFormat("%.1f µs (%.0f %%)", gateway_cpu - cpu_limit,
                                  100 * (gateway_cpu / cpu_limit - 1)))));
  const double p99_limit = echo_added_p99 + 300;
  absl::StrAppend(
      &md, absl::StrFormat(
               "| added p99 at 2,000/s ≤ echo's + 300 µs | %.0f µs ≤ %.0f + 300 = %.0f µs | %s |\n",
               gateway_added_p99, echo_added_p99, p99_limit,
               Verdict(gateway_added_p99 <= p99_limit,
                       absl::StrFormat("%.0f µs", gateway_added_p99 - p99_limit))));
  absl::StrAppend(
      &md, absl::StrFormat("| added p99 at 2,000/s < 1 ms | %.0f µs | %s |\n", gateway_added_p99,
                           Verdict(gateway_added_p99 < 1000,
                                   absl::StrFormat("%.0f µs", gateway_added_p99 - 1000))));
  const double throughput_limit = 0.8 * saturation["echo"];
  absl::StrAppend(
      &md,
      absl::StrFormat(
          "| saturation throughput ≥ 0.8 × echo's | %.0f calls/s vs 0.8 × %.0f = %.0f | %s |\n",
          saturation["gateway"], saturation["echo"], throughput_limit,
          Verdict(saturation["gateway"] >= throughput_limit,
                  absl::StrFormat("%.0f calls/s (%.0f %% of echo's)",
                                  throughput_limit - saturation["gateway"],
                                  100 * saturation["gateway"] / saturation["echo"]))));
  absl::StrAppend(
      &md, absl::StrFormat(
               "\nSaturation (best closed-loop throughput): rest %.0f, gateway %.0f, nginx %.0f, "
               "echo %.0f calls/s.\n",
               saturation["rest"], saturation["gateway"], saturation["nginx"], saturation["echo"]));
  return md;
}

int Main(int argc, char** argv) {
  std::string doc;
  std::string command = "make bench";
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (PublishFlag(arg, &doc, &command)) continue;
    if (arg == "--quick") {
      quick = true;
    } else {
      std::cerr << "usage: side_by_side_bench [--doc=PATH] [--command=TEXT] [--quick]\n";
      return 2;
    }
  }

  StackOptions options;
  options.emulator_yaml = "jobs:\n  pending_seconds: 0.1\n  running_seconds: 0.1\n";
  // Databricks' own limit (100/s by default) is lifted: the benchmark measures the path.
  options.workspace_yaml = "    rate_limit_rps: 1000000\n    rate_limit_burst: 100000\n";
  options.gateway_yaml = absl::StrCat(R"yaml(
credential_pools:
  - name: shared
    workspace: default
    credentials:
      - {name: pat, type: pat, token: {env: DATABRICKS_TOKEN}}
tenants:
  - name: bench
    api_key_sha256: [")yaml",
                                      testing::Sha256Hex(kBenchKey), R"yaml("]
    credential_pool: shared
    quota: {requests_per_second: 100000, burst: 100000, max_concurrent: 0}
security:
  handle_signing_key: {env: HANDLE_KEY}
)yaml");
  options.gateway_env = {{"HANDLE_KEY", "side-by-side-handle-signing-key-padded-to-32-bytes"}};
  Stack stack("side-by-side", options);
  if (!stack.ok()) {
    std::cerr << stack.error() << "\n";
    return 1;
  }
  auto jobs = v1::JobsService::NewStub(stack.channel());
  std::string handle;
  int64_t run_id = 0;
  v1::GetRunResponse response;
  if (!PrepareRun(stack, *jobs, &handle, &run_id, &response)) return 1;
  // More runs like it: the gateway's calls read them in turn, so that no two calls in
  // flight read one run and each is a request of its own (the gateway answers identical
  // reads in flight with one request, which would measure that instead of the hop).
  std::vector<std::string> handles = {handle};
  for (int i = 1; i < kGatewayRuns; ++i) {
    handles.push_back(SubmitRun(*jobs));
    if (handles.back().empty()) return 1;
  }
  // Let the runs end, so every answer is the same from here on.
  absl::SleepFor(absl::Seconds(1));
  {
    auto context = Context();
    context->AddMetadata("authorization", absl::StrCat("Bearer ", kBenchKey));
    v1::GetRunRequest request;
    request.set_run_id(handle);
    jobs->GetRun(context.get(), request, &response);
  }

  const std::string dir = testing::TempDir();
  const std::string response_path = dir + "/echo-response.pb";
  testing::WriteFile(response_path, response.SerializeAsString());
  absl::StatusOr<testing::Subprocess> echo = testing::Subprocess::Start(
      {testing::Runfile("tests/bench/loadgen/echo_server"), "--response=" + response_path}, {},
      dir + "/echo.log");
  std::optional<std::string> echo_line =
      echo.ok() ? echo->ReadLine(absl::Seconds(10)) : std::nullopt;
  if (!echo_line.has_value()) {
    std::cerr << "echo_server did not start: " << testing::ReadFile(dir + "/echo.log") << "\n";
    return 1;
  }
  const std::string echo_address = echo_line->substr(echo_line->rfind(' ') + 1);

  NginxOptions nginx_options;
  nginx_options.directory = dir + "/nginx";
  mkdir(nginx_options.directory.c_str(), 0700);
  nginx_options.upstream_port = stack.emulator_port();
  nginx_options.upstream_token = testing::kStackToken;
  nginx_options.tenants = {{kBenchKey, "bench"}};
  absl::StatusOr<std::unique_ptr<NginxProxy>> nginx = NginxProxy::Start(nginx_options);
  if (!nginx.ok()) {
    std::cerr << nginx.status().message() << "\n";
    return 1;
  }

  const std::string path = absl::StrCat("/api/2.2/jobs/runs/get?run_id=", run_id);
  std::vector<Contender> contenders;
  contenders.push_back({"rest",
                        std::make_unique<HttpGetTarget>(
                            stack.emulator_port(), path,
                            std::map<std::string, std::string>{
                                {"Authorization", absl::StrCat("Bearer ", testing::kStackToken)}}),
                        0, false});
  contenders.push_back({"gateway",
                        std::make_unique<GrpcGetRunTarget>(stack.target(), kBenchKey, handles),
                        stack.gateway_pid(), false});
  contenders.push_back(
      {"nginx",
       std::make_unique<HttpGetTarget>((*nginx)->port(), path,
                                       std::map<std::string, std::string>{
                                           {"Authorization", absl::StrCat("Bearer ", kBenchKey)}}),
       (*nginx)->pid(), true});
  contenders.push_back(
      {"echo", std::make_unique<GrpcGetRunTarget>(echo_address, "", handle), echo->pid(), false});
  std::vector<std::string> names;
  names.reserve(contenders.size());
  for (const Contender& c : contenders) names.push_back(c.name);

  const pid_t emulator = stack.emulator_pid();
  const std::vector<Scenario> scenarios = Scenarios(quick);
  Results results;
  // Each path answers correctly before it is measured.
  for (Contender& c : contenders) {
    LoadOptions check;
    check.mode = LoadOptions::Mode::kClosed;
    check.warmup = absl::ZeroDuration();
    check.duration = absl::Milliseconds(200);
    const LoadReport report = RunLoad(*c.target, check);
    if (report.failures() > 0 || report.ended == 0) {
      std::cerr << c.name << " does not answer: " << report.Summary() << "\n";
      return 1;
    }
  }
  // Scenario by scenario, every path in turn, so slow drift of the machine touches all.
  for (const Scenario& s : scenarios) {
    for (Contender& c : contenders) {
      Measurement m = Measure(c, s.options, emulator);
      std::cout << absl::StrFormat("%-7s %-8s %s | middle CPU %.1f us/call\n", s.name, c.name,
                                   m.report.Summary(), m.MiddleMicrosPerCall())
                << std::flush;
      results[s.name][c.name] = std::move(m);
    }
  }

  std::string md = absl::StrCat(MeasuredBy(command, "tests/bench/side_by_side_bench.cc"),
                                ". The load generator runs on the same two cores as the "
                                "emulator and the path measured.\n\n");
  absl::StrAppend(&md, Targets(scenarios, results), "\n", Tables(scenarios, names, results));
  const bool published = Publish(doc, "side-by-side", md);
  echo->Signal(SIGTERM);
  echo->Wait(absl::Seconds(5));
  return published ? 0 : 1;
}

}  // namespace
}  // namespace gateway::bench

int main(int argc, char** argv) {
  return gateway::bench::RunMain(gateway::bench::Main, argc, argv);
}
