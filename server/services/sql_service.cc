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

// Routes the call and decodes the statement handle; on failure the call is finished.
template <typename Response>
bool RouteStatement(Router& router, grpc::CallbackServerContext* context,
                    const std::shared_ptr<UnaryCall<Response>>& call, const std::string& handle,
                    std::shared_ptr<const Route>* route, std::string* statement_id) {
  absl::StatusOr<std::shared_ptr<const Route>> routed = router.RouteCall(*context);
  if (!routed.ok()) {
    call->Finish(routed.status());
    return false;
  }
  absl::StatusOr<std::string> id = (*routed)->StatementId(handle);
  if (!id.ok()) {
    call->Finish(id.status());
    return false;
  }
  *route = *std::move(routed);
  *statement_id = *std::move(id);
  return true;
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
  absl::StatusOr<std::shared_ptr<const Route>> route = router_.RouteCall(*context);
  if (!route.ok()) {
    call->Finish(route.status());
    return call->reactor();
  }
  absl::StatusOr<absl::Duration> wait =
      ExecuteWait(*request, call->deadline(), (*route)->upstream_timeout());
  absl::StatusOr<ApiRequest> api =
      wait.ok() ? databricks::BuildExecuteStatement(
                      SpecFrom(*request, (*route)->defaults()), *wait,
                      request->on_wait_timeout() == v1::ExecuteStatementRequest::CANCEL)
                : absl::StatusOr<ApiRequest>(wait.status());
  if (!api.ok()) {
    call->Finish(api.status());
    return call->reactor();
  }
  const absl::Time started = absl::Now();
  SendApi(**route, *std::move(api), call->deadline(),
          [call, route = *route, started, metrics = &metrics_](absl::StatusOr<json::Value> body) {
            absl::StatusOr<databricks::Statement> statement = StatementOf(body);
            if (!statement.ok()) {
              call->Finish(statement.status());
              return;
            }
            if (databricks::IsTerminal(statement->status)) {
              metrics->ObserveStatement(route->workspace(), statement->status.state_text(),
                                        absl::ToDoubleSeconds(absl::Now() - started));
            }
            AnswerStatement(call, route, *std::move(statement));
          });
  return call->reactor();
}

grpc::ServerUnaryReactor* SqlService::GetStatement(grpc::CallbackServerContext* context,
                                                   const v1::GetStatementRequest* request,
                                                   v1::GetStatementResponse* response) {
  auto call = UnaryCall<v1::GetStatementResponse>::Start(context, response);
  std::shared_ptr<const Route> route;
  std::string id;
  if (!RouteStatement(router_, context, call, request->statement_id(), &route, &id)) {
    return call->reactor();
  }
  SendApi(*route, databricks::BuildGetStatement(id), call->deadline(),
          [call, route](absl::StatusOr<json::Value> body) {
            absl::StatusOr<databricks::Statement> statement = StatementOf(body);
            if (!statement.ok()) {
              call->Finish(statement.status());
              return;
            }
            AnswerStatement(call, route, *std::move(statement));
          });
  return call->reactor();
}

grpc::ServerUnaryReactor* SqlService::CancelStatement(grpc::CallbackServerContext* context,
                                                      const v1::CancelStatementRequest* request,
                                                      v1::CancelStatementResponse* response) {
  return ProxyUnary<v1::CancelStatementResponse>(
      router_, context, response,
      [request](const Route& route) -> absl::StatusOr<ApiRequest> {
        absl::StatusOr<std::string> id = route.StatementId(request->statement_id());
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
  std::shared_ptr<const Route> route;
  std::string id;
  if (!RouteStatement(router_, context, call, request->statement_id(), &route, &id)) {
    return call->reactor();
  }
  if (request->chunk_index() < 0) {
    call->Finish(absl::InvalidArgumentError(
        absl::StrCat("chunk_index: must be >= 0, got ", request->chunk_index())));
    return call->reactor();
  }
  // The chunk endpoint does not repeat the schema; the statement has it.
  SendApi(*route, databricks::BuildGetStatement(id), call->deadline(),
          [call, route, id, index = request->chunk_index()](absl::StatusOr<json::Value> body) {
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
  return call->reactor();
}

grpc::ServerWriteReactor<v1::StreamStatementResultsResponse>* SqlService::StreamStatementResults(
    grpc::CallbackServerContext* context, const v1::StreamStatementResultsRequest* request) {
  auto call = StreamCall<v1::StreamStatementResultsResponse>::Start(context);
  absl::StatusOr<std::shared_ptr<const Route>> route = router_.RouteCall(*context);
  if (!route.ok()) {
    call->Finish(route.status());
    return call->reactor();
  }
  auto stream = std::make_shared<ResultStream<v1::StreamStatementResultsResponse>>(call, *route);
  switch (request->source_case()) {
    case v1::StreamStatementResultsRequest::kExecute:
      stream->Execute(SpecFrom(request->execute(), (*route)->defaults()), &metrics_);
      break;
    case v1::StreamStatementResultsRequest::kStatementId: {
      absl::StatusOr<std::string> id = (*route)->StatementId(request->statement_id());
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
  return call->reactor();
}

grpc::ServerUnaryReactor* SqlService::ListWarehouses(grpc::CallbackServerContext* context,
                                                     const v1::ListWarehousesRequest* request,
                                                     v1::ListWarehousesResponse* response) {
  return ProxyUnary<v1::ListWarehousesResponse>(
      router_, context, response,
      [request](const Route&) { return databricks::BuildListWarehouses(*request); },
      [](const Route&, const json::Value& body, v1::ListWarehousesResponse* out) {
        return databricks::ParseListWarehouses(body, out);
      });
}

grpc::ServerUnaryReactor* SqlService::GetWarehouse(grpc::CallbackServerContext* context,
                                                   const v1::GetWarehouseRequest* request,
                                                   v1::GetWarehouseResponse* response) {
  return ProxyUnary<v1::GetWarehouseResponse>(
      router_, context, response,
      [request](const Route&) { return databricks::BuildGetWarehouse(request->id()); },
      [](const Route&, const json::Value& body, v1::GetWarehouseResponse* out) {
        return databricks::ParseWarehouse(body, out->mutable_warehouse());
      });
}

grpc::ServerUnaryReactor* SqlService::StartWarehouse(grpc::CallbackServerContext* context,
                                                     const v1::StartWarehouseRequest* request,
                                                     v1::StartWarehouseResponse* response) {
  auto call = UnaryCall<v1::StartWarehouseResponse>::Start(context, response);
  absl::StatusOr<std::shared_ptr<const Route>> route = router_.RouteCall(*context);
  absl::StatusOr<ApiRequest> api = route.ok() ? databricks::BuildStartWarehouse(request->id())
                                              : absl::StatusOr<ApiRequest>(route.status());
  if (!api.ok()) {
    call->Finish(api.status());
    return call->reactor();
  }
  // The start answer is empty; the warehouse as it is afterwards is the answer.
  auto wait =
      std::make_shared<WarehouseWait>(call, *route, request->id(), request->wait_until_running());
  SendApi(**route, *std::move(api), call->deadline(),
          [call, wait](absl::StatusOr<json::Value> body) {
            if (!body.ok()) {
              call->Finish(body.status());
              return;
            }
            wait->Poll();
          });
  return call->reactor();
}

}  // namespace gateway::services
