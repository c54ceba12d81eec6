#include "tests/emulator/sql_types.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"

namespace emulator {
namespace {

absl::Status CastError(const SqlValue& value, const SqlType& type) {
  std::string shown;
  if (const auto* s = std::get_if<std::string>(&value)) shown = absl::StrCat("'", *s, "'");
  if (const auto* i = std::get_if<int64_t>(&value)) shown = absl::StrCat(*i);
  if (const auto* d = std::get_if<double>(&value)) shown = absl::StrCat(*d);
  return absl::InvalidArgumentError(
      absl::StrCat("[CAST_INVALID_INPUT] The value ", shown, " of the type \"",
                   std::holds_alternative<std::string>(value) ? "STRING" : "NUMERIC",
                   "\" cannot be cast to \"", absl::AsciiStrToUpper(type.Text()),
                   "\" because it is malformed. Correct the value as per the syntax, or change "
                   "its target type."));
}

absl::Status Overflow(const SqlValue& value, const SqlType& type) {
  std::string shown;
  if (const auto* i = std::get_if<int64_t>(&value)) shown = absl::StrCat(*i);
  if (const auto* d = std::get_if<double>(&value)) shown = absl::StrCat(*d);
  if (const auto* s = std::get_if<std::string>(&value)) shown = *s;
  return absl::InvalidArgumentError(
      absl::StrCat("[CAST_OVERFLOW] The value ", shown, " cannot be cast to \"",
                   absl::AsciiStrToUpper(type.Text()), "\" due to an overflow."));
}

// Java's Double.toString, which Spark uses to print doubles.
std::string JavaDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  const double magnitude = std::fabs(d);
  char buffer[64];
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    const auto r = std::to_chars(buffer, buffer + sizeof(buffer), d, std::chars_format::fixed);
    std::string text(buffer, r.ptr);
    if (text.find('.') == std::string::npos) text += ".0";
    return text;
  }
  const auto r = std::to_chars(buffer, buffer + sizeof(buffer), d, std::chars_format::scientific);
  std::string text(buffer, r.ptr);  // "1.5e+07"
  const size_t e = text.find('e');
  std::string mantissa = text.substr(0, e);
  if (mantissa.find('.') == std::string::npos) mantissa += ".0";
  int exponent = 0;
  absl::SimpleAtoi(text.substr(e + 1), &exponent);
  return absl::StrCat(mantissa, "E", exponent);
}

std::optional<int64_t> ParseDateDays(absl::string_view text) {
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day)) return std::nullopt;
  return (day - absl::CivilDay(1970, 1, 1));
}

}  // namespace

std::string SqlType::Text() const {
  switch (kind) {
    case Kind::kBoolean:
      return "boolean";
    case Kind::kByte:
      return "tinyint";
    case Kind::kShort:
      return "smallint";
    case Kind::kInt:
      return "int";
    case Kind::kLong:
      return "bigint";
    case Kind::kFloat:
      return "float";
    case Kind::kDouble:
      return "double";
    case Kind::kDecimal:
      return absl::StrCat("decimal(", precision, ",", scale, ")");
    case Kind::kString:
      return "string";
    case Kind::kBinary:
      return "binary";
    case Kind::kDate:
      return "date";
    case Kind::kTimestamp:
      return "timestamp";
    case Kind::kTimestampNtz:
      return "timestamp_ntz";
  }
  return "string";
}

std::string SqlType::Name() const {
  switch (kind) {
    case Kind::kBoolean:
      return "BOOLEAN";
    case Kind::kByte:
      return "BYTE";
    case Kind::kShort:
      return "SHORT";
    case Kind::kInt:
      return "INT";
    case Kind::kLong:
      return "LONG";
    case Kind::kFloat:
      return "FLOAT";
    case Kind::kDouble:
      return "DOUBLE";
    case Kind::kDecimal:
      return "DECIMAL";
    case Kind::kString:
      return "STRING";
    case Kind::kBinary:
      return "BINARY";
    case Kind::kDate:
      return "DATE";
    case Kind::kTimestamp:
      return "TIMESTAMP";
    case Kind::kTimestampNtz:
      return "TIMESTAMP_NTZ";
  }
  return "STRING";
}

std::string SqlType::JsonName() const {
  switch (kind) {
    case Kind::kByte:
      return "byte";
    case Kind::kShort:
      return "short";
    case Kind::kInt:
      return "integer";
    case Kind::kLong:
      return "long";
    default:
      return Text();
  }
}

std::string SqlType::SqliteDecl() const {
  switch (kind) {
    case Kind::kBoolean:
    case Kind::kByte:
    case Kind::kShort:
    case Kind::kInt:
    case Kind::kLong:
      return "INTEGER";
    case Kind::kFloat:
    case Kind::kDouble:
    case Kind::kDecimal:
      return "REAL";
    case Kind::kBinary:
      return "BLOB";
    default:
      return "TEXT";
  }
}

absl::StatusOr<SqlType> ParseSqlType(absl::string_view text) {
  std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  t.erase(std::remove(t.begin(), t.end(), ' '), t.end());
  SqlType type;
  using K = SqlType::Kind;
  static const std::pair<const char*, K> kNames[] = {
      {"boolean", K::kBoolean},
      {"tinyint", K::kByte},
      {"byte", K::kByte},
      {"smallint", K::kShort},
      {"short", K::kShort},
      {"int", K::kInt},
      {"integer", K::kInt},
      {"bigint", K::kLong},
      {"long", K::kLong},
      {"float", K::kFloat},
      {"real", K::kFloat},
      {"double", K::kDouble},
      {"string", K::kString},
      {"binary", K::kBinary},
      {"date", K::kDate},
      {"timestamp", K::kTimestamp},
      {"timestamp_ltz", K::kTimestamp},
      {"timestamp_ntz", K::kTimestampNtz},
  };
  for (const auto& [name, kind] : kNames) {
    if (t == name) {
      type.kind = kind;
      return type;
    }
  }
  if (absl::StartsWith(t, "varchar(") || absl::StartsWith(t, "char(")) {
    type.kind = K::kString;
    return type;
  }
  if (t == "decimal" || t == "dec" || t == "numeric") {
    type.kind = K::kDecimal;
    type.precision = 10;
    return type;
  }
  for (absl::string_view prefix : {"decimal(", "dec(", "numeric("}) {
    if (!absl::StartsWith(t, prefix) || t.back() != ')') continue;
    absl::string_view args(t);
    args.remove_prefix(prefix.size());
    args.remove_suffix(1);
    const size_t comma = args.find(',');
    int precision = 0;
    int scale = 0;
    if (!absl::SimpleAtoi(args.substr(0, comma), &precision) ||
        (comma != absl::string_view::npos && !absl::SimpleAtoi(args.substr(comma + 1), &scale)) ||
        precision < 1 || precision > 38 || scale < 0 || scale > precision) {
      return absl::InvalidArgumentError(absl::StrCat(
          "[INVALID_PARAMETER_VALUE] decimal precision must be 1..38 and scale 0..precision: ",
          text));
    }
    type.kind = K::kDecimal;
    type.precision = precision;
    type.scale = scale;
    return type;
  }
  for (absl::string_view complex : {"array", "map", "struct", "variant", "interval"}) {
    if (absl::StartsWith(t, complex)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "[UNSUPPORTED_DATATYPE] The emulator supports only primitive column types, not ", text));
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("[UNSUPPORTED_DATATYPE] Unsupported data type \"", text, "\""));
}

std::string FormatTimestampMs(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(ms), absl::UTCTimeZone());
}

std::optional<int64_t> ParseTimestampMs(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  if (text.size() == 17 && std::all_of(text.begin(), text.end(), absl::ascii_isdigit)) {
    const std::string iso = absl::StrCat(
        text.substr(0, 4), "-", text.substr(4, 2), "-", text.substr(6, 2), "T", text.substr(8, 2),
        ":", text.substr(10, 2), ":", text.substr(12, 2), ".", text.substr(14, 3), "Z");
    return ParseTimestampMs(iso);
  }
  if (auto days = ParseDateDays(text)) return *days * 86400000;
  std::string s(text);
  if (s.size() > 10 && s[10] == ' ') s[10] = 'T';
  absl::Time time;
  std::string error;
  for (const char* format : {"%Y-%m-%dT%H:%M:%E*S%Ez", "%Y-%m-%dT%H:%M:%E*SZ",
                             "%Y-%m-%dT%H:%M:%E*S", "%Y-%m-%dT%H:%MZ", "%Y-%m-%dT%H:%M"}) {
    if (absl::ParseTime(format, s, absl::UTCTimeZone(), &time, &error)) {
      return absl::ToUnixMillis(time);
    }
  }
  return std::nullopt;
}

absl::StatusOr<SqlValue> CastValue(const SqlValue& value, const SqlType& type) {
  using K = SqlType::Kind;
  if (std::holds_alternative<std::monostate>(value)) return value;
  const auto* i = std::get_if<int64_t>(&value);
  const auto* d = std::get_if<double>(&value);
  const auto* s = std::get_if<std::string>(&value);
  switch (type.kind) {
    case K::kBoolean: {
      if (i) return SqlValue(int64_t{*i != 0});
      if (d) return SqlValue(int64_t{*d != 0});
      const std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(*s));
      if (lower == "true" || lower == "t" || lower == "1" || lower == "yes" || lower == "y") {
        return SqlValue(int64_t{1});
      }
      if (lower == "false" || lower == "f" || lower == "0" || lower == "no" || lower == "n") {
        return SqlValue(int64_t{0});
      }
      return CastError(value, type);
    }
    case K::kByte:
    case K::kShort:
    case K::kInt:
    case K::kLong: {
      int64_t result = 0;
      if (i) {
        result = *i;
      } else if (d) {
        if (!std::isfinite(*d) || std::fabs(*d) >= 9.2e18) return Overflow(value, type);
        result = static_cast<int64_t>(std::trunc(*d));
      } else {
        const absl::string_view text = absl::StripAsciiWhitespace(*s);
        double parsed = 0;
        if (!absl::SimpleAtoi(text, &result)) {
          if (!absl::SimpleAtod(text, &parsed) ||
              text.find_first_of("xX") != absl::string_view::npos) {
            return CastError(value, type);
          }
          if (!std::isfinite(parsed) || std::fabs(parsed) >= 9.2e18) return Overflow(value, type);
          result = static_cast<int64_t>(std::trunc(parsed));
        }
      }
      const int64_t limit = type.kind == K::kByte    ? 127
                            : type.kind == K::kShort ? 32767
                            : type.kind == K::kInt   ? 2147483647
                                                     : std::numeric_limits<int64_t>::max();
      if (result > limit || result < -limit - 1) return Overflow(value, type);
      return SqlValue(result);
    }
    case K::kFloat:
    case K::kDouble:
    case K::kDecimal: {
      double result = 0;
      if (i) {
        result = static_cast<double>(*i);
      } else if (d) {
        result = *d;
      } else if (!absl::SimpleAtod(absl::StripAsciiWhitespace(*s), &result)) {
        return CastError(value, type);
      }
      if (type.kind == K::kDecimal) {
        const double factor = std::pow(10.0, type.scale);
        result = std::round(result * factor) / factor;
        if (std::fabs(result) >= std::pow(10.0, type.precision - type.scale)) {
          return absl::InvalidArgumentError(
              absl::StrCat("[NUMERIC_VALUE_OUT_OF_RANGE] ", JavaDouble(result),
                           " cannot be represented as ", absl::AsciiStrToUpper(type.Text()), "."));
        }
      }
      if (type.kind == K::kFloat) result = static_cast<float>(result);
      return SqlValue(result);
    }
    case K::kString:
      if (i) return SqlValue(absl::StrCat(*i));
      if (d) return SqlValue(JavaDouble(*d));
      return value;
    case K::kBinary:
      if (s) return value;
      return CastError(value, type);
    case K::kDate: {
      if (!s) return CastError(value, type);
      const std::optional<int64_t> ms = ParseTimestampMs(*s);
      if (!ms) return CastError(value, type);
      return SqlValue(FormatTimestampMs(*ms).substr(0, 10));
    }
    case K::kTimestamp:
    case K::kTimestampNtz: {
      if (!s) return CastError(value, type);
      const std::optional<int64_t> ms = ParseTimestampMs(*s);
      if (!ms) return CastError(value, type);
      std::string text = FormatTimestampMs(*ms);
      if (type.kind == K::kTimestampNtz) text.pop_back();  // no zone
      return SqlValue(text);
    }
  }
  return value;
}

std::optional<std::string> FormatValue(const SqlValue& value, const SqlType& type) {
  using K = SqlType::Kind;
  if (std::holds_alternative<std::monostate>(value)) return std::nullopt;
  const auto* i = std::get_if<int64_t>(&value);
  const auto* d = std::get_if<double>(&value);
  const auto* s = std::get_if<std::string>(&value);
  switch (type.kind) {
    case K::kBoolean:
      if (i) return *i != 0 ? "true" : "false";
      break;
    case K::kFloat:
    case K::kDouble:
      if (d) return JavaDouble(*d);
      if (i) return JavaDouble(static_cast<double>(*i));
      break;
    case K::kDecimal:
      if (d) return absl::StrFormat("%.*f", type.scale, *d);
      if (i) return absl::StrFormat("%.*f", type.scale, static_cast<double>(*i));
      break;
    default:
      break;
  }
  if (i) return absl::StrCat(*i);
  if (d) return JavaDouble(*d);
  return *s;
}

SqlType InferType(const SqlValue& value) {
  SqlType type;
  if (std::holds_alternative<int64_t>(value)) type.kind = SqlType::Kind::kLong;
  if (std::holds_alternative<double>(value)) type.kind = SqlType::Kind::kDouble;
  return type;
}

}  // namespace emulator
