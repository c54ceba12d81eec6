#include "server/metrics/credential_metrics.h"

namespace gateway::metrics {

CredentialMetrics::CredentialMetrics(prometheus::Registry& registry)
    : state_(prometheus::BuildGauge()
                 .Name("gateway_credential_state")
                 .Help("Credential health: 0 healthy, 1 cooling down after a 429, 2 ejected "
                       "after a rejection, 3 without a usable token.")
                 .Register(registry)),
      ejections_(prometheus::BuildCounter()
                     .Name("gateway_credential_ejections_total")
                     .Help("Times a credential was ejected after Databricks rejected it.")
                     .Register(registry)),
      requests_(prometheus::BuildCounter()
                    .Name("gateway_credential_requests_total")
                    .Help("Requests to Databricks made with each credential.")
                    .Register(registry)),
      refreshes_(prometheus::BuildCounter()
                     .Name("gateway_token_refreshes_total")
                     .Help("OAuth and Azure AD token fetches, by result.")
                     .Register(registry)),
      usable_(prometheus::BuildGauge()
                  .Name("gateway_credential_pool_usable")
                  .Help("Credentials of a pool usable now; 0: calls on the pool fail.")
                  .Register(registry)) {}

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
