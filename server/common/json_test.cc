#include "server/common/json.h"

#include "gtest/gtest.h"

namespace gateway::json {
namespace {

TEST(JsonTest, LargeIntegersStayExact) {
  absl::StatusOr<Value> v = Parse(R"({"run_id": 9007199254740993, "t": -1724000000000})");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->Find("run_id")->as_int(), 9007199254740993);
  EXPECT_EQ(v->Dump(), R"({"run_id":9007199254740993,"t":-1724000000000})");
}

TEST(JsonTest, DoublesRoundTrip) {
  absl::StatusOr<Value> v = Parse("[0.1, 1e300, -2.5E-3, 3.0]");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->Dump(), "[0.1,1e+300,-0.0025,3]");
  EXPECT_TRUE(v->as_array()[3].is_number());
  EXPECT_FALSE(v->as_array()[3].is_int());
}

TEST(JsonTest, StringsEscapeAndDecodeUnicode) {
  absl::StatusOr<Value> v = Parse(R"(["a\"b\\c\n\u00e9\ud83d\ude00\/"])");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->as_array()[0].as_string(), "a\"b\\c\n\xc3\xa9\xf0\x9f\x98\x80/");
  EXPECT_EQ(Value(std::string("\x01q\"")).Dump(), R"("\u0001q\"")");
}

TEST(JsonTest, ObjectsKeepOrderAndSetReplaces) {
  Value v;
  v.Set("b", 1).Set("a", "x").Set("b", true);
  v["c"].Append(nullptr);
  EXPECT_EQ(v.Dump(), R"({"b":true,"a":"x","c":[null]})");
  EXPECT_TRUE(v.Erase("a"));
  EXPECT_FALSE(v.Erase("a"));
  EXPECT_EQ(v.Find("a"), nullptr);
  EXPECT_EQ(v.Dump(), R"({"b":true,"c":[null]})");
}

TEST(JsonTest, ErrorsNameTheOffsetAndWhatWasExpected) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"", "invalid JSON at byte 0: expected a JSON value"},
      {"{\"a\" 1}", "invalid JSON at byte 5: expected ':' after a member name"},
      {"[1,]", "invalid JSON at byte 3: expected a JSON value"},
      {"[1 2]", "invalid JSON at byte 3: expected ',' or ']' in an array"},
      {"\"abc", "invalid JSON at byte 4: expected a closing quote"},
      {"01", "invalid JSON at byte 0: expected no leading zeros in a number"},
      {"{} x", "invalid JSON at byte 3: expected end of input after the JSON value"},
      {R"("\ud800")", "invalid JSON at byte 7: expected a low surrogate after a high one"},
      {"tru", "invalid JSON at byte 0: expected a JSON value"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Value> v = Parse(c.text);
    ASSERT_FALSE(v.ok()) << c.text;
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(v.status().message(), c.message) << c.text;
  }
}

TEST(JsonTest, RefusesDeepNesting) {
  EXPECT_TRUE(Parse(std::string(128, '[') + std::string(128, ']')).ok());
  EXPECT_FALSE(Parse(std::string(200, '[') + std::string(200, ']')).ok());
}

}  // namespace
}  // namespace gateway::json
