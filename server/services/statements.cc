#include "server/services/statements.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/common/error_details.h"
#include "server/services/rest.h"

namespace gateway::services {
namespace {

constexpr absl::Duration kFirstPoll = absl::Milliseconds(100);
constexpr absl::Duration kMaxPoll = absl::Seconds(3);
// How long an execute POST may be held. Databricks allows 50 s, but the statement id
// arrives only with the answer, so a caller who cancels meanwhile has its statement
// cancelled only then: 10 s bounds that delay (and is Databricks' own default).
constexpr absl::Duration kMaxWait = absl::Seconds(10);
// The shortest non-zero wait Databricks accepts.
constexpr absl::Duration kMinWait = absl::Seconds(5);
// Left between Databricks' answer and the caller's deadline.
constexpr absl::Duration kWaitMargin = absl::Seconds(1);

// How long the execute POST may be held: as long as the deadline and the upstream timeout
// allow, in whole seconds, at most kMaxWait.
absl::Duration LongPollWait(absl::Time deadline, absl::Duration upstream_timeout) {
  const absl::Duration left = absl::Floor(
      std::min(deadline - absl::Now(), upstream_timeout) - kWaitMargin, absl::Seconds(1));
  if (left >= kMaxWait) return kMaxWait;
  if (left >= kMinWait) return left;
  return absl::ZeroDuration();
}

absl::Status DeadlinePassed(const std::string& statement_id) {
  absl::Status status = absl::DeadlineExceededError(absl::StrCat(
      "statement ", statement_id, " did not finish before the call's deadline; it was cancelled"));
  SetErrorInfo(status, "STATEMENT_DEADLINE_EXCEEDED", kGatewayDomain);
  return status;
}

}  // namespace

StatementRun::StatementRun(std::shared_ptr<const Route> route, absl::Time deadline,
                           metrics::ServiceMetrics* metrics, StatementCallback done)
    : route_(std::move(route)),
      deadline_(deadline),
      started_(absl::Now()),
      metrics_(metrics),
      done_(std::move(done)),
      delay_(kFirstPoll) {}

std::shared_ptr<StatementRun> StatementRun::Execute(std::shared_ptr<const Route> route,
                                                    const databricks::StatementSpec& spec,
                                                    absl::Time deadline,
                                                    metrics::ServiceMetrics* metrics,
                                                    StatementCallback done) {
  std::shared_ptr<StatementRun> run(
      new StatementRun(std::move(route), deadline, metrics, std::move(done)));
  absl::StatusOr<databricks::ApiRequest> request = databricks::BuildExecuteStatement(
      spec, LongPollWait(deadline, run->route_->upstream_timeout()), /*cancel_on_timeout=*/false);
  if (!request.ok()) {
    run->Complete(request.status());
    return run;
  }
  SendApi(*run->route_, *std::move(request), deadline,
          [run](absl::StatusOr<json::Value> body) { run->OnAnswer(std::move(body)); });
  return run;
}

std::shared_ptr<StatementRun> StatementRun::Attach(std::shared_ptr<const Route> route,
                                                   std::string statement_id, absl::Time deadline,
                                                   StatementCallback done) {
  std::shared_ptr<StatementRun> run(
      new StatementRun(std::move(route), deadline, nullptr, std::move(done)));
  {
    absl::MutexLock lock(&run->mu_);
    run->statement_id_ = std::move(statement_id);
  }
  run->Poll();
  return run;
}

void StatementRun::OnAnswer(absl::StatusOr<json::Value> body) {
  if (!body.ok()) {
    Complete(body.status());
    return;
  }
  absl::StatusOr<databricks::Statement> statement = databricks::ParseStatement(*body);
  if (!statement.ok()) {
    Complete(statement.status());
    return;
  }
  if (databricks::IsTerminal(statement->status)) {
    if (metrics_ != nullptr) {
      metrics_->ObserveStatement(route_->workspace(), statement->status.state_text(),
                                 absl::ToDoubleSeconds(absl::Now() - started_));
    }
    Complete(*std::move(statement));
    return;
  }
  absl::Duration delay;
  {
    absl::MutexLock lock(&mu_);
    if (ended_) {
      // Cancelled while the answer was on its way: the id is known only now.
      CancelUpstream(statement->statement_id);
      return;
    }
    statement_id_ = statement->statement_id;
    delay = delay_;
    delay_ = std::min(delay_ * 3 / 2, kMaxPoll);
  }
  if (absl::Now() + delay >= deadline_) {
    CancelUpstream(statement->statement_id);
    Complete(DeadlinePassed(statement->statement_id));
    return;
  }
  // Each poll counts toward the tenant's rate like a call (Route::Pace).
  route_->RunAfter(delay, [self = shared_from_this()] {
    self->route_->Pace([self] { self->Poll(); }, [self] { return self->Ended(); });
  });
}

bool StatementRun::Ended() {
  absl::MutexLock lock(&mu_);
  return ended_;
}

void StatementRun::Poll() {
  std::string id;
  {
    absl::MutexLock lock(&mu_);
    if (ended_) return;
    id = statement_id_;
  }
  SendApi(*route_, databricks::BuildGetStatement(id), deadline_,
          [self = shared_from_this()](absl::StatusOr<json::Value> body) {
            self->OnAnswer(std::move(body));
          });
}

void StatementRun::Cancel() {
  std::string id;
  {
    absl::MutexLock lock(&mu_);
    if (ended_) return;
    id = statement_id_;
  }
  if (!id.empty()) CancelUpstream(id);
  Complete(absl::CancelledError("the call was cancelled; the statement was cancelled"));
}

void StatementRun::CancelUpstream(const std::string& statement_id) {
  CancelStatementUpstream(*route_, statement_id);
}

void CancelStatementUpstream(const Route& route, const std::string& statement_id) {
  SendApi(route, databricks::BuildCancelStatement(statement_id), absl::Now() + absl::Seconds(10),
          [](const absl::StatusOr<json::Value>&) {});
}

bool StatementRun::Complete(absl::StatusOr<databricks::Statement> result) {
  StatementCallback done;
  {
    absl::MutexLock lock(&mu_);
    if (ended_) return false;
    ended_ = true;
    done = std::move(done_);
  }
  done(std::move(result));
  return true;
}

void ResolveChunk(const std::shared_ptr<const Route>& route, const json::Value& data,
                  const v1::Schema& schema, absl::Time deadline, ChunkCallback done) {
  v1::ResultChunk chunk;
  absl::optional<databricks::ExternalLink> link;
  if (absl::Status parsed = databricks::ParseResultData(data, schema, &chunk, &link);
      !parsed.ok()) {
    done(parsed);
    return;
  }
  if (!link.has_value()) {
    done(std::move(chunk));
    return;
  }
  route->Download(std::move(link->url), std::move(link->headers), deadline,
                  [chunk = std::move(chunk), schema, done = std::move(done)](
                      absl::StatusOr<upstream::HttpResponse> response) mutable {
                    if (!response.ok()) {
                      done(response.status());
                      return;
                    }
                    absl::Status parsed =
                        databricks::ParseExternalRows(response->body, schema, &chunk);
                    if (!parsed.ok()) {
                      done(parsed);
                      return;
                    }
                    done(std::move(chunk));
                  });
}

void FetchChunk(const std::shared_ptr<const Route>& route, const std::string& statement_id,
                int64_t index, const v1::Schema& schema, absl::Time deadline, ChunkCallback done) {
  SendApi(*route, databricks::BuildGetChunk(statement_id, index), deadline,
          [route, schema, deadline, done = std::move(done)](absl::StatusOr<json::Value> body) {
            if (!body.ok()) {
              done(body.status());
              return;
            }
            ResolveChunk(route, *body, schema, deadline, done);
          });
}

}  // namespace gateway::services
