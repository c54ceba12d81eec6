// Databricks' quota through the gateway, with the emulator's throttles standing in for
// Databricks' per-endpoint limits:
//
//   pacing    runs/get throttled at R requests/s (R = 20, 80, 200; a burst of R/4 and
//             `Retry-After: 1`), GetRun offered at 1.5 R for --seconds after a warm-up, over
//             enough runs in turn that no two reads in flight are of one run, for each
//             pacing controller: GetRun answered OK per second against R, and the share
//             of upstream runs/get requests that were throttled;
//   fairness  three tenants of weights 1, 1 and 2, each offering 1.5 R, on one budget: the
//             share of the OK calls each gets; then a quiet tenant offering 10 % of its share
//             alone, and again beside a neighbour offering 10× the whole budget: its OK share
//             and p99.
//
// With --doc=PATH it writes its tables into PATH's "quota" section. --before measures a
// gateway that has no pacing controller or tenant weights (the figures kept beside the new
// ones in docs/performance.md).
//
//   quota_bench [--doc=docs/performance.md] [--command="make bench"] [--seconds=N]
//               [--controllers=aimd,gradient] [--rates=20,80,200] [--before]
#include <algorithm>
#include <atomic>
#include <cmath>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
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

constexpr char kRunsGet[] = "GET /api/2.2/jobs/runs/get";
// Every GetRun of the benchmark waits at most this long, in the gateway's queue included.
constexpr absl::Duration kDeadline = absl::Seconds(5);

struct Tenant {
  std::string name;
  int weight = 1;
};

std::string KeyOf(const std::string& tenant) { return absl::StrCat("quota-bench-key-", tenant); }

// One PAT shared by `tenants` (no rate or concurrency limit of their own), the workspace's
// own limit far above the throttle, and runs/get throttled at `rate`/s.
StackOptions Options(double rate, const std::string& controller, const std::vector<Tenant>& tenants,
                     bool weights) {
  StackOptions options;
  options.emulator_yaml = absl::StrFormat(
      "throttles:\n"
      "  - {endpoint: \"%s\", rate_per_second: %g, burst: %g, retry_after_seconds: 1}\n",
      kRunsGet, rate, std::max(1.0, rate / 4));
  options.workspace_yaml = "    rate_limit_rps: 1000\n    rate_limit_burst: 100\n";
  if (!controller.empty()) {
    absl::StrAppend(&options.workspace_yaml, "    pacing: {controller: ", controller, "}\n");
  }
  options.gateway_yaml =
      "credential_pools:\n"
      "  - name: shared\n"
      "    workspace: default\n"
      "    credentials:\n"
      "      - {name: pat, type: pat, token: {env: DATABRICKS_TOKEN}}\n"
      "security:\n"
      "  handle_signing_key: {env: HANDLE_KEY}\n"
      "tenants:\n";
  for (const Tenant& t : tenants) {
    absl::StrAppend(&options.gateway_yaml, "  - {name: ", t.name, ", api_key_sha256: [\"",
                    testing::Sha256Hex(KeyOf(t.name)), "\"], credential_pool: shared",
                    weights ? absl::StrCat(", weight: ", t.weight) : "",
                    ", quota: {max_concurrent: 0}}\n");
  }
  options.gateway_env = {{"HANDLE_KEY", "quota-bench-handle-signing-key-padded-to-32-bytes"}};
  return options;
}

// Submits `count` runs for `tenant` and returns their handles (none on a failure). GetRun
// reads them in turn; with more runs than calls can be in flight (the offered rate × the
// deadline), no two reads in flight are of one run and each is its own upstream request:
// what is measured is pacing, not the sharing of identical reads.
// Runs to read in turn at `rate` calls/s: more than can be in flight within the deadline.
int RunsFor(double rate) {
  return static_cast<int>(std::ceil(rate * absl::ToDoubleSeconds(kDeadline) * 1.2)) + 10;
}

std::vector<std::string> SubmitRuns(const Stack& stack, const std::string& tenant, int count) {
  auto jobs = v1::JobsService::NewStub(stack.ChannelWithKey(KeyOf(tenant)));
  std::vector<std::string> handles;
  for (int i = 0; i < count; ++i) {
    v1::SubmitRunRequest request;
    request.set_run_name(absl::StrCat("quota-", tenant, "-", i));
    v1::Task* task = request.add_tasks();
    task->set_task_key("main");
    task->set_existing_cluster_id("cluster-1");
    task->mutable_notebook_task()->set_notebook_path("/Shared/quota");
    v1::SubmitRunResponse response;
    auto context = Context(absl::Seconds(10));
    const grpc::Status status = jobs->SubmitRun(context.get(), request, &response);
    if (!status.ok()) {
      std::cerr << "SubmitRun for " << tenant << ": " << status.error_message() << "\n";
      return {};
    }
    handles.push_back(response.run_id());
  }
  return handles;
}

// The emulator's runs/get counters.
struct Upstream {
  int64_t requests = 0;
  int64_t throttled = 0;
};

Upstream RunsGet(const Stack& stack) {
  const json::Value counters = stack.Control("GET", "/emulator/v1/counters");
  auto count = [&](const char* name) -> int64_t {
    const json::Value* map = counters.Find(name);
    const json::Value* n = map != nullptr ? map->Find(kRunsGet) : nullptr;
    return n != nullptr && n->is_int() ? n->as_int() : 0;
  };
  return {count("requests"), count("throttled")};
}

// A target that counts the OK answers that arrive within [from, until): calls queued in the
// gateway finish after they started, so counting by start time would credit the window
// with answers that came after it.
class CountingTarget : public CallTarget {
 public:
  CountingTarget(CallTarget& target, absl::Time from, absl::Time until)
      : target_(target), from_(from), until_(until) {}
  void Start(Done done) override {
    target_.Start([this, done = std::move(done)](const std::string& outcome) {
      const absl::Time now = absl::Now();
      if (outcome == "OK" && now >= from_ && now < until_) ok_.fetch_add(1);
      done(outcome);
    });
  }
  int64_t ok() const { return ok_.load(); }

 private:
  CallTarget& target_;
  const absl::Time from_;
  const absl::Time until_;
  std::atomic<int64_t> ok_{0};
};

// Keeps `target` until the process ends. A call that outlives RunLoad's drain still holds
// its target and channel; destroying them then would drop the channel's last reference on
// gRPC's callback thread, which crashes gRPC 1.51.
template <typename T>
T& Keep(std::unique_ptr<T> target) {
  static auto* kept = new std::vector<std::unique_ptr<CallTarget>>();
  T& kept_target = *target;
  kept->push_back(std::move(target));
  return kept_target;
}

LoadOptions OpenLoop(double rate, absl::Duration warmup, absl::Duration seconds) {
  LoadOptions load;
  load.mode = LoadOptions::Mode::kOpen;
  load.rate = rate;
  load.warmup = warmup;
  load.duration = seconds;
  load.drain = kDeadline + absl::Seconds(5);
  return load;
}

int64_t Ok(const LoadReport& report) {
  auto found = report.outcomes.find("OK");
  return found == report.outcomes.end() ? 0 : found->second;
}

std::string Outcomes(const LoadReport& report) {
  std::string out;
  for (const auto& [outcome, count] : report.outcomes) {
    if (outcome != "OK") absl::StrAppend(&out, out.empty() ? "" : ", ", outcome, " ", count);
  }
  return out.empty() ? "none" : out;
}

struct PacingFigures {
  std::string controller;
  double rate = 0;
  double ok_per_second = 0;
  Upstream upstream;  // during the measured window
  LoadReport load;
  bool started = false;
};

// GetRun offered at 1.5 `rate` against runs/get throttled at `rate`.
PacingFigures MeasurePacing(double rate, const std::string& controller, absl::Duration warmup,
                            absl::Duration seconds) {
  PacingFigures f;
  f.controller = controller.empty() ? "none (before)" : controller;
  f.rate = rate;
  const std::vector<Tenant> tenants = {{"pacer", 1}};
  Stack stack("quota-pacing", Options(rate, controller, tenants, false));
  if (!stack.ok()) {
    std::cerr << stack.error() << "\n";
    return f;
  }
  std::vector<std::string> runs = SubmitRuns(stack, "pacer", RunsFor(1.5 * rate));
  if (runs.empty()) return f;
  f.started = true;
  GrpcGetRunTarget& target = Keep(std::make_unique<GrpcGetRunTarget>(
      stack.target(), KeyOf("pacer"), std::move(runs), 2, kDeadline));
  // The emulator's counters over the measured window, read beside the load.
  Upstream before, after;
  std::thread counters([&] {
    absl::SleepFor(warmup);
    before = RunsGet(stack);
    absl::SleepFor(seconds);
    after = RunsGet(stack);
  });
  const absl::Time start = absl::Now();
  CountingTarget& counting =
      Keep(std::make_unique<CountingTarget>(target, start + warmup, start + warmup + seconds));
  f.load = RunLoad(counting, OpenLoop(1.5 * rate, warmup, seconds));
  counters.join();
  f.upstream = {after.requests - before.requests, after.throttled - before.throttled};
  f.ok_per_second = counting.ok() / absl::ToDoubleSeconds(seconds);
  return f;
}

struct ShareFigures {
  std::vector<Tenant> tenants;
  std::vector<LoadReport> loads;
  std::vector<double> ok_per_second;  // answered OK within the measured window
  bool started = false;
};

// Each of `tenants` offering `offered[i]` GetRun/s at once against runs/get throttled at
// `rate`.
ShareFigures MeasureShares(double rate, const std::string& controller,
                           const std::vector<Tenant>& tenants, const std::vector<double>& offered,
                           bool weights, absl::Duration warmup, absl::Duration seconds) {
  ShareFigures f;
  f.tenants = tenants;
  Stack stack("quota-shares", Options(rate, controller, tenants, weights));
  if (!stack.ok()) {
    std::cerr << stack.error() << "\n";
    return f;
  }
  std::vector<GrpcGetRunTarget*> targets;
  for (size_t i = 0; i < tenants.size(); ++i) {
    const Tenant& t = tenants[i];
    std::vector<std::string> runs =
        SubmitRuns(stack, t.name, RunsFor(std::min(offered[i], 2 * rate)));
    if (runs.empty()) return f;
    targets.push_back(&Keep(std::make_unique<GrpcGetRunTarget>(stack.target(), KeyOf(t.name),
                                                               std::move(runs), 2, kDeadline)));
  }
  f.started = true;
  f.loads.resize(tenants.size());
  f.ok_per_second.resize(tenants.size());
  const absl::Time start = absl::Now();
  std::vector<CountingTarget*> counting;
  for (GrpcGetRunTarget* target : targets) {
    counting.push_back(
        &Keep(std::make_unique<CountingTarget>(*target, start + warmup, start + warmup + seconds)));
  }
  std::vector<std::thread> threads;
  for (size_t i = 0; i < tenants.size(); ++i) {
    if (offered[i] <= 0) continue;
    threads.emplace_back(
        [&, i] { f.loads[i] = RunLoad(*counting[i], OpenLoop(offered[i], warmup, seconds)); });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < tenants.size(); ++i) {
    f.ok_per_second[i] = counting[i]->ok() / absl::ToDoubleSeconds(seconds);
  }
  return f;
}

double P99Ms(const LoadReport& report) { return report.latency.Quantile(0.99) / 1e6; }

int Main(int argc, char** argv) {
  std::string doc;
  std::string command = "make bench";
  int seconds_flag = 20;
  bool before = false;
  std::vector<std::string> controllers = {"aimd", "gradient"};
  std::vector<double> rates = {20, 80, 200};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (PublishFlag(arg, &doc, &command)) continue;
    if (arg == "--before") {
      before = true;
      continue;
    }
    if (absl::StartsWith(arg, "--rates=")) {
      rates.clear();
      for (absl::string_view r : absl::StrSplit(arg.substr(8), ',', absl::SkipEmpty())) {
        double rate = 0;
        if (!absl::SimpleAtod(r, &rate) || rate <= 0) {
          std::cerr << "quota_bench: --rates takes positive numbers\n";
          return 2;
        }
        rates.push_back(rate);
      }
      continue;
    }
    if (absl::StartsWith(arg, "--controllers=")) {
      controllers = absl::StrSplit(arg.substr(14), ',', absl::SkipEmpty());
      continue;
    }
    if (!(absl::StartsWith(arg, "--seconds=") && absl::SimpleAtoi(arg.substr(10), &seconds_flag))) {
      std::cerr << "usage: quota_bench [--doc=PATH] [--command=TEXT] [--seconds=N] "
                   "[--controllers=aimd,gradient] [--rates=20,80,200] [--before]\n";
      return 2;
    }
  }
  if (before) controllers = {""};
  const absl::Duration warmup = absl::Seconds(5);
  const absl::Duration seconds = absl::Seconds(seconds_flag);
  bool ok = true;

  // Pacing.
  std::vector<PacingFigures> pacing;
  for (const std::string& controller : controllers) {
    for (double rate : rates) {
      pacing.push_back(MeasurePacing(rate, controller, warmup, seconds));
      const PacingFigures& f = pacing.back();
      ok &= f.started;
      std::cout << "pacing " << f.controller << " R=" << rate << ": " << f.ok_per_second
                << " OK/s, upstream " << f.upstream.requests << " (" << f.upstream.throttled
                << " throttled); " << f.load.Summary() << "\n";
    }
  }

  // Fair shares: the last controller listed (the default when it is listed last).
  const std::string share_controller = controllers.back();
  const double share_rate = 80;
  const std::vector<Tenant> three = {{"one", 1}, {"two", 1}, {"four", 2}};
  const ShareFigures shares = MeasureShares(share_rate, share_controller, three,
                                            {1.5 * share_rate, 1.5 * share_rate, 1.5 * share_rate},
                                            !before, warmup, seconds);
  ok &= shares.started;
  // The quiet tenant's share is half the budget beside one neighbour of the same weight.
  const std::vector<Tenant> pair = {{"quiet", 1}, {"flood", 1}};
  const double quiet_rate = 0.1 * share_rate / 2;
  const ShareFigures alone = MeasureShares(share_rate, share_controller, pair, {quiet_rate, 0},
                                           !before, absl::Seconds(1), seconds);
  const ShareFigures flooded = MeasureShares(
      share_rate, share_controller, pair, {quiet_rate, 10 * share_rate}, !before, warmup, seconds);
  ok &= alone.started && flooded.started;

  std::string md = absl::StrCat(
      MeasuredBy(command, "tests/bench/quota_bench.cc"),
      absl::StrFormat(
          ".\n\nPacing: GetRun offered at 1.5 R, reading runs in turn so that no two reads in "
          "flight are of one run (each is its own upstream request), against runs/get throttled "
          "at R/s (burst R/4, `Retry-After: 1`), one tenant, %d s measured after %d s of "
          "warm-up, each call with a %d s deadline.\n\n",
          seconds_flag, static_cast<int>(absl::ToInt64Seconds(warmup)),
          static_cast<int>(absl::ToInt64Seconds(kDeadline))),
      "| controller | R | GetRun OK/s | OK / R | upstream runs/get | throttled | throttled % | "
      "p50 ms | p99 ms | other outcomes |\n"
      "|---|---|---|---|---|---|---|---|---|---|\n");
  for (const PacingFigures& f : pacing) {
    absl::StrAppend(
        &md, absl::StrFormat(
                 "| %s | %.0f | %.1f | %.2f | %d | %d | %.1f | %.1f | %.1f | %s |\n", f.controller,
                 f.rate, f.ok_per_second, f.ok_per_second / f.rate, f.upstream.requests,
                 f.upstream.throttled,
                 f.upstream.requests > 0 ? 100.0 * f.upstream.throttled / f.upstream.requests : 0.0,
                 f.load.latency.Quantile(0.5) / 1e6, P99Ms(f.load), Outcomes(f.load)));
  }
  absl::StrAppend(
      &md,
      absl::StrFormat("\nFair shares (controller %s, runs/get throttled at %.0f/s): three tenants, "
                      "each offering %.0f GetRun/s.\n\n",
                      share_controller.empty() ? "none" : share_controller, share_rate,
                      1.5 * share_rate),
      "| tenant | weight | GetRun OK/s | share of OK | p99 ms | other outcomes |\n"
      "|---|---|---|---|---|---|\n");
  double total_ok = 0;
  for (double ok : shares.ok_per_second) total_ok += ok;
  for (size_t i = 0; i < shares.loads.size(); ++i) {
    const LoadReport& load = shares.loads[i];
    const double ok = shares.ok_per_second[i];
    std::cout << three[i].name << ": " << load.Summary() << "\n";
    absl::StrAppend(&md, absl::StrFormat("| %s | %d | %.1f | %.1f %% | %.1f | %s |\n",
                                         three[i].name, before ? 1 : three[i].weight, ok,
                                         total_ok > 0 ? 100.0 * ok / total_ok : 0.0, P99Ms(load),
                                         Outcomes(load)));
  }
  absl::StrAppend(
      &md,
      absl::StrFormat("\nA quiet tenant offering %.0f GetRun/s (10 %% of its share), alone and "
                      "beside a neighbour offering %.0f/s (10× the budget):\n\n",
                      quiet_rate, 10 * share_rate),
      "| quiet tenant | OK % | p50 ms | p99 ms | other outcomes | neighbour OK/s |\n"
      "|---|---|---|---|---|---|\n");
  for (const auto& [label, f] :
       {std::make_pair("alone", &alone), std::make_pair("flooded", &flooded)}) {
    if (f->loads.empty()) continue;
    const LoadReport& quiet = f->loads[0];
    absl::StrAppend(
        &md, absl::StrFormat(
                 "| %s | %.2f | %.2f | %.2f | %s | %s |\n", label,
                 quiet.started > 0 ? 100.0 * Ok(quiet) / quiet.started : 0.0,
                 quiet.latency.Quantile(0.5) / 1e6, P99Ms(quiet), Outcomes(quiet),
                 f->loads[1].started > 0 ? absl::StrFormat("%.1f", f->ok_per_second[1]) : "—"));
  }
  return Publish(doc, before ? "quota-before" : "quota", md) && ok ? 0 : 1;
}

}  // namespace
}  // namespace gateway::bench

int main(int argc, char** argv) {
  return gateway::bench::RunMain(gateway::bench::Main, argc, argv);
}
