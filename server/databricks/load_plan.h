// LoadTables planning: each table's CREATE TABLE … AS statement, its dependencies (explicit,
// or found in its query), and Kahn-style waves. Pure.
//
// Everything that can be wrong with a request is found here, before anything runs:
// duplicate tables, a query that is not a single SELECT, a dependency that names no table of
// the request, a cycle.
#ifndef SERVER_DATABRICKS_LOAD_PLAN_H_
#define SERVER_DATABRICKS_LOAD_PLAN_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/databricks/gateway/v1/delta.pb.h"
#include "server/databricks/delta.h"

namespace gateway::databricks {

// Most tables in one LoadTables request, and the largest concurrency it may ask for.
inline constexpr int kMaxLoadTables = 1000;
inline constexpr int kMaxLoadConcurrency = 32;
inline constexpr int kDefaultLoadConcurrency = 4;

// A CTAS query must be one query (SELECT, WITH … SELECT, VALUES, TABLE) that the SQL
// reader (sql_refs.h) can read, not ending in ';'. Errors: INVALID_ARGUMENT naming `field`
// and what was refused.
absl::Status CheckQuery(absl::string_view query, absl::string_view field);

// The tables a checked query names (sql_refs.h), as lower-case "catalog.schema.table", one-
// and two-part names completed from `defaults`. Names defined by the query's own WITH
// clauses are not tables. For ordering loads only: access checks use the references and
// refuse what the reader cannot name (services' Route::CheckSql).
std::vector<std::string> ReferencedTables(absl::string_view query, const NameDefaults& defaults);

struct LoadPlanning {
  // Per request table, in request order.
  std::vector<std::string> names;  // lower-case "catalog.schema.table"
  std::vector<DeltaStatement> statements;
  std::vector<std::vector<int>> depends_on;  // indices into the request's tables
  std::vector<int> wave_of;
  // The waves: table indices, in request order within a wave.
  std::vector<std::vector<int>> waves;
  int max_concurrency = kDefaultLoadConcurrency;
};

// Plans a request. An empty request plans no waves. Errors: INVALID_ARGUMENT for a bad
// table definition, a duplicate table, a missing dependency ("tables[2].depends_on[0]:
// main.default.x is not a table of this request") or a cycle ("tables depend on each other
// in a cycle: a → b → a").
absl::StatusOr<LoadPlanning> PlanLoad(const v1::LoadTablesRequest& request,
                                      const NameDefaults& defaults);

// The public plan message.
v1::LoadPlan PlanMessage(const LoadPlanning& plan);

}  // namespace gateway::databricks

#endif  // SERVER_DATABRICKS_LOAD_PLAN_H_
