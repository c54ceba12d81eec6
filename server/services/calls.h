// gRPC callback reactors for calls answered asynchronously from upstream threads.
//
// Both kinds follow the same discipline: Finish exactly once (the first of the service's
// answer and the caller's cancellation wins), and the reactor lives until gRPC is done with
// it *and* no upstream callback holds it, so a late answer from Databricks finds a live
// object that knows the call is over. Thread-safe.
#ifndef SERVER_SERVICES_CALLS_H_
#define SERVER_SERVICES_CALLS_H_

#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "server/audit/audit.h"
#include "server/common/error_details.h"
#include "server/services/dry_run.h"
#include "server/services/route.h"

namespace gateway::services {

// What runs when a caller goes away (cancels, disconnects, or its deadline passes) before
// its call ended: hooks the call's upstream work registered, to cancel a statement and stop
// polling. A hook registered after the caller went away runs at once, so no cancellation
// is lost to a race with registration; hooks are dropped when the call ends on its own.
// Thread-safe.
class CancelHooks {
 public:
  void Add(std::function<void()> fn) ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::MutexLock lock(&mu_);
      if (!fired_) {
        if (!cleared_) hooks_.push_back(std::move(fn));
        return;
      }
    }
    fn();
  }
  // The caller went away: runs every hook once. Returns false if it already had.
  bool Fire() ABSL_LOCKS_EXCLUDED(mu_) {
    std::vector<std::function<void()>> hooks;
    {
      absl::MutexLock lock(&mu_);
      if (fired_ || cleared_) return false;
      fired_ = true;
      hooks.swap(hooks_);
    }
    for (auto& hook : hooks) hook();
    return true;
  }
  // The call ended on its own: nothing is left to cancel.
  void Clear() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (fired_) return;
    cleared_ = true;
    hooks_.clear();
  }
  bool fired() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return fired_;
  }

 private:
  mutable absl::Mutex mu_;
  bool fired_ ABSL_GUARDED_BY(mu_) = false;
  bool cleared_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::function<void()>> hooks_ ABSL_GUARDED_BY(mu_);
};

// What a call's audit record is made of, gathered as the call goes, and written once when it
// ends (server/audit/audit.h). Begin and Routed/Refused come from Routed() (rest.h), Seal
// from the reactor's Finish. Thread-safe.
class CallAudit {
 public:
  // Starts the record: the call's method, its request id, the caller's trace id. Without
  // a sink nothing is recorded.
  void Begin(audit::Sink* sink, absl::string_view method,
             const grpc::CallbackServerContext& context) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    sink_ = sink;
    record_.method = std::string(method);
    record_.request_id = audit::NewRequestId();
    const auto& metadata = context.client_metadata();
    auto traceparent = metadata.find("traceparent");
    if (traceparent != metadata.end()) {
      record_.trace_id = audit::TraceIdOf(
          absl::string_view(traceparent->second.data(), traceparent->second.size()));
    }
    started_ = absl::Now();
  }
  // The call was routed: its tenant, and the objects its request names.
  void Routed(std::shared_ptr<const Route> route, const google::protobuf::Message& request)
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    record_.tenant = route->tenant();
    audit::AddObjectsOf(request, /*nested=*/true, &record_.objects);
    route_ = std::move(route);
  }
  // The call was refused before it was routed: the tenant, when the refusal names one.
  void Refused(const absl::Status& status) ABSL_LOCKS_EXCLUDED(mu_) {
    const ErrorReason reason = GetErrorReason(status);
    auto tenant = reason.metadata.find("tenant");
    absl::MutexLock lock(&mu_);
    if (tenant != reason.metadata.end()) record_.tenant = tenant->second;
  }
  // The request id, for the call's trailing metadata; empty before Begin.
  std::string request_id() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return record_.request_id;
  }
  // A record sealed with the call's status (and the objects a response names at its top
  // level, such as a new run's id), ready to Write. Once only; Write it without holding
  // the call's lock, since a sink may block.
  struct Sealed {
    audit::Sink* sink = nullptr;
    audit::Record record;
    void Write() const {
      if (sink != nullptr) sink->Write(record);
    }
  };
  Sealed Seal(const absl::Status& status, const google::protobuf::Message* response)
      ABSL_LOCKS_EXCLUDED(mu_) {
    Sealed sealed;
    {
      absl::MutexLock lock(&mu_);
      if (sink_ == nullptr) return sealed;
      sealed.sink = std::exchange(sink_, nullptr);
      if (response != nullptr && status.ok()) {
        audit::AddObjectsOf(*response, /*nested=*/false, &record_.objects);
      }
      sealed.record = std::move(record_);
      if (route_ != nullptr) {
        sealed.record.upstream_requests = route_->upstream_requests();
        sealed.record.dry_run = route_->dry_run() != nullptr;
      }
    }
    audit::Record& record = sealed.record;
    record.time = absl::Now();
    record.duration_ms = absl::ToDoubleMilliseconds(record.time - started_);
    record.code = absl::StatusCodeToString(status.code());
    if (!status.ok()) {
      record.reason = GetErrorReason(status).reason;
      record.message = std::string(status.message());
    }
    return sealed;
  }

 private:
  mutable absl::Mutex mu_;
  audit::Sink* sink_ ABSL_GUARDED_BY(mu_) = nullptr;
  audit::Record record_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const Route> route_ ABSL_GUARDED_BY(mu_);
  absl::Time started_;
};

// The trailing metadata that carries a call's request id (its audit record's).
inline constexpr char kRequestIdTrailer[] = "x-request-id";

// The caller's deadline as absl::Time (InfiniteFuture when it set none).
inline absl::Time CallDeadline(const grpc::CallbackServerContext& context) {
  const auto deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

// A unary call. The service method returns `reactor()`; the asynchronous work ends with
// Finish(response or error).
template <typename Response>
class UnaryCall final : public grpc::ServerUnaryReactor {
 public:
  static std::shared_ptr<UnaryCall> Start(grpc::CallbackServerContext* context,
                                          Response* response) {
    std::shared_ptr<UnaryCall> call(new UnaryCall(context, response));
    call->self_ = call;
    return call;
  }

  grpc::ServerUnaryReactor* reactor() { return this; }
  absl::Time deadline() const { return deadline_; }

  // Makes this call a dry run that reports `log`'s requests (once routed, before any).
  void SetDryRun(std::shared_ptr<const DryRunLog> log) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    dry_run_ = std::move(log);
  }

  // Answers the call unless it is already over (cancelled). Returns whether it answered. A
  // dry run that got as far as Databricks answers OK with an empty response and its
  // requests in the trailing metadata; one refused before keeps its error.
  bool Finish(absl::StatusOr<Response> result) ABSL_LOCKS_EXCLUDED(mu_) {
    CallAudit::Sealed sealed;
    grpc::Status answer;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return false;
      finished_ = true;
      hooks_.Clear();
      const std::string request_id = audit_.request_id();
      if (!request_id.empty()) context_->AddTrailingMetadata(kRequestIdTrailer, request_id);
      if (dry_run_ != nullptr && (result.ok() || IsDryRunStop(result.status()))) {
        sealed = audit_.Seal(absl::OkStatus(), nullptr);
        context_->AddTrailingMetadata(kDryRunRequestsTrailer, dry_run_->Dump());
      } else if (!result.ok()) {
        sealed = audit_.Seal(result.status(), nullptr);
        answer = ToGrpcStatus(result.status());
      } else {
        sealed = audit_.Seal(absl::OkStatus(), &*result);
        *response_ = *std::move(result);
      }
    }
    // The record is written before the caller is answered: no answer without its record.
    sealed.Write();
    grpc::ServerUnaryReactor::Finish(answer);
    return true;
  }

  bool finished() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return finished_;
  }

  // Runs `fn` once if the caller goes away before the call ended (at once if it already
  // has), e.g. to cancel a running statement.
  void OnCancelled(std::function<void()> fn) { hooks_.Add(std::move(fn)); }
  // Whether the caller went away before the call ended.
  bool cancelled() const { return hooks_.fired(); }
  // The call's audit record (rest.h's Routed fills it).
  CallAudit& audit() { return audit_; }

  void OnCancel() override {
    hooks_.Fire();
    Finish(absl::CancelledError("the call was cancelled before Databricks answered"));
  }
  void OnDone() override { self_.reset(); }

 private:
  UnaryCall(grpc::CallbackServerContext* context, Response* response)
      : context_(context), deadline_(CallDeadline(*context)), response_(response) {}

  grpc::CallbackServerContext* const context_;  // owned by gRPC; valid until OnDone
  const absl::Time deadline_;
  mutable absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<const DryRunLog> dry_run_ ABSL_GUARDED_BY(mu_);
  Response* const response_;  // owned by gRPC; valid until OnDone
  CancelHooks hooks_;
  CallAudit audit_;
  std::shared_ptr<UnaryCall> self_;
};

// A server-streaming call that writes one message at a time: Write takes the message and
// what to do once it was sent, so the producer makes the next message only after the
// previous one left (memory stays bounded whatever the stream's length).
template <typename Response>
class StreamCall final : public grpc::ServerWriteReactor<Response> {
 public:
  static std::shared_ptr<StreamCall> Start(grpc::CallbackServerContext* context) {
    std::shared_ptr<StreamCall> call(new StreamCall(context));
    call->self_ = call;
    return call;
  }

  grpc::ServerWriteReactor<Response>* reactor() { return this; }
  absl::Time deadline() const { return deadline_; }

  // Makes this call a dry run that reports `log`'s requests (once routed, before any).
  void SetDryRun(std::shared_ptr<const DryRunLog> log) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    dry_run_ = std::move(log);
  }

  // Sends `message`; `then` runs (on a gRPC thread) once it was sent. Nothing runs if the
  // call ended meanwhile. At most one Write may be outstanding.
  void Write(Response message, std::function<void()> then) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    message_ = std::move(message);
    then_ = std::move(then);
    this->StartWrite(&message_);
  }

  // Ends the stream unless it already ended. Returns whether this call ended it. A dry run
  // that got as far as Databricks ends OK with its requests in the trailing metadata.
  bool Finish(const absl::Status& status) ABSL_LOCKS_EXCLUDED(mu_) {
    CallAudit::Sealed sealed;
    grpc::Status answer;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return false;
      finished_ = true;
      then_ = nullptr;
      hooks_.Clear();
      const std::string request_id = audit_.request_id();
      if (!request_id.empty()) context_->AddTrailingMetadata(kRequestIdTrailer, request_id);
      if (dry_run_ != nullptr && (status.ok() || IsDryRunStop(status))) {
        sealed = audit_.Seal(absl::OkStatus(), nullptr);
        context_->AddTrailingMetadata(kDryRunRequestsTrailer, dry_run_->Dump());
      } else {
        sealed = audit_.Seal(status, nullptr);
        answer = ToGrpcStatus(status);
      }
    }
    // The record is written before the stream ends: no ending without its record.
    sealed.Write();
    grpc::ServerWriteReactor<Response>::Finish(answer);
    return true;
  }

  bool finished() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return finished_;
  }

  // Runs `fn` once if the caller cancels, disconnects or runs out of time before the stream
  // ended (at once if it already has), e.g. to cancel a running statement.
  void OnCancelled(std::function<void()> fn) { hooks_.Add(std::move(fn)); }
  // Whether the caller went away before the stream ended.
  bool cancelled() const { return hooks_.fired(); }
  // The call's audit record (rest.h's Routed fills it).
  CallAudit& audit() { return audit_; }

  void OnWriteDone(bool ok) override {
    std::function<void()> then;
    {
      absl::MutexLock lock(&mu_);
      then = std::move(then_);
      then_ = nullptr;
      message_.Clear();  // sent: do not hold a large chunk until the next one
    }
    if (!ok) {
      hooks_.Fire();
      Finish(absl::CancelledError("the caller went away"));
      return;
    }
    if (then) then();
  }

  void OnCancel() override {
    hooks_.Fire();
    Finish(absl::CancelledError("the call was cancelled"));
  }

  void OnDone() override { self_.reset(); }

 private:
  explicit StreamCall(grpc::CallbackServerContext* context)
      : context_(context), deadline_(CallDeadline(*context)) {}

  grpc::CallbackServerContext* const context_;  // owned by gRPC; valid until OnDone
  const absl::Time deadline_;
  mutable absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<const DryRunLog> dry_run_ ABSL_GUARDED_BY(mu_);
  Response message_ ABSL_GUARDED_BY(mu_);
  std::function<void()> then_ ABSL_GUARDED_BY(mu_);
  CancelHooks hooks_;
  CallAudit audit_;
  std::shared_ptr<StreamCall> self_;
};

}  // namespace gateway::services

#endif  // SERVER_SERVICES_CALLS_H_
