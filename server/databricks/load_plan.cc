#include "server/databricks/load_plan.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/common/status_macros.h"
#include "server/databricks/api.h"
#include "server/databricks/delta_sql.h"
#include "server/databricks/sql.h"
#include "server/databricks/sql_refs.h"

namespace gateway::databricks {
namespace {

bool WordChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

std::string FullName(const std::vector<std::string>& parts, const NameDefaults& defaults) {
  const std::string catalog = absl::AsciiStrToLower(defaults.catalog);
  const std::string schema = absl::AsciiStrToLower(defaults.schema);
  switch (parts.size()) {
    case 1:
      return absl::StrCat(catalog, ".", schema, ".", parts[0]);
    case 2:
      return absl::StrCat(catalog, ".", parts[0], ".", parts[1]);
    default:
      return absl::StrJoin(parts.end() - 3, parts.end(), ".");
  }
}

std::string NameOf(const v1::TableName& table, const NameDefaults& defaults) {
  return absl::AsciiStrToLower(
      absl::StrCat(table.catalog().empty() ? defaults.catalog : table.catalog(), ".",
                   table.schema().empty() ? defaults.schema : table.schema(), ".", table.table()));
}

absl::StatusOr<DeltaStatement> CreateTableAs(const v1::TableDefinition& table,
                                             const std::string& field,
                                             const NameDefaults& defaults) {
  GW_ASSIGN_OR_RETURN(std::string name, QuotedTableName(table.name(), absl::StrCat(field, ".name"),
                                                        defaults.catalog, defaults.schema));
  GW_RETURN_IF_ERROR(CheckQuery(table.query(), absl::StrCat(field, ".query")));
  DeltaStatement out;
  out.sql = absl::StrCat(table.replace() ? "CREATE OR REPLACE TABLE " : "CREATE TABLE ", name);
  if (!table.properties().empty()) {
    // Sorted, so the same request always makes the same statement.
    const std::map<std::string, std::string> sorted(table.properties().begin(),
                                                    table.properties().end());
    std::vector<std::string> pairs;
    for (const auto& [key, value] : sorted) {
      const std::string at = absl::StrCat(field, ".properties[", key.substr(0, 64), "]");
      if (key.empty() || key.size() > kMaxPropertyKeyLength ||
          !std::all_of(key.begin(), key.end(),
                       [](char c) { return WordChar(c) || c == '.' || c == '-'; })) {
        return InvalidField(at, "a property key is letters, digits, '_', '.' and '-'");
      }
      GW_RETURN_IF_ERROR(ValidateLiteral(value, at));
      pairs.push_back(absl::StrCat("'", key, "' = '", value, "'"));
    }
    absl::StrAppend(&out.sql, " TBLPROPERTIES (", absl::StrJoin(pairs, ", "), ")");
  }
  absl::StrAppend(&out.sql, " AS ", absl::StripAsciiWhitespace(table.query()));
  return out;
}

}  // namespace

absl::Status CheckQuery(absl::string_view query, absl::string_view field) {
  const absl::string_view text = absl::StripAsciiWhitespace(query);
  if (text.empty()) return InvalidField(field, "required");
  if (query.size() > kMaxStatementBytes / 2) {
    return InvalidField(field, absl::StrCat("at most ", kMaxStatementBytes / 2, " bytes"));
  }
  GW_ASSIGN_OR_RETURN(SqlReferences found, FindSqlReferences(query, field));
  // The query ends a CREATE TABLE … AS statement: a ';' would end it early.
  if (absl::EndsWith(text, ";")) {
    return InvalidField(field, "must not end with ';': a query is one statement");
  }
  if (!found.query) {
    return InvalidField(field, "must be a query (SELECT, WITH … SELECT, VALUES or TABLE)");
  }
  return absl::OkStatus();
}

std::vector<std::string> ReferencedTables(absl::string_view query, const NameDefaults& defaults) {
  absl::StatusOr<SqlReferences> found = FindSqlReferences(query, "query");
  if (!found.ok()) return {};
  std::set<std::string> tables;
  for (const SqlReference& ref : found->references) {
    if (ref.kind != SqlReference::Kind::kFunction) tables.insert(FullName(ref.parts, defaults));
  }
  return std::vector<std::string>(tables.begin(), tables.end());
}

absl::StatusOr<LoadPlanning> PlanLoad(const v1::LoadTablesRequest& request,
                                      const NameDefaults& defaults) {
  LoadPlanning plan;
  const int n = request.tables_size();
  if (n > kMaxLoadTables) {
    return InvalidField("tables", absl::StrCat("at most ", kMaxLoadTables, " tables, got ", n));
  }
  if (request.max_concurrency() < 0 || request.max_concurrency() > kMaxLoadConcurrency) {
    return InvalidField("max_concurrency",
                        absl::StrCat("must be between 0 (default ", kDefaultLoadConcurrency,
                                     ") and ", kMaxLoadConcurrency));
  }
  if (request.max_concurrency() > 0) plan.max_concurrency = request.max_concurrency();
  std::map<std::string, int> index;
  for (int i = 0; i < n; ++i) {
    const std::string field = absl::StrCat("tables[", i, "]");
    GW_ASSIGN_OR_RETURN(DeltaStatement statement,
                        CreateTableAs(request.tables(i), field, defaults));
    plan.statements.push_back(std::move(statement));
    plan.names.push_back(NameOf(request.tables(i).name(), defaults));
    if (!index.emplace(plan.names.back(), i).second) {
      return InvalidField(absl::StrCat(field, ".name"),
                          absl::StrCat(plan.names.back(), " is defined twice"));
    }
  }
  plan.depends_on.resize(n);
  for (int i = 0; i < n; ++i) {
    const v1::TableDefinition& table = request.tables(i);
    std::set<int> deps;
    for (int d = 0; d < table.depends_on_size(); ++d) {
      const std::string name = NameOf(table.depends_on(d), defaults);
      auto it = index.find(name);
      if (it == index.end()) {
        return InvalidField(absl::StrCat("tables[", i, "].depends_on[", d, "]"),
                            absl::StrCat(name, " is not a table of this request"));
      }
      deps.insert(it->second);
    }
    for (const std::string& name : ReferencedTables(table.query(), defaults)) {
      auto it = index.find(name);
      if (it != index.end()) deps.insert(it->second);
    }
    if (deps.count(i) > 0) {
      return InvalidField(absl::StrCat("tables[", i, "]"),
                          absl::StrCat(plan.names[i], " depends on itself"));
    }
    plan.depends_on[i].assign(deps.begin(), deps.end());
  }
  // Kahn: a wave is every table whose dependencies are all in earlier waves.
  std::vector<int> waiting(n);
  std::vector<std::vector<int>> dependants(n);
  for (int i = 0; i < n; ++i) {
    waiting[i] = static_cast<int>(plan.depends_on[i].size());
    for (int d : plan.depends_on[i]) dependants[d].push_back(i);
  }
  plan.wave_of.assign(n, -1);
  std::vector<int> ready;
  for (int i = 0; i < n; ++i) {
    if (waiting[i] == 0) ready.push_back(i);
  }
  int placed = 0;
  while (!ready.empty()) {
    const int wave = static_cast<int>(plan.waves.size());
    std::vector<int> next;
    for (int i : ready) {
      plan.wave_of[i] = wave;
      ++placed;
      for (int d : dependants[i]) {
        if (--waiting[d] == 0) next.push_back(d);
      }
    }
    plan.waves.push_back(ready);
    std::sort(next.begin(), next.end());
    ready = std::move(next);
  }
  if (placed < n) {
    // Walk dependencies from an unplaced table until one repeats: that is a cycle.
    int at = 0;
    while (plan.wave_of[at] >= 0) ++at;
    std::vector<int> path;
    std::map<int, size_t> seen;
    while (seen.emplace(at, path.size()).second) {
      path.push_back(at);
      for (int d : plan.depends_on[at]) {
        if (plan.wave_of[d] < 0) {
          at = d;
          break;
        }
      }
    }
    std::vector<std::string> cycle;
    for (size_t k = seen[at]; k < path.size(); ++k) cycle.push_back(plan.names[path[k]]);
    cycle.push_back(plan.names[at]);
    return InvalidField("tables", absl::StrCat("tables depend on each other in a cycle: ",
                                               absl::StrJoin(cycle, " → ")));
  }
  return plan;
}

v1::LoadPlan PlanMessage(const LoadPlanning& plan) {
  v1::LoadPlan out;
  for (const std::vector<int>& wave : plan.waves) {
    v1::LoadPlan::Wave& w = *out.add_waves();
    for (int i : wave) w.add_tables(plan.names[i]);
  }
  return out;
}

}  // namespace gateway::databricks
