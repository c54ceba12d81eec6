#include "client/gateway_client.h"

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace gateway::client {
namespace {

// The tenant limiter refused the call at admission: nothing was sent upstream, so any call
// may be repeated.
bool RefusedAtAdmission(const ErrorDetails& details) {
  return details.domain == kGatewayDomain && (details.reason == "TENANT_RATE_LIMITED" ||
                                              details.reason == "TENANT_CONCURRENCY_LIMITED");
}

absl::StatusOr<std::string> ReadWholeFile(const std::string& path, const std::string& option) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(option, ": cannot read ", path));
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

absl::StatusOr<std::string> ResolveApiKey(const ClientOptions& options) {
  if (!options.api_key.empty()) return options.api_key;
  if (!options.api_key_env.empty()) {
    const char* value = std::getenv(options.api_key_env.c_str());
    if (value == nullptr || *value == '\0') {
      return absl::InvalidArgumentError(absl::StrCat("api_key_env: the environment variable ",
                                                     options.api_key_env, " is not set"));
    }
    return std::string(value);
  }
  if (!options.api_key_file.empty()) {
    absl::StatusOr<std::string> key = ReadWholeFile(options.api_key_file, "api_key_file");
    if (!key.ok()) return key.status();
    std::string trimmed(absl::StripAsciiWhitespace(*key));
    if (trimmed.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("api_key_file: ", options.api_key_file, " is empty"));
    }
    return trimmed;
  }
  return std::string();
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(
    const ClientOptions& options) {
  if (!options.tls) {
    if (!options.ca_file.empty() || !options.cert_file.empty() || !options.key_file.empty()) {
      return absl::InvalidArgumentError(
          "ca_file, cert_file and key_file need tls: the channel is plaintext");
    }
    return grpc::InsecureChannelCredentials();
  }
  if (options.cert_file.empty() != options.key_file.empty()) {
    return absl::InvalidArgumentError("cert_file and key_file go together: set both or neither");
  }
  grpc::SslCredentialsOptions ssl;
  if (!options.ca_file.empty()) {
    absl::StatusOr<std::string> roots = ReadWholeFile(options.ca_file, "ca_file");
    if (!roots.ok()) return roots.status();
    ssl.pem_root_certs = *std::move(roots);
  }
  if (!options.cert_file.empty()) {
    absl::StatusOr<std::string> cert = ReadWholeFile(options.cert_file, "cert_file");
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadWholeFile(options.key_file, "key_file");
    if (!key.ok()) return key.status();
    ssl.pem_cert_chain = *std::move(cert);
    ssl.pem_private_key = *std::move(key);
  }
  return grpc::SslCredentials(ssl);
}

// A token of 32 random hex digits for a submit without one, so the client's own retries
// are answered with the same run.
std::string NewIdempotencyToken() {
  static thread_local std::mt19937_64 random(std::random_device{}());
  return absl::StrFormat("dbgw-%016x%016x", random(), random());
}

// A RowReader source over a ReadTable or StreamStatementResults stream (the two share
// the header/chunk shape).
template <typename Response>
class StreamRowSource : public RowReader::Source {
 public:
  explicit StreamRowSource(std::unique_ptr<ServerStream<Response>> stream)
      : stream_(std::move(stream)) {}

  bool Read(v1::StreamHeader* header, v1::ResultChunk* chunk, bool* is_header) override {
    Response response;
    if (!stream_->Read(&response)) return false;
    *is_header = response.has_header();
    if (response.has_header()) {
      header->Swap(response.mutable_header());
    } else {
      chunk->Swap(response.mutable_chunk());
    }
    return true;
  }
  absl::Status status() const override { return stream_->status(); }
  void Cancel() override { stream_->Cancel(); }

 private:
  std::unique_ptr<ServerStream<Response>> stream_;
};

}  // namespace

// ----- RetryPolicy

std::optional<absl::Duration> RetryPolicy::Delay(const absl::Status& error, bool safe, int attempt,
                                                 absl::Time deadline) const {
  if (attempt >= options_.max_attempts) return std::nullopt;
  if (error.code() != absl::StatusCode::kResourceExhausted &&
      error.code() != absl::StatusCode::kUnavailable) {
    return std::nullopt;
  }
  const ErrorDetails details = DetailsOf(error);
  if (!safe && !RefusedAtAdmission(details)) return std::nullopt;
  if (!details.retry_delay.has_value() || *details.retry_delay > options_.max_delay) {
    return std::nullopt;
  }
  // A retry that could not finish before the deadline only turns the error into
  // DEADLINE_EXCEEDED; the caller learns more from the refusal itself.
  if (absl::Now() + *details.retry_delay >= deadline) return std::nullopt;
  return *details.retry_delay;
}

void RetryPolicy::Wait(const absl::Status& error, absl::Duration delay) const {
  if (on_retry_) on_retry_(error, delay);
  absl::SleepFor(delay);
}

// ----- RowReader

bool RowReader::Fetch(v1::ResultChunk* chunk) {
  if (failed_) return false;
  bool is_header = false;
  while (source_->Read(&header_, chunk, &is_header)) {
    if (is_header) {
      header_read_ = true;
      continue;
    }
    ++chunks_read_;
    return true;
  }
  failed_ = true;
  error_ = source_->status();
  return false;
}

bool RowReader::ReadHeader() {
  if (header_read_) return true;
  if (failed_) return false;
  bool is_header = false;
  if (!source_->Read(&header_, &chunk_, &is_header)) {
    failed_ = true;
    error_ = source_->status();
    if (error_.ok()) error_ = absl::InternalError("the stream ended before its header");
    return false;
  }
  if (!is_header) {
    // A stream always starts with its header; keep the chunk for Next all the same.
    ++chunks_read_;
    next_row_ = 0;
  }
  header_read_ = true;
  return true;
}

bool RowReader::Next(v1::Row* row) {
  if (!ReadHeader()) return false;
  while (next_row_ >= chunk_.rows_size()) {
    chunk_.Clear();
    next_row_ = 0;
    if (!Fetch(&chunk_)) return false;
  }
  row->Swap(chunk_.mutable_rows(next_row_++));
  ++rows_read_;
  return true;
}

bool RowReader::NextChunk(v1::ResultChunk* chunk) {
  if (!ReadHeader()) return false;
  if (next_row_ < chunk_.rows_size()) {
    // Rows of the current chunk not yet handed out by Next.
    chunk->Clear();
    *chunk->mutable_info() = chunk_.info();
    for (int i = next_row_; i < chunk_.rows_size(); ++i)
      chunk->add_rows()->Swap(chunk_.mutable_rows(i));
    rows_read_ += chunk_.rows_size() - next_row_;
    next_row_ = chunk_.rows_size();
    return true;
  }
  if (!Fetch(chunk)) return false;
  rows_read_ += chunk->rows_size();
  return true;
}

absl::Status RowReader::status() const { return failed_ ? error_ : absl::OkStatus(); }

// ----- GatewayClient

absl::StatusOr<std::unique_ptr<GatewayClient>> GatewayClient::Create(const ClientOptions& options) {
  if (options.target.empty()) return absl::InvalidArgumentError("target: must not be empty");
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeout: must be > 0");
  }
  if (options.retry.max_attempts < 1) {
    return absl::InvalidArgumentError("retry.max_attempts: must be >= 1");
  }
  absl::StatusOr<std::string> key = ResolveApiKey(options);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials = Credentials(options);
  if (!credentials.ok()) return credentials.status();
  grpc::ChannelArguments arguments;
  arguments.SetString(GRPC_ARG_PRIMARY_USER_AGENT_STRING, "dbgw-client/1");
  auto channel = grpc::CreateCustomChannel(options.target, *credentials, arguments);
  std::string authorization = key->empty() ? "" : absl::StrCat("Bearer ", *key);
  return std::unique_ptr<GatewayClient>(
      new GatewayClient(std::move(channel), std::move(authorization), options));
}

GatewayClient::GatewayClient(std::shared_ptr<grpc::Channel> channel, std::string authorization,
                             ClientOptions options)
    : channel_(std::move(channel)),
      authorization_(std::move(authorization)),
      options_(std::move(options)),
      retry_(options_.retry, options_.on_retry),
      jobs_(v1::JobsService::NewStub(channel_)),
      sql_(v1::SqlService::NewStub(channel_)),
      delta_(v1::DeltaService::NewStub(channel_)),
      catalog_(v1::CatalogService::NewStub(channel_)) {}

absl::Time GatewayClient::Deadline(const CallOptions& options) const {
  const absl::Duration timeout =
      options.timeout == absl::ZeroDuration() ? options_.timeout : options.timeout;
  return timeout == absl::InfiniteDuration() ? absl::InfiniteFuture() : absl::Now() + timeout;
}

std::unique_ptr<grpc::ClientContext> GatewayClient::NewContext(absl::Time deadline) const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (deadline != absl::InfiniteFuture()) context->set_deadline(absl::ToChronoTime(deadline));
  if (!authorization_.empty()) context->AddMetadata("authorization", authorization_);
  return context;
}

template <typename Response, typename Invoke>
absl::StatusOr<Response> GatewayClient::Unary(bool safe, const CallOptions& options,
                                              Invoke invoke) {
  const absl::Time deadline = Deadline(options);
  for (int attempt = 1;; ++attempt) {
    std::unique_ptr<grpc::ClientContext> context = NewContext(deadline);
    Response response;
    absl::Status status = FromGrpcStatus(invoke(context.get(), &response));
    if (status.ok()) return response;
    std::optional<absl::Duration> delay = retry_.Delay(status, safe, attempt, deadline);
    if (!delay.has_value()) return status;
    retry_.Wait(status, *delay);
  }
}

template <typename Response, typename Open>
std::unique_ptr<ServerStream<Response>> GatewayClient::Stream(bool safe, const CallOptions& options,
                                                              Open open) {
  const absl::Time deadline = Deadline(options);
  return std::make_unique<ServerStream<Response>>([this, deadline] { return NewContext(deadline); },
                                                  std::move(open), &retry_, safe, deadline);
}

// Whether a call may be repeated is the method's property: reads and cancels may, and so
// may submits, whose idempotency token makes a repeat return the same run.
constexpr bool kSafe = true;
constexpr bool kUnsafe = false;

#define GW_CLIENT_UNARY(Service, Method, safe)                                                   \
  absl::StatusOr<v1::Method##Response> GatewayClient::Method(const v1::Method##Request& request, \
                                                             const CallOptions& options) {       \
    return Unary<v1::Method##Response>(                                                          \
        safe, options, [&](grpc::ClientContext* context, v1::Method##Response* response) {       \
          return (Service)->Method(context, request, response);                                  \
        });                                                                                      \
  }

GW_CLIENT_UNARY(jobs_, GetRun, kSafe)
GW_CLIENT_UNARY(jobs_, ListRuns, kSafe)
GW_CLIENT_UNARY(jobs_, CancelRun, kSafe)
GW_CLIENT_UNARY(jobs_, GetRunOutput, kSafe)
GW_CLIENT_UNARY(jobs_, CreateJob, kUnsafe)
GW_CLIENT_UNARY(jobs_, GetJob, kSafe)
GW_CLIENT_UNARY(jobs_, ListJobs, kSafe)
GW_CLIENT_UNARY(jobs_, DeleteJob, kUnsafe)
GW_CLIENT_UNARY(sql_, ExecuteStatement, kUnsafe)
GW_CLIENT_UNARY(sql_, GetStatement, kSafe)
GW_CLIENT_UNARY(sql_, CancelStatement, kSafe)
GW_CLIENT_UNARY(sql_, GetResultChunk, kSafe)
GW_CLIENT_UNARY(sql_, ListWarehouses, kSafe)
GW_CLIENT_UNARY(sql_, GetWarehouse, kSafe)
GW_CLIENT_UNARY(sql_, StartWarehouse, kSafe)
GW_CLIENT_UNARY(delta_, WriteTable, kUnsafe)
GW_CLIENT_UNARY(delta_, MergeInto, kUnsafe)
GW_CLIENT_UNARY(delta_, DeleteRows, kUnsafe)
GW_CLIENT_UNARY(delta_, UpdateRows, kUnsafe)
GW_CLIENT_UNARY(delta_, OptimizeTable, kUnsafe)
GW_CLIENT_UNARY(delta_, VacuumTable, kUnsafe)
GW_CLIENT_UNARY(delta_, DescribeHistory, kSafe)
GW_CLIENT_UNARY(delta_, RestoreTable, kUnsafe)
GW_CLIENT_UNARY(delta_, GetTableSchema, kSafe)
GW_CLIENT_UNARY(delta_, EvolveSchema, kUnsafe)
GW_CLIENT_UNARY(delta_, CloneTable, kUnsafe)
GW_CLIENT_UNARY(delta_, ConvertToDelta, kUnsafe)
GW_CLIENT_UNARY(catalog_, ListCatalogs, kSafe)
GW_CLIENT_UNARY(catalog_, ListSchemas, kSafe)
GW_CLIENT_UNARY(catalog_, ListTables, kSafe)
GW_CLIENT_UNARY(catalog_, GetTable, kSafe)

#undef GW_CLIENT_UNARY

absl::StatusOr<v1::SubmitRunResponse> GatewayClient::SubmitRun(v1::SubmitRunRequest request,
                                                               const CallOptions& options) {
  if (request.idempotency_token().empty()) request.set_idempotency_token(NewIdempotencyToken());
  return Unary<v1::SubmitRunResponse>(
      kSafe, options, [&](grpc::ClientContext* context, v1::SubmitRunResponse* response) {
        return jobs_->SubmitRun(context, request, response);
      });
}

absl::StatusOr<v1::RunNowResponse> GatewayClient::RunNow(v1::RunNowRequest request,
                                                         const CallOptions& options) {
  if (request.idempotency_token().empty()) request.set_idempotency_token(NewIdempotencyToken());
  return Unary<v1::RunNowResponse>(kSafe, options,
                                   [&](grpc::ClientContext* context, v1::RunNowResponse* response) {
                                     return jobs_->RunNow(context, request, response);
                                   });
}

absl::StatusOr<v1::SubmitStreamingRunResponse> GatewayClient::SubmitStreamingRun(
    v1::SubmitStreamingRunRequest request, const CallOptions& options) {
  if (request.idempotency_token().empty()) request.set_idempotency_token(NewIdempotencyToken());
  return Unary<v1::SubmitStreamingRunResponse>(
      kSafe, options, [&](grpc::ClientContext* context, v1::SubmitStreamingRunResponse* response) {
        return jobs_->SubmitStreamingRun(context, request, response);
      });
}

std::unique_ptr<ServerStream<v1::WaitRunResponse>> GatewayClient::WaitRun(
    const v1::WaitRunRequest& request, const CallOptions& options) {
  return Stream<v1::WaitRunResponse>(kSafe, options, [this, request](grpc::ClientContext* c) {
    return jobs_->WaitRun(c, request);
  });
}

std::unique_ptr<RowReader> GatewayClient::StreamStatementResults(
    const v1::StreamStatementResultsRequest& request, const CallOptions& options) {
  const bool safe = request.has_statement_id();
  auto stream = Stream<v1::StreamStatementResultsResponse>(
      safe, options,
      [this, request](grpc::ClientContext* c) { return sql_->StreamStatementResults(c, request); });
  return std::make_unique<RowReader>(
      std::make_unique<StreamRowSource<v1::StreamStatementResultsResponse>>(std::move(stream)));
}

std::unique_ptr<RowReader> GatewayClient::ReadTable(const v1::ReadTableRequest& request,
                                                    const CallOptions& options) {
  auto stream = Stream<v1::ReadTableResponse>(
      kSafe, options,
      [this, request](grpc::ClientContext* c) { return delta_->ReadTable(c, request); });
  return std::make_unique<RowReader>(
      std::make_unique<StreamRowSource<v1::ReadTableResponse>>(std::move(stream)));
}

std::unique_ptr<ServerStream<v1::LoadTablesResponse>> GatewayClient::LoadTables(
    const v1::LoadTablesRequest& request, const CallOptions& options) {
  return Stream<v1::LoadTablesResponse>(kUnsafe, options, [this, request](grpc::ClientContext* c) {
    return delta_->LoadTables(c, request);
  });
}

// ----- Pagers

namespace {

// A Pager over a List method whose response holds `items` and next_page_token.
template <typename Item, typename Request, typename Response, typename List, typename Items>
Pager<Item> MakePager(Request request, List list, Items items) {
  return Pager<Item>([request = std::move(request), list, items](const std::string& token,
                                                                 std::vector<Item>* out,
                                                                 std::string* next) mutable {
    if (!token.empty()) request.set_page_token(token);
    absl::StatusOr<Response> response = list(request);
    if (!response.ok()) return response.status();
    auto* repeated = items(&*response);
    out->reserve(repeated->size());
    for (Item& item : *repeated) out->push_back(std::move(item));
    *next = response->next_page_token();
    return absl::OkStatus();
  });
}

}  // namespace

Pager<v1::Run> GatewayClient::Runs(v1::ListRunsRequest request, const CallOptions& options) {
  return MakePager<v1::Run, v1::ListRunsRequest, v1::ListRunsResponse>(
      std::move(request), [this, options](const auto& r) { return ListRuns(r, options); },
      [](v1::ListRunsResponse* r) { return r->mutable_runs(); });
}

Pager<v1::Job> GatewayClient::Jobs(v1::ListJobsRequest request, const CallOptions& options) {
  return MakePager<v1::Job, v1::ListJobsRequest, v1::ListJobsResponse>(
      std::move(request), [this, options](const auto& r) { return ListJobs(r, options); },
      [](v1::ListJobsResponse* r) { return r->mutable_jobs(); });
}

Pager<v1::Warehouse> GatewayClient::Warehouses(v1::ListWarehousesRequest request,
                                               const CallOptions& options) {
  return MakePager<v1::Warehouse, v1::ListWarehousesRequest, v1::ListWarehousesResponse>(
      std::move(request), [this, options](const auto& r) { return ListWarehouses(r, options); },
      [](v1::ListWarehousesResponse* r) { return r->mutable_warehouses(); });
}

Pager<v1::CatalogInfo> GatewayClient::Catalogs(v1::ListCatalogsRequest request,
                                               const CallOptions& options) {
  return MakePager<v1::CatalogInfo, v1::ListCatalogsRequest, v1::ListCatalogsResponse>(
      std::move(request), [this, options](const auto& r) { return ListCatalogs(r, options); },
      [](v1::ListCatalogsResponse* r) { return r->mutable_catalogs(); });
}

Pager<v1::SchemaInfo> GatewayClient::Schemas(v1::ListSchemasRequest request,
                                             const CallOptions& options) {
  return MakePager<v1::SchemaInfo, v1::ListSchemasRequest, v1::ListSchemasResponse>(
      std::move(request), [this, options](const auto& r) { return ListSchemas(r, options); },
      [](v1::ListSchemasResponse* r) { return r->mutable_schemas(); });
}

Pager<v1::TableInfo> GatewayClient::Tables(v1::ListTablesRequest request,
                                           const CallOptions& options) {
  return MakePager<v1::TableInfo, v1::ListTablesRequest, v1::ListTablesResponse>(
      std::move(request), [this, options](const auto& r) { return ListTables(r, options); },
      [](v1::ListTablesResponse* r) { return r->mutable_tables(); });
}

// ----- Conveniences

absl::StatusOr<std::string> GatewayClient::SubmitNotebook(
    const std::string& notebook_path, const std::map<std::string, std::string>& params,
    const CallOptions& options) {
  v1::SubmitRunRequest request;
  request.set_run_name(notebook_path);
  v1::Task* task = request.add_tasks();
  task->set_task_key("notebook");
  task->mutable_notebook_task()->set_notebook_path(notebook_path);
  task->mutable_notebook_task()->mutable_base_parameters()->insert(params.begin(), params.end());
  absl::StatusOr<v1::SubmitRunResponse> response = SubmitRun(std::move(request), options);
  if (!response.ok()) return response.status();
  return response->run_id();
}

absl::StatusOr<v1::Run> GatewayClient::WaitForRun(
    const std::string& run_id, const std::function<void(const v1::Run&)>& on_change,
    CallOptions options) {
  if (options.timeout == absl::ZeroDuration()) options.timeout = absl::InfiniteDuration();
  const absl::Time deadline = Deadline(options);
  v1::WaitRunRequest request;
  request.set_run_id(run_id);
  for (int attempt = 1;; ++attempt) {
    CallOptions remaining;
    remaining.timeout =
        deadline == absl::InfiniteFuture() ? absl::InfiniteDuration() : deadline - absl::Now();
    std::unique_ptr<ServerStream<v1::WaitRunResponse>> stream = WaitRun(request, remaining);
    v1::WaitRunResponse response;
    while (stream->Read(&response)) {
      if (on_change) on_change(response.run());
      if (response.terminal()) return std::move(*response.mutable_run());
    }
    absl::Status status = stream->status();
    if (status.ok()) {
      return absl::InternalError(
          absl::StrCat("WaitRun for ", run_id, " ended before the run reached a terminal state"));
    }
    // The stream restarts with the current state, so it may be opened again even after it
    // delivered states.
    std::optional<absl::Duration> delay = retry_.Delay(status, kSafe, attempt, deadline);
    if (!delay.has_value()) return status;
    retry_.Wait(status, *delay);
  }
}

std::unique_ptr<RowReader> GatewayClient::Query(const std::string& statement,
                                                const std::vector<v1::SqlParameter>& parameters,
                                                const CallOptions& options) {
  v1::StreamStatementResultsRequest request;
  request.mutable_execute()->set_statement(statement);
  for (const v1::SqlParameter& parameter : parameters) {
    *request.mutable_execute()->add_parameters() = parameter;
  }
  return StreamStatementResults(request, options);
}

}  // namespace gateway::client
