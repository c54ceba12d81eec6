// LoadTables planning: dependencies found in queries or given, Kahn waves, and every request
// that must be refused before anything runs.
#include "server/databricks/load_plan.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gateway::databricks {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const NameDefaults kDefaults{"main", "default"};

v1::TableDefinition* Add(v1::LoadTablesRequest* request, const std::string& name,
                         const std::string& query) {
  v1::TableDefinition* table = request->add_tables();
  table->mutable_name()->set_table(name);
  table->set_query(query);
  return table;
}

TEST(QueryTest, OnlyOneReadableQueryIsAccepted) {
  EXPECT_TRUE(CheckQuery("SELECT * FROM a WHERE s = 'x;--y'", "q").ok());
  EXPECT_TRUE(CheckQuery("WITH x AS (SELECT 1) SELECT * FROM x", "q").ok());
  EXPECT_TRUE(CheckQuery("(SELECT 1)", "q").ok());
  EXPECT_TRUE(CheckQuery("SELECT 1 -- a note\n", "q").ok());
  EXPECT_TRUE(CheckQuery("TABLE main.default.a", "q").ok());
  struct Case {
    std::string query;
    std::string message;
  };
  const Case cases[] = {
      {"", "q: required"},
      {"SELECT 1; DROP TABLE t",
       "q: a second statement (one statement per request) at position 10"},
      {"SELECT 1;", "q: must not end with ';'"},
      {"SELECT /* x /* y */ 1", "q: a nested comment"},
      {"DROP TABLE t", "q: must be a query"},
      {"INSERT INTO t SELECT 1", "q: must be a query"},
      {"WITH c AS (SELECT 1) INSERT INTO t SELECT * FROM c", "q: must be a query"},
      {"SELECT 'open", "never closed"},
      {"SELECT (1", "'(' is never closed"},
  };
  for (const Case& c : cases) {
    const absl::Status status = CheckQuery(c.query, "q");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << c.query;
    EXPECT_THAT(status.message(), HasSubstr(c.message)) << c.query;
  }
}

TEST(QueryTest, ReferencedTablesAreEveryRelationTheQueryNames) {
  EXPECT_THAT(
      ReferencedTables("SELECT a.x FROM raw a JOIN sales.orders o ON a.id = o.id, "
                       "`other`.`s`.`t` WHERE a.x IN (SELECT y FROM lookup)",
                       kDefaults),
      ElementsAre("main.default.lookup", "main.default.raw", "main.sales.orders", "other.s.t"));
  EXPECT_THAT(
      ReferencedTables("WITH recent AS (SELECT * FROM Events) SELECT * FROM recent", kDefaults),
      ElementsAre("main.default.events"));
  EXPECT_THAT(ReferencedTables("SELECT 'FROM fake' AS s", kDefaults), IsEmpty());
  // What the lexical scan missed: TABLE, parenthesised relations, STREAM.
  EXPECT_THAT(
      ReferencedTables("SELECT * FROM (TABLE secret) JOIN (s.t) ON true, STREAM u", kDefaults),
      ElementsAre("main.default.secret", "main.default.u", "main.s.t"));
}

TEST(LoadPlanTest, ChainDiamondAndIndependentTablesFormWaves) {
  v1::LoadTablesRequest request;
  Add(&request, "d", "SELECT * FROM b JOIN c ON b.id = c.id");  // diamond bottom
  Add(&request, "a", "SELECT * FROM raw");
  Add(&request, "b", "SELECT * FROM a");
  Add(&request, "c", "SELECT * FROM main.default.a");
  Add(&request, "solo", "SELECT 1 AS x");
  Add(&request, "e", "SELECT 1 AS x")->add_depends_on()->set_table("d");  // explicit
  auto plan = PlanLoad(request, kDefaults);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->waves.size(), 4u);
  EXPECT_THAT(plan->waves[0], ElementsAre(1, 4));
  EXPECT_THAT(plan->waves[1], ElementsAre(2, 3));
  EXPECT_THAT(plan->waves[2], ElementsAre(0));
  EXPECT_THAT(plan->waves[3], ElementsAre(5));
  EXPECT_THAT(plan->depends_on[0], ElementsAre(2, 3));
  EXPECT_EQ(plan->max_concurrency, kDefaultLoadConcurrency);
  EXPECT_EQ(plan->statements[1].sql, "CREATE TABLE `main`.`default`.`a` AS SELECT * FROM raw");
  const v1::LoadPlan message = PlanMessage(*plan);
  ASSERT_EQ(message.waves_size(), 4);
  EXPECT_THAT(message.waves(0).tables(), ElementsAre("main.default.a", "main.default.solo"));
}

TEST(LoadPlanTest, PropertiesAndReplace) {
  v1::LoadTablesRequest request;
  v1::TableDefinition* t = Add(&request, "t", "SELECT 1 AS x");
  t->set_replace(true);
  (*t->mutable_properties())["quality"] = "gold";
  (*t->mutable_properties())["delta.appendOnly"] = "true";
  auto plan = PlanLoad(request, kDefaults);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->statements[0].sql,
            "CREATE OR REPLACE TABLE `main`.`default`.`t` TBLPROPERTIES ('delta.appendOnly' = "
            "'true', 'quality' = 'gold') AS SELECT 1 AS x");
  (*t->mutable_properties())["x"] = "it's";
  EXPECT_THAT(PlanLoad(request, kDefaults).status().message(),
              HasSubstr("tables[0].properties[x]: character '''"));
}

TEST(LoadPlanTest, EmptyRequestPlansNothing) {
  auto plan = PlanLoad(v1::LoadTablesRequest(), kDefaults);
  ASSERT_TRUE(plan.ok());
  EXPECT_THAT(plan->waves, IsEmpty());
}

TEST(LoadPlanTest, CyclesMissingDependenciesAndDuplicatesAreRefused) {
  v1::LoadTablesRequest cycle;
  Add(&cycle, "a", "SELECT * FROM c");
  Add(&cycle, "b", "SELECT * FROM a");
  Add(&cycle, "c", "SELECT * FROM b");
  Add(&cycle, "ok", "SELECT 1 AS x");
  EXPECT_THAT(PlanLoad(cycle, kDefaults).status().message(),
              HasSubstr("tables depend on each other in a cycle: main.default.a → "
                        "main.default.c → main.default.b → main.default.a"));

  v1::LoadTablesRequest self;
  Add(&self, "a", "SELECT * FROM a");
  EXPECT_THAT(PlanLoad(self, kDefaults).status().message(), HasSubstr("depends on itself"));

  v1::LoadTablesRequest missing;
  Add(&missing, "a", "SELECT 1 AS x")->add_depends_on()->set_table("ghost");
  EXPECT_THAT(PlanLoad(missing, kDefaults).status().message(),
              HasSubstr("tables[0].depends_on[0]: main.default.ghost is not a table of this "
                        "request"));

  v1::LoadTablesRequest twice;
  Add(&twice, "a", "SELECT 1 AS x");
  Add(&twice, "A", "SELECT 2 AS x");
  EXPECT_THAT(PlanLoad(twice, kDefaults).status().message(),
              HasSubstr("tables[1].name: main.default.a is defined twice"));

  v1::LoadTablesRequest concurrency;
  concurrency.set_max_concurrency(100);
  EXPECT_THAT(PlanLoad(concurrency, kDefaults).status().message(),
              HasSubstr("max_concurrency: must be between 0"));
}

}  // namespace
}  // namespace gateway::databricks
