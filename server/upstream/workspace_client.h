// Calls to one Databricks workspace: the HttpClient plus everything that keeps those calls
// safe. Identical reads of one object in flight share one request (CoalescesReads). Each
// call goes through, in order: the circuit breaker (fail fast while open), the
// workspace's budget (the endpoint's learned rate, shared by the tenants' weights; wait in
// the tenant's queue up to the deadline, else refuse: budget.h), the HTTP exchange within
// the caller's deadline, and retries of safe requests with back-off, Retry-After and a
// retry budget.
// Failures come back as statuses from the Databricks error table (server/databricks).
#ifndef SERVER_UPSTREAM_WORKSPACE_CLIENT_H_
#define SERVER_UPSTREAM_WORKSPACE_CLIENT_H_

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/metrics/upstream_metrics.h"
#include "server/upstream/authorizer.h"
#include "server/upstream/budget.h"
#include "server/upstream/http_client.h"
#include "server/upstream/options.h"
#include "server/upstream/resilience.h"

namespace gateway::upstream {

struct Call {
  Method method = Method::kGet;
  // Path and query under the workspace host: "/api/2.2/jobs/runs/get?run_id=1".
  std::string path;
  // An absolute URL to call instead of the workspace host + path: a result link on cloud
  // storage, which Databricks presigns (it must not get the workspace credential).
  std::string url;
  std::string body;
  Headers headers;  // anything to send besides the credential
  // Grants each attempt its Authorization; null: send `headers` as they are (result links).
  std::shared_ptr<Authorizer> authorizer;
  // The caller's deadline; capped at now + the workspace's timeout_seconds.
  absl::Time deadline = absl::InfiniteFuture();
  // Metric label naming the API method ("jobs.runs.get"); a fixed, bounded set.
  std::string operation;
  // Sending it twice does no harm: GETs, cancels, POSTs with an idempotency token. Only
  // such calls are retried.
  bool idempotent = false;
  // Whom the call is for (empty without tenants) and the tenant's weight in the workspace's
  // budget.
  std::string tenant;
  double weight = 1;
};

// OK only for a 2xx answer.
using CallCallback = std::function<void(absl::StatusOr<HttpResponse>)>;

// Whether identical calls of `operation` in flight may share one request: reads of one
// object whose answer is the same for every caller of a credential pool (a run, a
// statement, a warehouse).
bool CoalescesReads(absl::string_view operation);

class WorkspaceClient {
 public:
  // Takes secrets out of text (the gateway's log redaction: every configured secret).
  using Scrubber = std::function<std::string(absl::string_view)>;

  // `http` is owned and destroyed first, so no callback runs into a destroyed client. The
  // bodies of error answers, whose text reaches callers and logs, lose the credential
  // sent with the request, anything shaped like a token, and what `scrub` removes.
  WorkspaceClient(WorkspaceOptions options, std::unique_ptr<HttpClient> http,
                  metrics::UpstreamMetrics::Workspace& metrics, Scrubber scrub = nullptr);
  ~WorkspaceClient();

  WorkspaceClient(const WorkspaceClient&) = delete;
  WorkspaceClient& operator=(const WorkspaceClient&) = delete;

  // `done` runs exactly once on one of the HTTP client's threads.
  void Send(Call call, CallCallback done);

  // Runs `fn` on one of the HTTP client's threads after `delay` (callers' poll back-off).
  void RunAfter(absl::Duration delay, std::function<void()> fn) {
    http_->RunAfter(delay, std::move(fn));
  }

  CircuitBreaker::State breaker_state() const { return breaker_.state(absl::Now()); }
  // The HTTP client underneath, for requests that bypass the breaker, the limit and the
  // retries (token endpoints, which have their own).
  HttpClient& http() { return *http_; }
  const WorkspaceOptions& options() const { return options_; }
  const Budget& budget() const { return budget_; }

 private:
  struct Pending;

  struct Shared;
  // Sends `call` as its own request.
  void Start(Call call, CallCallback done);
  void Attempt(std::shared_ptr<Pending> pending);
  void Transmit(std::shared_ptr<Pending> pending);
  void OnResult(std::shared_ptr<Pending> pending, absl::Time sent,
                absl::StatusOr<HttpResponse> result);
  // Tells the budget how Databricks answered a request of `operation` sent at `sent`.
  void Paced(const std::string& operation, absl::Time sent, bool throttled,
             absl::optional<absl::Duration> retry_after);
  std::string Scrub(absl::string_view body, const Pending& pending) const;
  void Finish(const std::shared_ptr<Pending>& pending, absl::StatusOr<HttpResponse> result);
  void RecordBreaker(bool failure, bool probe);
  void PublishBreakerState();

  const WorkspaceOptions options_;
  const std::string base_url_;  // host without a trailing '/'
  std::unique_ptr<HttpClient> http_;
  metrics::UpstreamMetrics::Workspace& metrics_;
  const Scrubber scrub_;
  CircuitBreaker breaker_;
  Budget budget_;
  RetryBudget retry_budget_;
  // Coalesced reads in flight, by credential pool and path.
  absl::Mutex shared_mu_;
  std::map<std::string, std::shared_ptr<Shared>> shared_ ABSL_GUARDED_BY(shared_mu_);
  absl::Mutex random_mu_;
  std::mt19937_64 random_ ABSL_GUARDED_BY(random_mu_);
};

}  // namespace gateway::upstream

#endif  // SERVER_UPSTREAM_WORKSPACE_CLIENT_H_
