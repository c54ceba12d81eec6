// BeastHttpClient on its own: TLS verification against a local TLS server with test
// certificates made by the openssl tool, gzip decoding and the response size limit.
#include <zlib.h>

#include <atomic>
#include <cstdlib>
#include <future>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "gtest/gtest.h"
#include "server/http/server.h"
#include "server/upstream/beast_http_client.h"
#include "tests/harness/pki.h"
#include "tests/harness/process.h"

namespace gateway::upstream {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

absl::StatusOr<HttpResponse> Fetch(HttpClient& client, const std::string& url,
                                   absl::Duration timeout = absl::Seconds(5)) {
  HttpRequest request;
  request.url = url;
  request.deadline = absl::Now() + timeout;
  std::promise<absl::StatusOr<HttpResponse>> promise;
  client.Send(std::move(request), [&promise](absl::StatusOr<HttpResponse> result) {
    promise.set_value(std::move(result));
  });
  return promise.get_future().get();
}

// Two CAs; a server certificate for 127.0.0.1 signed by the first, and one for another
// name signed by it too.
struct TestPki {
  testing::TestPki pki;
  std::string trusted_ca = pki.Cert("trusted-ca");
  std::string other_ca = pki.Cert("other-ca");
  std::string server_cert = pki.Cert("server");
  std::string server_key = pki.Key("server");
  std::string misnamed_cert = pki.Cert("misnamed");
  std::string misnamed_key = pki.Key("misnamed");

  bool Make() {
    return pki.MakeCa("trusted-ca") && pki.MakeCa("other-ca") &&
           pki.Sign("server", "trusted-ca", "127.0.0.1", "IP:127.0.0.1") &&
           pki.Sign("misnamed", "trusted-ca", "elsewhere.test", "DNS:elsewhere.test");
  }
};

// A TLS HTTP server on 127.0.0.1 that answers every request with 200 "tls ok", one
// connection at a time.
class TlsServer {
 public:
  TlsServer(const std::string& cert, const std::string& key)
      : context_(ssl::context::tls_server),
        acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    context_.use_certificate_chain_file(cert);
    context_.use_private_key_file(key, ssl::context::pem);
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { Serve(); });
  }

  ~TlsServer() {
    stopping_ = true;
    beast::error_code ignored;
    tcp::socket wake(io_);
    wake.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port_)},
                 ignored);
    thread_.join();
  }

  int port() const { return port_; }

 private:
  void Serve() {
    while (!stopping_) {
      beast::error_code ec;
      tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      if (ec || stopping_) continue;
      ssl::stream<tcp::socket> stream(std::move(socket), context_);
      stream.handshake(ssl::stream_base::server, ec);
      if (ec) continue;  // the client refused our certificate
      beast::flat_buffer buffer;
      while (true) {
        bhttp::request<bhttp::string_body> request;
        bhttp::read(stream, buffer, request, ec);
        if (ec) break;
        bhttp::response<bhttp::string_body> response(bhttp::status::ok, 11);
        response.body() = "tls ok";
        response.keep_alive(request.keep_alive());
        response.prepare_payload();
        bhttp::write(stream, response, ec);
        if (ec || !request.keep_alive()) break;
      }
    }
  }

  asio::io_context io_;
  ssl::context context_;
  tcp::acceptor acceptor_;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

std::unique_ptr<BeastHttpClient> Client(HttpClientOptions options) {
  absl::StatusOr<std::unique_ptr<BeastHttpClient>> client =
      BeastHttpClient::Create(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

TEST(HttpClientTlsTest, UnknownCaIsRefusedAndTheRightCaWorks) {
  TestPki pki;
  ASSERT_TRUE(pki.Make()) << "openssl could not make the test certificates";
  TlsServer server(pki.server_cert, pki.server_key);
  const std::string url = absl::StrCat("https://127.0.0.1:", server.port(), "/api/2.0/x");

  HttpClientOptions untrusting;
  untrusting.ca_file = pki.other_ca;
  absl::StatusOr<HttpResponse> refused = Fetch(*Client(untrusting), url);
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(refused.status().message(),
                                "TLS certificate verification failed for 127.0.0.1"))
      << refused.status();
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "local issuer")) << refused.status();

  HttpClientOptions trusting;
  trusting.ca_file = pki.trusted_ca;
  std::unique_ptr<BeastHttpClient> client = Client(trusting);
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<HttpResponse> ok = Fetch(*client, url);
    ASSERT_TRUE(ok.ok()) << ok.status();
    EXPECT_EQ(ok->status, 200);
    EXPECT_EQ(ok->body, "tls ok");
  }
  EXPECT_EQ(client->connections_opened(), 1);  // TLS connections are kept alive too
}

TEST(HttpClientTlsTest, CertificateForAnotherNameIsRefused) {
  TestPki pki;
  ASSERT_TRUE(pki.Make());
  TlsServer server(pki.misnamed_cert, pki.misnamed_key);
  HttpClientOptions options;
  options.ca_file = pki.trusted_ca;
  absl::StatusOr<HttpResponse> refused =
      Fetch(*Client(options), absl::StrCat("https://127.0.0.1:", server.port(), "/"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "does not name 127.0.0.1"))
      << refused.status();
}

TEST(HttpClientTlsTest, MissingCaFileIsAConfigurationError) {
  HttpClientOptions options;
  options.ca_file = testing::TempDir() + "/no-such-ca.pem";
  absl::StatusOr<std::unique_ptr<BeastHttpClient>> client = BeastHttpClient::Create(options);
  EXPECT_EQ(client.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(client.status().message(), "no-such-ca.pem"));
}

std::string Gzip(const std::string& text) {
  z_stream z{};
  deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, text.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

class PlainServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<http::Server>> server = http::Server::Start(
        {}, [this](const http::Request& request, const http::Responder& respond) {
          if (request.path == "/gzip") {
            const std::string* accept = request.Header("accept-encoding");
            http::Response response = http::Response::Json(200, Gzip(big_));
            response.headers.emplace_back("Content-Encoding", "gzip");
            if (accept == nullptr || !absl::StrContains(*accept, "gzip")) {
              response = http::Response::Text(400, "ask for gzip");
            }
            respond(std::move(response));
            return;
          }
          respond(http::Response::Text(200, big_));
        });
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::string Url(const std::string& path) {
    return absl::StrCat("http://127.0.0.1:", server_->port(), path);
  }

  const std::string big_ = std::string(100'000, 'a');
  std::unique_ptr<http::Server> server_;
};

TEST_F(PlainServerTest, GzipBodiesAreDecoded) {
  HttpClientOptions options;
  options.allow_plaintext = true;
  absl::StatusOr<HttpResponse> response = Fetch(*Client(options), Url("/gzip"));
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, big_);
}

TEST_F(PlainServerTest, ResponsesOverTheLimitAreRefused) {
  HttpClientOptions options;
  options.allow_plaintext = true;
  options.max_response_bytes = 50'000;
  std::unique_ptr<BeastHttpClient> client = Client(options);
  absl::StatusOr<HttpResponse> plain = Fetch(*client, Url("/plain"));
  EXPECT_EQ(plain.status().code(), absl::StatusCode::kResourceExhausted) << plain.status();
  EXPECT_TRUE(absl::StrContains(plain.status().message(), "exceeds 50000 bytes"));
  absl::StatusOr<HttpResponse> gzip = Fetch(*client, Url("/gzip"));
  EXPECT_EQ(gzip.status().code(), absl::StatusCode::kResourceExhausted) << gzip.status();
  EXPECT_TRUE(absl::StrContains(gzip.status().message(), "once decompressed"));
}

TEST_F(PlainServerTest, PlainHttpNeedsPermission) {
  absl::StatusOr<HttpResponse> refused = Fetch(*Client({}), Url("/plain"));
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "allow_plaintext"));
}

TEST_F(PlainServerTest, MalformedUrlsAndPastDeadlines) {
  HttpClientOptions options;
  options.allow_plaintext = true;
  std::unique_ptr<BeastHttpClient> client = Client(options);
  EXPECT_EQ(Fetch(*client, "ftp://127.0.0.1/").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Fetch(*client, "http://127.0.0.1:99999/").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Fetch(*client, Url("/plain"), -absl::Seconds(1)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  // A presigned link's query string is its credential: an error never shows it.
  for (const char* link : {"ftp://127.0.0.1/f?X-Amz-Signature=link-secret-1",
                           "http://127.0.0.1:99999/f?sig=link-secret-1"}) {
    absl::StatusOr<HttpResponse> refused = Fetch(*client, link);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kInvalidArgument) << link;
    EXPECT_FALSE(absl::StrContains(refused.status().message(), "link-secret-1"))
        << refused.status();
    EXPECT_TRUE(absl::StrContains(refused.status().message(), "127.0.0.1")) << refused.status();
  }
}

}  // namespace
}  // namespace gateway::upstream
