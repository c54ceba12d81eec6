// The fault soak (`make soak`): the gateway at a fixed rate for several minutes while the
// emulator injects every fault kind it has and throttles, and the script below revokes and
// restores a credential, stops and restarts Redis, freezes it, and reloads the gateway with
// SIGHUP. The calls are a mix a real tenant makes: GetRun, GetWarehouse, and SubmitRun with
// and without an idempotency token, each with a 10 s deadline.
//
// It reports, and fails unless they hold:
//   - every call sent ended with a status from the gateway before its deadline (a call that
//     the client's own gRPC library ended at the deadline did not);
//   - the gateway never crashed: it is running at the end, and drains and exits 0 on SIGTERM;
//   - no duplicate job runs: the emulator holds at most one run per submitted run name (each
//     SubmitRun names its run uniquely, and retries by the gateway must not add a second);
//   - the configuration reload took (gateway_config_reloads_total{result="success"});
// and the gateway's resident set at the start, its peak, and at the end.
//
// With --doc=PATH it writes its tables into PATH's "soak" section.
//
//   soak [--doc=docs/reliability.md] [--command="make soak"] [--seconds=N] [--rate=N]
#include <algorithm>
#include <atomic>
#include <csignal>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "proto/databricks/gateway/v1/jobs.grpc.pb.h"
#include "proto/databricks/gateway/v1/sql.grpc.pb.h"
#include "server/common/json.h"
#include "tests/bench/bench_common.h"
#include "tests/bench/loadgen/loadgen.h"
#include "tests/harness/process.h"
#include "tests/harness/redis.h"
#include "tests/integration/stack.h"

namespace gateway::bench {
namespace {

namespace v1 = ::databricks::gateway::v1;
using testing::RedisServer;
using testing::Stack;
using testing::StackOptions;

constexpr char kPatA[] = "dapi-soak-a-7c1e0b5f9d2a";
constexpr char kPatB[] = "dapi-soak-b-4e8a1c6d0f3b";
constexpr char kTenantKey[] = "soak-tenant-key-2f9c";
constexpr absl::Duration kDeadline = absl::Seconds(10);
// Runs submitted before the load, which GetRun reads in turn.
constexpr int kReadRuns = 200;

// Every fault kind the emulator has, on every API endpoint, each on a few percent of
// requests; a throttle on runs/get below the rate the soak sends it.
constexpr char kFaults[] = R"json([
  {"endpoint": "*", "kind": "status", "status": 503, "retry_after_seconds": 1,
   "probability": 0.02, "error_code": "TEMPORARILY_UNAVAILABLE"},
  {"endpoint": "*", "kind": "status", "status": 500, "probability": 0.01,
   "error_code": "INTERNAL_ERROR"},
  {"endpoint": "*", "kind": "html", "status": 502, "probability": 0.01},
  {"endpoint": "*", "kind": "text", "status": 504, "probability": 0.01},
  {"endpoint": "*", "kind": "limit_body", "probability": 0.01},
  {"endpoint": "*", "kind": "latency", "latency_ms": 400, "probability": 0.02},
  {"endpoint": "*", "kind": "reset_before", "probability": 0.01},
  {"endpoint": "*", "kind": "reset_after", "probability": 0.01},
  {"endpoint": "*", "kind": "truncate", "probability": 0.01}
])json";

constexpr char kEmulatorYaml[] = R"yaml(
jobs:
  pending_seconds: 0.5
  running_seconds: 2
  terminating_seconds: 0.2
sql:
  execution_seconds: 0.01
  warehouses: [{id: wh1, name: Main, state: RUNNING}]
throttles:
  - {endpoint: "GET /api/2.2/jobs/runs/get", rate_per_second: 80, burst: 20, retry_after_seconds: 1}
)yaml";

StackOptions Options(const std::string& redis_address) {
  StackOptions options;
  options.emulator_tokens = {kPatA, kPatB};
  options.emulator_yaml = kEmulatorYaml;
  options.workspace_yaml = R"yaml(    default_warehouse_id: wh1
    rate_limit_rps: 5000
    rate_limit_burst: 1000
    retry: {max_retries: 3, base_backoff_ms: 50, max_backoff_ms: 1000}
    circuit_breaker: {failure_threshold: 20, open_seconds: 2}
)yaml";
  options.drain_seconds = 20;
  options.gateway_yaml = absl::StrCat(R"yaml(
credential_pools:
  - name: pats
    workspace: default
    eject_base_seconds: 5
    credentials:
      - {name: a, type: pat, token: {env: PAT_A}}
      - {name: b, type: pat, token: {env: PAT_B}}
tenants:
  - name: soak
    api_key_sha256: [")yaml",
                                      testing::Sha256Hex(kTenantKey), R"yaml("]
    credential_pool: pats
    quota: {requests_per_second: 100000, burst: 100000, max_concurrent: 10000, global: true}
redis:
  enabled: true
  address: )yaml",
                                      redis_address, R"yaml(
  replica_count: 1
security:
  handle_signing_key: {env: HANDLE_KEY}
)yaml");
  options.gateway_env = {{"PAT_A", kPatA},
                         {"PAT_B", kPatB},
                         {"HANDLE_KEY", "soak-handle-signing-key-5d0e-padded-to-32-bytes"}};
  return options;
}

// How one call ended. A status the gateway sent arrived before the deadline by definition
// (gRPC ends a call locally when its deadline passes); the local end is DEADLINE_EXCEEDED
// with no error details, which every status of the gateway carries.
// Failure messages by call kind and status (digits blanked, so ports and ids group), for
// the report on stderr.
absl::Mutex failures_mu(absl::kConstInit);
std::map<std::string, int64_t>& Failures() ABSL_EXCLUSIVE_LOCKS_REQUIRED(failures_mu) {
  static auto* failures = new std::map<std::string, int64_t>;
  return *failures;
}

std::string Outcome(const std::string& kind, const grpc::Status& status) {
  if (!status.ok()) {
    std::string message = status.error_message().substr(0, 120);
    for (char& c : message) {
      if (absl::ascii_isdigit(static_cast<unsigned char>(c))) c = '#';
    }
    absl::MutexLock lock(&failures_mu);
    ++Failures()[absl::StrCat(kind, " ", status.error_code(), " ", message)];
  }
  if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED &&
      status.error_details().empty()) {
    return kind + ": past its deadline";
  }
  return absl::StrCat(
      kind, ": ",
      status.ok() ? "OK"
                  : absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())));
}

// Ten calls in turn: six GetRun, two GetWarehouse, a SubmitRun with an idempotency token and
// one without (the gateway derives one). Each run gets a name of its own: soak-N. GetRun
// reads the runs submitted before the load in turn, as a tenant watching its runs does (the
// gateway shares identical reads in flight, so reading one run would hide the throttle).
class MixedTarget : public CallTarget {
 public:
  MixedTarget(const std::shared_ptr<grpc::Channel>& channel, std::vector<std::string> run_ids)
      : jobs_(v1::JobsService::NewStub(channel)),
        sql_(v1::SqlService::NewStub(channel)),
        run_ids_(std::move(run_ids)) {}

  void Start(Done done) override {
    const uint64_t n = next_.fetch_add(1);
    switch (n % 10) {
      case 6:
      case 7:
        return GetWarehouse(std::move(done));
      case 8:
        return SubmitRun(n, true, std::move(done));
      case 9:
        return SubmitRun(n, false, std::move(done));
      default:
        return GetRun(n, std::move(done));
    }
  }

  int64_t submits() const { return submits_.load(); }

 private:
  template <typename Request, typename Response>
  struct Call {
    grpc::ClientContext context;
    Request request;
    Response response;
    Done done;
  };

  template <typename Request, typename Response>
  // `done` is moved into the call.
  // NOLINTNEXTLINE(performance-unnecessary-value-param)
  static Call<Request, Response>* NewCall(Done done) {
    auto* call = new Call<Request, Response>;
    call->done = std::move(done);
    call->context.set_deadline(std::chrono::system_clock::now() +
                               absl::ToChronoNanoseconds(kDeadline));
    call->context.AddMetadata("authorization", absl::StrCat("Bearer ", kTenantKey));
    return call;
  }

  void GetRun(uint64_t n, Done done) {
    auto* call = NewCall<v1::GetRunRequest, v1::GetRunResponse>(std::move(done));
    call->request.set_run_id(run_ids_[n % run_ids_.size()]);
    jobs_->async()->GetRun(&call->context, &call->request, &call->response,
                           [call](const grpc::Status& status) {
                             call->done(Outcome("GetRun", status));
                             delete call;
                           });
  }

  void GetWarehouse(Done done) {
    auto* call = NewCall<v1::GetWarehouseRequest, v1::GetWarehouseResponse>(std::move(done));
    call->request.set_id("wh1");
    sql_->async()->GetWarehouse(&call->context, &call->request, &call->response,
                                [call](const grpc::Status& status) {
                                  call->done(Outcome("GetWarehouse", status));
                                  delete call;
                                });
  }

  void SubmitRun(uint64_t n, bool with_token, Done done) {
    submits_.fetch_add(1);
    auto* call = NewCall<v1::SubmitRunRequest, v1::SubmitRunResponse>(std::move(done));
    call->request.set_run_name(absl::StrCat("soak-", n));
    if (with_token) call->request.set_idempotency_token(absl::StrCat("soak-token-", n));
    v1::Task* task = call->request.add_tasks();
    task->set_task_key("main");
    task->set_existing_cluster_id("cluster-1");
    task->mutable_notebook_task()->set_notebook_path("/Workspace/soak/run");
    const std::string kind = with_token ? "SubmitRun (token)" : "SubmitRun (no token)";
    jobs_->async()->SubmitRun(&call->context, &call->request, &call->response,
                              [call, kind](const grpc::Status& status) {
                                call->done(Outcome(kind, status));
                                delete call;
                              });
  }

  std::unique_ptr<v1::JobsService::Stub> jobs_;
  std::unique_ptr<v1::SqlService::Stub> sql_;
  const std::vector<std::string> run_ids_;
  std::atomic<uint64_t> next_{0};
  std::atomic<int64_t> submits_{0};
};

// What the script did, when, and whether it worked.
struct Event {
  double at_seconds;
  std::string what;
  bool ok;
};

// The fault script, run beside the load: each step at its share of the run's length.
class Script {
 public:
  Script(Stack& stack, RedisServer& redis, absl::Duration length)
      : stack_(stack), redis_(redis), length_(length) {}

  void Run(absl::Time start) {
    Step(start, 0.10, "credential b revoked", [&] { return Credential("revoke", kPatB); });
    Step(start, 0.25, "credential b restored", [&] { return Credential("restore", kPatB); });
    Step(start, 0.30, "Redis stopped", [&] { return redis_.Stop().ok(); });
    Step(start, 0.45, "Redis restarted (empty)", [&] { return redis_.Restart().ok(); });
    Step(start, 0.50, "Redis frozen (SIGSTOP)", [&] { return redis_.Pause(), true; });
    Step(start, 0.60, "Redis thawed (SIGCONT)", [&] { return redis_.Resume(), true; });
    Step(start, 0.70, "SIGHUP with a changed config (tenant burst)", [&] { return Reload(); });
    Step(start, 0.80, "credential a revoked", [&] { return Credential("revoke", kPatA); });
    Step(start, 0.90, "credential a restored", [&] { return Credential("restore", kPatA); });
  }

  std::vector<Event> events() const {
    absl::MutexLock lock(&mu_);
    return events_;
  }

 private:
  template <typename Action>
  void Step(absl::Time start, double share, const std::string& what, Action action) {
    absl::SleepFor(start + length_ * share - absl::Now());
    const bool ok = action();
    std::cerr << "soak: " << what << (ok ? "" : " FAILED") << "\n";
    absl::MutexLock lock(&mu_);
    events_.push_back({absl::ToDoubleSeconds(absl::Now() - start), what, ok});
  }

  bool Credential(const std::string& verb, const std::string& token) {
    const json::Value answer = stack_.Control(
        "POST", absl::StrCat("/emulator/v1/credentials/", verb), R"({"token": ")" + token + "\"}");
    return !answer.is_null();
  }

  bool Reload() {
    const std::string config = testing::ReadFile(stack_.gateway_config());
    const std::string changed = absl::StrReplaceAll(
        config, {{"burst: 100000, max_concurrent", "burst: 90000, max_concurrent"}});
    if (changed == config) return false;
    testing::WriteFile(stack_.gateway_config(), changed);
    stack_.Reload();
    return true;
  }

  Stack& stack_;
  RedisServer& redis_;
  const absl::Duration length_;
  mutable absl::Mutex mu_;
  std::vector<Event> events_ ABSL_GUARDED_BY(mu_);
};

// The emulator's runs, counted by name: how many names have more than one run.
absl::StatusOr<std::pair<int64_t, int64_t>> RunsAndDuplicates(const Stack& stack) {
  std::map<std::string, int> by_name;
  int64_t runs = 0;
  std::string page_token;
  do {
    std::string target = "/api/2.2/jobs/runs/list?limit=24";
    if (!page_token.empty()) absl::StrAppend(&target, "&page_token=", page_token);
    absl::StatusOr<testing::HttpResponse> response =
        testing::HttpRequest(stack.emulator_port(), "GET", target, "",
                             {{"Authorization", absl::StrCat("Bearer ", testing::kStackToken)}});
    if (!response.ok()) return response.status();
    if (response->status != 200) {
      return absl::InternalError(
          absl::StrCat("runs/list: HTTP ", response->status, " ", response->body));
    }
    absl::StatusOr<json::Value> page = json::Parse(response->body);
    if (!page.ok()) return page.status();
    if (const json::Value* list = page->Find("runs"); list != nullptr && list->is_array()) {
      for (const json::Value& run : list->as_array()) {
        const json::Value* name = run.Find("run_name");
        if (name == nullptr || !name->is_string()) continue;
        // The load's runs: "soak-N" after the tenant's mark ("[gw:TENANT] ").
        const std::string& text = name->as_string();
        const size_t at = text.find("] soak-");
        if (at == std::string::npos || absl::StartsWith(text.substr(at + 2), "soak-first-")) {
          continue;
        }
        ++runs;
        ++by_name[text];
      }
    }
    const json::Value* next = page->Find("next_page_token");
    page_token = next != nullptr && next->is_string() ? next->as_string() : "";
  } while (!page_token.empty());
  int64_t duplicates = 0;
  for (const auto& [name, count] : by_name) duplicates += count - 1;
  return std::make_pair(runs, duplicates);
}

// The emulator's counters summed over its API endpoints.
struct Upstream {
  int64_t requests = 0, throttled = 0, faults = 0;
};

Upstream UpstreamCounters(const Stack& stack) {
  const json::Value counters = stack.Control("GET", "/emulator/v1/counters");
  auto sum = [&](const char* name) {
    int64_t total = 0;
    const json::Value* map = counters.Find(name);
    if (map == nullptr || !map->is_object()) return total;
    for (const auto& [endpoint, count] : map->as_object()) {
      if (absl::StrContains(endpoint, " /api/") && count.is_int()) total += count.as_int();
    }
    return total;
  };
  return {sum("requests"), sum("throttled"), sum("faults")};
}

// The sum of every series of a metric family in a /metrics text.
double FamilySum(const std::string& metrics, const std::string& family) {
  double sum = 0;
  for (absl::string_view line : absl::StrSplit(metrics, '\n')) {
    if (!absl::ConsumePrefix(&line, family) || line.empty() || (line[0] != '{' && line[0] != ' ')) {
      continue;
    }
    double value = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) sum += value;
  }
  return sum;
}

bool Alive(pid_t pid) {
  const std::string state = testing::ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  // The third field is the state; a zombie ("Z") has exited.
  const size_t paren = state.rfind(')');
  return paren != std::string::npos && paren + 2 < state.size() && state[paren + 2] != 'Z';
}

std::string Mb(int64_t kb) { return absl::StrFormat("%.1f", kb / 1024.0); }

int Main(int argc, char** argv) {
  std::string doc;
  std::string command = "make soak";
  int seconds = 240;
  double rate = 200;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (PublishFlag(arg, &doc, &command)) continue;
    if (!(absl::StartsWith(arg, "--seconds=") && absl::SimpleAtoi(arg.substr(10), &seconds) &&
          seconds > 0) &&
        !(absl::StartsWith(arg, "--rate=") && absl::SimpleAtod(arg.substr(7), &rate) && rate > 0)) {
      std::cerr << "usage: soak [--doc=PATH] [--command=TEXT] [--seconds=N] [--rate=N]\n"
                   "  --seconds  length of the load (default 240)\n"
                   "  --rate     calls started per second (default 200)\n";
      return 2;
    }
  }

  absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start("soak");
  if (!redis.ok()) {
    std::cerr << "soak: " << redis.status() << "\n";
    return 1;
  }
  Stack stack("soak", Options((*redis)->address()));
  if (!stack.ok()) {
    std::cerr << "soak: " << stack.error() << "\n";
    return 1;
  }
  const pid_t gateway = stack.gateway_pid();

  // The runs GetRun reads, submitted before the faults start.
  auto jobs = v1::JobsService::NewStub(stack.channel());
  std::vector<std::string> run_ids;
  for (int i = 0; i < kReadRuns; ++i) {
    v1::SubmitRunRequest first;
    first.set_run_name(absl::StrCat("soak-first-", i));
    first.set_idempotency_token(absl::StrCat("soak-first-", i));
    v1::Task* task = first.add_tasks();
    task->set_task_key("main");
    task->set_existing_cluster_id("cluster-1");
    task->mutable_notebook_task()->set_notebook_path("/Workspace/soak/run");
    v1::SubmitRunResponse submitted;
    auto context = testing::Context(kDeadline);
    context->AddMetadata("authorization", absl::StrCat("Bearer ", kTenantKey));
    if (const grpc::Status status = jobs->SubmitRun(context.get(), first, &submitted);
        !status.ok()) {
      std::cerr << "soak: a SubmitRun before the load failed: " << status.error_message() << "\n";
      return 1;
    }
    run_ids.push_back(submitted.run_id());
  }

  stack.SetFaults(kFaults);
  const Upstream upstream_before = UpstreamCounters(stack);
  const int64_t rss_start_kb = StatusKb(gateway, "VmRSS");
  ResetPeakRss(gateway);

  MixedTarget target(stack.channel(), std::move(run_ids));
  LoadOptions load;
  load.mode = LoadOptions::Mode::kOpen;
  load.rate = rate;
  load.warmup = absl::ZeroDuration();
  load.duration = absl::Seconds(seconds);
  load.drain = kDeadline + absl::Seconds(5);
  Script script(stack, **redis, load.duration);
  const absl::Time start = absl::Now();
  std::thread script_thread([&] { script.Run(start); });
  const LoadReport report = RunLoad(target, load);
  script_thread.join();

  const Upstream upstream_after = UpstreamCounters(stack);
  const bool gateway_alive = Alive(gateway);
  const int64_t rss_end_kb = StatusKb(gateway, "VmRSS");
  const int64_t rss_peak_kb = StatusKb(gateway, "VmHWM");
  const std::string metrics = stack.Metrics();
  const bool reloaded =
      testing::SeriesValue(metrics, "gateway_config_reloads_total{result=\"success\"}") >= 1;

  // Counting the runs is not part of the soak: no faults, no throttle.
  stack.SetFaults("[]");
  stack.Control("DELETE", "/emulator/v1/throttles");
  absl::StatusOr<std::pair<int64_t, int64_t>> runs = RunsAndDuplicates(stack);
  if (!runs.ok()) std::cerr << "soak: counting runs: " << runs.status() << "\n";

  const bool emulator_alive = Alive(stack.emulator_pid());
  stack.TerminateGateway();
  const std::optional<int> exit_status = stack.WaitGatewayExit(absl::Seconds(30));

  int64_t past_deadline = 0;
  for (const auto& [outcome, count] : report.outcomes) {
    if (absl::EndsWith(outcome, ": past its deadline")) past_deadline += count;
  }
  const int64_t in_time = report.ended - past_deadline;
  const bool crashed = !gateway_alive || exit_status != 0;
  const int64_t duplicates = runs.ok() ? runs->second : -1;
  const bool ok = report.started > 0 && in_time == report.started && !crashed && duplicates == 0 &&
                  reloaded && emulator_alive;

  std::string md = absl::StrCat(
      MeasuredBy(command, "tests/bench/soak.cc"),
      absl::StrFormat(
          ".\n\n%d s at %.0f calls/s, each call with a %d s deadline; every fault kind of the "
          "emulator on every endpoint (a few %% each) and a throttle on runs/get "
          "throughout.\n\n",
          seconds, rate, static_cast<int>(absl::ToInt64Seconds(kDeadline))),
      "| calls sent | ended with a status before the deadline | crashes | duplicate job runs "
      "| runs submitted / in the emulator | gateway RSS start MB | peak MB | end MB |\n"
      "|---|---|---|---|---|---|---|---|\n",
      absl::StrFormat("| %d | %d%s | %s | %s | %d / %s | %s | %s | %s |\n", report.started, in_time,
                      in_time == report.started ? " (all)" : " **(not all)**",
                      crashed ? absl::StrCat("**gateway ", gateway_alive ? "exited " : "died",
                                             exit_status ? absl::StrCat(*exit_status) : "", "**")
                              : "none (exit 0 after drain)",
                      duplicates == 0 ? "none" : absl::StrCat("**", duplicates, "**"),
                      target.submits(), runs.ok() ? absl::StrCat(runs->first) : "?",
                      Mb(rss_start_kb), Mb(rss_peak_kb), Mb(rss_end_kb)),
      absl::StrFormat("\nUpstream, during the load: %d requests (%.2f per call), %d of them "
                      "throttled (429) and %d answered with an injected fault.\n",
                      upstream_after.requests - upstream_before.requests,
                      static_cast<double>(upstream_after.requests - upstream_before.requests) /
                          std::max<int64_t>(1, report.started),
                      upstream_after.throttled - upstream_before.throttled,
                      upstream_after.faults - upstream_before.faults),
      absl::StrFormat("The gateway retried %.0f times and left %.0f retries unmade because its "
                      "retry budget (20%% of calls in flight, at least 3) was spent; its "
                      "circuit breaker failed %.0f calls fast.\n",
                      FamilySum(metrics, "databricks_api_retries_total"),
                      FamilySum(metrics, "databricks_retry_budget_exhausted_total"),
                      FamilySum(metrics, "databricks_circuit_breaker_rejected_total")),
      "\nThe script:\n\n| at s | event |\n|---|---|\n");
  for (const Event& e : script.events()) {
    absl::StrAppend(&md, absl::StrFormat("| %.1f | %s%s |\n", e.at_seconds, e.what,
                                         e.ok ? "" : " **(failed)**"));
  }
  absl::StrAppend(&md, absl::StrFormat("| %.1f | load ends; %s |\n", report.seconds,
                                       reloaded ? "the reload counted as a success"
                                                : "**the reload did not count as a success**"));
  absl::StrAppend(&md, "\nOutcomes:\n\n| call | status | calls |\n|---|---|---|\n");
  for (const auto& [outcome, count] : report.outcomes) {
    const size_t split = outcome.find(": ");
    absl::StrAppend(&md, "| ", outcome.substr(0, split), " | ", outcome.substr(split + 2), " | ",
                    count, " |\n");
  }
  {
    absl::MutexLock lock(&failures_mu);
    std::cerr << "soak: failures by call, code and message:\n";
    for (const auto& [failure, count] : Failures()) {
      std::cerr << absl::StrFormat("%8d  %s\n", count, failure);
    }
  }
  return Publish(doc, "soak", md) && ok ? 0 : 1;
}

}  // namespace
}  // namespace gateway::bench

int main(int argc, char** argv) {
  return gateway::bench::RunMain(gateway::bench::Main, argc, argv);
}
