// Fuzzes the Spark SQL reader that access checks rest on (server/databricks/sql_refs.h).
// The input is a statement. Properties, for every input the reader accepts:
//   - it reads the same every time;
//   - every name it reports is made of parts that occur in the text (it invents nothing),
//     one to three of them, none empty;
//   - a comment before it and one after it change nothing it reports;
//   - what it accepts names only tables it reports: a query it accepts with nothing
//     unresolved, wrapped as a CTE and joined with a planted table, is read as exactly its
//     own references plus the planted table, so no text it accepted can hide a relation
//     placed after it, and none of its relations is lost by moving it into parentheses.
// The seed corpus (corpus/sql_refs_fuzz) holds every bypass of the schema rules found.
#include <cstdint>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "server/databricks/sql_refs.h"
#include "tests/fuzz/fuzz_check.h"

namespace db = ::gateway::databricks;

namespace {

using Named = std::multiset<std::tuple<int, std::string>>;

Named NamesOf(const db::SqlReferences& found) {
  Named out;
  for (const db::SqlReference& ref : found.references) {
    out.emplace(static_cast<int>(ref.kind), absl::StrJoin(ref.parts, "."));
  }
  return out;
}

std::string Describe(const Named& names) {
  std::vector<std::string> out;
  for (const auto& [kind, name] : names) out.push_back(absl::StrCat(kind, ":", name));
  return absl::StrJoin(out, ", ");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string sql(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<db::SqlReferences> found = db::FindSqlReferences(sql, "statement");
  absl::StatusOr<db::SqlReferences> again = db::FindSqlReferences(sql, "statement");
  FUZZ_CHECK(found.ok() == again.ok(), "not deterministic");
  if (!found.ok()) {
    FUZZ_CHECK(found.status().code() == absl::StatusCode::kInvalidArgument, "code %d",
               static_cast<int>(found.status().code()));
    return 0;
  }
  const Named names = NamesOf(*found);
  FUZZ_CHECK(names == NamesOf(*again), "not deterministic: %s", Describe(names).c_str());

  const std::string lower = absl::AsciiStrToLower(sql);
  for (const db::SqlReference& ref : found->references) {
    FUZZ_CHECK(!ref.parts.empty() && ref.parts.size() <= 3, "%zu parts", ref.parts.size());
    for (const std::string& part : ref.parts) {
      FUZZ_CHECK(!part.empty(), "an empty part in %s", Describe(names).c_str());
      // As written: a back quote inside a quoted name is doubled.
      FUZZ_CHECK(absl::StrContains(lower, part) ||
                     absl::StrContains(lower, absl::StrReplaceAll(part, {{"`", "``"}})),
                 "'%s' is not in the text", part.c_str());
    }
    FUZZ_CHECK(ref.offset < sql.size(), "offset %zu past the end", ref.offset);
  }

  for (const std::string& commented :
       {absl::StrCat("/* c */ ", sql), absl::StrCat(sql, "\n-- c\n")}) {
    absl::StatusOr<db::SqlReferences> read = db::FindSqlReferences(commented, "statement");
    FUZZ_CHECK(read.ok(), "a comment made it unreadable: %s",
               std::string(read.status().message()).c_str());
    FUZZ_CHECK(NamesOf(*read) == names && read->unresolved.size() == found->unresolved.size() &&
                   read->query == found->query,
               "a comment changed what it names: %s vs %s", Describe(NamesOf(*read)).c_str(),
               Describe(names).c_str());
  }

  if (!found->query || !found->unresolved.empty()) return 0;
  const std::string wrapped = absl::StrCat(
      "WITH zz_wrapped AS (", sql, "\n) SELECT * FROM zz_wrapped JOIN zz_p.zz_s.zz_t ON true");
  absl::StatusOr<db::SqlReferences> outer = db::FindSqlReferences(wrapped, "statement");
  if (!outer.ok()) return 0;  // a trailing ';' inside the parentheses
  Named expected = names;
  expected.emplace(static_cast<int>(db::SqlReference::Kind::kRead), "zz_p.zz_s.zz_t");
  // The query may name zz_wrapped itself; inside its own definition that is a table.
  FUZZ_CHECK(NamesOf(*outer) == expected && outer->unresolved.empty(),
             "wrapped, it reads %s instead of %s", Describe(NamesOf(*outer)).c_str(),
             Describe(expected).c_str());
  return 0;
}
