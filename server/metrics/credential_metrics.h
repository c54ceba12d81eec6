// Metrics of the credential pools: each credential's health, the pool's usable count,
// ejections, requests per credential, and token refreshes. Labels are pool and credential
// names from the configuration. Thread-safe.
#ifndef SERVER_METRICS_CREDENTIAL_METRICS_H_
#define SERVER_METRICS_CREDENTIAL_METRICS_H_

#include <string>

#include "absl/strings/string_view.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace gateway::metrics {

class CredentialMetrics {
 public:
  // The series of one credential.
  struct Credential {
    // gateway_credential_state{pool, credential}: 0 healthy, 2 ejected after a rejection,
    // 3 without a usable token (1 is no longer used).
    prometheus::Gauge& state;
    // gateway_credential_ejections_total{pool, credential}.
    prometheus::Counter& ejections;
    // gateway_credential_requests_total{pool, credential}: attempts made with it.
    prometheus::Counter& requests;
    // gateway_token_refreshes_total{pool, credential, result}: OAuth and AAD token fetches.
    prometheus::Counter& refresh_success;
    prometheus::Counter& refresh_failure;
  };

  explicit CredentialMetrics(prometheus::Registry& registry);
  CredentialMetrics(const CredentialMetrics&) = delete;
  CredentialMetrics& operator=(const CredentialMetrics&) = delete;

  // Handles are cached by prometheus-cpp: the same labels give the same series.
  Credential ForCredential(absl::string_view pool, absl::string_view credential);
  // gateway_credential_pool_usable{pool}: credentials usable now; 0 means every call on
  // the pool fails.
  prometheus::Gauge& PoolUsable(absl::string_view pool);

 private:
  prometheus::Family<prometheus::Gauge>& state_;
  prometheus::Family<prometheus::Counter>& ejections_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& refreshes_;
  prometheus::Family<prometheus::Gauge>& usable_;
};

}  // namespace gateway::metrics

#endif  // SERVER_METRICS_CREDENTIAL_METRICS_H_
