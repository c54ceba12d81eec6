#include "tests/bench/loadgen/targets.h"

#include <chrono>
#include <deque>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "boost/asio.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "grpcpp/grpcpp.h"

namespace gateway::bench {

namespace v1 = ::databricks::gateway::v1;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

GrpcGetRunTarget::GrpcGetRunTarget(const std::string& address, const std::string& api_key,
                                   std::vector<std::string> run_ids, int connections,
                                   absl::Duration deadline)
    : authorization_(api_key.empty() ? "" : "Bearer " + api_key),
      run_ids_(std::move(run_ids)),
      deadline_(deadline) {
  for (int i = 0; i < connections; ++i) {
    grpc::ChannelArguments args;
    // Channels with different arguments never share a connection.
    args.SetInt("loadgen-connection", i);
    stubs_.push_back(v1::JobsService::NewStub(
        grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args)));
  }
}

void GrpcGetRunTarget::Start(Done done) {
  struct Call {
    grpc::ClientContext context;
    v1::GetRunRequest request;
    v1::GetRunResponse response;
    Done done;
  };
  auto* call = new Call;
  call->done = std::move(done);
  call->context.set_deadline(std::chrono::system_clock::now() +
                             absl::ToChronoNanoseconds(deadline_));
  if (!authorization_.empty()) call->context.AddMetadata("authorization", authorization_);
  const uint64_t n = next_.fetch_add(1);
  call->request.set_run_id(run_ids_[n % run_ids_.size()]);
  v1::JobsService::Stub& stub = *stubs_[n % stubs_.size()];
  stub.async()->GetRun(
      &call->context, &call->request, &call->response, [call](const grpc::Status& status) {
        // The call is gone before `done` says so: whoever waits for the last `done` may then
        // destroy the channel, and the call's reference to it must not be the last one,
        // dropped here on gRPC's callback thread.
        Done done = std::move(call->done);
        delete call;
        done(status.ok()
                 ? "OK"
                 : absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())));
      });
}

// The HTTP client: connections owned by the I/O thread, a queue of calls waiting for one.
class HttpGetTarget::Impl {
 public:
  Impl(int port, const std::string& path, const std::map<std::string, std::string>& headers,
       int connections, absl::Duration deadline)
      : endpoint_(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)),
        max_connections_(connections),
        deadline_(absl::ToChronoNanoseconds(deadline)),
        work_(asio::make_work_guard(io_)) {
    request_.method(http::verb::get);
    request_.target(path);
    request_.version(11);
    request_.set(http::field::host, absl::StrCat("127.0.0.1:", port));
    for (const auto& [name, value] : headers) request_.set(name, value);
    request_.keep_alive(true);
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl() {
    work_.reset();
    io_.stop();
    thread_.join();
  }

  void Start(Done done) {
    asio::post(io_, [this, done = std::move(done)]() mutable {
      waiting_.push_back(std::move(done));
      Dispatch();
    });
  }

 private:
  struct Connection {
    explicit Connection(asio::io_context& io) : stream(io) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    bool connected = false;
    Done done;
  };

  // Hands waiting calls to idle connections, opening new ones up to the limit.
  void Dispatch() {
    while (!waiting_.empty()) {
      Connection* connection = nullptr;
      if (!idle_.empty()) {
        connection = idle_.back();
        idle_.pop_back();
      } else if (static_cast<int>(connections_.size()) < max_connections_) {
        connections_.push_back(std::make_unique<Connection>(io_));
        connection = connections_.back().get();
      } else {
        return;
      }
      connection->done = std::move(waiting_.front());
      waiting_.pop_front();
      Send(*connection);
    }
  }

  void Send(Connection& c) {
    c.stream.expires_after(deadline_);
    if (!c.connected) {
      c.stream.async_connect(endpoint_, [this, &c](beast::error_code error) {
        if (error) return Finish(c, "transport: " + error.message());
        c.stream.socket().set_option(asio::ip::tcp::no_delay(true));
        c.connected = true;
        Send(c);
      });
      return;
    }
    http::async_write(c.stream, request_, [this, &c](beast::error_code error, size_t) {
      if (error) return Finish(c, "transport: " + error.message());
      c.response = {};
      http::async_read(c.stream, c.buffer, c.response, [this, &c](beast::error_code error, size_t) {
        if (error) return Finish(c, "transport: " + error.message());
        const auto status = static_cast<int>(c.response.result_int());
        if (!c.response.keep_alive()) Close(c);
        Finish(c, status == 200 ? "OK" : absl::StrCat("HTTP ", status));
      });
    });
  }

  static void Close(Connection& c) {
    beast::error_code ignored;
    // The next async_connect opens the socket again.
    c.stream.socket().close(ignored);
    c.buffer.clear();
    c.connected = false;
  }

  void Finish(Connection& c, const std::string& outcome) {
    if (outcome.rfind("transport", 0) == 0) Close(c);
    Done done = std::move(c.done);
    idle_.push_back(&c);
    done(outcome);
    Dispatch();
  }

  const asio::ip::tcp::endpoint endpoint_;
  const int max_connections_;
  const std::chrono::nanoseconds deadline_;
  http::request<http::empty_body> request_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> idle_;
  std::deque<Done> waiting_;
  std::thread thread_;
};

HttpGetTarget::HttpGetTarget(int port, const std::string& path,
                             const std::map<std::string, std::string>& headers, int connections,
                             absl::Duration deadline)
    : impl_(std::make_unique<Impl>(port, path, headers, connections, deadline)) {}

HttpGetTarget::~HttpGetTarget() = default;

void HttpGetTarget::Start(Done done) { impl_->Start(std::move(done)); }

}  // namespace gateway::bench
