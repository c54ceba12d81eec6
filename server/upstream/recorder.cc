#include "server/upstream/recorder.h"

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace gateway::upstream {
namespace {

constexpr char kRedacted[] = "[REDACTED]";

// Field, header and query names whose values are credentials, matched as substrings of the
// lower-case name: access_token, client_secret, X-Amz-Signature, sig, password, …
constexpr const char* kCredentialWords[] = {"token",         "secret",    "password",   "signature",
                                            "authorization", "cookie",    "api-key",    "api_key",
                                            "credential",    "assertion", "private_key"};

// Names that contain such a word but hold none: paging and idempotency tokens.
constexpr const char* kNotCredentials[] = {"idempotency_token", "page_token", "next_page_token",
                                           "prev_page_token"};

// Databricks' own REST endpoints (the API, and OAuth token endpoints). Every other URL the
// gateway fetches, or finds in an answer, is a link to cloud storage, presigned: its query
// string is the credential, whatever its parameters are called.
bool ApiPath(absl::string_view url) {
  const size_t scheme = url.find("://");
  const size_t path = url.find('/', scheme == absl::string_view::npos ? 0 : scheme + 3);
  if (path == absl::string_view::npos) return true;
  const absl::string_view rest = url.substr(path);
  return absl::StartsWith(rest, "/api/") || absl::StartsWith(rest, "/oidc/") ||
         absl::StrContains(rest, "/oauth2/");
}

bool LooksLikeUrl(absl::string_view text) {
  return absl::StartsWithIgnoreCase(text, "https://") ||
         absl::StartsWithIgnoreCase(text, "http://");
}

bool NamedLikeCredential(absl::string_view name) {
  const std::string lower = absl::AsciiStrToLower(name);
  for (const char* harmless : kNotCredentials) {
    if (lower == harmless) return false;
  }
  for (const char* word : kCredentialWords) {
    if (absl::StrContains(lower, word)) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ExchangeRecorder>> ExchangeRecorder::Open(RecordOptions options,
                                                                         Scrubber scrub) {
  std::FILE* file = std::fopen(options.path.c_str(), "a");
  if (file == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("record.path: cannot open ", options.path, ": ", std::strerror(errno)));
  }
  std::fseek(file, 0, SEEK_END);
  const int64_t size = std::ftell(file);
  return std::unique_ptr<ExchangeRecorder>(
      new ExchangeRecorder(std::move(options), std::move(scrub), file, size < 0 ? 0 : size));
}

ExchangeRecorder::ExchangeRecorder(RecordOptions options, Scrubber scrub, std::FILE* file,
                                   int64_t size)
    : options_(std::move(options)), scrub_(std::move(scrub)), file_(file), size_(size) {
  for (const std::string& field : options_.redact_fields) {
    sensitive_.insert(absl::AsciiStrToLower(field));
  }
}

ExchangeRecorder::~ExchangeRecorder() {
  absl::MutexLock lock(&mu_);
  if (file_ != nullptr) std::fclose(file_);
}

int64_t ExchangeRecorder::NextSeq() {
  absl::MutexLock lock(&mu_);
  return ++seq_;
}

bool ExchangeRecorder::Sensitive(absl::string_view field) const {
  return NamedLikeCredential(field) || sensitive_.count(absl::AsciiStrToLower(field)) != 0;
}

json::Value ExchangeRecorder::RedactJson(json::Value value) const {
  if (value.is_object()) {
    for (auto& [name, member] : value.as_object()) {
      if (absl::EqualsIgnoreCase(name, "http_headers") && member.is_object()) {
        // The headers a result link must be fetched with: Databricks uses them to pass
        // decryption keys to the storage service.
        for (auto& [header, header_value] : member.as_object())
          header_value = json::Value(kRedacted);
        continue;
      }
      member = Sensitive(name) && !member.is_null() ? json::Value(kRedacted)
                                                    : RedactJson(std::move(member));
    }
  } else if (value.is_array()) {
    for (json::Value& item : value.as_array()) item = RedactJson(std::move(item));
  } else if (value.is_string()) {
    // A URL in an answer is a result link: presigned, so its query string goes.
    if (LooksLikeUrl(value.as_string())) return json::Value(RedactUrl(value.as_string(), true));
    const std::string scrubbed = scrub_ != nullptr ? scrub_(value.as_string()) : value.as_string();
    if (scrubbed != value.as_string()) return json::Value(scrubbed);
  }
  return value;
}

json::Value ExchangeRecorder::RedactBody(absl::string_view body,
                                         absl::string_view content_type) const {
  if (body.empty()) return json::Value();
  if (absl::StrContains(absl::AsciiStrToLower(content_type), "x-www-form-urlencoded")) {
    std::vector<std::string> fields;
    for (absl::string_view pair : absl::StrSplit(body, '&')) {
      const size_t equals = pair.find('=');
      const absl::string_view name = pair.substr(0, equals);
      fields.push_back(equals != absl::string_view::npos && Sensitive(name)
                           ? absl::StrCat(name, "=", kRedacted)
                           : std::string(pair));
    }
    const std::string joined = absl::StrJoin(fields, "&");
    return json::Value(scrub_ != nullptr ? scrub_(joined) : joined);
  }
  absl::StatusOr<json::Value> parsed = json::Parse(body);
  if (parsed.ok()) return RedactJson(*std::move(parsed));
  return json::Value(scrub_ != nullptr ? scrub_(body) : std::string(body));
}

std::string ExchangeRecorder::RedactUrl(absl::string_view url) const {
  return RedactUrl(url, !ApiPath(url));
}

std::string ExchangeRecorder::RedactUrl(absl::string_view url, bool link) const {
  const size_t question = url.find('?');
  std::string out(url.substr(0, question));
  if (question != absl::string_view::npos) {
    std::vector<std::string> params;
    for (absl::string_view pair : absl::StrSplit(url.substr(question + 1), '&')) {
      const size_t equals = pair.find('=');
      const absl::string_view name = pair.substr(0, equals);
      // Azure's presigned links sign with "sig".
      const bool secret = link || Sensitive(name) || absl::EqualsIgnoreCase(name, "sig");
      params.push_back(equals != absl::string_view::npos && secret
                           ? absl::StrCat(name, "=", kRedacted)
                           : std::string(pair));
    }
    absl::StrAppend(&out, "?", absl::StrJoin(params, "&"));
  }
  return scrub_ != nullptr ? scrub_(out) : out;
}

json::Value ExchangeRecorder::HeaderObject(const upstream::Headers& headers) const {
  json::Value out = json::Value::EmptyObject();
  for (const auto& [name, value] : headers) {
    const std::string lower = absl::AsciiStrToLower(name);
    // Besides credentials: the keys a result link is fetched with (Databricks'
    // `http_headers`, e.g. x-amz-server-side-encryption-customer-key).
    const bool secret = NamedLikeCredential(lower) || absl::StrContains(lower, "key") ||
                        absl::StrContains(lower, "encryption");
    out.Set(lower, secret ? std::string(kRedacted) : (scrub_ != nullptr ? scrub_(value) : value));
  }
  return out;
}

void ExchangeRecorder::Write(int64_t seq, absl::string_view workspace, const HttpRequest& request,
                             const absl::StatusOr<HttpResponse>& result, absl::Time sent,
                             absl::Duration took) {
  auto content_type = [](const upstream::Headers& headers) {
    for (const auto& [name, value] : headers) {
      if (absl::EqualsIgnoreCase(name, "content-type")) return value;
    }
    return std::string();
  };
  json::Value line = json::Value::EmptyObject();
  line.Set("seq", seq);
  line.Set("ts", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", sent, absl::UTCTimeZone()));
  line.Set("workspace", workspace);
  json::Value req = json::Value::EmptyObject();
  req.Set("method", MethodName(request.method));
  req.Set("url", RedactUrl(request.url));
  req.Set("headers", HeaderObject(request.headers));
  json::Value body = RedactBody(request.body, content_type(request.headers));
  if (!body.is_null()) req.Set("body", std::move(body));
  line.Set("request", std::move(req));
  if (result.ok()) {
    json::Value resp = json::Value::EmptyObject();
    resp.Set("status", result->status);
    resp.Set("headers", HeaderObject(result->headers));
    json::Value response_body = RedactBody(result->body, content_type(result->headers));
    if (!response_body.is_null()) resp.Set("body", std::move(response_body));
    line.Set("response", std::move(resp));
  } else {
    line.Set("error", absl::StrCat(absl::StatusCodeToString(result.status().code()), ": ",
                                   scrub_ != nullptr ? scrub_(result.status().message())
                                                     : std::string(result.status().message())));
  }
  if (result.ok() && result->wire_attempts > 1) line.Set("wire_attempts", result->wire_attempts);
  line.Set("duration_ms", absl::ToDoubleMilliseconds(took));
  std::string text = line.Dump();
  text.push_back('\n');

  absl::MutexLock lock(&mu_);
  if (file_ == nullptr) return;
  if (size_ > 0 && size_ + static_cast<int64_t>(text.size()) > options_.max_bytes) RotateLocked();
  if (file_ == nullptr) return;
  if (std::fwrite(text.data(), 1, text.size(), file_) == text.size()) {
    size_ += static_cast<int64_t>(text.size());
  }
  std::fflush(file_);
}

void ExchangeRecorder::RotateLocked() {
  std::fclose(file_);
  const std::string& path = options_.path;
  if (options_.max_files <= 0) {
    std::remove(path.c_str());
  } else {
    std::remove(absl::StrCat(path, ".", options_.max_files).c_str());
    for (int i = options_.max_files - 1; i >= 1; --i) {
      std::rename(absl::StrCat(path, ".", i).c_str(), absl::StrCat(path, ".", i + 1).c_str());
    }
    std::rename(path.c_str(), absl::StrCat(path, ".1").c_str());
  }
  file_ = std::fopen(path.c_str(), "w");
  size_ = 0;
}

void RecordingHttpClient::Send(HttpRequest request, HttpCallback done) {
  const int64_t seq = recorder_->NextSeq();
  auto copy = std::make_shared<HttpRequest>(request);
  const absl::Time sent = absl::Now();
  inner_->Send(std::move(request), [this, seq, copy, sent,
                                    done = std::move(done)](absl::StatusOr<HttpResponse> result) {
    recorder_->Write(seq, workspace_, *copy, result, sent, absl::Now() - sent);
    done(std::move(result));
  });
}

}  // namespace gateway::upstream
