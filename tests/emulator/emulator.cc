#include "tests/emulator/emulator.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "boost/asio/steady_timer.hpp"
#include "tests/emulator/config.h"

namespace emulator {
namespace {

namespace asio = boost::asio;
using gateway::http::Responder;

constexpr absl::string_view kControl = "/emulator/v1/";
constexpr absl::string_view kFiles = "/emulator-files/";
constexpr absl::string_view kAzureDatabricksResource = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";

bool EndpointMatches(const std::string& pattern, const std::string& key) {
  if (pattern == "*") return true;
  const size_t space = pattern.find(' ');
  const size_t key_space = key.find(' ');
  if (space == std::string::npos || key_space == std::string::npos) return false;
  const std::string method = pattern.substr(0, space);
  std::string path = pattern.substr(space + 1);
  if (method != "*" && method != key.substr(0, key_space)) return false;
  const std::string key_path = key.substr(key_space + 1);
  if (!path.empty() && path.back() == '*') {
    path.pop_back();
    return absl::StartsWith(key_path, path);
  }
  return path == key_path;
}

// application/x-www-form-urlencoded -> value of `name`.
bool FormValue(absl::string_view body, absl::string_view name, std::string* out) {
  return gateway::http::QueryParam(body, name, out);
}

Response OAuthError(int status, absl::string_view error, absl::string_view description) {
  json::Value body;
  body.Set("error", error).Set("error_description", description);
  return JsonResponse(body, status);
}

}  // namespace

std::string RouteKey(absl::string_view method, absl::string_view path) {
  std::vector<std::string> parts = absl::StrSplit(path, '/');
  // /api/2.0/sql/statements/{id}[/cancel|/result/chunks/{n}], /api/2.0/sql/warehouses/{id}[/x],
  // /api/2.1/unity-catalog/{kind}/{name}[/exists]
  if (parts.size() > 5 && parts[1] == "api" && parts[3] == "sql") {
    parts[5] = "{id}";
    if (parts.size() == 9 && parts[6] == "result") parts[8] = "{n}";
  }
  if (parts.size() > 5 && parts[1] == "api" && parts[3] == "unity-catalog") parts[5] = "{name}";
  // /emulator-files/{id}/{n}/…: one key for every result link.
  if (parts.size() > 2 && parts[1] == "emulator-files") {
    parts.resize(3);
    parts[2] = "{id}";
  }
  return absl::StrCat(method, " ", absl::StrJoin(parts, "/"));
}

Emulator::Emulator(EmulatorOptions options)
    : options_(std::move(options)), random_(options_.seed) {}

absl::StatusOr<std::unique_ptr<Emulator>> Emulator::Start(EmulatorOptions options) {
  // A test double listens on loopback only, so no test can expose it or reach past it.
  absl::StatusOr<std::pair<std::string, int>> host_port =
      gateway::http::SplitHostPort(options.address);
  if (!host_port.ok()) return host_port.status();
  if (!absl::StartsWith(host_port->first, "127.") && host_port->first != "::1") {
    return absl::InvalidArgumentError(absl::StrCat(
        "the emulator listens on loopback only (127.0.0.0/8 or ::1), not ", options.address));
  }
  std::unique_ptr<Emulator> emulator(new Emulator(std::move(options)));
  Emulator& e = *emulator;
  {
    absl::MutexLock lock(&e.mu_);
    if (e.options_.start_ms == 0) e.options_.start_ms = absl::ToUnixMillis(absl::Now());
    e.options_.engine.created_ms = e.options_.start_ms;
    absl::StatusOr<std::unique_ptr<DeltaEngine>> engine = DeltaEngine::Create(e.options_.engine);
    if (!engine.ok()) return engine.status();
    e.engine_ = *std::move(engine);
    e.jobs_ = std::make_unique<JobsApi>(e.options_.jobs);  // host is set once bound
    e.sql_ = std::make_unique<SqlApi>(e.options_.sql, e.engine_.get());
    e.catalog_ = std::make_unique<CatalogApi>(e.options_.catalog, e.engine_.get());
    if (!e.options_.replay_path.empty()) {
      absl::StatusOr<std::unique_ptr<Replay>> replay = Replay::Load(e.options_.replay_path);
      if (!replay.ok()) return replay.status();
      e.replay_ = *std::move(replay);
    }
  }
  gateway::http::ServerOptions server_options;
  {
    absl::MutexLock lock(&e.mu_);
    server_options.address = e.options_.address;
    server_options.io_threads = e.options_.io_threads;
  }
  absl::StatusOr<std::unique_ptr<gateway::http::Server>> server = gateway::http::Server::Start(
      server_options, [&e](const gateway::http::Request& request, Responder respond) {
        e.Handle(request, std::move(respond));
      });
  if (!server.ok()) return server.status();
  e.server_ = *std::move(server);
  e.port_ = e.server_->port();
  {
    absl::MutexLock lock(&e.mu_);
    const std::string host = e.base_url();
    e.sql_->set_host(host);
    e.jobs_->set_host(host);
  }
  return emulator;
}

Emulator::~Emulator() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    sql_->ReleaseWaiters(NowMs());
  }
  server_.reset();  // joins the I/O threads before the state they use goes away
}

int64_t Emulator::NowMs() const {
  const int64_t base = options_.manual_clock ? options_.start_ms : absl::ToUnixMillis(absl::Now());
  return base + clock_offset_ms_;
}

void Emulator::Advance() {
  const int64_t now = NowMs();
  jobs_->AdvanceTo(now);
  sql_->AdvanceTo(now);
  SchedulePoll();
}

// With the real clock, held statement waits are checked every 10 ms until none are left.
void Emulator::SchedulePoll() {
  if (options_.manual_clock || poll_scheduled_ || stopping_ || !sql_->HasWaiters()) return;
  poll_scheduled_ = true;
  auto timer =
      std::make_shared<asio::steady_timer>(server_->io_context(), std::chrono::milliseconds(10));
  timer->async_wait([this, timer](const boost::system::error_code& ec) {
    if (ec) return;
    absl::MutexLock lock(&mu_);
    poll_scheduled_ = false;
    if (stopping_) return;
    Advance();
  });
}

std::string Emulator::RandomToken(absl::string_view prefix) {
  return absl::StrCat(prefix, absl::StrFormat("%016x%016x", random_(), random_()));
}

void Emulator::Count(std::map<std::string, int64_t> Counters::*which, const std::string& key) {
  absl::MutexLock lock(&counters_mu_);
  ++(counters_.*which)[key];
}

void Emulator::DeliverAfter(absl::Duration delay, Responder respond, Response response) {
  if (delay <= absl::ZeroDuration()) {
    respond(std::move(response));
    return;
  }
  auto timer =
      std::make_shared<asio::steady_timer>(server_->io_context(), absl::ToChronoNanoseconds(delay));
  timer->async_wait([timer, respond = std::move(respond),
                     response = std::move(response)](const boost::system::error_code&) mutable {
    respond(std::move(response));
  });
}

void Emulator::Handle(const gateway::http::Request& request, Responder respond) {
  // Count every response by status, whenever it is sent.
  Responder counted = [this, respond = std::move(respond)](Response response) {
    Count(&Counters::responses, response.delivery == Response::Delivery::kNormal
                                    ? absl::StrCat(response.status)
                                    : "connection-error");
    respond(std::move(response));
  };
  absl::MutexLock lock(&mu_);
  if (absl::StartsWith(request.path, kControl)) {
    counted(Control(request));
    return;
  }
  const std::string key = RouteKey(request.method, request.path);
  Count(&Counters::requests, key);
  {
    absl::MutexLock lock(&counters_mu_);
    if (journal_.size() < kJournalCapacity) {
      journal_.push_back({key, absl::ToInt64Microseconds(absl::Now() - started_)});
    } else {
      ++journal_dropped_;
    }
  }
  Advance();

  if (replay_ != nullptr) {
    Replay::Replayed replayed = replay_->Answer(request, base_url());
    DeliverAfter(replayed.took, std::move(counted), std::move(replayed.response));
    return;
  }

  // Endpoints that need no Databricks credential.
  if (absl::StartsWith(request.path, kFiles)) {
    counted(sql_->ExternalLink(request, absl::string_view(request.path).substr(kFiles.size()),
                               NowMs()));
    return;
  }

  FaultRule* fault = PickFault(key);
  if (fault != nullptr) {
    Count(&Counters::faults, absl::StrCat(fault->kind, " ", key));
    Response injected;
    const std::string& kind = fault->kind;
    if (kind == "reset_before") {
      injected.delivery = Response::Delivery::kResetConnection;
      counted(std::move(injected));
      return;
    }
    if (kind == "status") {
      injected = ApiError(
          fault->status, fault->error_code.empty() ? "TEMPORARILY_UNAVAILABLE" : fault->error_code,
          fault->message.empty() ? "The service is temporarily unavailable (injected)"
                                 : fault->message);
    } else if (kind == "html") {
      injected.status = fault->status;
      injected.headers = {{"Content-Type", "text/html; charset=utf-8"}};
      injected.body = absl::StrCat(
          "<html><head><title>Error ", fault->status, "</title></head><body><h2>HTTP ERROR ",
          fault->status, "</h2><pre>",
          fault->message.empty() ? "Service Unavailable" : fault->message, "</pre></body></html>");
    } else if (kind == "text") {
      injected = Response::Text(fault->status, fault->message.empty()
                                                   ? "TEMPORARILY_UNAVAILABLE: try again later"
                                                   : fault->message);
    } else if (kind == "limit_body") {
      injected = ApiError(
          fault->status, fault->error_code.empty() ? "REQUEST_LIMIT_EXCEEDED" : fault->error_code,
          fault->message.empty() ? "RPC token bucket limit has been exceeded (injected)"
                                 : fault->message);
    }
    if (!injected.body.empty() || injected.status != 200) {
      if (fault->retry_after_seconds >= 0) {
        injected.headers.emplace_back("Retry-After", absl::StrCat(fault->retry_after_seconds));
      }
      counted(std::move(injected));
      return;
    }
  }
  // What happens to the real response: delayed, cut, or lost after processing.
  Responder deliver = counted;
  if (fault != nullptr && fault->kind == "latency") {
    const absl::Duration delay = absl::Milliseconds(fault->latency_ms);
    deliver = [this, delay, counted](Response response) {
      DeliverAfter(delay, counted, std::move(response));
    };
  } else if (fault != nullptr && (fault->kind == "reset_after" || fault->kind == "truncate")) {
    const bool reset = fault->kind == "reset_after";
    deliver = [counted, reset](Response response) {
      response.delivery =
          reset ? Response::Delivery::kResetConnection : Response::Delivery::kTruncateBody;
      counted(std::move(response));
    };
  }

  if (request.path == "/oidc/.well-known/oauth-authorization-server" && request.method == "GET") {
    const std::string* host = request.Header("host");
    const std::string base =
        absl::StrCat("http://", host ? *host : absl::StrCat("127.0.0.1:", port_));
    json::Value body;
    body.Set("issuer", base + "/oidc")
        .Set("authorization_endpoint", base + "/oidc/v1/authorize")
        .Set("token_endpoint", base + "/oidc/v1/token");
    json::Value grants = json::Value::EmptyArray();
    grants.Append("client_credentials");
    body.Set("grant_types_supported", grants);
    deliver(JsonResponse(body));
    return;
  }
  if (request.path == "/oidc/v1/token") {
    deliver(request.method == "POST"
                ? OAuthToken(request)
                : ApiError(405, "METHOD_NOT_ALLOWED", "Use POST for the token endpoint"));
    return;
  }
  // Azure AD: /{tenant}/oauth2/token (v1) and /{tenant}/oauth2/v2.0/token.
  {
    const std::vector<absl::string_view> parts = absl::StrSplit(request.path, '/');
    if (parts.size() >= 4 && parts[2] == "oauth2" && parts.back() == "token" &&
        request.method == "POST") {
      deliver(AzureToken(request, parts[1]));
      return;
    }
  }
  if (!absl::StartsWith(request.path, "/api/")) {
    deliver(ApiError(404, "ENDPOINT_NOT_FOUND",
                     absl::StrCat("No API found for '", request.method, " ", request.path, "'")));
    return;
  }
  std::string principal;
  if (std::optional<Response> refused = Authenticate(request, &principal)) {
    deliver(*std::move(refused));
    return;
  }
  Count(&Counters::principals, principal);
  if (std::optional<Response> limited = Throttle(key, principal)) {
    Count(&Counters::throttled, key);
    deliver(*std::move(limited));
    return;
  }
  Dispatch(request, principal, deliver);
}

void Emulator::Dispatch(const gateway::http::Request& request, const std::string& principal,
                        const Responder& respond) {
  absl::string_view path = request.path;
  const int64_t now = NowMs();
  if (absl::ConsumePrefix(&path, "/api/2.2/jobs/")) {
    respond(jobs_->Handle(request, path, /*v22=*/true, now));
  } else if (absl::ConsumePrefix(&path, "/api/2.1/jobs/")) {
    respond(jobs_->Handle(request, path, /*v22=*/false, now));
  } else if (absl::ConsumePrefix(&path, "/api/2.0/sql/")) {
    sql_->Handle(request, path, principal, now, respond);
    SchedulePoll();
  } else if (absl::ConsumePrefix(&path, "/api/2.1/unity-catalog/")) {
    respond(catalog_->Handle(request, path));
  } else if (path == "/api/2.0/preview/scim/v2/Me" && request.method == "GET") {
    json::Value me;
    me.Set("id", absl::StrCat(std::hash<std::string>()(principal) % 10000000000000));
    me.Set("userName", principal).Set("active", true);
    respond(JsonResponse(me));
  } else {
    respond(ApiError(404, "ENDPOINT_NOT_FOUND",
                     absl::StrCat("No API found for '", request.method, " ", request.path, "'")));
  }
}

std::optional<Response> Emulator::Authenticate(const gateway::http::Request& request,
                                               std::string* principal) {
  const std::string* header = request.Header("authorization");
  absl::string_view value = header ? absl::string_view(*header) : absl::string_view();
  if (!absl::ConsumePrefix(&value, "Bearer ") || value.empty()) {
    return ApiError(401, "UNAUTHENTICATED",
                    "Credential was not sent or was of an unsupported type for this API.");
  }
  const std::string token(value);
  for (const PersonalAccessToken& pat : options_.tokens) {
    if (pat.token == token) {
      if (revoked_[token]) break;
      *principal = pat.principal;
      return std::nullopt;
    }
  }
  auto issued = issued_.find(token);
  if (issued == issued_.end() || revoked_[issued->second.principal]) {
    return ApiError(401, "UNAUTHENTICATED", "Invalid access token.");
  }
  const int64_t left = issued->second.expires_ms - NowMs();
  if (left <= 0) return ApiError(401, "UNAUTHENTICATED", "Token expired.");
  if (options_.azure_workspace && left <= 30000) {
    return ApiError(403, "PERMISSION_DENIED", "Token is expiring within 30 seconds.");
  }
  *principal = issued->second.principal;
  return std::nullopt;
}

std::optional<Response> Emulator::Throttle(const std::string& key, const std::string& principal) {
  const int64_t now = NowMs();
  for (size_t i = 0; i < options_.throttles.size(); ++i) {
    const ThrottleRule& rule = options_.throttles[i];
    if (!EndpointMatches(rule.endpoint, key)) continue;
    Bucket& bucket = buckets_[absl::StrCat(i, "|", rule.per_principal ? principal : "")];
    if (bucket.updated_ms == 0) {
      bucket.tokens = rule.burst;
    } else {
      bucket.tokens = std::min(
          rule.burst, bucket.tokens + (now - bucket.updated_ms) * rule.rate_per_second / 1000.0);
    }
    bucket.updated_ms = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      continue;
    }
    Response response = ApiError(
        429, rule.error_code,
        rule.per_principal
            ? absl::StrCat("Principal ", principal, " exceeded the rate limit of ",
                           rule.rate_per_second, " requests per second for ", key)
            : absl::StrCat("Workspace ", options_.workspace_id, " exceeded the rate limit of ",
                           rule.rate_per_second, " requests per second for ", key));
    if (rule.retry_after_seconds >= 0) {
      response.headers.emplace_back("Retry-After", absl::StrCat(rule.retry_after_seconds));
    }
    return response;
  }
  return std::nullopt;
}

FaultRule* Emulator::PickFault(const std::string& key) {
  for (FaultRule& rule : options_.faults) {
    if (!EndpointMatches(rule.endpoint, key)) continue;
    if (rule.count >= 0 && rule.hits >= rule.count) continue;
    if (rule.seen++ < rule.skip) continue;
    if (rule.probability < 1.0 &&
        std::uniform_real_distribution<double>(0, 1)(random_) >= rule.probability) {
      continue;
    }
    ++rule.hits;
    return &rule;
  }
  return nullptr;
}

Response Emulator::OAuthToken(const gateway::http::Request& request) {
  std::string grant;
  std::string client_id;
  std::string client_secret;
  std::string scope = "all-apis";
  FormValue(request.body, "grant_type", &grant);
  FormValue(request.body, "scope", &scope);
  if (const std::string* auth = request.Header("authorization")) {
    absl::string_view basic(*auth);
    std::string decoded;
    if (absl::ConsumePrefix(&basic, "Basic ") && absl::Base64Unescape(basic, &decoded)) {
      const size_t colon = decoded.find(':');
      client_id = gateway::http::UrlDecode(decoded.substr(0, colon));
      if (colon != std::string::npos)
        client_secret = gateway::http::UrlDecode(decoded.substr(colon + 1));
    }
  } else {
    FormValue(request.body, "client_id", &client_id);
    FormValue(request.body, "client_secret", &client_secret);
  }
  if (grant != "client_credentials") {
    return OAuthError(400, "unsupported_grant_type",
                      absl::StrCat("grant_type '", grant, "' is not supported"));
  }
  for (const OAuthClient& client : options_.oauth_clients) {
    if (client.client_id != client_id || client.client_secret != client_secret ||
        revoked_[client.client_id]) {
      continue;
    }
    const std::string token = RandomToken("eyJemulator.");
    issued_[token] =
        IssuedToken{client.client_id, NowMs() + options_.oauth_token_ttl_seconds * 1000, false};
    json::Value body;
    body.Set("access_token", token)
        .Set("token_type", "Bearer")
        .Set("expires_in", options_.oauth_token_ttl_seconds)
        .Set("scope", scope);
    return JsonResponse(body);
  }
  return OAuthError(401, "invalid_client", "Client authentication failed");
}

Response Emulator::AzureToken(const gateway::http::Request& request, absl::string_view tenant) {
  std::string grant;
  std::string client_id;
  std::string client_secret;
  std::string resource;
  std::string scope;
  FormValue(request.body, "grant_type", &grant);
  FormValue(request.body, "client_id", &client_id);
  FormValue(request.body, "client_secret", &client_secret);
  FormValue(request.body, "resource", &resource);
  FormValue(request.body, "scope", &scope);
  if (resource.empty() && !scope.empty()) resource = scope.substr(0, scope.rfind("/.default"));
  if (grant != "client_credentials") {
    return OAuthError(400, "unsupported_grant_type",
                      "AADSTS70003: The app requested an unsupported grant type.");
  }
  const AzurePrincipal* found = nullptr;
  for (const AzurePrincipal& p : options_.azure_principals) {
    if (p.tenant_id == tenant && p.client_id == client_id) found = &p;
  }
  if (found == nullptr || revoked_[client_id]) {
    return OAuthError(400, "unauthorized_client",
                      absl::StrCat("AADSTS700016: Application with identifier '", client_id,
                                   "' was not found in the directory '", tenant, "'."));
  }
  if (found->client_secret != client_secret) {
    return OAuthError(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.");
  }
  const std::vector<std::string>& extra = options_.azure_extra_resources;
  if (resource != kAzureDatabricksResource &&
      std::find(extra.begin(), extra.end(), resource) == extra.end()) {
    return OAuthError(400, "invalid_resource",
                      absl::StrCat("AADSTS500011: The resource principal named ", resource,
                                   " was not found in the tenant."));
  }
  const std::string token = RandomToken("eyJazure.");
  const int64_t ttl = options_.azure_token_ttl_seconds;
  const int64_t expires_ms = NowMs() + ttl * 1000;
  if (resource == kAzureDatabricksResource) {
    issued_[token] = IssuedToken{client_id, expires_ms, true};
  }
  // AAD v1 sends its numbers as strings.
  json::Value body;
  body.Set("token_type", "Bearer")
      .Set("expires_in", absl::StrCat(ttl))
      .Set("ext_expires_in", absl::StrCat(ttl))
      .Set("expires_on", absl::StrCat(expires_ms / 1000))
      .Set("not_before", absl::StrCat(NowMs() / 1000))
      .Set("resource", resource)
      .Set("access_token", token);
  return JsonResponse(body);
}

Response Emulator::Control(const gateway::http::Request& request) {
  const std::string route = request.path.substr(kControl.size());
  const std::string& method = request.method;
  json::Value body;
  if (method == "POST" || method == "PUT") {
    if (auto f = ParseBody(request, &body)) return f->ToResponse();
  }
  if (route == "health" && method == "GET") {
    json::Value out;
    out.Set("status", "ok");
    return JsonResponse(out);
  }
  if (route == "clock" && method == "GET") {
    json::Value out;
    out.Set("now_ms", NowMs()).Set("manual", options_.manual_clock);
    return JsonResponse(out);
  }
  if (route == "clock/advance" && method == "POST") {
    const json::Value* ms = body.Find("ms");
    const json::Value* seconds = body.Find("seconds");
    int64_t delta = 0;
    if (ms != nullptr && ms->is_int()) {
      delta = ms->as_int();
    } else if (seconds != nullptr && seconds->is_number()) {
      delta = static_cast<int64_t>(seconds->as_double() * 1000);
    } else {
      return BadParameter(R"(give {"ms": N} or {"seconds": N})").ToResponse();
    }
    if (delta < 0) return BadParameter("the clock only moves forward").ToResponse();
    clock_offset_ms_ += delta;
    Advance();
    json::Value out;
    out.Set("now_ms", NowMs());
    return JsonResponse(out);
  }
  if (route == "counters" && method == "GET") {
    absl::MutexLock lock(&counters_mu_);
    auto to_json = [](const std::map<std::string, int64_t>& m) {
      json::Value o = json::Value::EmptyObject();
      for (const auto& [k, v] : m) o.Set(k, v);
      return o;
    };
    const gateway::http::ServerStats now = server_->stats();
    json::Value connections;
    connections.Set("accepted", now.connections_accepted - connections_base_.connections_accepted)
        .Set("closed", now.connections_closed - connections_base_.connections_closed)
        .Set("requests_abandoned", now.requests_abandoned - connections_base_.requests_abandoned);
    json::Value out;
    out.Set("requests", to_json(counters_.requests))
        .Set("responses", to_json(counters_.responses))
        .Set("throttled", to_json(counters_.throttled))
        .Set("faults", to_json(counters_.faults))
        .Set("principals", to_json(counters_.principals))
        .Set("connections", std::move(connections));
    return JsonResponse(out);
  }
  if (route == "requests" && method == "GET") {
    absl::MutexLock lock(&counters_mu_);
    json::Value entries = json::Value::EmptyArray();
    for (const JournalEntry& entry : journal_) {
      json::Value item;
      item.Set("route", entry.route).Set("at_us", entry.at_us);
      entries.Append(std::move(item));
    }
    json::Value out;
    // cppcheck 2.10 takes entries.Append(std::move(item)) above for a move of entries.
    // cppcheck-suppress accessMoved
    out.Set("requests", std::move(entries)).Set("dropped", journal_dropped_);
    return JsonResponse(out);
  }
  if (route == "counters/reset" && method == "POST") {
    absl::MutexLock lock(&counters_mu_);
    counters_ = Counters{};
    journal_.clear();
    journal_dropped_ = 0;
    connections_base_ = server_->stats();
    return JsonResponse(json::Value::EmptyObject());
  }
  if (route == "faults" && (method == "PUT" || method == "DELETE")) {
    std::vector<FaultRule> faults;
    if (method == "PUT") {
      const json::Value* list = body.Find("faults");
      if (list == nullptr) return BadParameter("give {\"faults\": [...]}").ToResponse();
      absl::StatusOr<std::vector<FaultRule>> parsed = FaultsFromJson(*list, "faults");
      if (!parsed.ok()) return BadParameter(parsed.status().message()).ToResponse();
      faults = *std::move(parsed);
    }
    options_.faults = std::move(faults);
    return JsonResponse(json::Value::EmptyObject());
  }
  if (route == "throttles" && (method == "PUT" || method == "DELETE")) {
    std::vector<ThrottleRule> throttles;
    if (method == "PUT") {
      const json::Value* list = body.Find("throttles");
      if (list == nullptr) return BadParameter("give {\"throttles\": [...]}").ToResponse();
      absl::StatusOr<std::vector<ThrottleRule>> parsed = ThrottlesFromJson(*list, "throttles");
      if (!parsed.ok()) return BadParameter(parsed.status().message()).ToResponse();
      throttles = *std::move(parsed);
    }
    options_.throttles = std::move(throttles);
    buckets_.clear();
    return JsonResponse(json::Value::EmptyObject());
  }
  if ((route == "credentials/revoke" || route == "credentials/restore") && method == "POST") {
    std::string id;
    if (auto f = GetString(body, "token", &id)) return f->ToResponse();
    if (id.empty()) {
      if (auto f = GetString(body, "client_id", &id)) return f->ToResponse();
    }
    if (id.empty())
      return BadParameter(R"(give {"token": ...} or {"client_id": ...})").ToResponse();
    revoked_[id] = route == "credentials/revoke";
    return JsonResponse(json::Value::EmptyObject());
  }
  return ApiError(404, "ENDPOINT_NOT_FOUND",
                  absl::StrCat("No emulator control endpoint '", method, " ", request.path, "'"));
}

}  // namespace emulator
