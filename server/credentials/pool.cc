#include "server/credentials/pool.h"

#include <algorithm>
#include <iterator>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "server/common/error_details.h"
#include "server/common/json.h"
#include "server/common/url.h"

namespace gateway::credentials {
namespace {

constexpr absl::Duration kTokenFetchTimeout = absl::Seconds(10);
constexpr absl::Duration kMaxStaleLead = absl::Minutes(20);
constexpr absl::Duration kMaxSendMargin = absl::Seconds(40);
constexpr absl::Duration kMinRefreshBackoff = absl::Seconds(1);
constexpr absl::Duration kMaxRefreshBackoff = absl::Minutes(1);

const char* StateName(int state) {
  switch (state) {
    case 2:
      return "ejected after Databricks rejected it";
    case 3:
      return "has no usable token";
    default:
      return "healthy";
  }
}

// expires_in as a number (Databricks) or a string of digits (AAD v1).
absl::optional<int64_t> ExpiresIn(const json::Value& body) {
  const json::Value* v = body.Find("expires_in");
  if (v == nullptr) return absl::nullopt;
  if (v->is_number()) return static_cast<int64_t>(v->as_double());
  int64_t seconds;
  if (v->is_string() && absl::SimpleAtoi(v->as_string(), &seconds)) return seconds;
  return absl::nullopt;
}

}  // namespace

struct CredentialPool::Credential {
  Credential(CredentialOptions options, const metrics::CredentialMetrics::Credential& metrics)
      : options(std::move(options)), metrics(metrics) {}

  CredentialOptions options;
  metrics::CredentialMetrics::Credential metrics;
  std::string secret;  // the PAT, or the client secret; empty when unreadable
  std::string secret_error;
  // What attempts send: "Bearer …"; empty while there is no token.
  std::string authorization;
  absl::Time token_expiry = absl::InfiniteFuture();
  absl::Time usable_until = absl::InfiniteFuture();
  absl::Time refresh_at = absl::InfiniteFuture();
  bool refreshing = false;
  absl::Time refresh_retry_at = absl::InfinitePast();
  absl::Duration refresh_backoff = kMinRefreshBackoff;
  std::string refresh_error;
  absl::Time ejected_until = absl::InfinitePast();
  int ejections = 0;
  int inflight = 0;
  uint64_t uses = 0;

  bool has_token_endpoint() const { return options.type != CredentialType::kPat; }
};

CredentialPool::CredentialPool(CredentialPoolOptions options, Environment env)
    : options_(std::move(options)), env_(std::move(env)) {
  absl::MutexLock lock(&mu_);
  for (const CredentialOptions& c : options_.credentials) {
    Credential credential(c, env_.metrics->ForCredential(options_.name, c.name));
    ReloadSecret(credential);
    if (credential.has_token_endpoint()) credential.refresh_at = absl::InfinitePast();
    credentials_.push_back(std::move(credential));
  }
  Publish(env_.now());
}

CredentialPool::~CredentialPool() = default;

std::shared_ptr<CredentialPool> CredentialPool::Start(CredentialPoolOptions options,
                                                      Environment env) {
  std::shared_ptr<CredentialPool> pool(new CredentialPool(std::move(options), std::move(env)));
  pool->Tick();
  pool->ScheduleTick();
  return pool;
}

void CredentialPool::ScheduleTick() {
  std::weak_ptr<CredentialPool> weak = weak_from_this();
  env_.http->RunAfter(env_.tick, [weak] {
    if (std::shared_ptr<CredentialPool> pool = weak.lock()) {
      pool->Tick();
      pool->ScheduleTick();
    }
  });
}

bool CredentialPool::ReloadSecret(Credential& c) {
  const SecretRef& ref =
      c.options.type == CredentialType::kPat ? c.options.token : c.options.client_secret;
  absl::StatusOr<std::string> value = ReadSecret(ref, env_.env);
  if (!value.ok()) {
    // Keep a value that worked; a file caught mid-rewrite or emptied by mistake must not
    // take the credential down.
    if (c.secret.empty()) c.secret_error = std::string(value.status().message());
    return false;
  }
  if (*value == c.secret) return false;
  const bool first = c.secret.empty();
  c.secret = *std::move(value);
  c.secret_error.clear();
  if (env_.logger != nullptr) env_.logger->AddSecret(c.secret);
  if (c.options.type == CredentialType::kPat) c.authorization = absl::StrCat("Bearer ", c.secret);
  return !first;
}

// A member, not static: what it reads of `c` is guarded by mu_ (the header's annotation).
// NOLINTNEXTLINE(readability-convert-member-functions-to-static)
CredentialPool::State CredentialPool::StateOf(const Credential& c, absl::Time now) const {
  if (c.authorization.empty() || now >= c.usable_until) return State::kNoToken;
  if (now < c.ejected_until) return State::kEjected;
  return State::kHealthy;
}

void CredentialPool::Publish(absl::Time now) {
  int usable = 0;
  for (const Credential& c : credentials_) {
    const State state = StateOf(c, now);
    c.metrics.state.Set(static_cast<double>(state));
    if (state == State::kHealthy) ++usable;
  }
  env_.metrics->PoolUsable(options_.name).Set(usable);
}

absl::StatusOr<upstream::Authorizer::Grant> CredentialPool::Acquire(const std::string& operation) {
  const absl::Time now = env_.now();
  absl::MutexLock lock(&mu_);
  const size_t n = credentials_.size();
  size_t best = n;
  for (size_t k = 0; k < n; ++k) {
    const size_t i = (next_ + k) % n;
    if (StateOf(credentials_[i], now) != State::kHealthy) continue;
    if (best == n || credentials_[i].inflight < credentials_[best].inflight) best = i;
  }
  if (best == n) {
    // Nothing usable: the pool is down until the first ejection ends.
    absl::Time back = absl::InfiniteFuture();
    for (const Credential& c : credentials_) {
      if (StateOf(c, now) == State::kEjected) back = std::min(back, c.ejected_until);
    }
    absl::Status status = absl::UnavailableError(
        absl::StrCat("no credential of pool '", options_.name, "' is usable for ", operation, ": ",
                     NotUsableReasonLocked(now)));
    SetErrorInfo(status, "CREDENTIAL_POOL_EXHAUSTED", kGatewayDomain, {{"pool", options_.name}});
    if (back != absl::InfiniteFuture()) SetRetryInfo(status, back - now);
    return status;
  }
  next_ = (best + 1) % n;
  Credential& c = credentials_[best];
  ++c.inflight;
  ++c.uses;
  c.metrics.requests.Increment();
  return Grant{c.authorization, static_cast<int>(best), operation};
}

bool CredentialPool::Report(const Grant& grant, Outcome outcome) {
  const absl::Time now = env_.now();
  absl::MutexLock lock(&mu_);
  if (grant.credential < 0 || static_cast<size_t>(grant.credential) >= credentials_.size()) {
    return false;
  }
  Credential& c = credentials_[grant.credential];
  --c.inflight;
  switch (outcome) {
    case Outcome::kSuccess:
      c.ejections = 0;
      break;
    case Outcome::kRejected:
      // Only the token the attempt was made with is at fault: a secret that changed since
      // deserves its own chance.
      if (grant.authorization == c.authorization && now >= c.ejected_until) {
        ++c.ejections;
        const absl::Duration eject =
            std::min(absl::Seconds(options_.eject_base_seconds) * c.ejections,
                     absl::Seconds(options_.eject_max_seconds));
        c.ejected_until = now + eject;
        c.metrics.ejections.Increment();
        if (c.has_token_endpoint()) c.refresh_at = now;  // the token may have gone bad
        if (env_.logger != nullptr) {
          env_.logger->Warn("Databricks rejected a credential; it is ejected from its pool",
                            {{"pool", options_.name},
                             {"credential", c.options.name},
                             {"ejected_for", absl::FormatDuration(eject)}});
        }
      }
      break;
    case Outcome::kOther:
      break;
  }
  Publish(now);
  for (const Credential& other : credentials_) {
    if (&other != &c && StateOf(other, now) == State::kHealthy) return true;
  }
  return false;
}

std::string CredentialPool::NotUsableReason() const {
  const absl::Time now = env_.now();
  absl::MutexLock lock(&mu_);
  for (const Credential& c : credentials_) {
    const State state = StateOf(c, now);
    if (state == State::kHealthy) return "";
  }
  return NotUsableReasonLocked(now);
}

std::string CredentialPool::NotUsableReasonLocked(absl::Time now) const {
  std::vector<std::string> parts;
  for (const Credential& c : credentials_) {
    const State state = StateOf(c, now);
    std::string part = absl::StrCat(c.options.name, " ", StateName(static_cast<int>(state)));
    if (state == State::kNoToken && !c.secret_error.empty()) {
      absl::StrAppend(&part, " (", c.secret_error, ")");
    } else if (state == State::kNoToken && !c.refresh_error.empty()) {
      absl::StrAppend(&part, " (", c.refresh_error, ")");
    }
    parts.push_back(std::move(part));
  }
  return absl::StrJoin(parts, "; ");
}

void CredentialPool::Tick() {
  const absl::Time now = env_.now();
  std::vector<std::pair<size_t, upstream::HttpRequest>> fetches;
  {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < credentials_.size(); ++i) {
      Credential& c = credentials_[i];
      if (ReloadSecret(c)) {
        c.ejected_until = absl::InfinitePast();
        c.ejections = 0;
        if (c.has_token_endpoint()) {
          c.refresh_at = now;
          c.refresh_retry_at = absl::InfinitePast();
        }
        if (env_.logger != nullptr) {
          env_.logger->Info("a credential's secret changed; new attempts use it",
                            {{"pool", options_.name}, {"credential", c.options.name}});
        }
      }
      if (c.has_token_endpoint() && !c.secret.empty() && !c.refreshing && now >= c.refresh_at &&
          now >= c.refresh_retry_at) {
        c.refreshing = true;
        fetches.emplace_back(i, TokenRequest(c));
      }
    }
    Publish(now);
  }
  for (auto& [index, request] : fetches) {
    std::weak_ptr<CredentialPool> weak = weak_from_this();
    env_.http->Send(std::move(request),
                    [weak, index = index](absl::StatusOr<upstream::HttpResponse> result) {
                      if (std::shared_ptr<CredentialPool> pool = weak.lock()) {
                        pool->OnToken(index, std::move(result));
                      }
                    });
  }
}

upstream::HttpRequest CredentialPool::TokenRequest(const Credential& c) const {
  upstream::HttpRequest request;
  request.method = upstream::Method::kPost;
  request.deadline = env_.now() + kTokenFetchTimeout;
  request.safe_to_repeat = true;
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  if (c.options.type == CredentialType::kOAuthM2M) {
    request.url = absl::StrCat(absl::StripSuffix(env_.workspace_host, "/"), "/oidc/v1/token");
    request.headers.emplace_back(
        "Authorization",
        absl::StrCat("Basic ", absl::Base64Escape(absl::StrCat(UrlEncode(c.options.client_id), ":",
                                                               UrlEncode(c.secret)))));
    request.body =
        absl::StrCat("grant_type=client_credentials&scope=", UrlEncode(c.options.scopes));
  } else {
    const std::string login =
        c.options.azure_login_host.empty() ? kAzurePublicLoginHost : c.options.azure_login_host;
    request.url = absl::StrCat(absl::StripSuffix(login, "/"), "/",
                               UrlEncode(c.options.azure_tenant_id), "/oauth2/token");
    request.body = absl::StrCat(
        "grant_type=client_credentials&client_id=", UrlEncode(c.options.client_id),
        "&client_secret=", UrlEncode(c.secret), "&resource=", kAzureDatabricksResource);
  }
  return request;
}

void CredentialPool::OnToken(size_t index, absl::StatusOr<upstream::HttpResponse> result) {
  const absl::Time now = env_.now();
  // What went wrong, in words that carry no secret: the transport error, or the token
  // endpoint's status and OAuth error code.
  std::string error;
  std::string token;
  absl::optional<int64_t> expires_in;
  if (!result.ok()) {
    error = std::string(result.status().message());
  } else {
    absl::StatusOr<json::Value> body = json::Parse(result->body);
    if (result->status != 200) {
      const json::Value* code = body.ok() ? body->Find("error") : nullptr;
      error = absl::StrCat("token endpoint answered HTTP ", result->status,
                           code != nullptr && code->is_string()
                               ? absl::StrCat(" ", code->as_string().substr(0, 64))
                               : "");
    } else if (!body.ok() || body->Find("access_token") == nullptr ||
               !body->Find("access_token")->is_string() || !(expires_in = ExpiresIn(*body)) ||
               *expires_in <= 0) {
      error = "token endpoint answered without an access_token and a positive expires_in";
    } else {
      token = body->Find("access_token")->as_string();
    }
  }

  absl::MutexLock lock(&mu_);
  Credential& c = credentials_[index];
  c.refreshing = false;
  if (error.empty()) {
    const absl::Duration lifetime = absl::Seconds(*expires_in);
    c.authorization = absl::StrCat("Bearer ", token);
    c.token_expiry = now + lifetime;
    c.usable_until = c.token_expiry - std::min(kMaxSendMargin, lifetime / 4);
    c.refresh_at = c.token_expiry - std::min(kMaxStaleLead, lifetime / 2);
    c.refresh_backoff = std::max(kMinRefreshBackoff, std::min(kMaxRefreshBackoff, lifetime / 8));
    c.refresh_retry_at = absl::InfinitePast();
    c.refresh_error.clear();
    c.metrics.refresh_success.Increment();
  } else {
    c.metrics.refresh_failure.Increment();
    c.refresh_retry_at = now + c.refresh_backoff;
    c.refresh_backoff = std::min(kMaxRefreshBackoff, c.refresh_backoff * 2);
    c.refresh_error = error;
    if (env_.logger != nullptr) {
      env_.logger->Warn(
          "token refresh failed; the current token stays in use while it is valid",
          {{"pool", options_.name},
           {"credential", c.options.name},
           {"error", error},
           {"token_valid_for", c.authorization.empty()
                                   ? "no token"
                                   : absl::FormatDuration(std::max(
                                         absl::ZeroDuration(),
                                         absl::Trunc(c.usable_until - now, absl::Seconds(1))))}});
    }
  }
  Publish(now);
}

}  // namespace gateway::credentials
