#include "server/metrics/credential_metrics.h"

#include "server/metrics/families.h"

namespace gateway::metrics {

CredentialMetrics::CredentialMetrics(prometheus::Registry& registry)
    : state_(GaugeFamily(registry, "gateway_credential_state",
                         "Credential health: 0 healthy, 2 ejected after a rejection, 3 "
                         "without a usable token.")),
      ejections_(CounterFamily(registry, "gateway_credential_ejections_total",
                               "Times a credential was ejected after Databricks rejected it.")),
      requests_(CounterFamily(registry, "gateway_credential_requests_total",
                              "Requests to Databricks made with each credential.")),
      refreshes_(CounterFamily(registry, "gateway_token_refreshes_total",
                               "OAuth and Azure AD token fetches, by result.")),
      usable_(GaugeFamily(registry, "gateway_credential_pool_usable",
                          "Credentials of a pool usable now; 0: calls on the pool fail.")) {}

CredentialMetrics::Credential CredentialMetrics::ForCredential(absl::string_view pool,
                                                               absl::string_view credential) {
  const std::string p(pool);
  const std::string c(credential);
  return Credential{
      state_.Add({{"pool", p}, {"credential", c}}),
      ejections_.Add({{"pool", p}, {"credential", c}}),
      requests_.Add({{"pool", p}, {"credential", c}}),
      refreshes_.Add({{"pool", p}, {"credential", c}, {"result", "success"}}),
      refreshes_.Add({{"pool", p}, {"credential", c}, {"result", "failure"}}),
  };
}

prometheus::Gauge& CredentialMetrics::PoolUsable(absl::string_view pool) {
  return usable_.Add({{"pool", std::string(pool)}});
}

}  // namespace gateway::metrics
