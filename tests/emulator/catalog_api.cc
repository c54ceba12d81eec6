#include "tests/emulator/catalog_api.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace emulator {
namespace {

Response NotFound(absl::string_view code, absl::string_view message) {
  return ApiError(404, code, message);
}

}  // namespace

std::optional<ApiFailure> CatalogApi::Page(const Request& request, absl::string_view tag,
                                           size_t total, size_t* begin, size_t* end,
                                           std::string* next_token) const {
  int64_t max_results = 0;
  bool paged = false;
  if (auto f = QueryInt(request, "max_results", &max_results, &paged)) return f;
  if (paged && max_results < 0) {
    return BadParameter("max_results must be greater than or equal to 0");
  }
  std::string token;
  const bool has_token = QueryString(request, "page_token", &token) && !token.empty();
  int64_t offset = 0;
  bool first_page = !has_token;
  if (has_token) {
    std::optional<int64_t> decoded = DecodePageToken(tag, token);
    std::optional<int64_t> after_empty = DecodePageToken(absl::StrCat(tag, "-after-empty"), token);
    if (!decoded && !after_empty) return BadParameter("Invalid page_token");
    offset = decoded ? *decoded : *after_empty;
  }
  if (!paged) {  // legacy: everything at once
    *begin = 0;
    *end = total;
    return std::nullopt;
  }
  if (first_page && options_.empty_first_page) {
    *begin = *end = 0;
    *next_token = EncodePageToken(absl::StrCat(tag, "-after-empty"), 0);
    return std::nullopt;
  }
  const int64_t size =
      max_results == 0 ? options_.default_page_size : std::min(max_results, options_.max_page_size);
  *begin = std::min(total, static_cast<size_t>(offset));
  *end = std::min(total, static_cast<size_t>(offset + size));
  if (*end < total) *next_token = EncodePageToken(tag, static_cast<int64_t>(*end));
  return std::nullopt;
}

json::Value CatalogApi::CatalogJson(const Catalog& c) const {
  json::Value out;
  out.Set("name", c.name)
      .Set("full_name", c.name)
      .Set("catalog_type", "MANAGED_CATALOG")
      .Set("owner", c.owner);
  if (!c.comment.empty()) out.Set("comment", c.comment);
  out.Set("properties", json::Value::EmptyObject())
      .Set("metastore_id", options_.metastore_id)
      .Set("isolation_mode", "OPEN")
      .Set("securable_type", "CATALOG")
      .Set("securable_kind", "CATALOG_STANDARD")
      .Set("created_at", c.created_at)
      .Set("created_by", c.owner)
      .Set("updated_at", c.updated_at)
      .Set("updated_by", c.owner)
      .Set("browse_only", false);
  return out;
}

json::Value CatalogApi::SchemaJson(const Schema& s) const {
  json::Value out;
  out.Set("name", s.name)
      .Set("catalog_name", s.catalog)
      .Set("full_name", absl::StrCat(s.catalog, ".", s.name))
      .Set("catalog_type", "MANAGED_CATALOG")
      .Set("owner", s.owner);
  if (!s.comment.empty()) out.Set("comment", s.comment);
  out.Set("properties", json::Value::EmptyObject())
      .Set("schema_id", s.schema_id)
      .Set("metastore_id", options_.metastore_id)
      .Set("created_at", s.created_at)
      .Set("created_by", s.owner)
      .Set("updated_at", s.updated_at)
      .Set("updated_by", s.owner)
      .Set("browse_only", false);
  return out;
}

json::Value CatalogApi::TableJson(const Table& t, bool omit_columns, bool omit_properties) const {
  const TableVersion& v = t.current();
  json::Value out;
  out.Set("name", t.name)
      .Set("catalog_name", t.catalog)
      .Set("schema_name", t.schema)
      .Set("full_name", t.FullName())
      .Set("table_type", t.table_type)
      .Set("data_source_format", t.format);
  if (!omit_columns) {
    json::Value columns = json::Value::EmptyArray();
    for (size_t i = 0; i < v.columns.size(); ++i) {
      const ColumnSpec& c = v.columns[i];
      json::Value column;
      column.Set("name", c.name).Set("type_text", c.type.Text()).Set("type_name", c.type.Name());
      json::Value metadata = json::Value::EmptyObject();
      if (!c.comment.empty()) metadata.Set("comment", c.comment);
      json::Value type_json;
      type_json.Set("name", c.name)
          .Set("type", c.type.JsonName())
          .Set("nullable", c.nullable)
          .Set("metadata", metadata);
      column.Set("type_json", type_json.Dump())
          .Set("position", static_cast<int64_t>(i))
          .Set("nullable", c.nullable);
      if (c.type.kind == SqlType::Kind::kDecimal) {
        column.Set("type_precision", c.type.precision).Set("type_scale", c.type.scale);
      } else {
        column.Set("type_precision", 0).Set("type_scale", 0);
      }
      if (!c.comment.empty()) column.Set("comment", c.comment);
      for (size_t p = 0; p < t.partition_columns.size(); ++p) {
        if (t.partition_columns[p] == c.name)
          column.Set("partition_index", static_cast<int64_t>(p));
      }
      columns.Append(column);
    }
    out.Set("columns", columns);
  }
  out.Set("storage_location", t.storage_location).Set("owner", t.owner);
  if (!t.comment.empty()) out.Set("comment", t.comment);
  if (!omit_properties) {
    json::Value properties = json::Value::EmptyObject();
    for (const auto& [k, value] : v.properties) properties.Set(k, value);
    if (t.format == "DELTA") {
      properties.Set("delta.lastCommitTimestamp", absl::StrCat(v.timestamp_ms))
          .Set("delta.lastUpdateVersion", absl::StrCat(v.version))
          .Set("delta.minReaderVersion", "1")
          .Set("delta.minWriterVersion", "2");
    }
    out.Set("properties", properties);
  }
  out.Set("table_id", t.table_id)
      .Set("metastore_id", options_.metastore_id)
      .Set("created_at", t.created_at)
      .Set("created_by", t.created_by)
      .Set("updated_at", t.updated_at)
      .Set("updated_by", t.updated_by.empty() ? t.created_by : t.updated_by)
      .Set("browse_only", false);
  return out;
}

Response CatalogApi::Handle(const Request& request, absl::string_view route) {
  if (request.method != "GET") {
    return ApiError(404, "ENDPOINT_NOT_FOUND",
                    absl::StrCat("No API found for '", request.method, " ", request.path,
                                 "' (the emulator's Unity Catalog is read-only; use SQL DDL)"));
  }
  const std::vector<std::string> parts = absl::StrSplit(route, '/');
  const auto& catalogs = engine_->catalogs();
  if (parts[0] == "catalogs" && parts.size() == 1) {
    size_t begin = 0;
    size_t end = 0;
    std::string next;
    if (auto f = Page(request, "catalogs", catalogs.size(), &begin, &end, &next))
      return f->ToResponse();
    json::Value list = json::Value::EmptyArray();
    size_t i = 0;
    for (const auto& [name, c] : catalogs) {
      if (i >= begin && i < end) list.Append(CatalogJson(c));
      ++i;
    }
    json::Value out;
    out.Set("catalogs", list);
    if (!next.empty()) out.Set("next_page_token", next);
    return JsonResponse(out);
  }
  if (parts[0] == "catalogs" && parts.size() == 2) {
    auto c = catalogs.find(parts[1]);
    if (c == catalogs.end()) {
      return NotFound("CATALOG_DOES_NOT_EXIST",
                      absl::StrCat("Catalog '", parts[1], "' does not exist."));
    }
    return JsonResponse(CatalogJson(c->second));
  }
  if (parts[0] == "schemas" && parts.size() == 1) {
    std::string catalog_name;
    if (!QueryString(request, "catalog_name", &catalog_name) || catalog_name.empty()) {
      return BadParameter("catalog_name is required").ToResponse();
    }
    auto c = catalogs.find(catalog_name);
    if (c == catalogs.end()) {
      return NotFound("CATALOG_DOES_NOT_EXIST",
                      absl::StrCat("Catalog '", catalog_name, "' does not exist."));
    }
    size_t begin = 0;
    size_t end = 0;
    std::string next;
    if (auto f = Page(request, "schemas", c->second.schemas.size(), &begin, &end, &next)) {
      return f->ToResponse();
    }
    json::Value list = json::Value::EmptyArray();
    size_t i = 0;
    for (const auto& [name, s] : c->second.schemas) {
      if (i >= begin && i < end) list.Append(SchemaJson(s));
      ++i;
    }
    json::Value out;
    out.Set("schemas", list);
    if (!next.empty()) out.Set("next_page_token", next);
    return JsonResponse(out);
  }
  if (parts[0] == "schemas" && parts.size() == 2) {
    const std::vector<std::string> name = absl::StrSplit(parts[1], '.');
    if (name.size() != 2) return BadParameter("A schema full name is catalog.schema").ToResponse();
    auto c = catalogs.find(name[0]);
    if (c == catalogs.end() || c->second.schemas.count(name[1]) == 0) {
      return NotFound("SCHEMA_DOES_NOT_EXIST",
                      absl::StrCat("Schema '", parts[1], "' does not exist."));
    }
    return JsonResponse(SchemaJson(c->second.schemas.at(name[1])));
  }
  if (parts[0] == "tables" && parts.size() == 1) {
    std::string catalog_name;
    std::string schema_name;
    QueryString(request, "catalog_name", &catalog_name);
    QueryString(request, "schema_name", &schema_name);
    if (catalog_name.empty() || schema_name.empty()) {
      return BadParameter("catalog_name and schema_name are required").ToResponse();
    }
    auto c = catalogs.find(catalog_name);
    if (c == catalogs.end()) {
      return NotFound("CATALOG_DOES_NOT_EXIST",
                      absl::StrCat("Catalog '", catalog_name, "' does not exist."));
    }
    auto s = c->second.schemas.find(schema_name);
    if (s == c->second.schemas.end()) {
      return NotFound("SCHEMA_DOES_NOT_EXIST", absl::StrCat("Schema '", catalog_name, ".",
                                                            schema_name, "' does not exist."));
    }
    bool omit_columns = false;
    bool omit_properties = false;
    if (auto f = QueryBool(request, "omit_columns", &omit_columns)) return f->ToResponse();
    if (auto f = QueryBool(request, "omit_properties", &omit_properties)) return f->ToResponse();
    std::string max_results;
    const size_t total = s->second.tables.size();
    if (!QueryString(request, "max_results", &max_results) &&
        options_.unpaginated_table_limit > 0 &&
        static_cast<int64_t>(total) > options_.unpaginated_table_limit) {
      return BadParameter(
                 "The ListTables result set is too large to return in a single response. Please "
                 "adopt the paginated version of this API by setting max_results. Error code "
                 "#UC-PGRQD")
          .ToResponse();
    }
    size_t begin = 0;
    size_t end = 0;
    std::string next;
    if (auto f = Page(request, "tables", total, &begin, &end, &next)) return f->ToResponse();
    json::Value list = json::Value::EmptyArray();
    size_t i = 0;
    for (const auto& [name, t] : s->second.tables) {
      if (i >= begin && i < end) list.Append(TableJson(*t, omit_columns, omit_properties));
      ++i;
    }
    json::Value out;
    out.Set("tables", list);
    if (!next.empty()) out.Set("next_page_token", next);
    return JsonResponse(out);
  }
  if (parts[0] == "tables" && (parts.size() == 2 || (parts.size() == 3 && parts[2] == "exists"))) {
    const std::vector<std::string> name = absl::StrSplit(parts[1], '.');
    if (name.size() != 3)
      return BadParameter("A table full name is catalog.schema.table").ToResponse();
    const Table* t = engine_->FindTable(name[0], name[1], name[2]);
    if (parts.size() == 3) {
      json::Value out;
      out.Set("table_exists", t != nullptr);
      return JsonResponse(out);
    }
    if (t == nullptr) {
      return NotFound("TABLE_DOES_NOT_EXIST",
                      absl::StrCat("Table '", parts[1], "' does not exist."));
    }
    return JsonResponse(TableJson(*t, false, false));
  }
  if (parts[0] == "table-summaries" && parts.size() == 1) {
    std::string catalog_name;
    std::string schema_pattern = "*";
    std::string table_pattern = "*";
    QueryString(request, "catalog_name", &catalog_name);
    QueryString(request, "schema_name_pattern", &schema_pattern);
    QueryString(request, "table_name_pattern", &table_pattern);
    auto c = catalogs.find(catalog_name);
    if (c == catalogs.end()) {
      return NotFound("CATALOG_DOES_NOT_EXIST",
                      absl::StrCat("Catalog '", catalog_name, "' does not exist."));
    }
    auto matches = [](const std::string& pattern, const std::string& value) {
      if (pattern.empty() || pattern == "*" || pattern == "%") return true;
      if (pattern.back() == '*' || pattern.back() == '%') {
        return value.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
      }
      return pattern == value;
    };
    std::vector<const Table*> tables;
    for (const auto& [sname, s] : c->second.schemas) {
      if (!matches(schema_pattern, sname)) continue;
      for (const auto& [tname, t] : s.tables) {
        if (matches(table_pattern, tname)) tables.push_back(t.get());
      }
    }
    size_t begin = 0;
    size_t end = 0;
    std::string next;
    if (auto f = Page(request, "summaries", tables.size(), &begin, &end, &next))
      return f->ToResponse();
    json::Value list = json::Value::EmptyArray();
    for (size_t i = begin; i < end; ++i) {
      json::Value item;
      item.Set("full_name", tables[i]->FullName()).Set("table_type", tables[i]->table_type);
      list.Append(item);
    }
    json::Value out;
    out.Set("tables", list);
    if (!next.empty()) out.Set("next_page_token", next);
    return JsonResponse(out);
  }
  return ApiError(404, "ENDPOINT_NOT_FOUND",
                  absl::StrCat("No API found for '", request.method, " ", request.path, "'"));
}

}  // namespace emulator
