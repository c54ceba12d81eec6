#include "server/common/json.h"

#include <charconv>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gateway::json {
namespace {

constexpr int kMaxDepth = 128;

class Parser {
 public:
  explicit Parser(absl::string_view text) : text_(text) {}

  absl::StatusOr<Value> Document() {
    Value value;
    if (!ParseValue(0, &value)) return Error();
    SkipSpace();
    if (pos_ != text_.size()) {
      Fail("end of input after the JSON value");
      return Error();
    }
    return value;
  }

 private:
  absl::Status Error() const {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON at byte ", error_pos_, ": expected ", expected_));
  }

  bool Fail(const char* expected) {
    if (expected_ == nullptr) {
      expected_ = expected;
      error_pos_ = pos_;
    }
    return false;
  }

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\n' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Literal(absl::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return Fail("a JSON value");
    pos_ += word.size();
    return true;
  }

  bool ParseValue(int depth, Value* out) {
    if (depth > kMaxDepth) return Fail("nesting no deeper than 128");
    SkipSpace();
    if (pos_ >= text_.size()) return Fail("a JSON value");
    switch (text_[pos_]) {
      case '{':
        return ParseObject(depth, out);
      case '[':
        return ParseArray(depth, out);
      case '"': {
        std::string s;
        if (!ParseString(&s)) return false;
        *out = Value(std::move(s));
        return true;
      }
      case 't':
        *out = Value(true);
        return Literal("true");
      case 'f':
        *out = Value(false);
        return Literal("false");
      case 'n':
        *out = Value();
        return Literal("null");
      default:
        return ParseNumber(out);
    }
  }

  bool ParseObject(int depth, Value* out) {
    ++pos_;  // '{'
    Object members;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == '}') {
      ++pos_;
      *out = Value(std::move(members));
      return true;
    }
    while (true) {
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != '"') return Fail("a quoted member name");
      std::string key;
      if (!ParseString(&key)) return false;
      SkipSpace();
      if (pos_ >= text_.size() || text_[pos_] != ':') return Fail("':' after a member name");
      ++pos_;
      Value value;
      if (!ParseValue(depth + 1, &value)) return false;
      members.emplace_back(std::move(key), std::move(value));
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        *out = Value(std::move(members));
        return true;
      }
      return Fail("',' or '}' in an object");
    }
  }

  bool ParseArray(int depth, Value* out) {
    ++pos_;  // '['
    Array items;
    SkipSpace();
    if (pos_ < text_.size() && text_[pos_] == ']') {
      ++pos_;
      *out = Value(std::move(items));
      return true;
    }
    while (true) {
      Value value;
      if (!ParseValue(depth + 1, &value)) return false;
      items.push_back(std::move(value));
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
        *out = Value(std::move(items));
        return true;
      }
      return Fail("',' or ']' in an array");
    }
  }

  bool Hex4(unsigned* code) {
    if (pos_ + 4 > text_.size()) return Fail("four hex digits after \\u");
    unsigned value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_ + i];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= c - '0';
      } else if (c >= 'a' && c <= 'f') {
        value |= c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        value |= c - 'A' + 10;
      } else {
        return Fail("four hex digits after \\u");
      }
    }
    pos_ += 4;
    *code = value;
    return true;
  }

  static void AppendUtf8(unsigned code, std::string* out) {
    if (code < 0x80) {
      out->push_back(static_cast<char>(code));
    } else if (code < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (code >> 6)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else if (code < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (code >> 12)));
      out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (code >> 18)));
      out->push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (code & 0x3F)));
    }
  }

  bool ParseString(std::string* out) {
    ++pos_;  // opening quote
    while (true) {
      const size_t start = pos_;
      while (pos_ < text_.size() && text_[pos_] != '"' && text_[pos_] != '\\' &&
             static_cast<unsigned char>(text_[pos_]) >= 0x20) {
        ++pos_;
      }
      out->append(text_.data() + start, pos_ - start);
      if (pos_ >= text_.size()) return Fail("a closing quote");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c != '\\') return Fail("no raw control characters in a string");
      if (++pos_ >= text_.size()) return Fail("an escape sequence");
      const char escape = text_[pos_++];
      switch (escape) {
        case '"':
        case '\\':
        case '/':
          out->push_back(escape);
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          unsigned code = 0;
          if (!Hex4(&code)) return false;
          if (code >= 0xD800 && code <= 0xDBFF) {
            unsigned low = 0;
            if (text_.substr(pos_, 2) != "\\u") return Fail("a low surrogate after a high one");
            pos_ += 2;
            if (!Hex4(&low)) return false;
            if (low < 0xDC00 || low > 0xDFFF) return Fail("a low surrogate after a high one");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          } else if (code >= 0xDC00 && code <= 0xDFFF) {
            return Fail("a high surrogate before a low one");
          }
          AppendUtf8(code, out);
          break;
        }
        default:
          --pos_;
          return Fail("a valid escape sequence");
      }
    }
  }

  bool ParseNumber(Value* out) {
    const size_t start = pos_;
    if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
    const size_t int_start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    if (pos_ == int_start) {
      pos_ = start;
      return Fail("a JSON value");
    }
    if (text_[int_start] == '0' && pos_ - int_start > 1) {
      pos_ = int_start;
      return Fail("no leading zeros in a number");
    }
    bool integral = true;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      integral = false;
      const size_t frac = ++pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      if (pos_ == frac) return Fail("digits after the decimal point");
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      const size_t exp = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      if (pos_ == exp) return Fail("digits in the exponent");
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (integral) {
      int64_t value = 0;
      const auto result = std::from_chars(first, last, value);
      if (result.ec == std::errc() && result.ptr == last) {
        *out = Value(value);
        return true;
      }
    }
    double value = 0;
    const auto result = std::from_chars(first, last, value);
    if (result.ec != std::errc() || result.ptr != last) {
      pos_ = start;
      return Fail("a number within the range of a double");
    }
    *out = Value(value);
    return true;
  }

  absl::string_view text_;
  size_t pos_ = 0;
  const char* expected_ = nullptr;
  size_t error_pos_ = 0;
};

}  // namespace

double Value::as_double() const {
  if (is_int()) return static_cast<double>(as_int());
  return std::get<double>(v_);
}

const Value* Value::Find(absl::string_view key) const {
  if (!is_object()) return nullptr;
  for (const Member& member : as_object()) {
    if (member.first == key) return &member.second;
  }
  return nullptr;
}

Value* Value::Find(absl::string_view key) {
  return const_cast<Value*>(static_cast<const Value*>(this)->Find(key));
}

Value& Value::operator[](absl::string_view key) {
  if (is_null()) v_ = Object{};
  if (Value* existing = Find(key)) return *existing;
  Object& members = as_object();
  members.emplace_back(std::string(key), Value());
  return members.back().second;
}

Value& Value::Set(absl::string_view key, Value value) {
  (*this)[key] = std::move(value);
  return *this;
}

bool Value::Erase(absl::string_view key) {
  if (!is_object()) return false;
  Object& members = as_object();
  for (auto it = members.begin(); it != members.end(); ++it) {
    if (it->first == key) {
      members.erase(it);
      return true;
    }
  }
  return false;
}

void Value::Append(Value value) {
  if (is_null()) v_ = Array{};
  as_array().push_back(std::move(value));
}

void AppendQuoted(absl::string_view text, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (const char c : text) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out->append("\\u00");
          out->push_back(kHex[(c >> 4) & 0xF]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

void Value::DumpTo(std::string* out) const {
  switch (type()) {
    case Type::kNull:
      out->append("null");
      return;
    case Type::kBool:
      out->append(as_bool() ? "true" : "false");
      return;
    case Type::kInt:
      absl::StrAppend(out, as_int());
      return;
    case Type::kDouble: {
      const double d = std::get<double>(v_);
      if (!std::isfinite(d)) {
        out->append("null");  // JSON has no NaN or infinity
        return;
      }
      char buffer[32];
      const auto result = std::to_chars(buffer, buffer + sizeof(buffer), d);
      out->append(buffer, result.ptr);
      return;
    }
    case Type::kString:
      AppendQuoted(as_string(), out);
      return;
    case Type::kArray: {
      out->push_back('[');
      bool first = true;
      for (const Value& item : as_array()) {
        if (!first) out->push_back(',');
        first = false;
        item.DumpTo(out);
      }
      out->push_back(']');
      return;
    }
    case Type::kObject: {
      out->push_back('{');
      bool first = true;
      for (const Member& member : as_object()) {
        if (!first) out->push_back(',');
        first = false;
        AppendQuoted(member.first, out);
        out->push_back(':');
        member.second.DumpTo(out);
      }
      out->push_back('}');
      return;
    }
  }
}

std::string Value::Dump() const {
  std::string out;
  DumpTo(&out);
  return out;
}

absl::StatusOr<Value> Parse(absl::string_view text) { return Parser(text).Document(); }

const char* TypeName(Value::Type type) {
  switch (type) {
    case Value::Type::kNull:
      return "null";
    case Value::Type::kBool:
      return "boolean";
    case Value::Type::kInt:
    case Value::Type::kDouble:
      return "number";
    case Value::Type::kString:
      return "string";
    case Value::Type::kArray:
      return "array";
    case Value::Type::kObject:
      return "object";
  }
  return "value";
}

}  // namespace gateway::json
