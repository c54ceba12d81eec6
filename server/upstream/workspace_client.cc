#include "server/upstream/workspace_client.h"

#include <algorithm>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/common/error_details.h"
#include "server/common/log.h"
#include "server/databricks/errors.h"

namespace gateway::upstream {

struct WorkspaceClient::Pending {
  Call call;
  CallCallback done;
  int retries = 0;                          // retries made so far
  int credential_retries = 0;               // attempts sent again after a credential was rejected
  bool throttled = false;                   // the last attempt was throttled (429)
  absl::optional<Authorizer::Grant> grant;  // the current attempt's credential
  bool probe = false;                       // the current attempt is a half-open probe
  bool retrying = false;                    // holds a retry-budget slot
  // The caller's deadline, not the workspace's timeout, bounds the call: a timeout then
  // says the caller was in a hurry, not that Databricks failed.
  bool caller_bound = false;
};

namespace {

// What one failed attempt means for the caller, the metrics, the breaker and retries.
struct Failure {
  absl::Status status;
  absl::string_view error_type;
  bool retryable = false;
  bool breaker_failure = false;
  bool throttled = false;
  // Databricks said the request rate is over its limit (HTTP 429 or REQUEST_LIMIT_EXCEEDED),
  // which is what the budget learns from; a quota refusal (RESOURCE_EXHAUSTED on another
  // status, e.g. too many active runs) is not about the rate and must not slow everyone.
  bool over_rate = false;
  absl::optional<absl::Duration> retry_after;
};

Failure FromTransport(const absl::Status& status) {
  Failure failure;
  failure.status = status;
  switch (status.code()) {
    case absl::StatusCode::kDeadlineExceeded:
      failure.error_type = databricks::kErrorTypeTimeout;
      failure.breaker_failure = true;
      SetErrorInfo(failure.status, "DATABRICKS_DEADLINE_EXCEEDED", kGatewayDomain);
      break;
    case absl::StatusCode::kUnavailable:
      failure.error_type = databricks::kErrorTypeConnection;
      failure.breaker_failure = true;
      failure.retryable = true;
      SetErrorInfo(failure.status, "DATABRICKS_UNREACHABLE", kGatewayDomain);
      break;
    default:  // a response over the size limit, an undecodable one, a refused URL
      failure.error_type = databricks::kErrorTypeInvalidResponse;
      SetErrorInfo(failure.status,
                   status.code() == absl::StatusCode::kResourceExhausted
                       ? "DATABRICKS_RESPONSE_TOO_LARGE"
                       : "DATABRICKS_REQUEST_FAILED",
                   kGatewayDomain);
      break;
  }
  return failure;
}

Failure FromResponse(const HttpResponse& response) {
  const std::string* retry_after = response.Header("retry-after");
  const databricks::ApiError error = databricks::ParseApiError(
      response.status, response.body, retry_after == nullptr ? "" : *retry_after, absl::Now());
  const databricks::ErrorClass error_class = databricks::Classify(error);
  Failure failure;
  failure.status = databricks::ToStatus(error);
  failure.error_type = error_class.error_type;
  failure.retryable = error_class.retryable;
  failure.throttled = error_class.throttled;
  failure.over_rate = response.status == 429 || error.error_code == "REQUEST_LIMIT_EXCEEDED";
  // A throttled or refused request still shows a healthy workspace.
  failure.breaker_failure = response.status >= 500 && !error_class.throttled;
  failure.retry_after = error.retry_after;
  return failure;
}

// Reads whose answer is the same for every caller of a pool: a run, a statement, a
// warehouse (CoalescesReads).
constexpr absl::string_view kCoalescedReads[] = {"jobs.runs.get", "sql.statements.get",
                                                 "sql.warehouses.get"};

// Attempts sent again on another credential after Databricks rejected one.
constexpr int kMaxCredentialRetries = 3;

// Whether Databricks refused the credential itself rather than the request (the error
// table decides: databricks::IsCredentialVerdict).
bool CredentialRejected(const HttpResponse& response) {
  if (response.status != 401 && response.status != 403) return false;
  return databricks::IsCredentialVerdict(
      databricks::ParseApiError(response.status, response.body, "", absl::Now()));
}

}  // namespace

WorkspaceClient::WorkspaceClient(WorkspaceOptions options, std::unique_ptr<HttpClient> http,
                                 metrics::UpstreamMetrics::Workspace& metrics, Scrubber scrub)
    : options_(std::move(options)),
      base_url_(absl::StripSuffix(options_.host, "/")),
      http_(std::move(http)),
      metrics_(metrics),
      scrub_(std::move(scrub)),
      breaker_(options_.circuit_breaker),
      budget_(options_.name, options_.rate_limit_rps, options_.rate_limit_burst, options_.pacing,
              [this](absl::Duration delay, std::function<void()> fn) {
                http_->RunAfter(delay, std::move(fn));
              }),
      retry_budget_(options_.retry),
      random_(std::random_device{}()) {
  // Every error series exists from the start, so rates and alerts see zeros, not gaps.
  for (absl::string_view type : databricks::ErrorTypes()) metrics_.Errors(type);
  for (absl::string_view operation : kCoalescedReads) metrics_.Coalesced(operation);
  metrics_.breaker_state.Set(0);
}

WorkspaceClient::~WorkspaceClient() {
  // The HTTP client goes first, so no callback runs into the rest of this object. It is
  // deleted while http_ still points at it (unique_ptr::reset would null it first): a
  // handler finishing on its threads as they stop may still ask it for a timer.
  std::default_delete<HttpClient>()(http_.get());
  static_cast<void>(http_.release());
}

bool CoalescesReads(absl::string_view operation) {
  return absl::c_linear_search(kCoalescedReads, operation);
}

// A read in flight and the calls waiting for its answer besides the one that sent it.
struct WorkspaceClient::Shared {
  std::vector<std::pair<Call, CallCallback>> waiters;
};

void WorkspaceClient::Send(Call call, CallCallback done) {
  if (call.method != Method::kGet || !call.url.empty() || !CoalescesReads(call.operation)) {
    Start(std::move(call), std::move(done));
    return;
  }
  // The pool is part of the key: another identity may see another answer.
  std::string key =
      absl::StrCat(reinterpret_cast<uintptr_t>(call.authorizer.get()), " ", call.path);
  auto shared = std::make_shared<Shared>();
  {
    absl::MutexLock lock(&shared_mu_);
    auto [found, inserted] = shared_.emplace(key, shared);
    if (!inserted) {
      metrics_.Coalesced(call.operation).Increment();
      found->second->waiters.emplace_back(std::move(call), std::move(done));
      return;
    }
  }
  Start(std::move(call), [this, key = std::move(key), shared = std::move(shared),
                          done = std::move(done)](absl::StatusOr<HttpResponse> result) {
    std::vector<std::pair<Call, CallCallback>> waiters;
    {
      absl::MutexLock lock(&shared_mu_);
      shared_.erase(key);
      waiters = std::move(shared->waiters);
    }
    // A read that ran out of its caller's time, or that the gateway itself refused (the
    // budget, the breaker), says nothing to a caller with time left, which sends its own;
    // what Databricks answered is every caller's answer.
    const bool not_answered =
        !result.ok() && (result.status().code() == absl::StatusCode::kDeadlineExceeded ||
                         GetErrorReason(result.status()).domain == kGatewayDomain);
    const absl::Time now = absl::Now();
    for (auto& [call, waiter] : waiters) {
      if (not_answered && call.deadline > now) {
        Start(std::move(call), std::move(waiter));
      } else {
        waiter(result);
      }
    }
    done(std::move(result));
  });
}

void WorkspaceClient::Start(Call call, CallCallback done) {
  auto pending = std::make_shared<Pending>();
  pending->call = std::move(call);
  const absl::Time workspace_deadline = absl::Now() + absl::Seconds(options_.timeout_seconds);
  pending->caller_bound = pending->call.deadline < workspace_deadline;
  pending->call.deadline = std::min(pending->call.deadline, workspace_deadline);
  pending->done = std::move(done);
  retry_budget_.CallStarted();
  Attempt(std::move(pending));
}

void WorkspaceClient::Attempt(std::shared_ptr<Pending> pending) {
  const absl::Time now = absl::Now();
  const CircuitBreaker::Admission admission = breaker_.Admit(now);
  PublishBreakerState();
  if (!admission.allowed) {
    metrics_.breaker_rejected.Increment();
    absl::Status status = absl::UnavailableError(absl::StrCat(
        "circuit breaker for Databricks workspace '", options_.name, "' is open after ",
        options_.circuit_breaker.failure_threshold, " consecutive failures; calls resume in ",
        absl::FormatDuration(absl::Ceil(admission.retry_in, absl::Milliseconds(1)))));
    SetErrorInfo(status, "CIRCUIT_BREAKER_OPEN", kGatewayDomain, {{"workspace", options_.name}});
    SetRetryInfo(status, admission.retry_in);
    Finish(pending, std::move(status));
    return;
  }
  pending->probe = admission.probe;
  // A presigned result link is cloud storage's, not the workspace's quota.
  if (!pending->call.url.empty()) {
    Transmit(std::move(pending));
    return;
  }
  Budget::Request request;
  request.pacing_class = pending->call.operation;
  request.tenant = pending->call.tenant;
  request.weight = pending->call.weight;
  request.deadline = pending->call.deadline;
  request.retry = std::exchange(pending->throttled, false);
  budget_.Acquire(std::move(request), [this, pending, now](absl::Status status) mutable {
    if (!status.ok()) {
      breaker_.Release(pending->probe);
      metrics_.limit_rejected.Increment();
      Finish(pending, std::move(status));
      return;
    }
    const absl::Duration waited = absl::Now() - now;
    metrics_.budget_wait.Observe(absl::ToDoubleSeconds(waited));
    if (waited > absl::ZeroDuration()) metrics_.limit_queued.Increment();
    Transmit(std::move(pending));
  });
}

void WorkspaceClient::Transmit(std::shared_ptr<Pending> pending) {
  pending->grant.reset();
  if (pending->call.authorizer != nullptr) {
    absl::StatusOr<Authorizer::Grant> grant =
        pending->call.authorizer->Acquire(pending->call.operation);
    if (!grant.ok()) {
      breaker_.Release(pending->probe);
      Finish(pending, grant.status());
      return;
    }
    pending->grant = *std::move(grant);
  }
  HttpRequest request;
  request.method = pending->call.method;
  request.url =
      pending->call.url.empty() ? absl::StrCat(base_url_, pending->call.path) : pending->call.url;
  request.headers = pending->call.headers;
  if (pending->grant.has_value()) {
    request.headers.emplace_back("Authorization", pending->grant->authorization);
  }
  request.body = pending->call.body;
  request.deadline = pending->call.deadline;
  request.safe_to_repeat = pending->call.idempotent;
  metrics_.Requests(pending->call.operation).Increment();
  if (pending->call.url.empty()) metrics_.BudgetSent(pending->call.tenant).Increment();
  const absl::Time sent = absl::Now();
  http_->Send(std::move(request),
              [this, pending = std::move(pending), sent](absl::StatusOr<HttpResponse> result) {
                OnResult(pending, sent, std::move(result));
              });
}

void WorkspaceClient::OnResult(std::shared_ptr<Pending> pending, absl::Time sent,
                               absl::StatusOr<HttpResponse> result) {
  const absl::Time now = absl::Now();
  metrics_.Duration(pending->call.operation).Observe(absl::ToDoubleSeconds(now - sent));
  if (pending->retrying) {
    retry_budget_.RetryFinished();
    pending->retrying = false;
  }
  if (result.ok() && result->status >= 200 && result->status < 300) {
    if (pending->call.url.empty()) Paced(pending->call.operation, sent, false, absl::nullopt);
    RecordBreaker(false, pending->probe);
    if (pending->grant.has_value()) {
      pending->call.authorizer->Report(*pending->grant, Authorizer::Outcome::kSuccess);
    }
    Finish(pending, std::move(result));
    return;
  }
  if (result.ok()) result->body = Scrub(result->body, *pending);
  const Failure failure = result.ok() ? FromResponse(*result) : FromTransport(result.status());
  metrics_.Errors(failure.error_type).Increment();
  if (failure.throttled) metrics_.rate_limits.Increment();
  if (pending->call.url.empty()) {
    Paced(pending->call.operation, sent, failure.over_rate, failure.retry_after);
  }
  // Only what Databricks caused counts toward the breaker: a timeout of a call whose own
  // deadline was shorter than the workspace's timeout is the caller's, and says nothing
  // about the workspace (one tenant's short deadlines must not open it for all).
  const bool callers_timeout = !result.ok() &&
                               result.status().code() == absl::StatusCode::kDeadlineExceeded &&
                               pending->caller_bound;
  if (callers_timeout) {
    breaker_.Release(pending->probe);
    PublishBreakerState();
  } else {
    RecordBreaker(failure.breaker_failure, pending->probe);
  }

  const Call& call = pending->call;
  if (pending->grant.has_value()) {
    const bool rejected = result.ok() && CredentialRejected(*result);
    const Authorizer::Outcome outcome =
        rejected ? Authorizer::Outcome::kRejected : Authorizer::Outcome::kOther;
    const bool another = call.authorizer->Report(*pending->grant, outcome);
    // Databricks refused the credential before acting, so the call goes again at once on
    // another one, whatever the method; a few times at most.
    if (rejected && another && pending->credential_retries < kMaxCredentialRetries &&
        now < call.deadline) {
      ++pending->credential_retries;
      metrics_.Retries(failure.error_type).Increment();
      Attempt(std::move(pending));
      return;
    }
  }
  // A throttled request was refused before Databricks acted on it, so even a request that
  // is not safe to repeat may be sent again (the Databricks SDKs do the same).
  const bool repeatable = call.idempotent || failure.throttled;
  if (failure.retryable && repeatable && pending->retries < options_.retry.max_retries) {
    absl::optional<absl::Duration> wait;
    {
      absl::MutexLock lock(&random_mu_);
      wait = RetryWait(pending->retries, failure.retry_after, options_.retry, random_);
    }
    // Every attempt must fit in the caller's deadline; a wait past it is not worth making.
    if (wait.has_value() && now + *wait < call.deadline) {
      if (retry_budget_.TryStartRetry()) {
        ++pending->retries;
        pending->retrying = true;
        metrics_.Retries(failure.error_type).Increment();
        // After its Retry-After, a throttled request goes in its endpoint's next slot,
        // ahead of its tenant's other requests; those that waited together are spread.
        pending->throttled = failure.throttled;
        http_->RunAfter(
            *wait, [this, pending = std::move(pending)]() mutable { Attempt(std::move(pending)); });
        return;
      }
      metrics_.retry_budget_exhausted.Increment();
    }
  }
  Finish(pending, failure.status);
}

void WorkspaceClient::Paced(const std::string& operation, absl::Time sent, bool throttled,
                            absl::optional<absl::Duration> retry_after) {
  metrics_.BudgetRate(operation).Set(budget_.OnAnswer(operation, sent, throttled, retry_after));
  metrics_.BudgetCap(operation).Set(budget_.cap(operation));
}

std::string WorkspaceClient::Scrub(absl::string_view body, const Pending& pending) const {
  Redactor redactor;
  if (pending.grant.has_value()) {
    redactor.AddSecret(std::string(absl::StripPrefix(pending.grant->authorization, "Bearer ")));
  }
  std::string scrubbed = redactor.Redact(body);
  return scrub_ != nullptr ? scrub_(scrubbed) : scrubbed;
}

void WorkspaceClient::Finish(const std::shared_ptr<Pending>& pending,
                             absl::StatusOr<HttpResponse> result) {
  if (pending->retrying) {
    retry_budget_.RetryFinished();
    pending->retrying = false;
  }
  retry_budget_.CallFinished();
  CallCallback done = std::move(pending->done);
  done(std::move(result));
}

void WorkspaceClient::RecordBreaker(bool failure, bool probe) {
  if (!failure) {
    breaker_.OnSuccess(probe);
  } else if (breaker_.OnFailure(probe, absl::Now())) {
    // Show half-open on the dashboard when the open interval ends, even with no traffic.
    http_->RunAfter(absl::Seconds(options_.circuit_breaker.open_seconds),
                    [this] { PublishBreakerState(); });
  }
  PublishBreakerState();
}

void WorkspaceClient::PublishBreakerState() {
  metrics_.breaker_state.Set(static_cast<double>(breaker_.state(absl::Now())));
}

}  // namespace gateway::upstream
