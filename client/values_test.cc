#include "client/values.h"

#include "gtest/gtest.h"

namespace gateway::client {
namespace {

TEST(ParseTableNameTest, ThreePartsFillEveryField) {
  absl::StatusOr<v1::TableName> name = ParseTableName("main.default.sales");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->catalog(), "main");
  EXPECT_EQ(name->schema(), "default");
  EXPECT_EQ(name->table(), "sales");
  EXPECT_EQ(FormatTableName(*name), "main.default.sales");
}

TEST(ParseTableNameTest, ShortNamesLeaveDefaultsEmpty) {
  absl::StatusOr<v1::TableName> name = ParseTableName("sales");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->catalog(), "");
  EXPECT_EQ(name->schema(), "");
  EXPECT_EQ(name->table(), "sales");
  name = ParseTableName("default.sales");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(name->schema(), "default");
  EXPECT_EQ(FormatTableName(*name), "default.sales");
}

TEST(ParseTableNameTest, BackQuotesKeepDots) {
  absl::StatusOr<v1::TableName> name = ParseTableName("main.`odd.schema`.`t``x`");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->schema(), "odd.schema");
  EXPECT_EQ(name->table(), "t`x");
}

TEST(ParseTableNameTest, BadNamesSayWhatIsWrong) {
  EXPECT_EQ(ParseTableName("a.b.c.d").status().message(),
            "table name \"a.b.c.d\": more than three parts (catalog.schema.table)");
  EXPECT_EQ(ParseTableName("main.default.").status().message(),
            "table name \"main.default.\": no table");
  EXPECT_EQ(ParseTableName("`main").status().message(), "table name \"`main\": unclosed `");
}

TEST(ValuesTest, TimestampSplitsSecondsAndNanos) {
  const v1::Value value =
      TimestampValue(absl::FromUnixSeconds(1700000000) + absl::Milliseconds(250));
  EXPECT_EQ(value.timestamp_value().seconds(), 1700000000);
  EXPECT_EQ(value.timestamp_value().nanos(), 250000000);
  const v1::Value before_epoch =
      TimestampValue(absl::FromUnixSeconds(-1) + absl::Milliseconds(500));
  EXPECT_EQ(before_epoch.timestamp_value().seconds(), -1);
  EXPECT_EQ(before_epoch.timestamp_value().nanos(), 500000000);
}

TEST(ValuesTest, ParameterCarriesNameValueAndType) {
  const v1::SqlParameter parameter = Parameter("day", DateValue(2026, 11, 21), "DATE");
  EXPECT_EQ(parameter.name(), "day");
  EXPECT_EQ(parameter.value().date_value().day(), 21);
  EXPECT_EQ(parameter.type(), "DATE");
}

}  // namespace
}  // namespace gateway::client
