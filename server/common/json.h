// A small JSON document model: parse, build, print.
//
// Integers that fit in int64 stay exact (Databricks ids and epoch milliseconds do not survive a
// trip through double), objects keep their insertion order, and printing is deterministic.
// Values are plain copyable data; not synchronized.
#ifndef SERVER_COMMON_JSON_H_
#define SERVER_COMMON_JSON_H_

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace gateway::json {

class Value;
using Array = std::vector<Value>;
using Member = std::pair<std::string, Value>;
using Object = std::vector<Member>;

class Value {
 public:
  enum class Type { kNull, kBool, kInt, kDouble, kString, kArray, kObject };

  Value() = default;
  Value(std::nullptr_t) {}                            // NOLINT(google-explicit-constructor)
  Value(bool v) : v_(v) {}                            // NOLINT
  Value(int v) : v_(int64_t{v}) {}                    // NOLINT
  Value(int64_t v) : v_(v) {}                         // NOLINT
  Value(double v) : v_(v) {}                          // NOLINT
  Value(const char* v) : v_(std::string(v)) {}        // NOLINT
  Value(std::string v) : v_(std::move(v)) {}          // NOLINT
  Value(absl::string_view v) : v_(std::string(v)) {}  // NOLINT
  Value(Array v) : v_(std::move(v)) {}                // NOLINT
  Value(Object v) : v_(std::move(v)) {}               // NOLINT

  static Value EmptyArray() { return Value(Array{}); }
  static Value EmptyObject() { return Value(Object{}); }

  Type type() const { return static_cast<Type>(v_.index()); }
  bool is_null() const { return type() == Type::kNull; }
  bool is_bool() const { return type() == Type::kBool; }
  bool is_int() const { return type() == Type::kInt; }
  bool is_number() const { return type() == Type::kInt || type() == Type::kDouble; }
  bool is_string() const { return type() == Type::kString; }
  bool is_array() const { return type() == Type::kArray; }
  bool is_object() const { return type() == Type::kObject; }

  // Accessors; calling one on a value of another type is a programming error (it throws
  // std::bad_variant_access). as_double() accepts integers.
  bool as_bool() const { return std::get<bool>(v_); }
  int64_t as_int() const { return std::get<int64_t>(v_); }
  double as_double() const;
  const std::string& as_string() const { return std::get<std::string>(v_); }
  const Array& as_array() const { return std::get<Array>(v_); }
  Array& as_array() { return std::get<Array>(v_); }
  const Object& as_object() const { return std::get<Object>(v_); }
  Object& as_object() { return std::get<Object>(v_); }

  // Object member lookup; nullptr when this is not an object or has no such member.
  const Value* Find(absl::string_view key) const;
  Value* Find(absl::string_view key);
  // Object member access that inserts null when missing (turns a null value into an object).
  Value& operator[](absl::string_view key);
  // Sets a member, replacing an existing one; returns *this for chaining.
  Value& Set(absl::string_view key, Value value);
  // Removes a member; returns whether it existed.
  bool Erase(absl::string_view key);
  // Appends to an array (turns a null value into an array).
  void Append(Value value);

  // Compact JSON text.
  std::string Dump() const;
  void DumpTo(std::string* out) const;

  friend bool operator==(const Value& a, const Value& b) { return a.v_ == b.v_; }
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

 private:
  std::variant<std::nullptr_t, bool, int64_t, double, std::string, Array, Object> v_;
};

// Parses one JSON document (surrounding white space allowed). Errors are INVALID_ARGUMENT
// naming the byte offset and what was expected. Nesting deeper than 128 is refused.
absl::StatusOr<Value> Parse(absl::string_view text);

// Appends `text` as a quoted JSON string.
void AppendQuoted(absl::string_view text, std::string* out);

// The name of a type, for error messages: "string", "number", ...
const char* TypeName(Value::Type type);

}  // namespace gateway::json

#endif  // SERVER_COMMON_JSON_H_
