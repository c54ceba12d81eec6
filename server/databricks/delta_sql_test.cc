// The identifier rule and the filter grammar: what is accepted (and how it is rewritten),
// and a corpus of injection attempts, each refused with a message naming what was refused.
#include "server/databricks/delta_sql.h"

#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gateway::databricks {
namespace {

using ::testing::HasSubstr;

TEST(IdentifierTest, PlainNamesPassAndAreBackQuoted) {
  for (const char* name : {"orders", "Orders_2026", "_tmp", "sales-eu", "a"}) {
    EXPECT_TRUE(ValidateIdentifier(name, "table").ok()) << name;
  }
  EXPECT_EQ(Quote("orders"), "`orders`");
  v1::TableName table;
  table.set_table("orders");
  EXPECT_EQ(*QuotedTableName(table, "table", "main", "default"), "`main`.`default`.`orders`");
}

TEST(IdentifierTest, EverythingElseIsRefusedNamingTheCharacter) {
  struct Case {
    std::string name;
    std::string message;
  };
  const Case cases[] = {
      {"", "table: required"},
      {"a`b", "table: '`' at position 1 is not allowed"},
      {"a;drop", "table: ';' at position 1"},
      {"a b", "table: ' ' at position 1"},
      {"a.b", "table: '.' at position 1"},
      {"-a", "table: '-' at position 0"},
      {"a'b", "table: ''' at position 1"},
      {"t\u0430ble", "table: byte 0xD0 at position 1"},  // Cyrillic 'а', UTF-8 D0 B0
      {"a\nb", "table: byte 0x0A at position 1"},
      {std::string(256, 'x'), "table: at most 255 characters, got 256"},
  };
  for (const Case& c : cases) {
    const absl::Status status = ValidateIdentifier(c.name, "table");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_THAT(status.message(), HasSubstr(c.message)) << c.name;
  }
}

TEST(PredicateTest, TheGrammarIsRewrittenCanonically) {
  struct Case {
    std::string predicate;
    std::string sql;
  };
  const Case cases[] = {
      {"day >= :from", "`day` >= :from"},
      {"day>=:from and status in (:a,:b)", "`day` >= :from AND `status` IN ( :a, :b )"},
      {"not (x is null or y is not null)", "NOT ( `x` IS NULL OR `y` IS NOT NULL )"},
      {"amount between :lo and :hi", "`amount` BETWEEN :lo AND :hi"},
      {"name not like :pattern", "`name` NOT LIKE :pattern"},
      {"a != b", "`a` <> `b`"},
      {"k not in (:x)", "`k` NOT IN ( :x )"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<CheckedPredicate> checked = CheckPredicate(c.predicate, "where");
    ASSERT_TRUE(checked.ok()) << c.predicate << ": " << checked.status();
    EXPECT_EQ(checked->sql, c.sql);
  }
  absl::StatusOr<CheckedPredicate> merge =
      CheckPredicate("t.id = s.id AND s.v > :min", "condition", {"t", "s"});
  ASSERT_TRUE(merge.ok()) << merge.status();
  EXPECT_EQ(merge->sql, "`t`.`id` = `s`.`id` AND `s`.`v` > :min");
  EXPECT_EQ(merge->columns, (std::set<std::string>{"id", "v"}));
  EXPECT_EQ(merge->parameters, (std::set<std::string>{"min"}));
}

TEST(PredicateTest, InjectionCorpusIsRefusedSayingWhat) {
  struct Case {
    std::string predicate;
    std::string message;
  };
  const Case cases[] = {
      {"id = 1", "literal values are not allowed; pass them as :parameters (at position 5)"},
      {"name = 'x'", "string literals are not allowed"},
      {"name = \"x\"", "string literals are not allowed"},
      {"`id` = :a", "back-quoted names are not allowed"},
      {"id = :a; DROP TABLE t", "';' (a second statement) is not allowed"},
      {"id = :a -- comment", "comments are not allowed"},
      {"id = :a /* c */", "comments are not allowed"},
      {"id = :a UNION SELECT secret FROM users", "'UNION' is not allowed"},
      {"id IN (SELECT id FROM other)", "'SELECT' is not allowed"},
      {"EXISTS (:a)", "'EXISTS' is not allowed"},
      {"lower(name) = :n", "functions are not allowed ('lower(')"},
      {"id = :a OR TRUE", "'TRUE' is not allowed"},
      {"id = :a + :b", "'+' is not allowed"},
      {"id = :a || :b", "'|' is not allowed"},
      {"n\xD0\xB0me = :a", "non-ASCII character (byte 0xD0) is not allowed"},
      {"id \xEF\xBC\x9D :a", "non-ASCII character (byte 0xEF)"},  // fullwidth '='
      {"id = :", "':' must start a parameter name"},
      {"id =", "expected a column or a :parameter, found the end"},
      {"id", "expected a comparison"},
      {"(id = :a", "expected ')', found the end"},
      // Found by tests/fuzz/sql_fuzz: an unfinished IS or BETWEEN read past the tokens.
      {"a BETWEEN :lo", "expected AND in BETWEEN … AND …, found the end"},
      {"(a = :x AND b BETWEEN :lo", "expected AND in BETWEEN … AND …, found the end"},
      {"a IS", "expected NULL after IS, found the end"},
      {"a IS NOT", "expected NULL after IS, found the end"},
      {"a BETWEEN :lo OR :hi", "expected AND in BETWEEN … AND …, found 'OR'"},
      {"id = :a)", "unexpected ')'"},
      {"", "the predicate is empty"},
      {"t.id = :a", "qualified names are not allowed here ('t.')"},
      {std::string(33, '(') + "a = :b" + std::string(33, ')'), "nested deeper than 32"},
      {std::string(8193, ' '), "at most 8192 characters"},
      {"id = :a\\", "'\\' is not allowed"},
      {"id = :a AND CAST(:b AS INT) = c", "'CAST' is not allowed"},
  };
  for (const Case& c : cases) {
    const absl::Status status = CheckPredicate(c.predicate, "where.predicate").status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.predicate;
    EXPECT_THAT(status.message(), HasSubstr(c.message)) << c.predicate;
    EXPECT_THAT(status.message(), HasSubstr("where.predicate: ")) << c.predicate;
  }
  const absl::Status alias = CheckPredicate("x.id = s.id", "on", {"t", "s"}).status();
  EXPECT_THAT(alias.message(), HasSubstr("'x' is not a table alias here; use s or t."));
  const absl::Status bare = CheckPredicate("id = s.id", "on", {"t", "s"}).status();
  EXPECT_THAT(bare.message(), HasSubstr("'id' needs a table alias"));
}

TEST(FilterTest, MarkersAndParametersMustMatch) {
  v1::Filter filter;
  filter.set_predicate("day = :day");
  EXPECT_EQ(CheckFilter(filter, "where").status().message(),
            "where.predicate: :day has no value in where.parameters");
  filter.add_parameters()->set_name("day");
  EXPECT_TRUE(CheckFilter(filter, "where").ok());
  filter.add_parameters()->set_name("unused");
  EXPECT_EQ(CheckFilter(filter, "where").status().message(),
            "where.parameters: 'unused' is not used by the predicate");
}

}  // namespace
}  // namespace gateway::databricks
