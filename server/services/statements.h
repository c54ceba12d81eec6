// SQL statements through the Statement Execution API, asynchronously: run one to a terminal
// state, fetch result chunks (inline or through presigned links), and stream a result
// chunk by chunk. Shared by SqlService and DeltaService.
#ifndef SERVER_SERVICES_STATEMENTS_H_
#define SERVER_SERVICES_STATEMENTS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/optional.h"
#include "proto/databricks/gateway/v1/common.pb.h"
#include "server/common/json.h"
#include "server/databricks/sql.h"
#include "server/metrics/service_metrics.h"
#include "server/services/calls.h"
#include "server/services/route.h"

namespace gateway::services {

namespace v1 = ::databricks::gateway::v1;

using StatementCallback = std::function<void(absl::StatusOr<databricks::Statement>)>;

// Follows one statement to a terminal state: a POST that waits as long as the deadline
// allows (at most 50 s, Databricks' limit), then GETs with back-off. FAILED, CANCELED and
// CLOSED are results, not errors; errors are failures to ask Databricks, the deadline
// (the statement is then cancelled upstream), or Cancel(). Thread-safe.
class StatementRun : public std::enable_shared_from_this<StatementRun> {
 public:
  // Executes `spec`; observes databricks_sql_query_duration_seconds when it ends.
  static std::shared_ptr<StatementRun> Execute(std::shared_ptr<const Route> route,
                                               const databricks::StatementSpec& spec,
                                               absl::Time deadline,
                                               metrics::ServiceMetrics* metrics,
                                               StatementCallback done);
  // Follows an existing statement (`statement_id` is Databricks' id).
  static std::shared_ptr<StatementRun> Attach(std::shared_ptr<const Route> route,
                                              std::string statement_id, absl::Time deadline,
                                              StatementCallback done);

  // Ends the run with CANCELLED and, if the statement is still running, cancels it
  // upstream. No effect once the run ended.
  void Cancel() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  StatementRun(std::shared_ptr<const Route> route, absl::Time deadline,
               metrics::ServiceMetrics* metrics, StatementCallback done);

  void OnAnswer(absl::StatusOr<json::Value> body) ABSL_LOCKS_EXCLUDED(mu_);
  void Poll() ABSL_LOCKS_EXCLUDED(mu_);
  bool Ended() ABSL_LOCKS_EXCLUDED(mu_);
  void CancelUpstream(const std::string& statement_id);
  // Runs `done_` once with `result`; returns false if the run had already ended.
  bool Complete(absl::StatusOr<databricks::Statement> result) ABSL_LOCKS_EXCLUDED(mu_);

  const std::shared_ptr<const Route> route_;
  const absl::Time deadline_;
  const absl::Time started_;
  metrics::ServiceMetrics* const metrics_;  // null: not observed (attached statements)
  absl::Mutex mu_;
  StatementCallback done_ ABSL_GUARDED_BY(mu_);
  std::string statement_id_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  absl::Duration delay_ ABSL_GUARDED_BY(mu_);
};

// Cancels a statement upstream, best effort, on a short deadline of its own (the caller is
// gone or out of time).
void CancelStatementUpstream(const Route& route, const std::string& statement_id);

using ChunkCallback = std::function<void(absl::StatusOr<v1::ResultChunk>)>;

// Reads a ResultData object (`data`) into a chunk typed by `schema`, downloading its rows
// when it is an external link.
void ResolveChunk(const std::shared_ptr<const Route>& route, const json::Value& data,
                  const v1::Schema& schema, absl::Time deadline, ChunkCallback done);

// GETs chunk `index` of a SUCCEEDED statement and resolves it.
void FetchChunk(const std::shared_ptr<const Route>& route, const std::string& statement_id,
                int64_t index, const v1::Schema& schema, absl::Time deadline, ChunkCallback done);

// Streams a statement's result on a server-streaming call whose responses have
// `header` (StreamHeader) and `chunk` (ResultChunk) in a oneof: the header, then each chunk,
// downloading the next while the previous one is written (two chunks at most in memory). A
// statement that did not succeed ends the stream with StatementFailure. If the caller goes
// away while the statement is still running, it is cancelled upstream; once it has, no
// further chunk is fetched.
template <typename Response>
class ResultStream : public std::enable_shared_from_this<ResultStream<Response>> {
 public:
  ResultStream(std::shared_ptr<StreamCall<Response>> call, std::shared_ptr<const Route> route,
               std::function<void(bool ok)> on_end = nullptr)
      : call_(std::move(call)), route_(std::move(route)), on_end_(std::move(on_end)) {}

  void Execute(databricks::StatementSpec spec, metrics::ServiceMetrics* metrics) {
    spec.disposition = databricks::Disposition::kExternalLinks;
    auto run = StatementRun::Execute(
        route_, spec, call_->deadline(), metrics,
        [self = this->shared_from_this()](absl::StatusOr<databricks::Statement> statement) {
          self->OnStatement(std::move(statement));
        });
    call_->OnCancelled([run] { run->Cancel(); });
  }

  // Follows a statement an earlier call started. The caller going away cancels it too: it
  // is the caller's own statement (its handle said so), and nobody else waits on it here.
  void Attach(const std::string& statement_id) {
    auto run = StatementRun::Attach(
        route_, statement_id, call_->deadline(),
        [self = this->shared_from_this()](absl::StatusOr<databricks::Statement> statement) {
          self->OnStatement(std::move(statement));
        });
    call_->OnCancelled([run] { run->Cancel(); });
  }

 private:
  void End(const absl::Status& status) {
    if (call_->Finish(status) && on_end_) on_end_(status.ok());
  }

  void OnStatement(absl::StatusOr<databricks::Statement> statement) {
    if (!statement.ok()) {
      End(statement.status());
      return;
    }
    statement_id_ = statement->statement_id;
    const std::string handle = route_->StatementHandle(statement_id_);
    if (statement->status.state() != v1::StatementStatus::SUCCEEDED) {
      End(databricks::StatementFailure(statement->status, handle));
      return;
    }
    schema_ = statement->manifest.schema();
    const bool empty = statement->manifest.total_chunk_count() == 0 || statement->result.is_null();
    Response header;
    header.mutable_header()->set_statement_id(handle);
    *header.mutable_header()->mutable_manifest() = std::move(statement->manifest);
    call_->Write(std::move(header),
                 [self = this->shared_from_this(), empty, result = std::move(statement->result)] {
                   if (empty) {
                     self->End(absl::OkStatus());
                     return;
                   }
                   ResolveChunk(self->route_, result, self->schema_, self->call_->deadline(),
                                [self](absl::StatusOr<v1::ResultChunk> chunk) {
                                  self->OnChunk(std::move(chunk));
                                });
                 });
  }

  // Writes a chunk, and downloads the next one while it is being written: the upstream
  // fetch and the write to the caller overlap, and at most two chunks are held.
  void OnChunk(absl::StatusOr<v1::ResultChunk> chunk) {
    if (call_->finished()) return;  // the caller went away: fetch nothing more
    if (!chunk.ok()) {
      End(chunk.status());
      return;
    }
    const bool last = !chunk->has_next_chunk_index();
    if (!last) {
      FetchChunk(route_, statement_id_, chunk->next_chunk_index(), schema_, call_->deadline(),
                 [self = this->shared_from_this()](absl::StatusOr<v1::ResultChunk> next) {
                   self->Arrived(std::move(next));
                 });
    }
    Response message;
    *message.mutable_chunk() = *std::move(chunk);
    call_->Write(std::move(message), [self = this->shared_from_this(), last] {
      if (last) {
        self->End(absl::OkStatus());
        return;
      }
      self->Written();
    });
  }

  // The next chunk is written once both it has arrived and the previous one was written,
  // whichever happens last.
  void Arrived(absl::StatusOr<v1::ResultChunk> next) {
    {
      absl::MutexLock lock(&mu_);
      if (!written_) {
        next_ = std::move(next);
        return;
      }
      written_ = false;
    }
    OnChunk(std::move(next));
  }

  void Written() {
    absl::optional<absl::StatusOr<v1::ResultChunk>> next;
    {
      absl::MutexLock lock(&mu_);
      if (!next_.has_value()) {
        written_ = true;
        return;
      }
      next.swap(next_);
    }
    OnChunk(*std::move(next));
  }

  const std::shared_ptr<StreamCall<Response>> call_;
  const std::shared_ptr<const Route> route_;
  const std::function<void(bool ok)> on_end_;
  // Set once the statement succeeded, before the first write; read by later steps only.
  std::string statement_id_;
  v1::Schema schema_;
  // The hand-over between the write of one chunk and the download of the next.
  absl::Mutex mu_;
  bool written_ ABSL_GUARDED_BY(mu_) = false;
  absl::optional<absl::StatusOr<v1::ResultChunk>> next_ ABSL_GUARDED_BY(mu_);
};

}  // namespace gateway::services

#endif  // SERVER_SERVICES_STATEMENTS_H_
