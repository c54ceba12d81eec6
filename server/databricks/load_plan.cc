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

namespace gateway::databricks {
namespace {

struct Token {
  enum class Kind { kWord, kQuoted, kString, kSymbol, kOther } kind;
  std::string text;  // words upper-case; back-quoted identifiers without their quotes
};

bool WordChar(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Splits a query into the tokens reference finding needs, refusing what CheckQuery refuses.
absl::StatusOr<std::vector<Token>> Lex(absl::string_view q, absl::string_view field) {
  std::vector<Token> out;
  int depth = 0;
  size_t i = 0;
  while (i < q.size()) {
    const char c = q[i];
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == ';') {
      return InvalidField(
          field, absl::StrCat("';' at position ", i, " is not allowed: a query is one statement"));
    } else if ((c == '-' && i + 1 < q.size() && q[i + 1] == '-') ||
               (c == '/' && i + 1 < q.size() && q[i + 1] == '*')) {
      return InvalidField(field, absl::StrCat("comments are not allowed (at position ", i, ")"));
    } else if (c == '\'' || c == '"' || c == '`') {
      // A string ('…', "…", backslash escapes) or a back-quoted identifier (`` doubles).
      std::string text;
      size_t j = i + 1;
      bool closed = false;
      while (j < q.size()) {
        if (c != '`' && q[j] == '\\' && j + 1 < q.size()) {
          text += q[j + 1];
          j += 2;
        } else if (q[j] == c) {
          if (c == '`' && j + 1 < q.size() && q[j + 1] == '`') {
            text += '`';
            j += 2;
            continue;
          }
          closed = true;
          ++j;
          break;
        } else {
          text += q[j++];
        }
      }
      if (!closed) {
        return InvalidField(field, absl::StrCat("the quote at position ", i, " is never closed"));
      }
      out.push_back({c == '`' ? Token::Kind::kQuoted : Token::Kind::kString, std::move(text)});
      i = j;
    } else if (WordChar(c)) {
      size_t j = i;
      while (j < q.size() && WordChar(q[j])) ++j;
      out.push_back({Token::Kind::kWord, absl::AsciiStrToUpper(q.substr(i, j - i))});
      i = j;
    } else {
      if (c == '(') ++depth;
      if (c == ')' && --depth < 0) {
        return InvalidField(field, absl::StrCat("unbalanced ')' at position ", i));
      }
      out.push_back({std::string("(),.").find(c) != std::string::npos ? Token::Kind::kSymbol
                                                                      : Token::Kind::kOther,
                     std::string(1, c)});
      ++i;
    }
  }
  if (depth != 0) return InvalidField(field, "unbalanced '('");
  return out;
}

bool IsName(const Token& t) {
  return t.kind == Token::Kind::kWord || t.kind == Token::Kind::kQuoted;
}
bool IsSymbol(const Token& t, const char* s) {
  return t.kind == Token::Kind::kSymbol && t.text == s;
}
bool IsWord(const Token& t, const char* w) { return t.kind == Token::Kind::kWord && t.text == w; }

// Reads a dotted name at `i` (advancing past it); empty when there is none.
std::vector<std::string> NameAt(const std::vector<Token>& t, size_t* i) {
  std::vector<std::string> parts;
  if (*i >= t.size() || !IsName(t[*i])) return parts;
  parts.push_back(absl::AsciiStrToLower(t[*i].text));
  ++*i;
  while (*i + 1 < t.size() && IsSymbol(t[*i], ".") && IsName(t[*i + 1])) {
    parts.push_back(absl::AsciiStrToLower(t[*i + 1].text));
    *i += 2;
  }
  return parts;
}

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
  if (absl::StripAsciiWhitespace(query).empty()) return InvalidField(field, "required");
  if (query.size() > kMaxStatementBytes / 2) {
    return InvalidField(field, absl::StrCat("at most ", kMaxStatementBytes / 2, " bytes"));
  }
  GW_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(query, field));
  size_t first = 0;
  while (first < tokens.size() && IsSymbol(tokens[first], "(")) ++first;
  if (first >= tokens.size() ||
      !(IsWord(tokens[first], "SELECT") || IsWord(tokens[first], "WITH"))) {
    return InvalidField(field, "must be a SELECT (or WITH … SELECT) query");
  }
  return absl::OkStatus();
}

std::vector<std::string> ReferencedTables(absl::string_view query, const NameDefaults& defaults) {
  absl::StatusOr<std::vector<Token>> lexed = Lex(query, "query");
  if (!lexed.ok()) return {};
  const std::vector<Token>& t = *lexed;
  // Names the query defines itself: "name AS (" (common table expressions).
  std::set<std::string> local;
  for (size_t i = 0; i + 2 < t.size(); ++i) {
    if (IsName(t[i]) && IsWord(t[i + 1], "AS") && IsSymbol(t[i + 2], "(")) {
      local.insert(absl::AsciiStrToLower(t[i].text));
    }
  }
  std::set<std::string> found;
  auto read = [&](size_t at) {
    std::vector<std::string> parts = NameAt(t, &at);
    if (parts.empty() || (parts.size() == 1 && local.count(parts[0]) > 0)) return;
    found.insert(FullName(parts, defaults));
  };
  // Parenthesis depth before each token.
  std::vector<int> depth(t.size() + 1, 0);
  for (size_t i = 0; i < t.size(); ++i) {
    depth[i + 1] = depth[i] + (IsSymbol(t[i], "(") ? 1 : IsSymbol(t[i], ")") ? -1 : 0);
  }
  static const char* const kClauseEnd[] = {"WHERE",   "GROUP",  "HAVING",    "ORDER",     "LIMIT",
                                           "UNION",   "EXCEPT", "INTERSECT", "MINUS",     "WINDOW",
                                           "QUALIFY", "SORT",   "CLUSTER",   "DISTRIBUTE"};
  for (size_t i = 0; i < t.size(); ++i) {
    if (IsWord(t[i], "JOIN")) read(i + 1);
    if (!IsWord(t[i], "FROM")) continue;
    read(i + 1);
    // The rest of this FROM clause: a comma at its depth joins another table.
    for (size_t k = i + 1; k < t.size() && depth[k] >= depth[i]; ++k) {
      if (depth[k] != depth[i]) continue;
      if (std::any_of(std::begin(kClauseEnd), std::end(kClauseEnd),
                      [&](const char* w) { return IsWord(t[k], w); })) {
        break;
      }
      if (IsSymbol(t[k], ",")) read(k + 1);
    }
  }
  return std::vector<std::string>(found.begin(), found.end());
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
