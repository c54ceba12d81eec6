// Databricks SQL types as the emulator stores them in SQLite, and Spark's ANSI casts.
#ifndef TESTS_EMULATOR_SQL_TYPES_H_
#define TESTS_EMULATOR_SQL_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace emulator {

struct SqlType {
  enum class Kind {
    kBoolean,
    kByte,
    kShort,
    kInt,
    kLong,
    kFloat,
    kDouble,
    kDecimal,
    kString,
    kBinary,
    kDate,
    kTimestamp,
    kTimestampNtz,
  };
  Kind kind = Kind::kString;
  int precision = 0;  // DECIMAL only
  int scale = 0;      // DECIMAL only

  // Canonical SQL text, lower case as Unity Catalog shows it: "bigint", "decimal(10,2)".
  std::string Text() const;
  // The Statement Execution / Unity Catalog type_name: "LONG", "DECIMAL", ...
  std::string Name() const;
  // Spark's JSON type string: "long", "decimal(10,2)", ...
  std::string JsonName() const;
  // The declared type of a SQLite column holding it (chooses the right affinity).
  std::string SqliteDecl() const;
  bool IsIntegral() const {
    return kind == Kind::kByte || kind == Kind::kShort || kind == Kind::kInt || kind == Kind::kLong;
  }
  bool operator==(const SqlType& o) const {
    return kind == o.kind && precision == o.precision && scale == o.scale;
  }
  bool operator!=(const SqlType& o) const { return !(*this == o); }
};

// Parses a primitive type name as written in SQL ("BIGINT", "long", "decimal(10, 2)",
// "varchar(20)"). Complex types (ARRAY, MAP, STRUCT) are refused with a message saying so.
absl::StatusOr<SqlType> ParseSqlType(absl::string_view text);

// A value as SQLite holds it.
using SqlValue = std::variant<std::monostate, int64_t, double, std::string>;

// Spark's ANSI cast of `value` to `type`, in the representation the emulator stores: integers
// as int64, FLOAT/DOUBLE as double, DECIMAL as double rounded to its scale, BOOLEAN as 0/1,
// DATE as "yyyy-MM-dd", TIMESTAMP as "yyyy-MM-ddTHH:mm:ss.SSSZ". Errors carry Spark's error
// class ("[CAST_INVALID_INPUT] ...", "[CAST_OVERFLOW] ...").
absl::StatusOr<SqlValue> CastValue(const SqlValue& value, const SqlType& type);

// The JSON_ARRAY text of a stored value of `type` (numbers and booleans are strings too).
std::optional<std::string> FormatValue(const SqlValue& value, const SqlType& type);

// The type Databricks would report for an expression, inferred from a stored value.
SqlType InferType(const SqlValue& value);

// Milliseconds since the epoch <-> "2026-08-19T10:00:00.000Z".
std::string FormatTimestampMs(int64_t ms);
// Accepts "yyyy-MM-dd", "yyyy-MM-dd HH:mm[:ss[.SSS]]", with 'T' and an optional 'Z' or
// +hh:mm offset, and the 17-digit "yyyyMMddHHmmssSSS" of time travel.
std::optional<int64_t> ParseTimestampMs(absl::string_view text);

}  // namespace emulator

#endif  // TESTS_EMULATOR_SQL_TYPES_H_
