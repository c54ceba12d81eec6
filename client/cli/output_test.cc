#include "client/cli/output.h"

#include "client/values.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/databricks/gateway/v1/jobs.pb.h"

namespace gateway::cli {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

v1::Run SampleRun() {
  v1::Run run;
  run.set_run_id("17");
  run.set_start_time(1700000000000);
  run.mutable_state()->set_life_cycle_state(v1::RunState::TERMINATED);
  run.mutable_state()->set_state_message("line one\nline two");
  v1::RunTask* task = run.add_tasks();
  task->set_task_key("main");
  return run;
}

TEST(FieldTextTest, PathsReachNestedFieldsAndEnumsPrintByName) {
  const v1::Run run = SampleRun();
  EXPECT_EQ(FieldText(run, "run_id"), "17");
  EXPECT_EQ(FieldText(run, "state.life_cycle_state"), "TERMINATED");
  EXPECT_EQ(FieldText(run, "status.state"), "");  // unset message
  EXPECT_EQ(FieldText(run, "no_such_field"), "");
}

TEST(FlattenTest, EverySetFieldWithItsPath) {
  EXPECT_THAT(Flatten(SampleRun()),
              ElementsAre(Pair("run_id", "17"), Pair("start_time", "1700000000000"),
                          Pair("state.life_cycle_state", "TERMINATED"),
                          Pair("state.state_message", "line one\nline two"),
                          Pair("tasks[0].task_key", "main")));
}

TEST(ValueTest, TextAndJsonOfEveryKind) {
  EXPECT_EQ(ValueText(client::NullValue(), "NULL"), "NULL");
  EXPECT_EQ(ValueJson(client::NullValue()), "null");
  EXPECT_EQ(ValueJson(client::IntValue(-3)), "-3");
  EXPECT_EQ(ValueJson(client::BoolValue(true)), "true");
  EXPECT_EQ(ValueJson(client::DecimalValue("10.50")), "\"10.50\"");
  EXPECT_EQ(ValueJson(client::DoubleValue(0.5)), "0.5");
  EXPECT_EQ(ValueJson(client::StringValue("a\"b\n")), "\"a\\\"b\\n\"");
  EXPECT_EQ(ValueText(client::DateValue(2026, 1, 2), ""), "2026-01-02");
  EXPECT_EQ(ValueText(client::TimestampValue(absl::FromUnixSeconds(0)), ""),
            "1970-01-01T00:00:00Z");
}

TEST(PrinterTest, ListsInEachFormat) {
  const std::vector<Column> columns = {
      {"run_id", "run_id"}, {"start", "start_time", true}, {"message", "state.state_message"}};
  auto print = [&](Format format) {
    std::string out;
    Printer printer(format, [&out](const std::string& text) { out += text; });
    printer.BeginList(columns);
    printer.Item(SampleRun());
    printer.End();
    return out;
  };
  EXPECT_EQ(print(Format::kTable),
            "RUN_ID  START                 MESSAGE\n"
            "17      2023-11-14T22:13:20Z  line one line two\n");
  EXPECT_EQ(print(Format::kCsv),
            "run_id,start,message\r\n17,2023-11-14T22:13:20Z,\"line one\nline two\"\r\n");
  EXPECT_EQ(print(Format::kJson).substr(0, 14), "{\"run_id\":\"17\"");
}

TEST(PrinterTest, RowsInEachFormat) {
  v1::Schema schema;
  schema.add_columns()->set_name("id");
  schema.add_columns()->set_name("note");
  v1::Row row;
  *row.add_values() = client::IntValue(1);
  *row.add_values() = client::NullValue();
  auto print = [&](Format format) {
    std::string out;
    Printer printer(format, [&out](const std::string& text) { out += text; });
    printer.BeginRows(schema);
    printer.Row(row);
    printer.End();
    return out;
  };
  EXPECT_EQ(print(Format::kTable), "ID  NOTE\n1   NULL\n");
  EXPECT_EQ(print(Format::kCsv), "id,note\r\n1,\r\n");
  EXPECT_EQ(print(Format::kJson), "{\"id\":1,\"note\":null}\n");
}

TEST(FormatTest, OnlyTheThreeFormats) {
  EXPECT_EQ(*ParseFormat("csv"), Format::kCsv);
  EXPECT_EQ(ParseFormat("yaml").status().message(),
            "--output: \"yaml\" is not one of table, json, csv");
}

}  // namespace
}  // namespace gateway::cli
