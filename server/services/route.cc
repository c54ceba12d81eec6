#include "server/services/route.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "server/databricks/sql_refs.h"

namespace gateway::services {
namespace {

constexpr absl::string_view kRun = "run";
constexpr absl::string_view kStatement = "statement";

// Databricks statement ids are UUID-like: letters, digits and '-'. Anything else could not
// be one, and must not reach a URL path.
bool PlausibleStatementId(absl::string_view id) {
  return !id.empty() && id.size() <= 128 && std::all_of(id.begin(), id.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
  });
}

// Asks the quota for a token, waits as long as it says and asks again, until it gets one
// or the call is over (`stopped`): a call that ended lets go of its route, and with it its
// concurrency slot, at once.
void PaceWith(std::shared_ptr<const ratelimit::TenantQuota> quota, std::string method,
              upstream::WorkspaceClient* client, std::function<void()> then,
              std::function<bool()> stopped) {
  if (stopped()) return;
  const ratelimit::TenantQuota* asked = quota.get();
  const std::string name = method;
  asked->Pace(name, [quota = std::move(quota), method = std::move(method), client,
                     then = std::move(then),
                     stopped = std::move(stopped)](absl::Duration wait) mutable {
    if (wait <= absl::ZeroDuration()) {
      then();
      return;
    }
    client->RunAfter(wait, [quota = std::move(quota), method = std::move(method), client,
                            then = std::move(then), stopped = std::move(stopped)]() mutable {
      PaceWith(std::move(quota), std::move(method), client, std::move(then), std::move(stopped));
    });
  });
}

}  // namespace

void Route::Pace(std::function<void()> then, std::function<bool()> stopped) const {
  if (pacing_.quota == nullptr || dry_run_ != nullptr) {
    then();
    return;
  }
  PaceWith(pacing_.quota, pacing_.method, client_, std::move(then), std::move(stopped));
}

void Route::NotSent(const upstream::Call& call, upstream::CallCallback done) const {
  dry_run_->Add(call);
  // On an upstream thread, as an answer would come: the caller's flow may hold locks now.
  client_->RunAfter(absl::ZeroDuration(), [done = std::move(done)] { done(DryRunStop()); });
}

absl::Status Route::CheckWarehouse(absl::string_view warehouse_id) const {
  return caller_.access ? caller_.access->CheckWarehouse(warehouse_id) : absl::OkStatus();
}

absl::Status Route::CheckSchema(absl::string_view catalog, absl::string_view schema) const {
  return caller_.access ? caller_.access->CheckSchema(catalog, schema) : absl::OkStatus();
}

absl::Status Route::CheckCatalog(absl::string_view catalog) const {
  return caller_.access ? caller_.access->CheckCatalog(catalog) : absl::OkStatus();
}

bool Route::SchemaAllowed(absl::string_view catalog, absl::string_view schema) const {
  return !caller_.access || caller_.access->SchemaAllowed(catalog, schema);
}

absl::Status Route::CheckSecretReferences(
    const google::protobuf::Map<std::string, std::string>& values) const {
  if (!caller_.access) return absl::OkStatus();
  for (const auto& [key, value] : values) {
    // Databricks substitutes {{secrets/SCOPE/KEY}} wherever it stands in the value.
    for (size_t at = value.find("{{secrets/"); at != std::string::npos;
         at = value.find("{{secrets/", at + 1)) {
      const size_t start = at + std::string("{{secrets/").size();
      const size_t slash = value.find('/', start);
      const absl::string_view scope =
          absl::string_view(value).substr(start, slash == std::string::npos ? 0 : slash - start);
      absl::Status allowed = caller_.access->CheckSecretScope(absl::StripAsciiWhitespace(scope));
      if (!allowed.ok()) return allowed;
    }
  }
  return absl::OkStatus();
}

bool Route::AllSchemasAllowed() const {
  return !caller_.access || caller_.access->AllSchemasAllowed();
}

absl::Status Route::DenyPath(absl::string_view field, absl::string_view path) const {
  return caller_.access ? caller_.access->DenyPath(field, path) : absl::OkStatus();
}

absl::Status Route::CheckPath(absl::string_view field, absl::string_view path) const {
  if (AllSchemasAllowed()) return absl::OkStatus();
  absl::string_view rest = path;
  absl::ConsumePrefix(&rest, "dbfs:");
  if (absl::ConsumePrefix(&rest, "/Volumes/")) {
    const std::vector<absl::string_view> parts = absl::StrSplit(rest, '/');
    const bool plain = std::none_of(parts.begin(), parts.end(), [](absl::string_view part) {
      return part == "." || part == ".." || absl::StrContains(part, "%") ||
             absl::StrContains(part, "\\");
    });
    if (plain && parts.size() >= 3 && !parts[0].empty() && !parts[1].empty() && !parts[2].empty()) {
      return caller_.access->CheckObject(
          absl::StrCat("use the volume path '", path, "' (", field, ")"),
          absl::AsciiStrToLower(parts[0]), absl::AsciiStrToLower(parts[1]));
    }
  }
  return DenyPath(field, path);
}

absl::Status Route::CheckSql(absl::string_view sql, absl::string_view catalog,
                             absl::string_view schema, absl::string_view field) const {
  if (AllSchemasAllowed()) return absl::OkStatus();
  absl::StatusOr<databricks::SqlReferences> found = databricks::FindSqlReferences(sql, field);
  if (!found.ok()) return found.status();
  if (!found->unresolved.empty()) {
    const databricks::SqlUnresolved& first = found->unresolved.front();
    return caller_.access->DenyUnchecked(
        absl::StrCat("use ", first.construct, " (", field, ", position ", first.offset, ")"));
  }
  for (const databricks::SqlReference& ref : found->references) {
    const std::vector<std::string>& parts = ref.parts;
    const absl::string_view in_catalog = parts.size() == 3 ? parts[0] : catalog;
    const absl::string_view in_schema = parts.size() == 3   ? parts[1]
                                        : parts.size() == 2 ? parts[0]
                                                            : schema;
    const char* verb = ref.kind == databricks::SqlReference::Kind::kRead    ? "read table "
                       : ref.kind == databricks::SqlReference::Kind::kWrite ? "write table "
                                                                            : "call function ";
    absl::Status allowed = caller_.access->CheckObject(
        absl::StrCat(verb, absl::StrJoin(parts, ".")), absl::AsciiStrToLower(in_catalog),
        absl::AsciiStrToLower(in_schema));
    if (!allowed.ok()) return allowed;
  }
  return absl::OkStatus();
}

bool Route::CatalogAllowed(absl::string_view catalog) const {
  return !caller_.access || caller_.access->CatalogAllowed(catalog);
}

std::string Route::IdempotencyToken(absl::string_view given) const {
  if (caller_.tenant.empty() || caller_.signer == nullptr) return std::string(given);
  // Databricks takes at most 64 characters: "gw-t-" and 40 hex digits of a keyed digest, so
  // that whoever reaches the workspace directly cannot compute a tenant's token and start
  // a run under it first.
  return absl::StrCat("gw-t-", caller_.signer->Derive(caller_.tenant, "idempotency", given));
}

std::string Route::RunHandle(int64_t run_id) const {
  const std::string id = absl::StrCat(run_id);
  return caller_.signer ? caller_.signer->Sign(caller_.tenant, kRun, id) : id;
}

absl::StatusOr<int64_t> Route::RunId(absl::string_view handle) const {
  std::string id(handle);
  if (caller_.signer) {
    absl::StatusOr<std::string> verified = caller_.signer->Verify(caller_.tenant, kRun, handle);
    if (!verified.ok()) return verified.status();
    id = *std::move(verified);
  }
  int64_t run_id;
  if (id.empty() || !absl::SimpleAtoi(id, &run_id) || run_id <= 0) {
    return auth::UnknownHandle(kRun, handle);
  }
  return run_id;
}

std::string Route::StatementHandle(absl::string_view statement_id) const {
  return caller_.signer ? caller_.signer->Sign(caller_.tenant, kStatement, statement_id)
                        : std::string(statement_id);
}

absl::StatusOr<std::string> Route::StatementId(absl::string_view handle) const {
  std::string id(handle);
  if (caller_.signer) {
    absl::StatusOr<std::string> verified =
        caller_.signer->Verify(caller_.tenant, kStatement, handle);
    if (!verified.ok()) return verified.status();
    id = *std::move(verified);
  }
  if (!PlausibleStatementId(id)) return auth::UnknownHandle(kStatement, handle);
  return id;
}

}  // namespace gateway::services
