#include "server/upstream/recorder.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gateway::upstream {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<json::Value> Lines(const std::string& path) {
  std::vector<json::Value> lines;
  for (absl::string_view line : absl::StrSplit(ReadAll(path), '\n', absl::SkipEmpty())) {
    absl::StatusOr<json::Value> parsed = json::Parse(line);
    EXPECT_TRUE(parsed.ok()) << line;
    if (parsed.ok()) lines.push_back(*std::move(parsed));
  }
  return lines;
}

// Answers every request with `response` (or `error`), inline.
class CannedClient : public HttpClient {
 public:
  explicit CannedClient(absl::StatusOr<HttpResponse> answer) : answer_(std::move(answer)) {}
  void Send(HttpRequest, HttpCallback done) override { done(answer_); }
  void RunAfter(absl::Duration, std::function<void()> fn) override { fn(); }

 private:
  absl::StatusOr<HttpResponse> answer_;
};

// The gateway's log redaction, reduced to one configured secret.
std::string Scrub(absl::string_view text) {
  return absl::StrReplaceAll(text, {{"hunter2-configured-secret", "[REDACTED]"}});
}

std::string TempPath(const std::string& name) {
  return absl::StrCat(::testing::TempDir(), "/", name);
}

TEST(RecorderTest, WritesEachExchangeWithoutAnySecret) {
  RecordOptions options;
  options.path = TempPath("secrets.jsonl");
  options.redact_fields = {"SSN"};
  absl::StatusOr<std::unique_ptr<ExchangeRecorder>> opened = ExchangeRecorder::Open(options, Scrub);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::shared_ptr<ExchangeRecorder> recorder = *std::move(opened);

  HttpResponse ok;
  ok.status = 200;
  ok.headers = {{"content-type", "application/json"}, {"set-cookie", "session=abc123cookie"}};
  ok.body = R"({"access_token":"eyJ-access-token-value","run_id":7,"next_page_token":"p2",)"
            R"("note":"uses hunter2-configured-secret here"})";
  RecordingHttpClient api(std::make_unique<CannedClient>(ok), recorder, "prod");
  HttpRequest submit;
  submit.method = Method::kPost;
  submit.url = "https://127.0.0.1:8443/api/2.2/jobs/runs/submit";
  submit.headers = {{"Authorization", "Bearer dapi0123456789abcdef"}, {"X-Trace", "t-1"}};
  submit.body = R"({"run_name":"n","idempotency_token":"tok-1","ssn":"123-45-6789",)"
                R"("client_secret":"json-client-secret"})";
  bool answered = false;
  api.Send(submit, [&answered](absl::StatusOr<HttpResponse> response) {
    answered = response.ok() && response->status == 200;
  });
  EXPECT_TRUE(answered);

  RecordingHttpClient token(std::make_unique<CannedClient>(ok), recorder, "prod");
  HttpRequest grant;
  grant.method = Method::kPost;
  grant.url = "https://127.0.0.1:8444/oauth2/token";
  grant.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  grant.body = "grant_type=client_credentials&client_id=app&client_secret=form-client-secret";
  token.Send(grant, [](const absl::StatusOr<HttpResponse>&) {});

  RecordingHttpClient link(
      std::make_unique<CannedClient>(absl::UnavailableError("connection reset by host")), recorder,
      "prod");
  HttpRequest download;
  download.url =
      "https://127.0.0.1:8445/chunk0?sv=2020&sig=azure-link-signature&"
      "X-Amz-Signature=aws-link-signature&part=1";
  link.Send(download, [](const absl::StatusOr<HttpResponse>&) {});

  const std::string text = ReadAll(options.path);
  for (const char* secret :
       {"dapi0123456789abcdef", "json-client-secret", "123-45-6789", "eyJ-access-token-value",
        "hunter2-configured-secret", "form-client-secret", "azure-link-signature",
        "aws-link-signature", "abc123cookie"}) {
    EXPECT_THAT(text, Not(HasSubstr(secret)));
  }

  const std::vector<json::Value> lines = Lines(options.path);
  ASSERT_EQ(lines.size(), 3u);
  const json::Value& first = lines[0];
  EXPECT_EQ(first.Find("seq")->as_int(), 1);
  EXPECT_EQ(first.Find("workspace")->as_string(), "prod");
  const json::Value& request = *first.Find("request");
  EXPECT_EQ(request.Find("method")->as_string(), "POST");
  EXPECT_EQ(request.Find("url")->as_string(), submit.url);
  EXPECT_EQ(request.Find("headers")->Find("authorization")->as_string(), "[REDACTED]");
  EXPECT_EQ(request.Find("headers")->Find("x-trace")->as_string(), "t-1");
  // What replay matches on survives: names, paging and idempotency tokens.
  EXPECT_EQ(request.Find("body")->Find("run_name")->as_string(), "n");
  EXPECT_EQ(request.Find("body")->Find("idempotency_token")->as_string(), "tok-1");
  EXPECT_EQ(request.Find("body")->Find("ssn")->as_string(), "[REDACTED]");
  const json::Value& response = *first.Find("response");
  EXPECT_EQ(response.Find("status")->as_int(), 200);
  EXPECT_EQ(response.Find("body")->Find("run_id")->as_int(), 7);
  EXPECT_EQ(response.Find("body")->Find("next_page_token")->as_string(), "p2");
  EXPECT_EQ(response.Find("body")->Find("note")->as_string(), "uses [REDACTED] here");
  EXPECT_TRUE(first.Find("duration_ms")->is_number());

  EXPECT_EQ(lines[1].Find("request")->Find("body")->as_string(),
            "grant_type=client_credentials&client_id=app&client_secret=[REDACTED]");
  // A link to storage is presigned: its whole query string is the credential.
  EXPECT_EQ(lines[2].Find("request")->Find("url")->as_string(),
            "https://127.0.0.1:8445/chunk0?sv=[REDACTED]&sig=[REDACTED]&"
            "X-Amz-Signature=[REDACTED]&part=[REDACTED]");
  EXPECT_EQ(lines[2].Find("response"), nullptr);
  EXPECT_EQ(lines[2].Find("error")->as_string(), "UNAVAILABLE: connection reset by host");
}

TEST(RecorderTest, ResultLinksInAnswersKeepNoCredential) {
  RecordOptions options;
  options.path = TempPath("links.jsonl");
  absl::StatusOr<std::unique_ptr<ExchangeRecorder>> opened = ExchangeRecorder::Open(options, Scrub);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::shared_ptr<ExchangeRecorder> recorder = *std::move(opened);
  HttpResponse statement;
  statement.status = 200;
  statement.headers = {{"content-type", "application/json"}};
  // Parameter names no credential rule knows, and a decryption key in http_headers.
  statement.body =
      R"({"statement_id":"s-1","result":{"external_links":[{"chunk_index":0,)"
      R"("external_link":"https://127.0.0.1:8446/f/0?X-Emulator-Signature=link-mac-1&Policy=pol-2&e=9",)"
      R"("http_headers":{"x-amz-server-side-encryption-customer-key":"sse-key-3"},)"
      R"("expiration":"2026-12-02T15:00:00Z"}]}})";
  RecordingHttpClient api(std::make_unique<CannedClient>(statement), recorder, "prod");
  HttpRequest get;
  get.url = "https://127.0.0.1:8443/api/2.0/sql/statements/s-1?page=1";
  api.Send(get, [](const absl::StatusOr<HttpResponse>&) {});
  // Fetching the link sends its http_headers: the decryption key must not be written.
  HttpRequest download;
  download.url = "https://127.0.0.1:8446/f/0?X-Emulator-Signature=link-mac-1";
  download.headers = {{"x-amz-server-side-encryption-customer-key", "sse-key-3"},
                      {"x-ms-encryption-key-sha256", "sse-key-3"}};
  api.Send(download, [](const absl::StatusOr<HttpResponse>&) {});

  const std::string text = ReadAll(options.path);
  for (const char* secret : {"link-mac-1", "pol-2", "sse-key-3"}) {
    EXPECT_THAT(text, Not(HasSubstr(secret)));
  }
  const std::vector<json::Value> lines = Lines(options.path);
  ASSERT_EQ(lines.size(), 2u);
  // A Databricks API URL keeps its query: replay matches on it.
  EXPECT_EQ(lines[0].Find("request")->Find("url")->as_string(), get.url);
  const json::Value& link = lines[0]
                                .Find("response")
                                ->Find("body")
                                ->Find("result")
                                ->Find("external_links")
                                ->as_array()[0];
  EXPECT_EQ(link.Find("external_link")->as_string(),
            "https://127.0.0.1:8446/f/0?X-Emulator-Signature=[REDACTED]&Policy=[REDACTED]&"
            "e=[REDACTED]");
  EXPECT_EQ(link.Find("expiration")->as_string(), "2026-12-02T15:00:00Z");
}

TEST(RecorderTest, RotatesBeforeTheCapAndKeepsMaxFiles) {
  RecordOptions options;
  options.path = TempPath("rotated.jsonl");
  options.max_bytes = 2000;
  options.max_files = 2;
  absl::StatusOr<std::unique_ptr<ExchangeRecorder>> opened =
      ExchangeRecorder::Open(options, nullptr);
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::shared_ptr<ExchangeRecorder> recorder = *std::move(opened);
  HttpResponse ok;
  ok.status = 200;
  ok.body = R"({"state":"RUNNING"})";
  RecordingHttpClient client(std::make_unique<CannedClient>(ok), recorder, "w");
  HttpRequest get;
  get.url = "https://127.0.0.1:8443/api/2.2/jobs/runs/get?run_id=1";
  for (int i = 0; i < 60; ++i) client.Send(get, [](const absl::StatusOr<HttpResponse>&) {});

  int64_t last_seq = 0;
  for (const std::string& path : {options.path + ".2", options.path + ".1", options.path}) {
    const std::string text = ReadAll(path);
    EXPECT_FALSE(text.empty()) << path;
    EXPECT_LE(text.size(), 2000u) << path;
    for (const json::Value& line : Lines(path)) {
      // Oldest file first, each line once, in order.
      EXPECT_EQ(line.Find("seq")->as_int(),
                last_seq == 0 ? line.Find("seq")->as_int() : last_seq + 1);
      last_seq = line.Find("seq")->as_int();
    }
  }
  EXPECT_EQ(last_seq, 60);
  EXPECT_TRUE(ReadAll(options.path + ".3").empty());
}

TEST(RecorderTest, UnwritablePathIsNamed) {
  RecordOptions options;
  options.path = TempPath("no-such-dir/x.jsonl");
  absl::StatusOr<std::unique_ptr<ExchangeRecorder>> opened =
      ExchangeRecorder::Open(options, nullptr);
  ASSERT_FALSE(opened.ok());
  EXPECT_THAT(opened.status().message(), HasSubstr("record.path: cannot open"));
  EXPECT_THAT(opened.status().message(), HasSubstr("no-such-dir/x.jsonl"));
}

}  // namespace
}  // namespace gateway::upstream
