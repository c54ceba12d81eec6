#include "server/services/sql_service.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/common/error_details.h"
#include "server/databricks/sql.h"
#include "server/services/calls.h"
#include "server/services/rest.h"
#include "server/services/statements.h"

namespace gateway::services {
namespace {

using databricks::ApiRequest;
using databricks::StatementSpec;

constexpr int kDefaultWaitSeconds = 10;

// A statement under the tenant's rules: its warehouse, and every table its text names.
absl::Status CheckStatement(const Route& route, const StatementSpec& spec) {
  absl::Status allowed = route.CheckWarehouse(spec.warehouse_id);
  if (!allowed.ok()) return allowed;
  return route.CheckSql(spec.statement, spec.catalog, spec.schema, "statement");
}

StatementSpec SpecFrom(const v1::ExecuteStatementRequest& request, const Defaults& defaults) {
  StatementSpec spec;
  spec.statement = request.statement();
  spec.parameters.assign(request.parameters().begin(), request.parameters().end());
  spec.warehouse_id =
      request.warehouse_id().empty() ? defaults.warehouse_id : request.warehouse_id();
  spec.catalog = request.catalog().empty() ? defaults.catalog : request.catalog();
  spec.schema = request.schema().empty() ? defaults.schema : request.schema();
  spec.row_limit = request.row_limit();
  spec.byte_limit = request.byte_limit();
  return spec;
}

// The wait Databricks holds ExecuteStatement for: the caller's (default 10 s), shortened
// to fit the caller's deadline and the upstream timeout; a wait that no longer fits becomes
// asynchronous (0 s).
absl::StatusOr<absl::Duration> ExecuteWait(const v1::ExecuteStatementRequest& request,
                                           absl::Time deadline, absl::Duration upstream_timeout) {
  const int requested =
      request.has_wait_timeout_seconds() ? request.wait_timeout_seconds() : kDefaultWaitSeconds;
  if (requested != 0 && (requested < 5 || requested > 50)) {
    return absl::InvalidArgumentError(
        absl::StrCat("wait_timeout_seconds: must be 0 or between 5 and 50, got ", requested));
  }
  const absl::Duration fits = absl::Floor(
      std::min(deadline - absl::Now(), upstream_timeout) - absl::Seconds(1), absl::Seconds(1));
  const absl::Duration wait = std::min(absl::Seconds(requested), fits);
  return wait >= absl::Seconds(5) ? wait : absl::ZeroDuration();
}

// The statement in an answer, or the error that replaced the answer.
absl::StatusOr<databricks::Statement> StatementOf(const absl::StatusOr<json::Value>& body) {
  if (!body.ok()) return body.status();
  return databricks::ParseStatement(*body);
}

// Fills a statement response (ExecuteStatementResponse or GetStatementResponse), resolving
// the first chunk when there is one.
template <typename Response>
void AnswerStatement(const std::shared_ptr<UnaryCall<Response>>& call,
                     const std::shared_ptr<const Route>& route, databricks::Statement statement) {
  Response out;
  out.set_statement_id(route->StatementHandle(statement.statement_id));
  *out.mutable_status() = statement.status;
  if (!statement.has_manifest || statement.result.is_null()) {
    if (statement.has_manifest) *out.mutable_manifest() = std::move(statement.manifest);
    call->Finish(std::move(out));
    return;
  }
  const v1::Schema schema = statement.manifest.schema();
  *out.mutable_manifest() = std::move(statement.manifest);
  ResolveChunk(route, statement.result, schema, call->deadline(),
               [call, out = std::move(out)](absl::StatusOr<v1::ResultChunk> chunk) mutable {
                 if (!chunk.ok()) {
                   call->Finish(chunk.status());
                   return;
                 }
                 *out.mutable_result() = *std::move(chunk);
                 call->Finish(std::move(out));
               });
}

// Routes the call and decodes its statement handle, then runs `then(route, request,
// statement_id)`; a refusal or an unknown handle finishes `call`.
template <typename CallPtr, typename Request, typename Then>
void RoutedStatement(Router& router, const grpc::CallbackServerContext& context,
                     absl::string_view method, CallPtr call, const Request& request, Then then) {
  Routed(
      router, context, method, call, request,
      [call, then = std::move(then)](std::shared_ptr<const Route> route, const Request& request) {
        absl::StatusOr<std::string> id = route->StatementId(request.statement_id());
        if (!id.ok()) {
          call->Finish(id.status());
          return;
        }
        then(std::move(route), request, *std::move(id));
      });
}

// After StartWarehouse's POST: reads the warehouse once or, with wait_until_running, polls
// it with back-off until RUNNING; STOPPED or DELETED (it will not start) is
// FAILED_PRECONDITION.
class WarehouseWait : public std::enable_shared_from_this<WarehouseWait> {
 public:
  WarehouseWait(std::shared_ptr<UnaryCall<v1::StartWarehouseResponse>> call,
                std::shared_ptr<const Route> route, std::string id, bool until_running)
      : call_(std::move(call)),
        route_(std::move(route)),
        id_(std::move(id)),
        until_running_(until_running) {}

  void Poll() {
    if (call_->finished()) return;
    absl::StatusOr<ApiRequest> request = databricks::BuildGetWarehouse(id_);
    SendApi(*route_, *std::move(request), call_->deadline(),
            [self = shared_from_this()](absl::StatusOr<json::Value> body) {
              self->OnWarehouse(std::move(body));
            });
  }

 private:
  void OnWarehouse(absl::StatusOr<json::Value> body) {
    v1::StartWarehouseResponse out;
    absl::Status status =
        body.ok() ? databricks::ParseWarehouse(*body, out.mutable_warehouse()) : body.status();
    if (!status.ok()) {
      call_->Finish(status);
      return;
    }
    const v1::Warehouse& warehouse = out.warehouse();
    if (!until_running_) {
      call_->Finish(std::move(out));
      return;
    }
    switch (warehouse.state()) {
      case v1::Warehouse::RUNNING:
        call_->Finish(std::move(out));
        return;
      case v1::Warehouse::STOPPED:
      case v1::Warehouse::DELETED:
      case v1::Warehouse::DELETING: {
        absl::Status stopped = absl::FailedPreconditionError(absl::StrCat(
            "warehouse ", id_, " is ", warehouse.state_text(), " instead of starting",
            warehouse.health().details().empty() ? "" : ": ", warehouse.health().details()));
        SetErrorInfo(stopped, "WAREHOUSE_NOT_STARTING", kDatabricksDomain,
                     {{"state", warehouse.state_text()}});
        call_->Finish(stopped);
        return;
      }
      default:
        break;
    }
    const absl::Duration left = call_->deadline() - absl::Now();
    route_->RunAfter(std::max(absl::ZeroDuration(), std::min(delay_, left)),
                     [self = shared_from_this()] { self->Poll(); });
    delay_ = std::min(delay_ * 2, absl::Seconds(5));
  }

  const std::shared_ptr<UnaryCall<v1::StartWarehouseResponse>> call_;
  const std::shared_ptr<const Route> route_;
  const std::string id_;
  const bool until_running_;
  absl::Duration delay_ = absl::Milliseconds(250);  // one poll at a time
};

}  // namespace

grpc::ServerUnaryReactor* SqlService::ExecuteStatement(grpc::CallbackServerContext* context,
                                                       const v1::ExecuteStatementRequest* request,
                                                       v1::ExecuteStatementResponse* response) {
  auto call = UnaryCall<v1::ExecuteStatementResponse>::Start(context, response);
  Routed(router_, *context, "SqlService/ExecuteStatement", call, *request,
         [call, metrics = &metrics_](const std::shared_ptr<const Route>& route,
                                     const v1::ExecuteStatementRequest& request) {
           const databricks::StatementSpec spec = SpecFrom(request, route->defaults());
           if (absl::Status allowed = CheckStatement(*route, spec); !allowed.ok()) {
             call->Finish(allowed);
             return;
           }
           absl::StatusOr<absl::Duration> wait =
               ExecuteWait(request, call->deadline(), route->upstream_timeout());
           absl::StatusOr<ApiRequest> api =
               wait.ok() ? databricks::BuildExecuteStatement(
                               spec, *wait,
                               request.on_wait_timeout() == v1::ExecuteStatementRequest::CANCEL)
                         : absl::StatusOr<ApiRequest>(wait.status());
           if (!api.ok()) {
             call->Finish(api.status());
             return;
           }
           const absl::Time started = absl::Now();
           SendApi(*route, *std::move(api), call->deadline(),
                   [call, route, started, metrics](const absl::StatusOr<json::Value>& body) {
                     absl::StatusOr<databricks::Statement> statement = StatementOf(body);
                     if (!statement.ok()) {
                       call->Finish(statement.status());
                       return;
                     }
                     if (databricks::IsTerminal(statement->status)) {
                       metrics->ObserveStatement(route->workspace(), statement->status.state_text(),
                                                 absl::ToDoubleSeconds(absl::Now() - started));
                     } else if (call->cancelled()) {
                       // The caller went away while Databricks held the POST: its statement
                       // is known only now, and nobody will ever ask for it.
                       CancelStatementUpstream(*route, statement->statement_id);
                     }
                     AnswerStatement(call, route, *std::move(statement));
                   });
         });
  return call->reactor();
}

grpc::ServerUnaryReactor* SqlService::GetStatement(grpc::CallbackServerContext* context,
                                                   const v1::GetStatementRequest* request,
                                                   v1::GetStatementResponse* response) {
  auto call = UnaryCall<v1::GetStatementResponse>::Start(context, response);
  RoutedStatement(router_, *context, "SqlService/GetStatement", call, *request,
                  [call](const std::shared_ptr<const Route>& route, const v1::GetStatementRequest&,
                         const std::string& id) {
                    SendApi(*route, databricks::BuildGetStatement(id), call->deadline(),
                            [call, route](const absl::StatusOr<json::Value>& body) {
                              absl::StatusOr<databricks::Statement> statement = StatementOf(body);
                              if (!statement.ok()) {
                                call->Finish(statement.status());
                                return;
                              }
                              AnswerStatement(call, route, *std::move(statement));
                            });
                  });
  return call->reactor();
}

grpc::ServerUnaryReactor* SqlService::CancelStatement(grpc::CallbackServerContext* context,
                                                      const v1::CancelStatementRequest* request,
                                                      v1::CancelStatementResponse* response) {
  return ProxyUnary(
      router_, context, "SqlService/CancelStatement", request, response,
      [](const Route& route,
         const v1::CancelStatementRequest& request) -> absl::StatusOr<ApiRequest> {
        absl::StatusOr<std::string> id = route.StatementId(request.statement_id());
        if (!id.ok()) return id.status();
        return databricks::BuildCancelStatement(*id);
      },
      [](const Route&, const json::Value&, v1::CancelStatementResponse*) {
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* SqlService::GetResultChunk(grpc::CallbackServerContext* context,
                                                     const v1::GetResultChunkRequest* request,
                                                     v1::GetResultChunkResponse* response) {
  auto call = UnaryCall<v1::GetResultChunkResponse>::Start(context, response);
  if (request->chunk_index() < 0) {
    call->Finish(absl::InvalidArgumentError(
        absl::StrCat("chunk_index: must be >= 0, got ", request->chunk_index())));
    return call->reactor();
  }
  RoutedStatement(
      router_, *context, "SqlService/GetResultChunk", call, *request,
      [call](const std::shared_ptr<const Route>& route, const v1::GetResultChunkRequest& request,
             const std::string& id) {
        // The chunk endpoint does not repeat the schema; the statement has it.
        SendApi(*route, databricks::BuildGetStatement(id), call->deadline(),
                [call, route, id,
                 index = request.chunk_index()](const absl::StatusOr<json::Value>& body) {
                  absl::StatusOr<databricks::Statement> statement = StatementOf(body);
                  if (!statement.ok()) {
                    call->Finish(statement.status());
                    return;
                  }
                  const std::string handle = route->StatementHandle(id);
                  if (statement->status.state() != v1::StatementStatus::SUCCEEDED) {
                    absl::Status status =
                        databricks::IsTerminal(statement->status)
                            ? databricks::StatementFailure(statement->status, handle)
                            : absl::FailedPreconditionError(absl::StrCat(
                                  "statement ", handle, " is ", statement->status.state_text(),
                                  "; chunks exist once it SUCCEEDED"));
                    call->Finish(status);
                    return;
                  }
                  if (index >= statement->manifest.total_chunk_count()) {
                    call->Finish(absl::OutOfRangeError(absl::StrCat(
                        "chunk_index: statement ", handle, " has ",
                        statement->manifest.total_chunk_count(), " chunks, asked for ", index)));
                    return;
                  }
                  FetchChunk(route, id, index, statement->manifest.schema(), call->deadline(),
                             [call](absl::StatusOr<v1::ResultChunk> chunk) {
                               if (!chunk.ok()) {
                                 call->Finish(chunk.status());
                                 return;
                               }
                               v1::GetResultChunkResponse out;
                               *out.mutable_chunk() = *std::move(chunk);
                               call->Finish(std::move(out));
                             });
                });
      });
  return call->reactor();
}

grpc::ServerWriteReactor<v1::StreamStatementResultsResponse>* SqlService::StreamStatementResults(
    grpc::CallbackServerContext* context, const v1::StreamStatementResultsRequest* request) {
  auto call = StreamCall<v1::StreamStatementResultsResponse>::Start(context);
  Routed(router_, *context, "SqlService/StreamStatementResults", call, *request,
         [call, metrics = &metrics_](const std::shared_ptr<const Route>& route,
                                     const v1::StreamStatementResultsRequest& request) {
           auto stream =
               std::make_shared<ResultStream<v1::StreamStatementResultsResponse>>(call, route);
           switch (request.source_case()) {
             case v1::StreamStatementResultsRequest::kExecute: {
               databricks::StatementSpec spec = SpecFrom(request.execute(), route->defaults());
               if (absl::Status allowed = CheckStatement(*route, spec); !allowed.ok()) {
                 call->Finish(allowed);
                 break;
               }
               stream->Execute(std::move(spec), metrics);
               break;
             }
             case v1::StreamStatementResultsRequest::kStatementId: {
               absl::StatusOr<std::string> id = route->StatementId(request.statement_id());
               if (!id.ok()) {
                 call->Finish(id.status());
                 break;
               }
               stream->Attach(*std::move(id));
               break;
             }
             case v1::StreamStatementResultsRequest::SOURCE_NOT_SET:
               call->Finish(absl::InvalidArgumentError("source: set execute or statement_id"));
               break;
           }
         });
  return call->reactor();
}

grpc::ServerUnaryReactor* SqlService::ListWarehouses(grpc::CallbackServerContext* context,
                                                     const v1::ListWarehousesRequest* request,
                                                     v1::ListWarehousesResponse* response) {
  return ProxyUnary(
      router_, context, "SqlService/ListWarehouses", request, response,
      [](const Route&, const v1::ListWarehousesRequest& request) {
        return databricks::BuildListWarehouses(request);
      },
      [](const Route& route, const json::Value& body, v1::ListWarehousesResponse* out) {
        absl::Status parsed = databricks::ParseListWarehouses(body, out);
        // Only the warehouses the tenant may use.
        auto* warehouses = out->mutable_warehouses();
        warehouses->erase(std::remove_if(warehouses->begin(), warehouses->end(),
                                         [&route](const v1::Warehouse& w) {
                                           return !route.CheckWarehouse(w.id()).ok();
                                         }),
                          warehouses->end());
        return parsed;
      });
}

grpc::ServerUnaryReactor* SqlService::GetWarehouse(grpc::CallbackServerContext* context,
                                                   const v1::GetWarehouseRequest* request,
                                                   v1::GetWarehouseResponse* response) {
  return ProxyUnary(
      router_, context, "SqlService/GetWarehouse", request, response,
      [](const Route& route, const v1::GetWarehouseRequest& request) -> absl::StatusOr<ApiRequest> {
        absl::Status allowed = route.CheckWarehouse(request.id());
        if (!allowed.ok()) return allowed;
        return databricks::BuildGetWarehouse(request.id());
      },
      [](const Route&, const json::Value& body, v1::GetWarehouseResponse* out) {
        return databricks::ParseWarehouse(body, out->mutable_warehouse());
      });
}

grpc::ServerUnaryReactor* SqlService::StartWarehouse(grpc::CallbackServerContext* context,
                                                     const v1::StartWarehouseRequest* request,
                                                     v1::StartWarehouseResponse* response) {
  auto call = UnaryCall<v1::StartWarehouseResponse>::Start(context, response);
  Routed(
      router_, *context, "SqlService/StartWarehouse", call, *request,
      [call](const std::shared_ptr<const Route>& route, const v1::StartWarehouseRequest& request) {
        if (absl::Status allowed = route->CheckWarehouse(request.id()); !allowed.ok()) {
          call->Finish(allowed);
          return;
        }
        absl::StatusOr<ApiRequest> api = databricks::BuildStartWarehouse(request.id());
        if (!api.ok()) {
          call->Finish(api.status());
          return;
        }
        // The start answer is empty; the warehouse as it is afterwards is the answer.
        auto wait = std::make_shared<WarehouseWait>(call, route, request.id(),
                                                    request.wait_until_running());
        SendApi(*route, *std::move(api), call->deadline(),
                [call, wait](const absl::StatusOr<json::Value>& body) {
                  if (!body.ok()) {
                    call->Finish(body.status());
                    return;
                  }
                  wait->Poll();
                });
      });
  return call->reactor();
}

}  // namespace gateway::services
