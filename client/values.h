// Building the gateway's typed values, parameters and table names.
#ifndef CLIENT_VALUES_H_
#define CLIENT_VALUES_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "proto/databricks/gateway/v1/common.pb.h"

namespace gateway::client {

namespace v1 = ::databricks::gateway::v1;

v1::Value NullValue();
v1::Value BoolValue(bool value);
v1::Value IntValue(int64_t value);
v1::Value DoubleValue(double value);
// DECIMAL as its exact text, e.g. "12.30".
v1::Value DecimalValue(absl::string_view text);
v1::Value StringValue(absl::string_view value);
v1::Value DateValue(int year, int month, int day);
v1::Value TimestampValue(absl::Time time);

// A named parameter for a `:name` marker; `type` ("DATE", "DECIMAL(10,2)") or empty.
v1::SqlParameter Parameter(absl::string_view name, v1::Value value, absl::string_view type = "");

// "table", "schema.table" or "catalog.schema.table" (empty parts take the tenant's
// defaults). INVALID_ARGUMENT names what is wrong: more than three parts, an empty table.
// Back-quoted parts (`my.table`) may hold dots.
absl::StatusOr<v1::TableName> ParseTableName(absl::string_view text);
// "catalog.schema.table", leaving out empty leading parts.
std::string FormatTableName(const v1::TableName& name);

}  // namespace gateway::client

#endif  // CLIENT_VALUES_H_
