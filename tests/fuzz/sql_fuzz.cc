// Fuzzes the SQL builders' checked pieces: identifiers, filter predicates, column types and
// literals. The input's first byte picks the function, the rest is its text. Properties:
//   - a valid identifier, quoted, is one back-quoted token: `name` with no other back-quote;
//   - an accepted predicate's canonical SQL never holds a quote, a semicolon or a comment
//     (the grammar has none), and written back as a caller would (without the back-quotes)
//     it is accepted again with the same canonical form, columns and parameters;
//   - a parsed type's canonical text parses to the same type;
//   - an accepted three-part table name is three back-quoted parts joined by dots.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "server/databricks/delta.h"
#include "server/databricks/delta_sql.h"
#include "tests/fuzz/fuzz_check.h"

namespace db = ::gateway::databricks;

namespace {

void Identifier(const std::string& text) {
  if (!db::ValidateIdentifier(text, "name").ok()) return;
  const std::string quoted = db::Quote(text);
  FUZZ_CHECK(quoted.size() == text.size() + 2 && quoted.front() == '`' && quoted.back() == '`' &&
                 quoted.find('`', 1) == quoted.size() - 1,
             "quoted: %s", quoted.c_str());
}

void Predicate(const std::string& text) {
  absl::StatusOr<db::CheckedPredicate> checked = db::CheckPredicate(text, "where", {"t", "s"});
  if (!checked.ok()) return;
  for (const char* banned : {"'", "\"", ";", "--", "/*"}) {
    FUZZ_CHECK(!absl::StrContains(checked->sql, banned), "%s in: %s", banned, checked->sql.c_str());
  }
  const std::string unquoted = absl::StrReplaceAll(checked->sql, {{"`", ""}});
  absl::StatusOr<db::CheckedPredicate> again = db::CheckPredicate(unquoted, "where", {"t", "s"});
  FUZZ_CHECK(again.ok(), "canonical form refused: %s -> %s", checked->sql.c_str(),
             std::string(again.status().message()).c_str());
  FUZZ_CHECK(again->sql == checked->sql, "not a fixpoint: %s -> %s", checked->sql.c_str(),
             again->sql.c_str());
  FUZZ_CHECK(again->columns == checked->columns && again->parameters == checked->parameters,
             "columns or parameters changed: %s", checked->sql.c_str());
}

void Type(const std::string& text) {
  for (bool complex : {false, true}) {
    absl::StatusOr<db::SqlType> type = db::ParseSqlType(text, "type", complex);
    if (!type.ok()) continue;
    absl::StatusOr<db::SqlType> again = db::ParseSqlType(type->text, "type", complex);
    FUZZ_CHECK(again.ok() && again->name == type->name && again->precision == type->precision &&
                   again->scale == type->scale && again->text == type->text,
               "canonical text does not round-trip: %s", type->text.c_str());
  }
}

void TableName(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits('.', 2));
  parts.resize(3);
  db::v1::TableName table;
  table.set_catalog(parts[0]);
  table.set_schema(parts[1]);
  table.set_table(parts[2]);
  absl::StatusOr<std::string> quoted = db::QuotedTableName(table, "table", "main", "default");
  if (!quoted.ok()) return;
  std::vector<std::string> quoted_parts = absl::StrSplit(*quoted, "`.`");
  FUZZ_CHECK(quoted_parts.size() == 3 && quoted->front() == '`' && quoted->back() == '`' &&
                 std::count(quoted->begin(), quoted->end(), '`') == 6,
             "quoted: %s", quoted->c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0:
      Identifier(text);
      break;
    case 1:
      Predicate(text);
      break;
    case 2:
      Type(text);
      break;
    default:
      TableName(text);
      break;
  }
  return 0;
}
