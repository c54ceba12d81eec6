#include "server/audit/audit.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/databricks/gateway/v1/delta.pb.h"
#include "proto/databricks/gateway/v1/jobs.pb.h"
#include "proto/databricks/gateway/v1/sql.pb.h"
#include "server/common/json.h"

namespace gateway::audit {
namespace {

namespace v1 = ::databricks::gateway::v1;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> ObjectsOf(const google::protobuf::Message& message, bool nested = true) {
  std::vector<std::string> objects;
  AddObjectsOf(message, nested, &objects);
  return objects;
}

TEST(AuditTest, RequestsNameTheirObjects) {
  v1::CancelRunRequest cancel;
  cancel.set_run_id("1234.mAcOfTheHandle_-");
  EXPECT_THAT(ObjectsOf(cancel), ElementsAre("run:1234"));

  v1::RunNowRequest run_now;
  run_now.set_job_id(77);
  EXPECT_THAT(ObjectsOf(run_now), ElementsAre("job:77"));

  v1::ExecuteStatementRequest execute;
  execute.set_statement("SELECT * FROM main.s.a JOIN b ON true WHERE f(x) > 1");
  execute.set_warehouse_id("wh1");
  EXPECT_THAT(ObjectsOf(execute),
              ElementsAre("table:main.s.a", "table:b", "function:f", "warehouse:wh1"));

  v1::MergeIntoRequest merge;
  merge.mutable_target()->set_schema("sales");
  merge.mutable_target()->set_table("orders");
  EXPECT_THAT(ObjectsOf(merge), ElementsAre("table:sales.orders"));

  v1::LoadTablesRequest load;
  v1::TableDefinition* table = load.add_tables();
  table->mutable_name()->set_table("copy");
  table->set_query("SELECT * FROM main.s.src");
  EXPECT_THAT(ObjectsOf(load), ElementsAre("table:copy", "table:main.s.src"));
  // A response is read at its top level only.
  EXPECT_THAT(ObjectsOf(load, false), IsEmpty());

  v1::SubmitRunResponse submitted;
  submitted.set_run_id("88.mac");
  EXPECT_THAT(ObjectsOf(submitted, false), ElementsAre("run:88"));
}

TEST(AuditTest, TraceIdsAreReadOnlyFromWellFormedTraceparents) {
  EXPECT_EQ(TraceIdOf("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            "4bf92f3577b34da6a3ce929d0e0e4736");
  for (const char* bad : {"", "00-4bf92f3577b34da6a3ce929d0e0e4736", "garbage",
                          "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
                          "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
                          "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                          "00-4bf92f3577b34da6a3ce929d0e0e473x-00f067aa0ba902b7-01"}) {
    EXPECT_EQ(TraceIdOf(bad), "") << bad;
  }
  EXPECT_EQ(NewRequestId().size(), 32u);
  EXPECT_NE(NewRequestId(), NewRequestId());
}

TEST(AuditTest, TheSinkWritesOneRedactedJsonLinePerRecord) {
  const std::string path = absl::StrCat(::testing::TempDir(), "/audit.jsonl");
  std::remove(path.c_str());
  absl::StatusOr<std::unique_ptr<JsonLinesSink>> sink =
      JsonLinesSink::Open(path, [](absl::string_view text) {
        return absl::StrReplaceAll(text, {{"s3cr3t-value", "[REDACTED]"}});
      });
  ASSERT_TRUE(sink.ok()) << sink.status();
  Record record;
  record.time = absl::FromUnixMillis(1764684000123);
  record.request_id = "r1";
  record.tenant = "alpha";
  record.method = "SqlService/ExecuteStatement";
  record.objects = {"table:main.s.t"};
  record.code = "PERMISSION_DENIED";
  record.reason = "ACCESS_DENIED";
  record.message = "denied, and s3cr3t-value leaked into it";
  record.upstream_requests = 0;
  record.duration_ms = 1.5;
  (*sink)->Write(record);
  record.code = "OK";
  (*sink)->Write(record);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const std::vector<std::string> lines = absl::StrSplit(text.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  absl::StatusOr<json::Value> first = json::Parse(lines[0]);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->Find("type")->as_string(), "audit");
  EXPECT_EQ(first->Find("ts")->as_string(), "2025-12-02T14:00:00.123Z");
  EXPECT_EQ(first->Find("tenant")->as_string(), "alpha");
  EXPECT_EQ(first->Find("objects")->Dump(), R"(["table:main.s.t"])");
  EXPECT_EQ(first->Find("message")->as_string(), "denied, and [REDACTED] leaked into it");
  EXPECT_FALSE(first->Find("dry_run")->as_bool());
  EXPECT_EQ(JsonLinesSink::Open("/nonexistent-dir/x", nullptr).status().message(),
            "audit.path: cannot open /nonexistent-dir/x: No such file or directory");
}

}  // namespace
}  // namespace gateway::audit
