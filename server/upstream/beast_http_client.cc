#include "server/upstream/beast_http_client.h"

#include <sys/socket.h>
#include <zlib.h>

#include <cerrno>
#include <chrono>
#include <deque>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"

namespace gateway::upstream {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string target;       // path and query
  std::string host_header;  // host, with the port when it is not the scheme's default
  std::string origin;       // pool key
};

// A URL as an error may show it: without its query string, which in a presigned result
// link is the credential.
std::string Shown(absl::string_view url) { return std::string(url.substr(0, url.find('?'))); }

absl::StatusOr<Url> ParseUrl(absl::string_view url) {
  Url out;
  absl::string_view rest = url;
  if (absl::ConsumePrefix(&rest, "https://")) {
    out.tls = true;
  } else if (!absl::ConsumePrefix(&rest, "http://")) {
    return absl::InvalidArgumentError(absl::StrCat("URL \"", Shown(url), "\" is not http(s)://"));
  }
  const size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  out.target = slash == absl::string_view::npos ? "/" : std::string(rest.substr(slash));
  absl::string_view port = out.tls ? "443" : "80";
  const size_t colon = authority.rfind(':');
  if (colon != absl::string_view::npos && authority.find(']', colon) == absl::string_view::npos) {
    port = authority.substr(colon + 1);
    authority = authority.substr(0, colon);
  }
  int port_number = 0;
  if (authority.empty() || !absl::SimpleAtoi(port, &port_number) || port_number <= 0 ||
      port_number > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL \"", Shown(url), "\" has no valid host:port"));
  }
  if (authority.size() > 2 && authority.front() == '[' && authority.back() == ']') {
    authority = authority.substr(1, authority.size() - 2);
  }
  out.host = std::string(authority);
  out.port = std::string(port);
  const bool default_port = port == (out.tls ? "443" : "80");
  out.host_header = default_port ? out.host : absl::StrCat(out.host, ":", out.port);
  out.origin = absl::StrCat(out.tls ? "https://" : "http://", out.host, ":", out.port);
  return out;
}

bhttp::verb Verb(Method method) {
  switch (method) {
    case Method::kGet:
      return bhttp::verb::get;
    case Method::kPost:
      return bhttp::verb::post;
    case Method::kPut:
      return bhttp::verb::put;
    case Method::kPatch:
      return bhttp::verb::patch;
    case Method::kDelete:
      return bhttp::verb::delete_;
  }
  return bhttp::verb::get;
}

// Steady-clock time of an absl deadline, for Beast's timers.
std::chrono::steady_clock::time_point SteadyDeadline(absl::Time deadline) {
  const absl::Duration left = deadline - absl::Now();
  if (left > absl::Hours(24 * 365)) return std::chrono::steady_clock::time_point::max();
  return std::chrono::steady_clock::now() +
         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
             absl::ToChronoNanoseconds(std::max(left, absl::ZeroDuration())));
}

// Arms a stream's timer for an absl deadline; an infinite one never expires.
void ExpireAt(beast::tcp_stream& stream, absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) {
    stream.expires_never();
  } else {
    stream.expires_at(SteadyDeadline(deadline));
  }
}

absl::StatusOr<std::string> Gunzip(const std::string& compressed, int64_t limit,
                                   absl::string_view host) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
    return absl::InternalError("zlib inflateInit2 failed");
  }
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  int rc = Z_OK;
  char chunk[16384];
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof(chunk);
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(chunk, sizeof(chunk) - z.avail_out);
    if (static_cast<int64_t>(out.size()) > limit) {
      inflateEnd(&z);
      return absl::ResourceExhaustedError(
          absl::StrCat("response from ", host, " exceeds ", limit, " bytes once decompressed"));
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) {
    return absl::UnavailableError(absl::StrCat("response from ", host, " is not valid gzip"));
  }
  return out;
}

}  // namespace

HttpClientOptions HttpClientOptionsFor(const WorkspaceOptions& workspace,
                                       metrics::UpstreamMetrics::Workspace* metrics) {
  HttpClientOptions options;
  options.max_connections_per_origin = workspace.max_connections;
  options.connect_timeout = absl::Milliseconds(workspace.connect_timeout_ms);
  options.idle_timeout = absl::Seconds(workspace.idle_timeout_seconds);
  options.max_response_bytes = workspace.max_response_bytes;
  options.ca_file = workspace.ca_file;
  options.allow_plaintext = workspace.allow_plaintext;
  options.metrics = metrics;
  return options;
}

struct BeastHttpClient::Work {
  explicit Work(asio::io_context& io) : guard(asio::make_work_guard(io)) {}
  asio::executor_work_guard<asio::io_context::executor_type> guard;
};

// One connection to an origin. All its socket work runs on its strand.
class BeastHttpClient::Connection {
 public:
  Connection(asio::io_context& io, ssl::context* tls) : strand_(asio::make_strand(io)) {
    if (tls != nullptr) {
      tls_stream_.emplace(strand_, *tls);
    } else {
      plain_stream_.emplace(strand_);
    }
  }

  beast::tcp_stream& tcp() {
    return tls_stream_.has_value() ? beast::get_lowest_layer(*tls_stream_) : *plain_stream_;
  }
  bool is_tls() const { return tls_stream_.has_value(); }
  ssl::stream<beast::tcp_stream>& tls_stream() { return *tls_stream_; }
  // Calls `f` with the stream HTTP goes over: the TLS stream or the plain one.
  template <typename F>
  void WithStream(F&& f) {
    if (tls_stream_.has_value()) {
      f(*tls_stream_);
    } else {
      f(*plain_stream_);
    }
  }
  asio::strand<asio::io_context::executor_type>& strand() { return strand_; }
  beast::flat_buffer& buffer() { return buffer_; }

  // An idle connection is usable when it has not idled too long and the server has not
  // closed it (a peek sees neither end-of-stream nor an error, nor unexpected bytes).
  bool Usable(absl::Time now, absl::Duration idle_timeout) {
    if (now - idle_since > idle_timeout || !tcp().socket().is_open()) return false;
    char byte;
    const ssize_t n = ::recv(tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  void Close() {
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().close();
  }

  absl::Time idle_since;
  std::string verify_error;  // why the TLS peer verification failed, if it did

 private:
  asio::strand<asio::io_context::executor_type> strand_;
  std::optional<beast::tcp_stream> plain_stream_;
  std::optional<ssl::stream<beast::tcp_stream>> tls_stream_;
  beast::flat_buffer buffer_;
};

// The connections of one origin: idle ones ready for reuse, a count of all that exist,
// and the requests waiting for one.
class BeastHttpClient::Pool : public std::enable_shared_from_this<Pool> {
 public:
  explicit Pool(BeastHttpClient& client) : client_(client) {}

  // Gives `exchange` a connection now (idle or new) or queues it until one frees.
  void Acquire(const std::shared_ptr<Exchange>& exchange);
  // Returns a connection after an exchange: to the idle list (or straight to a waiting
  // request) when `reusable`, else closes it and lets a waiting request open a new one.
  void Release(std::shared_ptr<Connection> connection, bool reusable);
  // A queued exchange whose deadline passed; false when it already got a connection.
  bool Abandon(const Exchange* exchange);

  // Drops idle connections and waiting requests (they hold the pool), at shutdown.
  void Clear() {
    absl::MutexLock lock(&mu_);
    idle_.clear();
    waiting_.clear();
  }

  BeastHttpClient& client() { return client_; }

 private:
  BeastHttpClient& client_;
  absl::Mutex mu_;
  std::vector<std::shared_ptr<Connection>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<std::shared_ptr<Exchange>> waiting_ ABSL_GUARDED_BY(mu_);
};

// One request from Send to its callback.
class BeastHttpClient::Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(std::shared_ptr<Pool> pool, Url url, HttpRequest request, HttpCallback done)
      : pool_(std::move(pool)),
        client_(pool_->client()),
        url_(std::move(url)),
        request_(std::move(request)),
        done_(std::move(done)),
        wait_timer_(*client_.io_) {}

  const HttpRequest& request() const { return request_; }

  // Waits in the pool's queue until the deadline.
  void WaitForConnection() {
    wait_timer_.expires_at(SteadyDeadline(request_.deadline));
    wait_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || !self->pool_->Abandon(self.get())) return;
      self->Finish(absl::DeadlineExceededError(absl::StrCat(
          "no connection to ", self->url_.host_header, " became free before the deadline (",
          self->client_.options_.max_connections_per_origin, " in use)")));
    });
  }

  void CancelWait() { wait_timer_.cancel(); }

  // Opens a new connection, then sends on it.
  void Connect() {
    connection_ =
        std::make_shared<Connection>(*client_.io_, url_.tls ? client_.tls_.get() : nullptr);
    auto resolver = std::make_shared<tcp::resolver>(connection_->strand());
    resolver->async_resolve(
        url_.host, url_.port,
        [self = shared_from_this(), resolver](beast::error_code ec,
                                              const tcp::resolver::results_type& results) {
          if (ec) return self->Fail(self->ConnectError("cannot resolve", ec));
          self->connection_->tcp().expires_at(
              std::min(SteadyDeadline(self->request_.deadline),
                       SteadyDeadline(absl::Now() + self->client_.options_.connect_timeout)));
          self->connection_->tcp().async_connect(
              results, [self](beast::error_code ec, const tcp::endpoint&) { self->OnConnect(ec); });
        });
  }

  // Sends on `connection` (a reused one, or one just connected).
  void Start(std::shared_ptr<Connection> connection, bool reused) {
    connection_ = std::move(connection);
    reused_ = reused;
    if (reused) {
      ++client_.reused_;
      if (client_.options_.metrics != nullptr)
        client_.options_.metrics->connections_reused.Increment();
    }
    asio::dispatch(connection_->strand(), [self = shared_from_this()] { self->Write(); });
  }

 private:
  void OnConnect(beast::error_code ec) {
    if (ec) return Fail(ConnectError("cannot connect to", ec));
    ++client_.opened_;
    if (client_.options_.metrics != nullptr)
      client_.options_.metrics->connections_opened.Increment();
    beast::error_code ignored;
    connection_->tcp().socket().set_option(tcp::no_delay(true), ignored);
    if (!connection_->is_tls()) return Write();
    ssl::stream<beast::tcp_stream>& stream = connection_->tls_stream();
    if (!SSL_set_tlsext_host_name(stream.native_handle(), url_.host.c_str())) {
      return Fail(absl::UnavailableError(absl::StrCat("cannot set TLS SNI for ", url_.host)));
    }
    stream.set_verify_mode(ssl::verify_peer);
    std::weak_ptr<Connection> weak = connection_;
    stream.set_verify_callback(
        [weak, verify = ssl::host_name_verification(url_.host), host = url_.host](
            bool preverified, ssl::verify_context& context) mutable {
          std::shared_ptr<Connection> connection = weak.lock();
          if (!preverified) {
            if (connection != nullptr) {
              connection->verify_error =
                  X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.native_handle()));
            }
            return false;
          }
          const bool ok = verify(preverified, context);
          if (!ok && connection != nullptr) {
            connection->verify_error = absl::StrCat("certificate does not name ", host);
          }
          return ok;
        });
    stream.async_handshake(
        ssl::stream_base::client, [self = shared_from_this()](beast::error_code ec) {
          if (!ec) return self->Write();
          if (!self->connection_->verify_error.empty()) {
            return self->Fail(absl::UnavailableError(
                absl::StrCat("TLS certificate verification failed for ", self->url_.host_header,
                             ": ", self->connection_->verify_error)));
          }
          self->Fail(self->ConnectError("TLS handshake failed with", ec));
        });
  }

  void Write() {
    message_.method(Verb(request_.method));
    message_.target(url_.target);
    message_.version(11);
    message_.set(bhttp::field::host, url_.host_header);
    message_.set(bhttp::field::user_agent, client_.options_.user_agent);
    message_.set(bhttp::field::accept_encoding, "gzip");
    for (const auto& [name, value] : request_.headers) message_.set(name, value);
    if (!request_.body.empty() && message_.find(bhttp::field::content_type) == message_.end()) {
      message_.set(bhttp::field::content_type, "application/json");
    }
    message_.body() = request_.body;
    message_.keep_alive(true);
    message_.prepare_payload();
    parser_.emplace();
    parser_->body_limit(client_.options_.max_response_bytes);
    ExpireAt(connection_->tcp(), request_.deadline);
    auto on_write = [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->OnExchangeError(ec);
      self->Read();
    };
    connection_->WithStream(
        [&](auto& stream) { bhttp::async_write(stream, message_, std::move(on_write)); });
  }

  // Reads the head first: Beast 1.74's async_read does not apply the parser's body limit
  // to a Content-Length body, so the length is checked here before any of it is read.
  void Read() {
    auto on_header = [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->OnExchangeError(ec);
      const boost::optional<std::uint64_t> length = self->parser_->content_length();
      if (length.has_value() &&
          *length > static_cast<std::uint64_t>(self->client_.options_.max_response_bytes)) {
        return self->OnExchangeError(bhttp::error::body_limit);
      }
      self->ReadBody();
    };
    connection_->WithStream([&](auto& stream) {
      bhttp::async_read_header(stream, connection_->buffer(), *parser_, std::move(on_header));
    });
  }

  void ReadBody() {
    auto on_read = [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->OnExchangeError(ec);
      self->OnResponse();
    };
    connection_->WithStream([&](auto& stream) {
      bhttp::async_read(stream, connection_->buffer(), *parser_, std::move(on_read));
    });
  }

  void OnResponse() {
    connection_->tcp().expires_never();
    const bool keep_alive = parser_->keep_alive();
    bhttp::response<bhttp::string_body> message = parser_->release();
    HttpResponse response;
    response.status = static_cast<int>(message.result_int());
    response.wire_attempts = repeated_ ? 2 : 1;
    bool gzip = false;
    for (const auto& field : message) {
      std::string name = absl::AsciiStrToLower(
          absl::string_view(field.name_string().data(), field.name_string().size()));
      if (name == "content-encoding" &&
          absl::EqualsIgnoreCase(absl::string_view(field.value().data(), field.value().size()),
                                 "gzip")) {
        gzip = true;
      }
      response.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    response.body = std::move(message.body());
    if (static_cast<int64_t>(response.body.size()) > client_.options_.max_response_bytes) {
      return OnExchangeError(bhttp::error::body_limit);  // a chunked body the parser let by
    }
    connection_->idle_since = absl::Now();
    pool_->Release(std::move(connection_), keep_alive);
    if (gzip) {
      absl::StatusOr<std::string> plain =
          Gunzip(response.body, client_.options_.max_response_bytes, url_.host_header);
      if (!plain.ok()) return Finish(plain.status());
      response.body = *std::move(plain);
    }
    Finish(std::move(response));
  }

  void OnExchangeError(beast::error_code ec) {
    const bool nothing_received = parser_.has_value() && !parser_->got_some();
    const bool stale = reused_ && nothing_received &&
                       (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
                        ec == asio::error::connection_reset || ec == asio::error::broken_pipe);
    connection_->Close();
    pool_->Release(std::move(connection_), false);
    if (stale && request_.safe_to_repeat && !repeated_) {
      // The server closed the kept-alive connection as we reused it: send again on a new one.
      repeated_ = true;
      pool_->Acquire(shared_from_this());
      return;
    }
    if (ec == beast::error::timeout) {
      return Finish(absl::DeadlineExceededError(
          absl::StrCat("no answer from ", url_.host_header, " before the deadline")));
    }
    if (ec == bhttp::error::body_limit) {
      return Finish(absl::ResourceExhaustedError(
          absl::StrCat("response from ", url_.host_header, " exceeds ",
                       client_.options_.max_response_bytes, " bytes")));
    }
    Finish(absl::UnavailableError(
        absl::StrCat("exchange with ", url_.host_header, " failed: ", ec.message())));
  }

  absl::Status ConnectError(absl::string_view what, beast::error_code ec) {
    if (ec == beast::error::timeout && absl::Now() >= request_.deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("deadline passed while connecting to ", url_.host_header));
    }
    if (ec == beast::error::timeout) {
      return absl::UnavailableError(
          absl::StrCat(what, " ", url_.host_header, ": timed out after ",
                       absl::FormatDuration(client_.options_.connect_timeout)));
    }
    return absl::UnavailableError(absl::StrCat(what, " ", url_.host_header, ": ", ec.message()));
  }

  void Fail(absl::Status status) {
    connection_->Close();
    pool_->Release(std::move(connection_), false);
    Finish(std::move(status));
  }

  void Finish(absl::StatusOr<HttpResponse> result) {
    HttpCallback done = std::move(done_);
    done_ = nullptr;
    if (done) done(std::move(result));
  }

  std::shared_ptr<Pool> pool_;
  BeastHttpClient& client_;
  const Url url_;
  const HttpRequest request_;
  HttpCallback done_;
  asio::steady_timer wait_timer_;
  std::shared_ptr<Connection> connection_;
  bhttp::request<bhttp::string_body> message_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
  bool reused_ = false;
  bool repeated_ = false;
};

void BeastHttpClient::Pool::Acquire(const std::shared_ptr<Exchange>& exchange) {
  std::shared_ptr<Connection> idle;
  std::vector<std::shared_ptr<Connection>> stale;
  bool open_new = false;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    while (!idle_.empty() && idle == nullptr) {
      std::shared_ptr<Connection> candidate = std::move(idle_.back());
      idle_.pop_back();
      if (candidate->Usable(now, client_.options_.idle_timeout)) {
        idle = std::move(candidate);
      } else {
        stale.push_back(std::move(candidate));
        --open_;
      }
    }
    if (idle == nullptr) {
      if (open_ < client_.options_.max_connections_per_origin) {
        ++open_;
        open_new = true;
      } else {
        waiting_.push_back(exchange);
      }
    }
  }
  for (auto& connection : stale) {
    asio::post(connection->strand(), [connection] { connection->Close(); });
  }
  if (idle != nullptr) {
    exchange->Start(std::move(idle), /*reused=*/true);
  } else if (open_new) {
    exchange->Connect();
  } else {
    exchange->WaitForConnection();
  }
}

void BeastHttpClient::Pool::Release(std::shared_ptr<Connection> connection, bool reusable) {
  std::shared_ptr<Exchange> next;
  {
    absl::MutexLock lock(&mu_);
    if (!waiting_.empty()) {
      next = std::move(waiting_.front());
      waiting_.pop_front();
    }
    if (!reusable) --open_;
    if (next != nullptr && !reusable) ++open_;  // the waiting request opens its own
    if (next == nullptr && reusable) idle_.push_back(connection);
  }
  if (!reusable) connection->Close();
  if (next == nullptr) return;
  next->CancelWait();
  if (reusable) {
    next->Start(std::move(connection), /*reused=*/true);
  } else {
    next->Connect();
  }
}

bool BeastHttpClient::Pool::Abandon(const Exchange* exchange) {
  absl::MutexLock lock(&mu_);
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if (it->get() == exchange) {
      waiting_.erase(it);
      return true;
    }
  }
  return false;
}

absl::StatusOr<std::unique_ptr<BeastHttpClient>> BeastHttpClient::Create(
    HttpClientOptions options) {
  auto tls = std::make_unique<ssl::context>(ssl::context::tls_client);
  tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  beast::error_code ec;
  if (options.ca_file.empty()) {
    tls->set_default_verify_paths(ec);
  } else {
    tls->load_verify_file(options.ca_file, ec);
  }
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot load the trusted CAs ",
        options.ca_file.empty() ? "of the system" : "from " + options.ca_file, ": ", ec.message()));
  }
  return std::unique_ptr<BeastHttpClient>(new BeastHttpClient(std::move(options), std::move(tls)));
}

BeastHttpClient::BeastHttpClient(HttpClientOptions options, std::unique_ptr<ssl::context> tls)
    : options_(std::move(options)),
      io_(std::make_unique<asio::io_context>(std::max(1, options_.io_threads))),
      tls_(std::move(tls)),
      work_(std::make_unique<Work>(*io_)) {
  for (int i = 0; i < std::max(1, options_.io_threads); ++i) {
    threads_.emplace_back([this] { io_->run(); });
  }
}

BeastHttpClient::~BeastHttpClient() {
  work_.reset();
  io_->stop();
  for (std::thread& thread : threads_) thread.join();
  {
    // Exchanges waiting for a connection hold their pool; break the cycle.
    absl::MutexLock lock(&mu_);
    for (auto& [origin, pool] : pools_) pool->Clear();
    pools_.clear();
  }
  io_.reset();  // destroys pending handlers (and the connections they hold)
}

std::shared_ptr<BeastHttpClient::Pool> BeastHttpClient::PoolFor(const std::string& origin) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<Pool>& pool = pools_[origin];
  if (pool == nullptr) pool = std::make_shared<Pool>(*this);
  return pool;
}

void BeastHttpClient::Send(HttpRequest request, HttpCallback done) {
  absl::StatusOr<Url> url = ParseUrl(request.url);
  absl::Status refused;
  if (!url.ok()) {
    refused = url.status();
  } else if (!url->tls && !options_.allow_plaintext) {
    refused = absl::InvalidArgumentError(absl::StrCat("plain http to ", url->host_header,
                                                      " is not allowed (allow_plaintext is off)"));
  } else if (absl::Now() >= request.deadline) {
    refused = absl::DeadlineExceededError(
        absl::StrCat("deadline passed before the request to ", url->host_header, " was sent"));
  }
  if (!refused.ok()) {
    asio::post(*io_, [done = std::move(done), refused] { done(refused); });
    return;
  }
  std::shared_ptr<Pool> pool = PoolFor(url->origin);
  auto exchange =
      std::make_shared<Exchange>(pool, *std::move(url), std::move(request), std::move(done));
  pool->Acquire(exchange);
}

void BeastHttpClient::RunAfter(absl::Duration delay, std::function<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(*io_);
  timer->expires_after(absl::ToChronoNanoseconds(std::max(delay, absl::ZeroDuration())));
  timer->async_wait([timer, fn = std::move(fn)](beast::error_code ec) {
    if (!ec) fn();
  });
}

}  // namespace gateway::upstream
