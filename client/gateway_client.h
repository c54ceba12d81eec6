// GatewayClient: one connection to the Databricks gateway and typed methods over its four
// services (Jobs, SQL, Delta, Catalog).
//
//   ClientOptions options;
//   options.target = "127.0.0.1:50051";
//   options.api_key_env = "DBGW_API_KEY";
//   auto client = GatewayClient::Create(options);
//   absl::StatusOr<std::string> run = (*client)->SubmitNotebook("/Workspace/etl", {});
//   absl::StatusOr<v1::Run> done = (*client)->WaitForRun(*run, nullptr);
//
// Every call has a deadline (ClientOptions::timeout, or CallOptions::timeout). Calls the
// gateway refuses with RESOURCE_EXHAUSTED or UNAVAILABLE are retried, after exactly the
// delay the gateway's google.rpc.RetryInfo asks for, when retrying cannot repeat an effect:
// the call is safe (reads, cancels, idempotency-token submits), or the gateway's tenant
// limiter refused it before anything was sent upstream. Without RetryInfo, past the
// deadline or beyond RetryOptions the error is returned. Errors are absl::Status values
// with the gRPC code, message and details (client/errors.h).
//
// Thread safety: a GatewayClient may be shared by threads. Streams, RowReaders and Pagers
// belong to one thread each (Cancel may be called from any thread).
#ifndef CLIENT_GATEWAY_CLIENT_H_
#define CLIENT_GATEWAY_CLIENT_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/errors.h"
#include "grpcpp/grpcpp.h"
#include "proto/databricks/gateway/v1/catalog.grpc.pb.h"
#include "proto/databricks/gateway/v1/delta.grpc.pb.h"
#include "proto/databricks/gateway/v1/jobs.grpc.pb.h"
#include "proto/databricks/gateway/v1/sql.grpc.pb.h"

namespace gateway::client {

namespace v1 = ::databricks::gateway::v1;

struct RetryOptions {
  // Attempts in all, the first included; 1 turns retries off.
  int max_attempts = 4;
  // A RetryInfo delay longer than this is not waited for: the error is returned.
  absl::Duration max_delay = absl::Seconds(30);
};

struct ClientOptions {
  // The gateway's gRPC address, "host:port".
  std::string target = "127.0.0.1:50051";
  // TLS to the gateway. Plaintext when false (loopback and in-cluster sidecars only).
  bool tls = false;
  // PEM file of the roots that sign the gateway's certificate; empty: the system's roots.
  std::string ca_file;
  // PEM client certificate and key, for a gateway that authenticates tenants by mTLS.
  std::string cert_file;
  std::string key_file;
  // The tenant's API key, sent as `authorization: Bearer KEY`: `api_key` itself, else the
  // environment variable named by `api_key_env`, else the contents of `api_key_file`
  // (trailing white space removed). All empty: no key (a single-tenant gateway, or mTLS).
  std::string api_key;
  std::string api_key_env;
  std::string api_key_file;
  // Deadline of a call unless its CallOptions say otherwise.
  absl::Duration timeout = absl::Seconds(60);
  RetryOptions retry;
  // Called before each retry with the error and the delay waited (for logs and metrics).
  std::function<void(const absl::Status& error, absl::Duration delay)> on_retry;
};

struct CallOptions {
  // The call's deadline from now; zero: ClientOptions::timeout; absl::InfiniteDuration():
  // none (long waits).
  absl::Duration timeout = absl::ZeroDuration();
};

// Whether a failed attempt may be retried, and after how long. Internal to the client and
// its streams.
class RetryPolicy {
 public:
  RetryPolicy(RetryOptions options,
              std::function<void(const absl::Status&, absl::Duration)> on_retry)
      : options_(options), on_retry_(std::move(on_retry)) {}
  // The delay before attempt `attempt + 1`, or nullopt to give up with `error`. `safe`:
  // repeating the call cannot repeat an effect.
  std::optional<absl::Duration> Delay(const absl::Status& error, bool safe, int attempt,
                                      absl::Time deadline) const;
  // Sleeps `delay` after telling on_retry.
  void Wait(const absl::Status& error, absl::Duration delay) const;

 private:
  RetryOptions options_;
  std::function<void(const absl::Status&, absl::Duration)> on_retry_;
};

// A server stream: Read until it returns false, then status(). When the stream fails
// before its first message and the call is safe, it is opened again under the retry rules.
template <typename Response>
class ServerStream {
 public:
  using MakeContext = std::function<std::unique_ptr<grpc::ClientContext>()>;
  using Open = std::function<std::unique_ptr<grpc::ClientReader<Response>>(grpc::ClientContext*)>;

  ServerStream(MakeContext make_context, Open open, const RetryPolicy* retry, bool safe,
               absl::Time deadline)
      : make_context_(std::move(make_context)),
        open_(std::move(open)),
        retry_(retry),
        safe_(safe),
        deadline_(deadline) {}

  // The next message; false at the end of the stream or on an error (see status()).
  bool Read(Response* response) {
    if (finished_) return false;
    for (int attempt = 1;; ++attempt) {
      if (reader_ == nullptr && !OpenReader()) {
        finished_ = true;
        status_ = absl::CancelledError("the stream was cancelled");
        return false;
      }
      if (reader_->Read(response)) {
        ++messages_;
        return true;
      }
      status_ = FromGrpcStatus(reader_->Finish());
      reader_.reset();
      if (status_.ok() || messages_ > 0) break;
      std::optional<absl::Duration> delay = retry_->Delay(status_, safe_, attempt, deadline_);
      if (!delay.has_value()) break;
      retry_->Wait(status_, *delay);
    }
    finished_ = true;
    return false;
  }
  // OK after a clean end; the call's error otherwise. Meaningful once Read returned false.
  const absl::Status& status() const { return status_; }
  // Cancels the call (from any thread); Read then returns false with CANCELLED.
  void Cancel() {
    std::lock_guard<std::mutex> lock(mutex_);
    cancelled_ = true;
    if (context_ != nullptr) context_->TryCancel();
  }

 private:
  bool OpenReader() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cancelled_) return false;
    context_ = make_context_();
    reader_ = open_(context_.get());
    return true;
  }

  MakeContext make_context_;
  Open open_;
  const RetryPolicy* retry_;
  bool safe_;
  absl::Time deadline_;
  std::mutex mutex_;
  bool cancelled_ = false;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<grpc::ClientReader<Response>> reader_;
  int64_t messages_ = 0;
  bool finished_ = false;
  absl::Status status_;
};

// The typed rows of a ReadTable or StreamStatementResults stream, one at a time; memory
// holds one chunk.
class RowReader {
 public:
  // Internal: the stream behind the reader.
  class Source {
   public:
    virtual ~Source() = default;
    // The next message into `header` or `chunk`; false at the end (see status()).
    virtual bool Read(v1::StreamHeader* header, v1::ResultChunk* chunk, bool* is_header) = 0;
    virtual absl::Status status() const = 0;
    virtual void Cancel() = 0;
  };
  explicit RowReader(std::unique_ptr<Source> source) : source_(std::move(source)) {}

  // Waits for the stream's first message (statement handle, schema, counts). False on an
  // error (see status()).
  bool ReadHeader();
  // The header; empty before ReadHeader or the first Next.
  const v1::StreamHeader& header() const { return header_; }
  const v1::Schema& schema() const { return header_.manifest().schema(); }
  // The next row; false at the end or on an error (see status()).
  bool Next(v1::Row* row);
  // Like Next, a whole chunk at a time (the chunk's rows are moved out).
  bool NextChunk(v1::ResultChunk* chunk);
  // OK after the last row; the stream's error otherwise.
  absl::Status status() const;
  // Rows and chunks received so far.
  int64_t rows_read() const { return rows_read_; }
  int chunks_read() const { return chunks_read_; }
  // Cancels the stream (from any thread), which cancels the statement.
  void Cancel() { source_->Cancel(); }

 private:
  bool Fetch(v1::ResultChunk* chunk);

  std::unique_ptr<Source> source_;
  bool header_read_ = false;
  bool failed_ = false;
  absl::Status error_;
  v1::StreamHeader header_;
  v1::ResultChunk chunk_;
  int next_row_ = 0;
  int64_t rows_read_ = 0;
  int chunks_read_ = 0;
};

// The items of a paged list, fetching the next page when the current one is used up.
template <typename Item>
class Pager {
 public:
  // Fetches the page after `page_token` ("" for the first): its items and next token.
  using FetchPage = std::function<absl::Status(const std::string& page_token,
                                               std::vector<Item>* items, std::string* next)>;
  explicit Pager(FetchPage fetch) : fetch_(std::move(fetch)) {}

  // The next item; false after the last one or on an error (see status()).
  bool Next(Item* item) {
    while (index_ >= items_.size()) {
      if (done_) return false;
      items_.clear();
      index_ = 0;
      std::string next;
      status_ = fetch_(token_, &items_, &next);
      ++pages_;
      if (!status_.ok() || next.empty()) done_ = true;
      if (!status_.ok()) return false;
      token_ = std::move(next);
    }
    *item = std::move(items_[index_++]);
    return true;
  }
  const absl::Status& status() const { return status_; }
  // Pages fetched so far.
  int pages() const { return pages_; }

 private:
  FetchPage fetch_;
  std::vector<Item> items_;
  size_t index_ = 0;
  std::string token_;
  bool done_ = false;
  int pages_ = 0;
  absl::Status status_;
};

class GatewayClient {
 public:
  // Reads the API key and the certificate files and creates the channel (it connects on
  // the first call). INVALID_ARGUMENT names the option that is wrong: an empty target, an
  // unreadable file, an unset api_key_env, a certificate without its key.
  static absl::StatusOr<std::unique_ptr<GatewayClient>> Create(const ClientOptions& options);

  // ----- JobsService
  // SubmitRun, RunNow and SubmitStreamingRun without an idempotency token get a fresh one
  // from the client, so that its retries return the same run.
  absl::StatusOr<v1::SubmitRunResponse> SubmitRun(v1::SubmitRunRequest request,
                                                  const CallOptions& options = {});
  absl::StatusOr<v1::RunNowResponse> RunNow(v1::RunNowRequest request,
                                            const CallOptions& options = {});
  absl::StatusOr<v1::GetRunResponse> GetRun(const v1::GetRunRequest& request,
                                            const CallOptions& options = {});
  absl::StatusOr<v1::ListRunsResponse> ListRuns(const v1::ListRunsRequest& request,
                                                const CallOptions& options = {});
  absl::StatusOr<v1::CancelRunResponse> CancelRun(const v1::CancelRunRequest& request,
                                                  const CallOptions& options = {});
  absl::StatusOr<v1::GetRunOutputResponse> GetRunOutput(const v1::GetRunOutputRequest& request,
                                                        const CallOptions& options = {});
  std::unique_ptr<ServerStream<v1::WaitRunResponse>> WaitRun(const v1::WaitRunRequest& request,
                                                             const CallOptions& options = {});
  absl::StatusOr<v1::CreateJobResponse> CreateJob(const v1::CreateJobRequest& request,
                                                  const CallOptions& options = {});
  absl::StatusOr<v1::GetJobResponse> GetJob(const v1::GetJobRequest& request,
                                            const CallOptions& options = {});
  absl::StatusOr<v1::ListJobsResponse> ListJobs(const v1::ListJobsRequest& request,
                                                const CallOptions& options = {});
  absl::StatusOr<v1::DeleteJobResponse> DeleteJob(const v1::DeleteJobRequest& request,
                                                  const CallOptions& options = {});
  absl::StatusOr<v1::SubmitStreamingRunResponse> SubmitStreamingRun(
      v1::SubmitStreamingRunRequest request, const CallOptions& options = {});

  // ----- SqlService
  absl::StatusOr<v1::ExecuteStatementResponse> ExecuteStatement(
      const v1::ExecuteStatementRequest& request, const CallOptions& options = {});
  absl::StatusOr<v1::GetStatementResponse> GetStatement(const v1::GetStatementRequest& request,
                                                        const CallOptions& options = {});
  absl::StatusOr<v1::CancelStatementResponse> CancelStatement(
      const v1::CancelStatementRequest& request, const CallOptions& options = {});
  absl::StatusOr<v1::GetResultChunkResponse> GetResultChunk(
      const v1::GetResultChunkRequest& request, const CallOptions& options = {});
  // The rows of StreamStatementResults. Executing a statement is not retried (it may
  // write); attaching to an existing statement_id is.
  std::unique_ptr<RowReader> StreamStatementResults(
      const v1::StreamStatementResultsRequest& request, const CallOptions& options = {});
  absl::StatusOr<v1::ListWarehousesResponse> ListWarehouses(
      const v1::ListWarehousesRequest& request, const CallOptions& options = {});
  absl::StatusOr<v1::GetWarehouseResponse> GetWarehouse(const v1::GetWarehouseRequest& request,
                                                        const CallOptions& options = {});
  absl::StatusOr<v1::StartWarehouseResponse> StartWarehouse(
      const v1::StartWarehouseRequest& request, const CallOptions& options = {});

  // ----- DeltaService (the writes are never retried unless the tenant limiter refused them)
  std::unique_ptr<RowReader> ReadTable(const v1::ReadTableRequest& request,
                                       const CallOptions& options = {});
  absl::StatusOr<v1::WriteTableResponse> WriteTable(const v1::WriteTableRequest& request,
                                                    const CallOptions& options = {});
  absl::StatusOr<v1::MergeIntoResponse> MergeInto(const v1::MergeIntoRequest& request,
                                                  const CallOptions& options = {});
  absl::StatusOr<v1::DeleteRowsResponse> DeleteRows(const v1::DeleteRowsRequest& request,
                                                    const CallOptions& options = {});
  absl::StatusOr<v1::UpdateRowsResponse> UpdateRows(const v1::UpdateRowsRequest& request,
                                                    const CallOptions& options = {});
  absl::StatusOr<v1::OptimizeTableResponse> OptimizeTable(const v1::OptimizeTableRequest& request,
                                                          const CallOptions& options = {});
  absl::StatusOr<v1::VacuumTableResponse> VacuumTable(const v1::VacuumTableRequest& request,
                                                      const CallOptions& options = {});
  absl::StatusOr<v1::DescribeHistoryResponse> DescribeHistory(
      const v1::DescribeHistoryRequest& request, const CallOptions& options = {});
  absl::StatusOr<v1::RestoreTableResponse> RestoreTable(const v1::RestoreTableRequest& request,
                                                        const CallOptions& options = {});
  absl::StatusOr<v1::GetTableSchemaResponse> GetTableSchema(
      const v1::GetTableSchemaRequest& request, const CallOptions& options = {});
  absl::StatusOr<v1::EvolveSchemaResponse> EvolveSchema(const v1::EvolveSchemaRequest& request,
                                                        const CallOptions& options = {});
  absl::StatusOr<v1::CloneTableResponse> CloneTable(const v1::CloneTableRequest& request,
                                                    const CallOptions& options = {});
  absl::StatusOr<v1::ConvertToDeltaResponse> ConvertToDelta(
      const v1::ConvertToDeltaRequest& request, const CallOptions& options = {});
  std::unique_ptr<ServerStream<v1::LoadTablesResponse>> LoadTables(
      const v1::LoadTablesRequest& request, const CallOptions& options = {});

  // ----- CatalogService
  absl::StatusOr<v1::ListCatalogsResponse> ListCatalogs(const v1::ListCatalogsRequest& request,
                                                        const CallOptions& options = {});
  absl::StatusOr<v1::ListSchemasResponse> ListSchemas(const v1::ListSchemasRequest& request,
                                                      const CallOptions& options = {});
  absl::StatusOr<v1::ListTablesResponse> ListTables(const v1::ListTablesRequest& request,
                                                    const CallOptions& options = {});
  absl::StatusOr<v1::GetTableResponse> GetTable(const v1::GetTableRequest& request,
                                                const CallOptions& options = {});

  // ----- Every item of a paged list, page after page (`request.page_token` is the start).
  Pager<v1::Run> Runs(v1::ListRunsRequest request, const CallOptions& options = {});
  Pager<v1::Job> Jobs(v1::ListJobsRequest request, const CallOptions& options = {});
  Pager<v1::Warehouse> Warehouses(v1::ListWarehousesRequest request,
                                  const CallOptions& options = {});
  Pager<v1::CatalogInfo> Catalogs(v1::ListCatalogsRequest request, const CallOptions& options = {});
  Pager<v1::SchemaInfo> Schemas(v1::ListSchemasRequest request, const CallOptions& options = {});
  Pager<v1::TableInfo> Tables(v1::ListTablesRequest request, const CallOptions& options = {});

  // ----- Conveniences (seed 004 §9.1)
  // Submits a one-task notebook run on serverless compute; the run handle.
  absl::StatusOr<std::string> SubmitNotebook(const std::string& notebook_path,
                                             const std::map<std::string, std::string>& params,
                                             const CallOptions& options = {});
  // Follows WaitRun until the run ends: `on_change` (may be null) sees every state; the
  // final run is returned. A stream cut by UNAVAILABLE is opened again (it starts with the
  // current state). The default deadline here is none; CallOptions::timeout bounds it.
  absl::StatusOr<v1::Run> WaitForRun(const std::string& run_id,
                                     const std::function<void(const v1::Run&)>& on_change,
                                     CallOptions options = {});
  // Runs `statement` with `parameters` and returns its rows as a stream.
  std::unique_ptr<RowReader> Query(const std::string& statement,
                                   const std::vector<v1::SqlParameter>& parameters = {},
                                   const CallOptions& options = {});

 private:
  GatewayClient(std::shared_ptr<grpc::Channel> channel, std::string authorization,
                ClientOptions options);

  absl::Time Deadline(const CallOptions& options) const;
  std::unique_ptr<grpc::ClientContext> NewContext(absl::Time deadline) const;
  template <typename Response, typename Invoke>
  absl::StatusOr<Response> Unary(bool safe, const CallOptions& options, Invoke invoke);
  template <typename Response, typename Open>
  std::unique_ptr<ServerStream<Response>> Stream(bool safe, const CallOptions& options, Open open);

  std::shared_ptr<grpc::Channel> channel_;
  std::string authorization_;  // "Bearer KEY", or empty
  ClientOptions options_;
  RetryPolicy retry_;
  std::unique_ptr<v1::JobsService::Stub> jobs_;
  std::unique_ptr<v1::SqlService::Stub> sql_;
  std::unique_ptr<v1::DeltaService::Stub> delta_;
  std::unique_ptr<v1::CatalogService::Stub> catalog_;
};

}  // namespace gateway::client

#endif  // CLIENT_GATEWAY_CLIENT_H_
