#include "server/services/delta_service.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "server/databricks/delta.h"
#include "server/databricks/load_plan.h"
#include "server/services/calls.h"
#include "server/services/rest.h"
#include "server/services/statements.h"

namespace gateway::services {
namespace {

using databricks::DeltaStatement;
using databricks::NameDefaults;
using databricks::ResultRows;

using RowsCallback = std::function<void(absl::StatusOr<ResultRows>)>;

NameDefaults NamesOf(const Route& route) {
  return NameDefaults{route.defaults().catalog, route.defaults().schema};
}

databricks::StatementSpec SpecOf(const Route& route, DeltaStatement statement,
                                 const std::string& warehouse_id) {
  databricks::StatementSpec spec;
  spec.statement = std::move(statement.sql);
  spec.parameters = std::move(statement.parameters);
  spec.warehouse_id = warehouse_id.empty() ? route.defaults().warehouse_id : warehouse_id;
  spec.catalog = route.defaults().catalog;
  spec.schema = route.defaults().schema;
  return spec;
}

// Runs one statement to a terminal state and reads its whole result (Delta results are a
// few rows: metrics, a history, a schema), following chunks in order. A statement that did
// not succeed is its StatementFailure.
class RowsRun : public std::enable_shared_from_this<RowsRun> {
 public:
  // `stopped` says when the caller went away: no further chunk is fetched then.
  static std::shared_ptr<StatementRun> Start(std::shared_ptr<const Route> route,
                                             const databricks::StatementSpec& spec,
                                             absl::Time deadline, metrics::ServiceMetrics* metrics,
                                             RowsCallback done, std::function<bool()> stopped) {
    auto run =
        std::shared_ptr<RowsRun>(new RowsRun(route, deadline, std::move(done), std::move(stopped)));
    return StatementRun::Execute(std::move(route), spec, deadline, metrics,
                                 [run](absl::StatusOr<databricks::Statement> statement) {
                                   run->OnStatement(std::move(statement));
                                 });
  }

 private:
  RowsRun(std::shared_ptr<const Route> route, absl::Time deadline, RowsCallback done,
          std::function<bool()> stopped)
      : route_(std::move(route)),
        deadline_(deadline),
        done_(std::move(done)),
        stopped_(std::move(stopped)) {}

  void OnStatement(absl::StatusOr<databricks::Statement> statement) {
    if (!statement.ok()) {
      done_(statement.status());
      return;
    }
    if (statement->status.state() != v1::StatementStatus::SUCCEEDED) {
      done_(databricks::StatementFailure(statement->status,
                                         route_->StatementHandle(statement->statement_id)));
      return;
    }
    statement_id_ = statement->statement_id;
    rows_.schema = statement->manifest.schema();
    if (statement->manifest.total_chunk_count() == 0 || statement->result.is_null()) {
      done_(std::move(rows_));
      return;
    }
    ResolveChunk(route_, statement->result, rows_.schema, deadline_,
                 [self = shared_from_this()](absl::StatusOr<v1::ResultChunk> chunk) {
                   self->OnChunk(std::move(chunk));
                 });
  }

  void OnChunk(absl::StatusOr<v1::ResultChunk> chunk) {
    if (chunk.ok() && stopped_()) {
      chunk = absl::CancelledError("the call was cancelled");
    }
    if (!chunk.ok()) {
      done_(chunk.status());
      return;
    }
    for (v1::Row& row : *chunk->mutable_rows()) rows_.rows.push_back(std::move(row));
    if (!chunk->has_next_chunk_index()) {
      done_(std::move(rows_));
      return;
    }
    FetchChunk(route_, statement_id_, chunk->next_chunk_index(), rows_.schema, deadline_,
               [self = shared_from_this()](absl::StatusOr<v1::ResultChunk> next) {
                 self->OnChunk(std::move(next));
               });
  }

  const std::shared_ptr<const Route> route_;
  const absl::Time deadline_;
  const RowsCallback done_;
  const std::function<bool()> stopped_;
  // Written by one step at a time (each starts the next).
  std::string statement_id_;
  ResultRows rows_;
};

// What a Delta call shares between its steps.
template <typename Response>
struct DeltaCall {
  std::shared_ptr<UnaryCall<Response>> call;
  std::shared_ptr<const Route> route;
  std::string warehouse_id;
  metrics::ServiceMetrics* metrics;
  const char* operation;

  // Runs a statement for the call; the caller going away cancels it (at once if its id is
  // known, else as soon as Databricks gives it) and stops its chunk fetches.
  void Run(DeltaStatement statement, const RowsCallback& done) const {
    std::shared_ptr<StatementRun> run =
        RowsRun::Start(route, SpecOf(*route, std::move(statement), warehouse_id), call->deadline(),
                       metrics, done, [call = call] { return call->finished(); });
    call->OnCancelled([run] { run->Cancel(); });
  }
  // Finishes the call and counts the operation (it reached Databricks, unless a dry run).
  void Finish(absl::StatusOr<Response> result) const {
    if (route->dry_run() == nullptr) {
      metrics->CountDeltaOperation(route->workspace(), operation, result.ok());
    }
    call->Finish(std::move(result));
  }
  // Finishes with `status` when it is an error; returns whether it was.
  bool Failed(const absl::Status& status) const {
    if (status.ok()) return false;
    Finish(status);
    return true;
  }
};

// The tables a Delta request touches, for the tenant's access rules.
template <typename Request>
std::vector<v1::TableName> TablesOf(const Request& request) {
  return {request.table()};
}
std::vector<v1::TableName> TablesOf(const v1::MergeIntoRequest& request) {
  return {request.target()};
}
std::vector<v1::TableName> TablesOf(const v1::CloneTableRequest& request) {
  return {request.source(), request.target()};
}
std::vector<v1::TableName> TablesOf(const v1::ConvertToDeltaRequest& request) {
  // A Parquet directory is a storage path (PathsOf).
  if (request.has_parquet_table()) return {request.parquet_table()};
  return {};
}

// The storage paths a Delta request names (field, path), for the tenant's access rules.
template <typename Request>
std::vector<std::pair<std::string, std::string>> PathsOf(const Request&) {
  return {};
}
std::vector<std::pair<std::string, std::string>> PathsOf(const v1::ConvertToDeltaRequest& request) {
  if (request.has_parquet_table()) return {};
  return {{"parquet_path", request.parquet_path()}};
}

// The tenant's access to the call's warehouse and to the schema of each table.
absl::Status CheckAccess(const Route& route, const std::string& warehouse_id,
                         const std::vector<v1::TableName>& tables) {
  absl::Status allowed =
      route.CheckWarehouse(warehouse_id.empty() ? route.defaults().warehouse_id : warehouse_id);
  for (const v1::TableName& table : tables) {
    if (!allowed.ok()) break;
    allowed =
        route.CheckSchema(table.catalog().empty() ? route.defaults().catalog : table.catalog(),
                          table.schema().empty() ? route.defaults().schema : table.schema());
  }
  return allowed;
}

// LoadTables touches every table it creates and every table its queries name.
absl::Status CheckLoadAccess(const Route& route, const v1::LoadTablesRequest& request,
                             const databricks::LoadPlanning& plan) {
  std::vector<v1::TableName> tables;
  auto add = [&tables](absl::string_view dotted) {
    const std::vector<std::string> parts = absl::StrSplit(dotted, '.');
    if (parts.size() != 3) return;
    v1::TableName name;
    name.set_catalog(parts[0]);
    name.set_schema(parts[1]);
    name.set_table(parts[2]);
    tables.push_back(std::move(name));
  };
  for (const std::string& target : plan.names) add(target);
  absl::Status allowed = CheckAccess(route, request.warehouse_id(), tables);
  if (!allowed.ok()) return allowed;
  // Every query's tables, as the SQL reader finds them; what it cannot name is refused.
  for (int i = 0; i < request.tables_size(); ++i) {
    allowed = route.CheckSql(request.tables(i).query(), route.defaults().catalog,
                             route.defaults().schema, absl::StrCat("tables[", i, "].query"));
    if (!allowed.ok()) return allowed;
  }
  return absl::OkStatus();
}

// Starts a Delta call: routes it and checks the tenant's access to its warehouse and
// tables, then runs `then(delta, request)`; a refusal finishes the call.
template <typename Request, typename Response, typename Then>
grpc::ServerUnaryReactor* StartDelta(Router& router, metrics::ServiceMetrics* metrics,
                                     grpc::CallbackServerContext* context, absl::string_view method,
                                     const Request* request, Response* response,
                                     const char* operation, Then then) {
  std::shared_ptr<UnaryCall<Response>> call = UnaryCall<Response>::Start(context, response);
  Routed(router, *context, method, call, *request,
         [call, metrics, operation, then = std::move(then)](std::shared_ptr<const Route> route,
                                                            const Request& request) {
           absl::Status allowed = CheckAccess(*route, request.warehouse_id(), TablesOf(request));
           for (const auto& [field, path] : PathsOf(request)) {
             if (allowed.ok()) allowed = route->CheckPath(field, path);
           }
           if (!allowed.ok()) {
             call->Finish(allowed);
             return;
           }
           const DeltaCall<Response> delta{call, std::move(route), request.warehouse_id(), metrics,
                                           operation};
           then(delta, request);
         });
  return call->reactor();
}

// The common shape: build one statement, run it, parse its rows.
//   build: (const NameDefaults&, const Request&) -> absl::StatusOr<DeltaStatement>
//   parse: (const ResultRows&, Response*) -> absl::Status
template <typename Request, typename Response, typename Build, typename Parse>
grpc::ServerUnaryReactor* OneStatement(Router& router, metrics::ServiceMetrics* metrics,
                                       grpc::CallbackServerContext* context,
                                       absl::string_view method, const Request* request,
                                       Response* response, const char* operation, Build build,
                                       Parse parse) {
  return StartDelta(
      router, metrics, context, method, request, response, operation,
      [build = std::move(build), parse = std::move(parse)](const DeltaCall<Response>& delta,
                                                           const Request& request) {
        absl::StatusOr<DeltaStatement> statement = build(NamesOf(*delta.route), request);
        if (!statement.ok()) {
          delta.call->Finish(statement.status());  // refused before Databricks: not counted
          return;
        }
        delta.Run(*std::move(statement), [delta, parse](absl::StatusOr<ResultRows> rows) {
          if (delta.Failed(rows.status())) return;
          Response out;
          if (delta.Failed(parse(*rows, &out))) return;
          delta.Finish(std::move(out));
        });
      });
}

// Runs `statements` one after another; `done` gets the first error or OK.
template <typename Response>
void RunInOrder(const DeltaCall<Response>& delta, std::vector<DeltaStatement> statements,
                size_t next, std::function<void(absl::Status)> done) {
  if (next == statements.size()) {
    done(absl::OkStatus());
    return;
  }
  DeltaStatement statement = statements[next];
  delta.Run(std::move(statement),
            [delta, statements = std::move(statements), next,
             done = std::move(done)](const absl::StatusOr<ResultRows>& rows) mutable {
              if (!rows.ok()) {
                done(rows.status());
                return;
              }
              RunInOrder(delta, std::move(statements), next + 1, std::move(done));
            });
}

// Reads the table's current schema (DESCRIBE TABLE) once `checked` is OK and hands it to
// `then`; a refused request, a failed statement or an unreadable answer finishes the call.
template <typename Response>
void WithCurrentSchema(const DeltaCall<Response>& delta, const absl::Status& checked,
                       const v1::TableName& table, std::function<void(v1::Schema)> then) {
  absl::StatusOr<DeltaStatement> describe =
      checked.ok() ? databricks::BuildDescribeTable(table, nullptr, "table", NamesOf(*delta.route))
                   : absl::StatusOr<DeltaStatement>(checked);
  if (!describe.ok()) {
    delta.call->Finish(describe.status());  // refused before Databricks: not counted
    return;
  }
  delta.Run(*std::move(describe), [delta, then = std::move(then)](absl::StatusOr<ResultRows> rows) {
    if (delta.Failed(rows.status())) return;
    v1::Schema schema;
    if (delta.Failed(databricks::ParseTableSchema(*rows, &schema))) return;
    then(std::move(schema));
  });
}

// LoadTables: runs a plan wave by wave, at most max_concurrency statements at a time,
// streaming progress. Events are queued and written one at a time.
class TableLoad : public std::enable_shared_from_this<TableLoad> {
 public:
  TableLoad(std::shared_ptr<StreamCall<v1::LoadTablesResponse>> call,
            std::shared_ptr<const Route> route, databricks::LoadPlanning plan,
            std::string warehouse_id, metrics::ServiceMetrics* metrics)
      : call_(std::move(call)),
        route_(std::move(route)),
        plan_(std::move(plan)),
        warehouse_id_(std::move(warehouse_id)),
        metrics_(metrics),
        started_(absl::Now()),
        state_(plan_.names.size(), v1::TABLE_LOAD_PENDING),
        reason_(plan_.names.size()) {}

  void Start() ABSL_LOCKS_EXCLUDED(mu_) {
    call_->OnCancelled([weak = weak_from_this()] {
      if (auto self = weak.lock()) self->CancelAll();
    });
    std::vector<int> start;
    {
      absl::MutexLock lock(&mu_);
      v1::LoadTablesResponse plan;
      *plan.mutable_plan() = databricks::PlanMessage(plan_);
      events_.push_back(std::move(plan));
      if (plan_.waves.empty()) {
        Summarize();
      } else {
        start = StartWave(0);
      }
    }
    Launch(start);
    Pump();
  }

 private:
  // The caller went away: every running statement is cancelled and none is started.
  void CancelAll() ABSL_LOCKS_EXCLUDED(mu_) {
    std::vector<std::shared_ptr<StatementRun>> runs;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      for (auto& [index, run] : runs_) runs.push_back(run);
    }
    for (auto& run : runs) run->Cancel();
  }

  void Emit(int table, v1::TableLoadState state, std::string error, int64_t duration_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    v1::LoadTablesResponse event;
    v1::TableProgress& progress = *event.mutable_table();
    progress.set_table(plan_.names[table]);
    progress.set_wave(plan_.wave_of[table]);
    progress.set_state(state);
    progress.set_error(std::move(error));
    progress.set_duration_ms(duration_ms);
    events_.push_back(std::move(event));
  }

  // Queues a wave's tables (skipping those whose dependency failed); returns the tables to
  // start now.
  std::vector<int> StartWave(int wave) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    wave_ = wave;
    queue_.clear();
    next_ = 0;
    for (int table : plan_.waves[wave]) {
      for (int dependency : plan_.depends_on[table]) {
        if (state_[dependency] == v1::TABLE_LOAD_FAILED ||
            state_[dependency] == v1::TABLE_LOAD_SKIPPED) {
          state_[table] = v1::TABLE_LOAD_SKIPPED;
          reason_[table] =
              absl::StrCat("depends on ", plan_.names[dependency], ", which ",
                           state_[dependency] == v1::TABLE_LOAD_FAILED ? "failed" : "was skipped");
          Emit(table, v1::TABLE_LOAD_SKIPPED, reason_[table], 0);
          break;
        }
      }
      if (state_[table] == v1::TABLE_LOAD_PENDING) queue_.push_back(table);
    }
    return NextToStart();
  }

  // Marks as many queued tables RUNNING as the concurrency limit allows and returns them;
  // ends the wave when nothing is queued or running.
  std::vector<int> NextToStart() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    std::vector<int> start;
    if (cancelled_) return start;
    while (running_ < plan_.max_concurrency && next_ < queue_.size()) {
      const int table = queue_[next_++];
      state_[table] = v1::TABLE_LOAD_RUNNING;
      Emit(table, v1::TABLE_LOAD_RUNNING, "", 0);
      start.push_back(table);
      ++running_;
    }
    if (running_ == 0 && next_ == queue_.size()) return EndWave();
    return start;
  }

  // Starts the tables' statements. Not under the lock: a statement may end at once.
  void Launch(const std::vector<int>& tables) ABSL_LOCKS_EXCLUDED(mu_) {
    for (int table : tables) {
      const absl::Time began = absl::Now();
      std::shared_ptr<StatementRun> run = RowsRun::Start(
          route_, SpecOf(*route_, plan_.statements[table], warehouse_id_), call_->deadline(),
          metrics_,
          [self = shared_from_this(), table, began](const absl::StatusOr<ResultRows>& rows) {
            self->OnTable(table, rows.status(), absl::Now() - began);
          },
          [call = call_] { return call->finished(); });
      bool cancelled = false;
      {
        absl::MutexLock lock(&mu_);
        cancelled = cancelled_;
        if (!cancelled && state_[table] == v1::TABLE_LOAD_RUNNING) runs_[table] = run;
      }
      // Cancelled while this statement was being started: CancelAll did not see it.
      if (cancelled) run->Cancel();
    }
  }

  // A table's statement ended. In a dry run it was not sent (DryRunStop), and the load goes
  // on as if it succeeded, so that every wave's statements are recorded.
  void OnTable(int table, const absl::Status& status, absl::Duration took)
      ABSL_LOCKS_EXCLUDED(mu_) {
    const bool dry_run = route_->dry_run() != nullptr;
    if (!dry_run) metrics_->CountDeltaOperation(route_->workspace(), "load_table", status.ok());
    const bool ok = status.ok() || (dry_run && IsDryRunStop(status));
    std::vector<int> start;
    {
      absl::MutexLock lock(&mu_);
      runs_.erase(table);
      --running_;
      state_[table] = ok ? v1::TABLE_LOAD_SUCCEEDED : v1::TABLE_LOAD_FAILED;
      if (!status.ok()) reason_[table] = std::string(status.message());
      Emit(table, state_[table], reason_[table], absl::ToInt64Milliseconds(took));
      start = NextToStart();
    }
    Launch(start);
    Pump();
  }

  std::vector<int> EndWave() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    v1::LoadTablesResponse event;
    v1::WaveProgress& wave = *event.mutable_wave();
    wave.set_wave(wave_);
    for (int table : plan_.waves[wave_]) {
      if (state_[table] == v1::TABLE_LOAD_SUCCEEDED) wave.set_succeeded(wave.succeeded() + 1);
      if (state_[table] == v1::TABLE_LOAD_FAILED) wave.set_failed(wave.failed() + 1);
      if (state_[table] == v1::TABLE_LOAD_SKIPPED) wave.set_skipped(wave.skipped() + 1);
    }
    events_.push_back(std::move(event));
    if (wave_ + 1 < static_cast<int>(plan_.waves.size())) return StartWave(wave_ + 1);
    Summarize();
    return {};
  }

  void Summarize() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    v1::LoadTablesResponse event;
    v1::LoadSummary& summary = *event.mutable_summary();
    for (size_t table = 0; table < plan_.names.size(); ++table) {
      switch (state_[table]) {
        case v1::TABLE_LOAD_SUCCEEDED:
          summary.add_succeeded(plan_.names[table]);
          break;
        case v1::TABLE_LOAD_FAILED:
          (*summary.mutable_failed())[plan_.names[table]] = reason_[table];
          break;
        default:
          summary.add_skipped(plan_.names[table]);
          break;
      }
    }
    summary.set_duration_ms(absl::ToInt64Milliseconds(absl::Now() - started_));
    events_.push_back(std::move(event));
    ended_ = true;
  }

  // Writes the next queued event unless one is being written; finishes after the summary.
  // A dry run's progress is not the tables' (nothing ran): it writes no event.
  void Pump() ABSL_LOCKS_EXCLUDED(mu_) {
    v1::LoadTablesResponse event;
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || finished_) return;
      if (route_->dry_run() != nullptr) events_.clear();
      if (events_.empty()) {
        if (!ended_) return;
        finished_ = true;
      } else {
        event = std::move(events_.front());
        events_.pop_front();
        writing_ = true;
      }
    }
    if (event.event_case() == v1::LoadTablesResponse::EVENT_NOT_SET) {
      call_->Finish(absl::OkStatus());
      return;
    }
    call_->Write(std::move(event), [self = shared_from_this()] {
      {
        absl::MutexLock lock(&self->mu_);
        self->writing_ = false;
      }
      self->Pump();
    });
  }

  const std::shared_ptr<StreamCall<v1::LoadTablesResponse>> call_;
  const std::shared_ptr<const Route> route_;
  const databricks::LoadPlanning plan_;
  const std::string warehouse_id_;
  metrics::ServiceMetrics* const metrics_;
  const absl::Time started_;

  absl::Mutex mu_;
  std::vector<v1::TableLoadState> state_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> reason_ ABSL_GUARDED_BY(mu_);  // error or skip reason
  int wave_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<int> queue_ ABSL_GUARDED_BY(mu_);  // the wave's tables to run
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<int, std::shared_ptr<StatementRun>> runs_ ABSL_GUARDED_BY(mu_);  // to cancel
  std::deque<v1::LoadTablesResponse> events_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ ABSL_GUARDED_BY(mu_) = false;      // the summary is queued
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;  // the caller went away
  bool finished_ ABSL_GUARDED_BY(mu_) = false;   // Finish was called
};

}  // namespace

grpc::ServerWriteReactor<v1::ReadTableResponse>* DeltaService::ReadTable(
    grpc::CallbackServerContext* context, const v1::ReadTableRequest* request) {
  auto call = StreamCall<v1::ReadTableResponse>::Start(context);
  Routed(router_, *context, "DeltaService/ReadTable", call, *request,
         [call, metrics = &metrics_](const std::shared_ptr<const Route>& route,
                                     const v1::ReadTableRequest& request) {
           absl::Status allowed = CheckAccess(*route, request.warehouse_id(), TablesOf(request));
           absl::StatusOr<DeltaStatement> statement =
               allowed.ok() ? databricks::BuildReadTable(request, NamesOf(*route))
                            : absl::StatusOr<DeltaStatement>(allowed);
           if (!statement.ok()) {
             call->Finish(statement.status());
             return;
           }
           auto stream = std::make_shared<ResultStream<v1::ReadTableResponse>>(
               call, route,
               [metrics, workspace = route->workspace(),
                dry_run = route->dry_run() != nullptr](bool ok) {
                 if (!dry_run) metrics->CountDeltaOperation(workspace, "read", ok);
               });
           stream->Execute(SpecOf(*route, *std::move(statement), request.warehouse_id()), metrics);
         });
  return call->reactor();
}

grpc::ServerUnaryReactor* DeltaService::WriteTable(grpc::CallbackServerContext* context,
                                                   const v1::WriteTableRequest* request,
                                                   v1::WriteTableResponse* response) {
  if (request->mode() != v1::WRITE_MODE_REPLACE_WHERE) {
    return OneStatement(
        router_, &metrics_, context, "DeltaService/WriteTable", request, response, "write",
        [](const NameDefaults& names, const v1::WriteTableRequest& request) {
          return databricks::BuildWriteTable(request, names, {});
        },
        [](const ResultRows& rows, v1::WriteTableResponse* out) {
          return databricks::ParseDmlMetrics(rows, out->mutable_metrics());
        });
  }
  // REPLACE WHERE writes rows in table order: read the table's columns first.
  return StartDelta(
      router_, &metrics_, context, "DeltaService/WriteTable", request, response, "write",
      [](const DeltaCall<v1::WriteTableResponse>& delta, const v1::WriteTableRequest& request) {
        const NameDefaults names = NamesOf(*delta.route);
        WithCurrentSchema(
            delta, databricks::CheckWriteTable(request, names), request.table(),
            [delta, request, names](const v1::Schema& schema) {
              std::vector<std::string> columns;
              for (const v1::ColumnSchema& c : schema.columns()) columns.push_back(c.name());
              absl::StatusOr<DeltaStatement> write =
                  databricks::BuildWriteTable(request, names, columns);
              if (!write.ok()) {
                delta.call->Finish(write.status());
                return;
              }
              delta.Run(*std::move(write), [delta](absl::StatusOr<ResultRows> written) {
                if (delta.Failed(written.status())) return;
                v1::WriteTableResponse out;
                if (delta.Failed(databricks::ParseDmlMetrics(*written, out.mutable_metrics()))) {
                  return;
                }
                delta.Finish(std::move(out));
              });
            });
      });
}

grpc::ServerUnaryReactor* DeltaService::MergeInto(grpc::CallbackServerContext* context,
                                                  const v1::MergeIntoRequest* request,
                                                  v1::MergeIntoResponse* response) {
  return OneStatement(
      router_, &metrics_, context, "DeltaService/MergeInto", request, response, "merge",
      [](const NameDefaults& names, const v1::MergeIntoRequest& request) {
        return databricks::BuildMergeInto(request, names);
      },
      [](const ResultRows& rows, v1::MergeIntoResponse* out) {
        return databricks::ParseDmlMetrics(rows, out->mutable_metrics());
      });
}

grpc::ServerUnaryReactor* DeltaService::DeleteRows(grpc::CallbackServerContext* context,
                                                   const v1::DeleteRowsRequest* request,
                                                   v1::DeleteRowsResponse* response) {
  return OneStatement(
      router_, &metrics_, context, "DeltaService/DeleteRows", request, response, "delete",
      [](const NameDefaults& names, const v1::DeleteRowsRequest& request) {
        return databricks::BuildDeleteRows(request, names);
      },
      [](const ResultRows& rows, v1::DeleteRowsResponse* out) {
        return databricks::ParseDmlMetrics(rows, out->mutable_metrics());
      });
}

grpc::ServerUnaryReactor* DeltaService::UpdateRows(grpc::CallbackServerContext* context,
                                                   const v1::UpdateRowsRequest* request,
                                                   v1::UpdateRowsResponse* response) {
  return OneStatement(
      router_, &metrics_, context, "DeltaService/UpdateRows", request, response, "update",
      [](const NameDefaults& names, const v1::UpdateRowsRequest& request) {
        return databricks::BuildUpdateRows(request, names);
      },
      [](const ResultRows& rows, v1::UpdateRowsResponse* out) {
        return databricks::ParseDmlMetrics(rows, out->mutable_metrics());
      });
}

grpc::ServerUnaryReactor* DeltaService::OptimizeTable(grpc::CallbackServerContext* context,
                                                      const v1::OptimizeTableRequest* request,
                                                      v1::OptimizeTableResponse* response) {
  return OneStatement(
      router_, &metrics_, context, "DeltaService/OptimizeTable", request, response, "optimize",
      [](const NameDefaults& names, const v1::OptimizeTableRequest& request) {
        return databricks::BuildOptimizeTable(request, names);
      },
      databricks::ParseOptimize);
}

grpc::ServerUnaryReactor* DeltaService::VacuumTable(grpc::CallbackServerContext* context,
                                                    const v1::VacuumTableRequest* request,
                                                    v1::VacuumTableResponse* response) {
  if (request->dry_run()) {
    return OneStatement(
        router_, &metrics_, context, "DeltaService/VacuumTable", request, response, "vacuum",
        [](const NameDefaults& names, const v1::VacuumTableRequest& request) {
          return databricks::BuildVacuumTable(request, names);
        },
        databricks::ParseVacuumDryRun);
  }
  // VACUUM answers with the table's path only; its history entry has the count.
  return StartDelta(
      router_, &metrics_, context, "DeltaService/VacuumTable", request, response, "vacuum",
      [](const DeltaCall<v1::VacuumTableResponse>& delta, const v1::VacuumTableRequest& request) {
        const NameDefaults names = NamesOf(*delta.route);
        absl::StatusOr<DeltaStatement> vacuum = databricks::BuildVacuumTable(request, names);
        if (!vacuum.ok()) {
          delta.call->Finish(vacuum.status());
          return;
        }
        v1::DescribeHistoryRequest history_request;
        *history_request.mutable_table() = request.table();
        history_request.set_limit(5);
        DeltaStatement history = *databricks::BuildDescribeHistory(history_request, names);
        delta.Run(*std::move(vacuum), [delta, history](const absl::StatusOr<ResultRows>& rows) {
          if (delta.Failed(rows.status())) return;
          delta.Run(history, [delta](absl::StatusOr<ResultRows> entries) {
            v1::VacuumTableResponse out;
            // The vacuum happened; a history that cannot be read leaves the count unset.
            if (entries.ok()) databricks::ParseVacuumHistory(*entries, &out).IgnoreError();
            delta.Finish(std::move(out));
          });
        });
      });
}

grpc::ServerUnaryReactor* DeltaService::DescribeHistory(grpc::CallbackServerContext* context,
                                                        const v1::DescribeHistoryRequest* request,
                                                        v1::DescribeHistoryResponse* response) {
  return OneStatement(
      router_, &metrics_, context, "DeltaService/DescribeHistory", request, response,
      "describe_history",
      [](const NameDefaults& names, const v1::DescribeHistoryRequest& request) {
        return databricks::BuildDescribeHistory(request, names);
      },
      databricks::ParseHistory);
}

grpc::ServerUnaryReactor* DeltaService::RestoreTable(grpc::CallbackServerContext* context,
                                                     const v1::RestoreTableRequest* request,
                                                     v1::RestoreTableResponse* response) {
  return OneStatement(
      router_, &metrics_, context, "DeltaService/RestoreTable", request, response, "restore",
      [](const NameDefaults& names, const v1::RestoreTableRequest& request) {
        return databricks::BuildRestoreTable(request, names);
      },
      databricks::ParseRestore);
}

grpc::ServerUnaryReactor* DeltaService::GetTableSchema(grpc::CallbackServerContext* context,
                                                       const v1::GetTableSchemaRequest* request,
                                                       v1::GetTableSchemaResponse* response) {
  const bool as_of = request->has_as_of();
  return OneStatement(
      router_, &metrics_, context, "DeltaService/GetTableSchema", request, response, "get_schema",
      [as_of](const NameDefaults& names, const v1::GetTableSchemaRequest& request) {
        return databricks::BuildDescribeTable(request.table(), as_of ? &request.as_of() : nullptr,
                                              "table", names);
      },
      [as_of](const ResultRows& rows, v1::GetTableSchemaResponse* out) {
        // An earlier version is read as an empty SELECT: its manifest is the schema.
        if (as_of) {
          *out->mutable_schema() = rows.schema;
          return absl::OkStatus();
        }
        return databricks::ParseTableSchema(rows, out->mutable_schema());
      });
}

grpc::ServerUnaryReactor* DeltaService::EvolveSchema(grpc::CallbackServerContext* context,
                                                     const v1::EvolveSchemaRequest* request,
                                                     v1::EvolveSchemaResponse* response) {
  return StartDelta(
      router_, &metrics_, context, "DeltaService/EvolveSchema", request, response, "evolve_schema",
      [](const DeltaCall<v1::EvolveSchemaResponse>& delta, const v1::EvolveSchemaRequest& request) {
        const NameDefaults names = NamesOf(*delta.route);
        // Compatibility first, against the table as it is now; then the changes, in order.
        WithCurrentSchema(delta, databricks::CheckEvolveSchema(request, names), request.table(),
                          [delta, request, names](const v1::Schema& current) {
                            absl::StatusOr<databricks::SchemaEvolution> plan =
                                databricks::PlanSchemaEvolution(request, current, names);
                            if (delta.Failed(plan.status())) return;
                            v1::EvolveSchemaResponse out;
                            out.set_compatible(plan->incompatibilities.empty());
                            for (v1::SchemaIncompatibility& i : plan->incompatibilities) {
                              *out.add_incompatibilities() = std::move(i);
                            }
                            *out.mutable_schema() = out.compatible() ? plan->after : current;
                            if (!out.compatible() || request.check_only()) {
                              delta.Finish(std::move(out));
                              return;
                            }
                            RunInOrder(
                                delta, std::move(plan->statements), 0,
                                [delta, out = std::move(out)](const absl::Status& status) mutable {
                                  if (delta.Failed(status)) return;
                                  delta.Finish(std::move(out));
                                });
                          });
      });
}

grpc::ServerUnaryReactor* DeltaService::CloneTable(grpc::CallbackServerContext* context,
                                                   const v1::CloneTableRequest* request,
                                                   v1::CloneTableResponse* response) {
  return OneStatement(
      router_, &metrics_, context, "DeltaService/CloneTable", request, response, "clone",
      [](const NameDefaults& names, const v1::CloneTableRequest& request) {
        return databricks::BuildCloneTable(request, names);
      },
      databricks::ParseClone);
}

grpc::ServerUnaryReactor* DeltaService::ConvertToDelta(grpc::CallbackServerContext* context,
                                                       const v1::ConvertToDeltaRequest* request,
                                                       v1::ConvertToDeltaResponse* response) {
  return OneStatement(
      router_, &metrics_, context, "DeltaService/ConvertToDelta", request, response, "convert",
      [](const NameDefaults& names, const v1::ConvertToDeltaRequest& request) {
        return databricks::BuildConvertToDelta(request, names);
      },
      [](const ResultRows&, v1::ConvertToDeltaResponse*) { return absl::OkStatus(); });
}

grpc::ServerWriteReactor<v1::LoadTablesResponse>* DeltaService::LoadTables(
    grpc::CallbackServerContext* context, const v1::LoadTablesRequest* request) {
  auto call = StreamCall<v1::LoadTablesResponse>::Start(context);
  Routed(
      router_, *context, "DeltaService/LoadTables", call, *request,
      [call, metrics = &metrics_](const std::shared_ptr<const Route>& route,
                                  const v1::LoadTablesRequest& request) {
        // Everything that can be refused is refused here, before any statement runs.
        const NameDefaults names = NamesOf(*route);
        absl::StatusOr<databricks::LoadPlanning> plan = databricks::PlanLoad(request, names);
        absl::Status allowed = plan.ok() ? CheckLoadAccess(*route, request, *plan) : plan.status();
        if (!allowed.ok()) {
          call->Finish(allowed);
          return;
        }
        std::make_shared<TableLoad>(call, route, *std::move(plan), request.warehouse_id(), metrics)
            ->Start();
      });
  return call->reactor();
}

}  // namespace gateway::services
