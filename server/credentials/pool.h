// A credential pool: several Databricks credentials of one workspace, used as one
// identity. Each upstream attempt takes the healthiest, least-loaded credential:
//
//   - a credential Databricks rejects (401, or 403 about its token) is ejected for a
//     growing time (eject_base_seconds × consecutive ejections, capped) and the call is
//     retried on another; after the ejection it gets traffic again, and a success clears
//     its record;
//   - a 429 says nothing about the credential: Databricks limits each endpoint of the
//     workspace, and the workspace's budget (server/upstream/budget.h) paces by endpoint;
//   - OAuth M2M and Azure AD tokens are fetched in the background, refreshed once half
//     their life (at most 20 minutes) remains, and never sent in their last
//     min(40 s, a quarter of their life); a failed refresh keeps the current token while
//     it is valid and is retried with back-off;
//   - secrets in files are read again every second: a changed PAT is used for the next
//     attempt (attempts in flight finish with the old one) and clears an ejection; a
//     changed client secret triggers a token fetch.
//
// When no credential is usable, Acquire fails with UNAVAILABLE (with when the first ejection
// ends). A credential counts as usable (gateway_credential_pool_usable, /readyz) unless it
// is ejected or has no token; when none is, NotUsableReason says why. Secret values never reach a
// log, metric or error.
//
// Thread-safe. Background work runs on the HTTP client's threads and stops when the pool
// is destroyed.
#ifndef SERVER_CREDENTIALS_POOL_H_
#define SERVER_CREDENTIALS_POOL_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "server/common/log.h"
#include "server/common/secret.h"
#include "server/credentials/options.h"
#include "server/metrics/credential_metrics.h"
#include "server/upstream/authorizer.h"
#include "server/upstream/http_client.h"

namespace gateway::credentials {

// The Azure Databricks application id, the AAD resource of workspace tokens.
inline constexpr char kAzureDatabricksResource[] = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d";
// The AAD login host of Azure's public cloud.
inline constexpr char kAzurePublicLoginHost[] = "https://login.microsoftonline.com";

class CredentialPool final : public upstream::Authorizer,
                             public std::enable_shared_from_this<CredentialPool> {
 public:
  struct Environment {
    // Token fetches and the background timer; not owned, outlives the pool's work.
    upstream::HttpClient* http = nullptr;
    // The workspace URL (token endpoint {host}/oidc/v1/token).
    std::string workspace_host;
    EnvReader env;
    // Not owned; may be null.
    Logger* logger = nullptr;
    // Not owned.
    metrics::CredentialMetrics* metrics = nullptr;
    std::function<absl::Time()> now = absl::Now;
    // How often files are read again and tokens checked.
    absl::Duration tick = absl::Seconds(1);
  };

  // Reads the secrets, starts the first token fetches and the background timer.
  static std::shared_ptr<CredentialPool> Start(CredentialPoolOptions options, Environment env);
  ~CredentialPool() override;

  absl::StatusOr<Grant> Acquire(const std::string& operation) override ABSL_LOCKS_EXCLUDED(mu_);
  bool Report(const Grant& grant, Outcome outcome) override ABSL_LOCKS_EXCLUDED(mu_);

  // Empty while some credential is usable; otherwise why none is (names, never secrets).
  std::string NotUsableReason() const ABSL_LOCKS_EXCLUDED(mu_);
  const CredentialPoolOptions& options() const { return options_; }

  // Reads files and refreshes tokens now (the timer does this every tick).
  void Tick() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Credential;
  // gateway_credential_state's values (1, a cool-down after a 429, is no longer used).
  enum class State { kHealthy = 0, kEjected = 2, kNoToken = 3 };

  CredentialPool(CredentialPoolOptions options, Environment env);
  void ScheduleTick();
  State StateOf(const Credential& c, absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Every credential's state.
  std::string NotUsableReasonLocked(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Publish(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Reads the credential's secret again; true when it changed.
  bool ReloadSecret(Credential& c) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  upstream::HttpRequest TokenRequest(const Credential& c) const;
  void OnToken(size_t index, absl::StatusOr<upstream::HttpResponse> result)
      ABSL_LOCKS_EXCLUDED(mu_);

  const CredentialPoolOptions options_;
  const Environment env_;
  mutable absl::Mutex mu_;
  std::vector<Credential> credentials_ ABSL_GUARDED_BY(mu_);
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;  // where ties start, so equal loads rotate
};

}  // namespace gateway::credentials

#endif  // SERVER_CREDENTIALS_POOL_H_
