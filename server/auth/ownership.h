// Ownership of the objects a tenant creates in Databricks, kept with the objects themselves
// so that every replica, before and after a restart, agrees on it without a store of its own.
//
// A run submitted for a tenant carries the tenant's mark at the start of its run name
// ("[gw:TENANT] nightly"); a job carries it at the start of its name and as the job tag
// `gateway_tenant: TENANT`, and a run of the job inherits the job's name as its run name, as
// Databricks names job runs. Clusters the gateway starts for a run carry the same tag in
// `custom_tags`, so Databricks' UI and its billing attribute them to the tenant.
//
// Marks cannot be forged by a caller: the gateway writes the mark before whatever name the
// caller gave (a caller's own "[gw:other] x" becomes "[gw:mine] [gw:other] x"), refuses a
// caller's tag named `gateway_tenant`, and tenant names cannot contain ']' (the config
// loader allows letters, digits, '-', '_' and '.'). Objects made outside the gateway carry
// no mark and belong to no tenant.
//
// Without tenants (an empty tenant name) nothing is marked and everything is owned.
// Pure functions; thread-safe.
#ifndef SERVER_AUTH_OWNERSHIP_H_
#define SERVER_AUTH_OWNERSHIP_H_

#include <string>

#include "absl/strings/string_view.h"

namespace gateway::auth {

// The tag key (jobs' `tags`, clusters' `custom_tags`) naming the owning tenant.
inline constexpr absl::string_view kTenantTag = "gateway_tenant";

// `name` as sent to Databricks for `tenant`: the mark, then the name ("Untitled", as
// Databricks names a run without one, when `name` is empty).
std::string MarkName(absl::string_view tenant, absl::string_view name);
// Whether a name read from Databricks carries `tenant`'s mark.
bool NameOwnedBy(absl::string_view tenant, absl::string_view name);
// A name read from Databricks as the tenant gave it (without the mark).
std::string UnmarkName(absl::string_view tenant, absl::string_view name);

}  // namespace gateway::auth

#endif  // SERVER_AUTH_OWNERSHIP_H_
