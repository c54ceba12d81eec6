#include "server/databricks/json_proto.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/reflection.h"
#include "server/common/status_macros.h"

namespace gateway::databricks {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr absl::string_view kTimestamp = "google.protobuf.Timestamp";

json::Value TimestampToJson(const Message& message) {
  const Descriptor* d = message.GetDescriptor();
  const Reflection* r = message.GetReflection();
  const absl::Time t = absl::FromUnixSeconds(r->GetInt64(message, d->FindFieldByName("seconds"))) +
                       absl::Nanoseconds(r->GetInt32(message, d->FindFieldByName("nanos")));
  return json::Value(absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone()));
}

// One value of `field` (element `index` when repeated, -1 otherwise).
json::Value FieldValue(const Message& message, const FieldDescriptor* field, int index) {
  const Reflection* r = message.GetReflection();
  const bool rep = index >= 0;
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return int64_t{rep ? r->GetRepeatedInt32(message, field, index)
                         : r->GetInt32(message, field)};
    case FieldDescriptor::CPPTYPE_INT64:
      return rep ? r->GetRepeatedInt64(message, field, index) : r->GetInt64(message, field);
    case FieldDescriptor::CPPTYPE_UINT32:
      return int64_t{rep ? r->GetRepeatedUInt32(message, field, index)
                         : r->GetUInt32(message, field)};
    case FieldDescriptor::CPPTYPE_UINT64:
      return static_cast<int64_t>(rep ? r->GetRepeatedUInt64(message, field, index)
                                      : r->GetUInt64(message, field));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return rep ? r->GetRepeatedDouble(message, field, index) : r->GetDouble(message, field);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return double{rep ? r->GetRepeatedFloat(message, field, index) : r->GetFloat(message, field)};
    case FieldDescriptor::CPPTYPE_BOOL:
      return rep ? r->GetRepeatedBool(message, field, index) : r->GetBool(message, field);
    case FieldDescriptor::CPPTYPE_ENUM:
      return json::Value(
          (rep ? r->GetRepeatedEnum(message, field, index) : r->GetEnum(message, field))->name());
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value =
          rep ? r->GetRepeatedString(message, field, index) : r->GetString(message, field);
      if (field->type() == FieldDescriptor::TYPE_BYTES) return absl::Base64Escape(value);
      return value;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      const Message& sub =
          rep ? r->GetRepeatedMessage(message, field, index) : r->GetMessage(message, field);
      if (sub.GetDescriptor()->full_name() == kTimestamp) return TimestampToJson(sub);
      return MessageToJson(sub);
    }
  }
  return json::Value();
}

absl::Status TypeError(absl::string_view path, absl::string_view expected, const json::Value& got) {
  return absl::InvalidArgumentError(
      absl::StrCat(path, ": expected ", expected, ", got ", json::TypeName(got.type())));
}

absl::StatusOr<int64_t> ToInt(absl::string_view path, const json::Value& v) {
  if (v.is_int()) return v.as_int();
  int64_t parsed;
  if (v.is_string() && absl::SimpleAtoi(v.as_string(), &parsed)) return parsed;
  if (v.type() == json::Value::Type::kDouble && std::nearbyint(v.as_double()) == v.as_double() &&
      std::abs(v.as_double()) < 9.2e18) {
    return static_cast<int64_t>(v.as_double());
  }
  return TypeError(path, "an integer", v);
}

absl::Status MergeInto(const json::Value& object, Message* message, const std::string& path);

// Sets (or, for a repeated field, adds) one value of `field` from `v`.
absl::Status SetValue(const json::Value& v, const FieldDescriptor* field, Message* message,
                      const std::string& path) {
  const Reflection* r = message->GetReflection();
  const bool rep = field->is_repeated();
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64: {
      GW_ASSIGN_OR_RETURN(const int64_t n, ToInt(path, v));
      const bool is32 = field->cpp_type() == FieldDescriptor::CPPTYPE_INT32 ||
                        field->cpp_type() == FieldDescriptor::CPPTYPE_UINT32;
      if (is32 &&
          (n > std::numeric_limits<int32_t>::max() || n < std::numeric_limits<int32_t>::min())) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": ", n, " is out of range"));
      }
      switch (field->cpp_type()) {
        case FieldDescriptor::CPPTYPE_INT32:
          rep ? r->AddInt32(message, field, static_cast<int32_t>(n))
              : r->SetInt32(message, field, static_cast<int32_t>(n));
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          rep ? r->AddInt64(message, field, n) : r->SetInt64(message, field, n);
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          rep ? r->AddUInt32(message, field, static_cast<uint32_t>(n))
              : r->SetUInt32(message, field, static_cast<uint32_t>(n));
          break;
        default:
          rep ? r->AddUInt64(message, field, static_cast<uint64_t>(n))
              : r->SetUInt64(message, field, static_cast<uint64_t>(n));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      double d;
      if (v.is_number()) {
        d = v.as_double();
      } else if (!v.is_string() || !absl::SimpleAtod(v.as_string(), &d)) {
        return TypeError(path, "a number", v);
      }
      if (field->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE) {
        rep ? r->AddDouble(message, field, d) : r->SetDouble(message, field, d);
      } else {
        rep ? r->AddFloat(message, field, static_cast<float>(d))
            : r->SetFloat(message, field, static_cast<float>(d));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool b;
      if (v.is_bool()) {
        b = v.as_bool();
      } else if (v.is_string() && (v.as_string() == "true" || v.as_string() == "false")) {
        b = v.as_string() == "true";
      } else {
        return TypeError(path, "a boolean", v);
      }
      rep ? r->AddBool(message, field, b) : r->SetBool(message, field, b);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      if (!v.is_string()) return TypeError(path, "an enum name", v);
      const EnumValueDescriptor* value = field->enum_type()->FindValueByName(v.as_string());
      if (!rep) {
        const Descriptor* d = message->GetDescriptor();
        const FieldDescriptor* text = d->FindFieldByName(field->name() + "_text");
        if (text != nullptr && text->cpp_type() == FieldDescriptor::CPPTYPE_STRING &&
            !text->is_repeated()) {
          r->SetString(message, text, v.as_string());
        }
      }
      if (value == nullptr) return absl::OkStatus();  // a value Databricks added later
      rep ? r->AddEnum(message, field, value) : r->SetEnum(message, field, value);
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string s;
      if (v.is_string()) {
        s = v.as_string();
      } else if (v.is_int()) {
        s = absl::StrCat(v.as_int());
      } else if (v.is_number()) {
        s = absl::StrCat(v.as_double());
      } else if (v.is_bool()) {
        s = v.as_bool() ? "true" : "false";
      } else {
        return TypeError(path, "a string", v);
      }
      if (field->type() == FieldDescriptor::TYPE_BYTES && !absl::Base64Unescape(s, &s)) {
        return absl::InvalidArgumentError(absl::StrCat(path, ": not base64"));
      }
      if (rep) {
        r->AddString(message, field, std::move(s));
      } else {
        r->SetString(message, field, std::move(s));
      }
      return absl::OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      Message* sub = rep ? r->AddMessage(message, field) : r->MutableMessage(message, field);
      if (sub->GetDescriptor()->full_name() == kTimestamp) {
        absl::Time t;
        std::string error;
        if (!v.is_string() || !absl::ParseTime(absl::RFC3339_full, v.as_string(), &t, &error)) {
          return TypeError(path, "an RFC 3339 timestamp", v);
        }
        const Descriptor* d = sub->GetDescriptor();
        const int64_t seconds = absl::ToUnixSeconds(t);
        sub->GetReflection()->SetInt64(sub, d->FindFieldByName("seconds"), seconds);
        sub->GetReflection()->SetInt32(
            sub, d->FindFieldByName("nanos"),
            static_cast<int32_t>(absl::ToInt64Nanoseconds(t - absl::FromUnixSeconds(seconds))));
        return absl::OkStatus();
      }
      return MergeInto(v, sub, path);
    }
  }
  return absl::OkStatus();
}

absl::Status MergeMap(const json::Value& v, const FieldDescriptor* field, Message* message,
                      const std::string& path) {
  if (!v.is_object()) return TypeError(path, "an object", v);
  const FieldDescriptor* key_field = field->message_type()->FindFieldByName("key");
  const FieldDescriptor* value_field = field->message_type()->FindFieldByName("value");
  for (const auto& [key, value] : v.as_object()) {
    if (value.is_null()) continue;
    Message* entry = message->GetReflection()->AddMessage(message, field);
    const std::string entry_path = absl::StrCat(path, ".", key);
    GW_RETURN_IF_ERROR(SetValue(json::Value(key), key_field, entry, entry_path));
    GW_RETURN_IF_ERROR(SetValue(value, value_field, entry, entry_path));
  }
  return absl::OkStatus();
}

absl::Status MergeInto(const json::Value& object, Message* message, const std::string& path) {
  if (!object.is_object()) return TypeError(path.empty() ? "body" : path, "an object", object);
  const Descriptor* d = message->GetDescriptor();
  for (const auto& [name, value] : object.as_object()) {
    const FieldDescriptor* field = d->FindFieldByName(name);
    if (field == nullptr || value.is_null()) continue;
    const std::string field_path = path.empty() ? name : absl::StrCat(path, ".", name);
    if (field->is_map()) {
      GW_RETURN_IF_ERROR(MergeMap(value, field, message, field_path));
    } else if (field->is_repeated()) {
      if (!value.is_array()) return TypeError(field_path, "an array", value);
      const json::Array& items = value.as_array();
      for (size_t i = 0; i < items.size(); ++i) {
        if (items[i].is_null()) continue;
        GW_RETURN_IF_ERROR(
            SetValue(items[i], field, message, absl::StrCat(field_path, "[", i, "]")));
      }
    } else {
      GW_RETURN_IF_ERROR(SetValue(value, field, message, field_path));
    }
  }
  return absl::OkStatus();
}

}  // namespace

json::Value MessageToJson(const Message& message) {
  json::Value out = json::Value::EmptyObject();
  std::vector<const FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);
  const Reflection* r = message.GetReflection();
  for (const FieldDescriptor* field : fields) {
    if (field->is_map()) {
      json::Value map = json::Value::EmptyObject();
      const FieldDescriptor* key = field->message_type()->FindFieldByName("key");
      const FieldDescriptor* value = field->message_type()->FindFieldByName("value");
      for (int i = 0; i < r->FieldSize(message, field); ++i) {
        const Message& entry = r->GetRepeatedMessage(message, field, i);
        json::Value k = FieldValue(entry, key, -1);
        map.Set(k.is_string() ? k.as_string() : k.Dump(), FieldValue(entry, value, -1));
      }
      out.Set(field->name(), std::move(map));
    } else if (field->is_repeated()) {
      json::Value items = json::Value::EmptyArray();
      for (int i = 0; i < r->FieldSize(message, field); ++i) {
        items.Append(FieldValue(message, field, i));
      }
      out.Set(field->name(), std::move(items));
    } else {
      out.Set(field->name(), FieldValue(message, field, -1));
    }
  }
  return out;
}

absl::Status MergeJson(const json::Value& object, Message* message) {
  return MergeInto(object, message, "");
}

}  // namespace gateway::databricks
