#include "tests/emulator/sql_api.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace emulator {
namespace {

constexpr size_t kMaxStatementBytes = 16 << 20;

bool Terminal(const std::string& state) {
  return state == "SUCCEEDED" || state == "FAILED" || state == "CANCELED" || state == "CLOSED";
}

std::string Hex(uint64_t v, int digits) { return absl::StrFormat("%0*x", digits, v); }

// Statement ids look like Databricks' ("01ef1234-5678-1abc-9def-0123456789ab").
std::string StatementId(int64_t sequence, int64_t now_ms) {
  const uint64_t a =
      static_cast<uint64_t>(now_ms) * 2654435761ULL + static_cast<uint64_t>(sequence);
  const uint64_t b = static_cast<uint64_t>(sequence) * 0x9E3779B97F4A7C15ULL;
  return absl::StrCat("01ef", Hex(a & 0xffff, 4), "-", Hex((a >> 16) & 0xffff, 4), "-1",
                      Hex((a >> 32) & 0xfff, 3), "-9", Hex(b & 0xfff, 3), "-",
                      Hex((b >> 12) & 0xffffffffffffULL, 12));
}

json::Value RowJson(const std::vector<std::optional<std::string>>& row) {
  json::Value out = json::Value::EmptyArray();
  for (const auto& v : row) out.Append(v ? json::Value(*v) : json::Value());
  return out;
}

std::string CsvField(const std::optional<std::string>& v) {
  if (!v) return "";
  if (v->find_first_of(",\"\n\r") == std::string::npos) return *v;
  std::string out = "\"";
  for (char c : *v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

SqlApi::Statement* SqlApi::Find(absl::string_view id) {
  auto it = statements_.find(std::string(id));
  return it == statements_.end() ? nullptr : &it->second;
}

void SqlApi::StartWarehouse(Warehouse& w, int64_t now_ms) const {
  if (w.state == "STOPPED" || w.state == "STOPPING") {
    w.state = "STARTING";
    w.ready_ms = now_ms + options_.warehouse_start_ms;
  }
}

void SqlApi::Finish(Statement& s, int64_t at_ms) {
  Session session;
  if (!s.catalog.empty()) session.catalog = s.catalog;
  if (!s.schema.empty()) session.schema = s.schema;
  session.user = s.user;
  session.now_ms = at_ms;
  absl::StatusOr<ResultSet> result = engine_->Execute(s.text, s.parameters, session);
  s.terminal_ms = at_ms;
  if (!result.ok()) {
    s.state = "FAILED";
    s.failure = DeltaEngine::ToFailure(result.status());
    return;
  }
  s.result = *std::move(result);
  // row_limit and byte_limit cut the result and mark it truncated.
  if (s.row_limit >= 0 && static_cast<int64_t>(s.result.rows.size()) > s.row_limit) {
    s.result.rows.resize(static_cast<size_t>(s.row_limit));
    s.truncated = true;
  }
  int64_t total = 0;
  std::vector<int64_t> sizes;
  sizes.reserve(s.result.rows.size());
  for (size_t i = 0; i < s.result.rows.size(); ++i) {
    const int64_t size = static_cast<int64_t>(RowJson(s.result.rows[i]).Dump().size());
    if (s.byte_limit >= 0 && total + size > s.byte_limit) {
      s.result.rows.resize(i);
      s.truncated = true;
      break;
    }
    total += size;
    sizes.push_back(size);
  }
  if (s.disposition == "INLINE" && total > options_.inline_limit_bytes) {
    s.state = "FAILED";
    s.failure.error_code = "BAD_REQUEST";
    s.failure.message = absl::StrCat(
        "The result of the statement is ", total, " bytes, over the INLINE disposition limit of ",
        options_.inline_limit_bytes, " bytes. Use the EXTERNAL_LINKS disposition.");
    s.failure.sql_state = "";
    s.result = {};
    return;
  }
  // Chunks split at the configured row count or byte size, whichever comes first.
  Chunk current;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (current.row_count > 0 && (current.row_count >= options_.chunk_rows ||
                                  current.byte_count + sizes[i] > options_.chunk_bytes)) {
      s.chunks.push_back(current);
      current = Chunk{static_cast<int64_t>(i), 0, 0};
    }
    ++current.row_count;
    current.byte_count += sizes[i];
  }
  s.chunks.push_back(current);
  s.state = "SUCCEEDED";
  s.link_secret = Hex(static_cast<uint64_t>(s.sequence) * 0x2545F4914F6CDD1DULL, 16);
}

void SqlApi::AdvanceTo(int64_t now_ms) {
  for (auto& [id, w] : warehouses_) {
    if (w.state == "STARTING" && now_ms >= w.ready_ms) w.state = "RUNNING";
  }
  // Statements reach their transitions in the order of their times, then of submission, so
  // writes apply in the order a real warehouse would finish them.
  while (true) {
    Statement* next = nullptr;
    int64_t next_at = 0;
    for (auto active = active_.begin(); active != active_.end();) {
      Statement& s = statements_.at(*active);
      if (Terminal(s.state)) {
        active = active_.erase(active);
        continue;
      }
      ++active;
      int64_t at;
      if (s.state == "PENDING") {
        const Warehouse& w = warehouses_.at(s.warehouse_id);
        if (w.state != "RUNNING" && w.state != "STARTING") continue;
        at = std::max(s.submitted_ms, w.ready_ms);
      } else {
        at = s.running_ms + s.execution_ms;
      }
      if (at > now_ms) continue;
      if (next == nullptr || at < next_at || (at == next_at && s.sequence < next->sequence)) {
        next = &s;
        next_at = at;
      }
    }
    if (next == nullptr) break;
    if (next->state == "PENDING") {
      next->state = "RUNNING";
      next->running_ms = next_at;
    } else {
      Finish(*next, next_at);
    }
  }
  // Lifetimes: abandoned, closed, forgotten.
  const bool sweep = now_ms - last_sweep_ms_ >= 1000 || now_ms < last_sweep_ms_;
  if (sweep) last_sweep_ms_ = now_ms;
  for (auto it = statements_.begin(); sweep && it != statements_.end();) {
    Statement& s = it->second;
    if (!Terminal(s.state) && now_ms - s.last_poll_ms > options_.abandon_ms) {
      s.state = "CANCELED";
      s.terminal_ms = s.last_poll_ms + options_.abandon_ms;
      s.failure.error_code = "CANCELLED";
      s.failure.message = "The statement was abandoned: it was not polled for too long.";
    }
    if (s.state == "SUCCEEDED" && now_ms - s.terminal_ms >= options_.result_ttl_ms) {
      s.state = "CLOSED";
      s.result = {};
      s.chunks.clear();
    }
    if (Terminal(s.state) && now_ms - s.terminal_ms >= options_.retention_ms) {
      active_.erase(it->first);
      it = statements_.erase(it);
      continue;
    }
    ++it;
  }
  // Answer the waits that are due: terminal statements, or wait_timeout reached.
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    Statement* s = Find(it->statement_id);
    const bool done = s == nullptr || Terminal(s->state);
    if (!done && now_ms < it->deadline_ms) {
      ++it;
      continue;
    }
    if (s != nullptr && !done && it->cancel_on_timeout) {
      s->state = "CANCELED";
      s->terminal_ms = now_ms;
    }
    if (s != nullptr) s->last_poll_ms = now_ms;
    it->respond(s == nullptr ? ApiError(404, "RESOURCE_DOES_NOT_EXIST", "Statement not found")
                             : JsonResponse(StatementJson(*s)));
    it = waiters_.erase(it);
  }
}

void SqlApi::ReleaseWaiters(int64_t now_ms) {
  for (Waiter& w : waiters_) {
    Statement* s = Find(w.statement_id);
    if (s != nullptr) s->last_poll_ms = now_ms;
    w.respond(s == nullptr ? ApiError(404, "RESOURCE_DOES_NOT_EXIST", "Statement not found")
                           : JsonResponse(StatementJson(*s)));
  }
  waiters_.clear();
}

json::Value SqlApi::ChunkJson(const Statement& s, size_t index) const {
  const Chunk& c = s.chunks[index];
  json::Value out;
  out.Set("chunk_index", static_cast<int64_t>(index))
      .Set("row_offset", c.row_offset)
      .Set("row_count", c.row_count);
  const bool last = index + 1 >= s.chunks.size();
  const std::string next_link =
      absl::StrCat("/api/2.0/sql/statements/", s.id, "/result/chunks/", index + 1);
  if (s.disposition == "EXTERNAL_LINKS") {
    json::Value link;
    link.Set("chunk_index", static_cast<int64_t>(index))
        .Set("row_offset", c.row_offset)
        .Set("row_count", c.row_count)
        .Set("byte_count", c.byte_count);
    const int64_t expires = s.terminal_ms + options_.external_link_ttl_ms;
    link.Set("external_link", absl::StrCat(options_.host, "/emulator-files/", s.id, "/", index,
                                           "?X-Emulator-Expires=", expires,
                                           "&X-Emulator-Signature=", s.link_secret));
    link.Set("expiration", FormatTimestampMs(expires));
    if (!last) {
      link.Set("next_chunk_index", static_cast<int64_t>(index + 1))
          .Set("next_chunk_internal_link", next_link);
    }
    json::Value links = json::Value::EmptyArray();
    links.Append(link);
    out.Set("external_links", links);
    return out;
  }
  json::Value data = json::Value::EmptyArray();
  for (int64_t r = c.row_offset; r < c.row_offset + c.row_count; ++r) {
    data.Append(RowJson(s.result.rows[static_cast<size_t>(r)]));
  }
  if (c.row_count > 0) out.Set("data_array", data);
  if (!last) {
    out.Set("next_chunk_index", static_cast<int64_t>(index + 1))
        .Set("next_chunk_internal_link", next_link);
  }
  return out;
}

json::Value SqlApi::StatementJson(const Statement& s) const {
  json::Value out;
  out.Set("statement_id", s.id);
  json::Value status;
  status.Set("state", s.state);
  if (s.state == "FAILED" || (s.state == "CANCELED" && !s.failure.message.empty())) {
    json::Value error;
    error.Set("error_code", s.failure.error_code).Set("message", s.failure.message);
    status.Set("error", error);
    if (!s.failure.sql_state.empty()) status.Set("sql_state", s.failure.sql_state);
  }
  out.Set("status", status);
  if (s.state != "SUCCEEDED") return out;
  json::Value manifest;
  manifest.Set("format", s.format);
  json::Value schema;
  schema.Set("column_count", static_cast<int64_t>(s.result.columns.size()));
  json::Value columns = json::Value::EmptyArray();
  for (size_t i = 0; i < s.result.columns.size(); ++i) {
    const ResultColumn& c = s.result.columns[i];
    json::Value column;
    column.Set("name", c.name);
    if (!c.complex_type_text.empty()) {
      const std::string upper = absl::AsciiStrToUpper(c.complex_type_text);
      column.Set("type_text", upper).Set("type_name", upper.substr(0, upper.find('<')));
    } else {
      column.Set("type_text", absl::AsciiStrToUpper(c.type.Text())).Set("type_name", c.type.Name());
      if (c.type.kind == SqlType::Kind::kDecimal) {
        column.Set("type_precision", c.type.precision).Set("type_scale", c.type.scale);
      }
    }
    column.Set("position", static_cast<int64_t>(i));
    columns.Append(column);
  }
  schema.Set("columns", columns);
  manifest.Set("schema", schema);
  int64_t total_bytes = 0;
  json::Value chunks = json::Value::EmptyArray();
  for (size_t i = 0; i < s.chunks.size(); ++i) {
    json::Value c;
    c.Set("chunk_index", static_cast<int64_t>(i))
        .Set("row_offset", s.chunks[i].row_offset)
        .Set("row_count", s.chunks[i].row_count);
    if (s.disposition == "EXTERNAL_LINKS") c.Set("byte_count", s.chunks[i].byte_count);
    total_bytes += s.chunks[i].byte_count;
    chunks.Append(c);
  }
  manifest.Set("total_chunk_count", static_cast<int64_t>(s.chunks.size()))
      .Set("chunks", chunks)
      .Set("total_row_count", static_cast<int64_t>(s.result.rows.size()));
  if (s.disposition == "EXTERNAL_LINKS") manifest.Set("total_byte_count", total_bytes);
  manifest.Set("truncated", s.truncated);
  out.Set("manifest", manifest);
  out.Set("result", ChunkJson(s, 0));
  return out;
}

void SqlApi::Handle(const Request& request, absl::string_view route, const std::string& user,
                    int64_t now_ms, const gateway::http::Responder& respond) {
  AdvanceTo(now_ms);
  const std::vector<absl::string_view> parts = absl::StrSplit(route, '/');
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  Response response;
  if (parts[0] == "statements") {
    if (parts.size() == 1 && post) {
      gateway::http::Responder hold = respond;
      response = Execute(request, user, now_ms, &hold);
      if (!hold) return;  // held until the statement ends or wait_timeout passes
    } else if (parts.size() == 2 && get) {
      response = GetStatement(parts[1], now_ms);
    } else if (parts.size() == 3 && parts[2] == "cancel" && post) {
      response = Cancel(parts[1], now_ms);
    } else if (parts.size() == 5 && parts[2] == "result" && parts[3] == "chunks" && get) {
      response = GetChunk(parts[1], parts[4], now_ms);
    } else {
      response =
          ApiError(404, "ENDPOINT_NOT_FOUND",
                   absl::StrCat("No API found for '", request.method, " ", request.path, "'"));
    }
  } else if (parts[0] == "warehouses") {
    if (parts.size() == 1 && get) {
      response = ListWarehouses(request, now_ms);
    } else if (parts.size() == 2 && get) {
      response = WarehouseAction(request, parts[1], "", now_ms);
    } else if (parts.size() == 3 && post && (parts[2] == "start" || parts[2] == "stop")) {
      response = WarehouseAction(request, parts[1], parts[2], now_ms);
    } else {
      response =
          ApiError(404, "ENDPOINT_NOT_FOUND",
                   absl::StrCat("No API found for '", request.method, " ", request.path, "'"));
    }
  } else {
    response = ApiError(404, "ENDPOINT_NOT_FOUND",
                        absl::StrCat("No API found for '", request.method, " ", request.path, "'"));
  }
  respond(std::move(response));
}

Response SqlApi::Execute(const Request& request, const std::string& user, int64_t now_ms,
                         gateway::http::Responder* hold) {
  json::Value body;
  if (auto f = ParseBody(request, &body)) return f->ToResponse();
  Statement s;
  std::string wait = "10s";
  std::string on_timeout = "CONTINUE";
  for (auto [field, out] : {std::pair<const char*, std::string*>{"statement", &s.text},
                            {"warehouse_id", &s.warehouse_id},
                            {"catalog", &s.catalog},
                            {"schema", &s.schema},
                            {"disposition", &s.disposition},
                            {"format", &s.format},
                            {"wait_timeout", &wait},
                            {"on_wait_timeout", &on_timeout}}) {
    if (auto f = GetString(body, field, out)) return f->ToResponse();
  }
  if (auto f = GetInt(body, "row_limit", &s.row_limit)) return f->ToResponse();
  if (auto f = GetInt(body, "byte_limit", &s.byte_limit)) return f->ToResponse();
  if (s.text.empty()) return BadParameter("statement is required").ToResponse();
  if (s.text.size() > kMaxStatementBytes) {
    return BadParameter("statement is larger than the 16 MiB limit").ToResponse();
  }
  if (s.warehouse_id.empty()) return BadParameter("warehouse_id is required").ToResponse();
  auto warehouse = warehouses_.find(s.warehouse_id);
  if (warehouse == warehouses_.end()) {
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                    absl::StrCat("Warehouse ", s.warehouse_id, " does not exist."));
  }
  int64_t wait_s = -1;
  if (!absl::EndsWith(wait, "s") || !absl::SimpleAtoi(wait.substr(0, wait.size() - 1), &wait_s) ||
      (wait_s != 0 && (wait_s < 5 || wait_s > 50))) {
    return BadParameter(
               absl::StrCat("wait_timeout must be 0s or between 5s and 50s, got '", wait, "'"))
        .ToResponse();
  }
  if (on_timeout != "CONTINUE" && on_timeout != "CANCEL") {
    return BadParameter(
               absl::StrCat("on_wait_timeout must be CONTINUE or CANCEL, got '", on_timeout, "'"))
        .ToResponse();
  }
  if (s.disposition != "INLINE" && s.disposition != "EXTERNAL_LINKS") {
    return BadParameter(absl::StrCat("disposition must be INLINE or EXTERNAL_LINKS, got '",
                                     s.disposition, "'"))
        .ToResponse();
  }
  if (s.format != "JSON_ARRAY" && s.format != "ARROW_STREAM" && s.format != "CSV") {
    return BadParameter(
               absl::StrCat("format must be JSON_ARRAY, ARROW_STREAM or CSV, got '", s.format, "'"))
        .ToResponse();
  }
  if (s.format != "JSON_ARRAY" && s.disposition == "INLINE") {
    return BadParameter(absl::StrCat(s.format, " format requires the EXTERNAL_LINKS disposition"))
        .ToResponse();
  }
  if (s.format == "ARROW_STREAM") {
    return ApiError(501, "NOT_IMPLEMENTED",
                    "The emulator does not produce ARROW_STREAM results; use JSON_ARRAY or CSV.");
  }
  if ((body.Find("row_limit") && s.row_limit < 0) ||
      (body.Find("byte_limit") && s.byte_limit < 0)) {
    return BadParameter("row_limit and byte_limit must be >= 0").ToResponse();
  }
  if (const json::Value* params = body.Find("parameters"); params && !params->is_null()) {
    if (!params->is_array()) return BadParameter("parameters must be an array").ToResponse();
    for (const json::Value& p : params->as_array()) {
      SqlParameter parameter;
      if (auto f = GetString(p, "name", &parameter.name)) return f->ToResponse();
      if (parameter.name.empty()) return BadParameter("every parameter needs a name").ToResponse();
      const json::Value* value = p.Find("value");
      if (value != nullptr && !value->is_null()) {
        if (!value->is_string()) {
          return BadParameter(absl::StrCat("parameter ", parameter.name,
                                           ": value must be a string (or null)"))
              .ToResponse();
        }
        parameter.value = value->as_string();
      }
      if (auto f = GetString(p, "type", &parameter.type)) return f->ToResponse();
      if (parameter.type.empty()) parameter.type = "STRING";
      if (!ParseSqlType(parameter.type).ok()) {
        return BadParameter(absl::StrCat("parameter ", parameter.name, ": unsupported type '",
                                         parameter.type, "'"))
            .ToResponse();
      }
      s.parameters.push_back(std::move(parameter));
    }
  }
  s.sequence = next_sequence_++;
  s.id = StatementId(s.sequence, now_ms);
  s.user = user;
  s.submitted_ms = s.last_poll_ms = now_ms;
  s.execution_ms = options_.execution_ms;
  for (const StatementTiming& t : options_.timings) {
    if (absl::StrContains(s.text, t.contains)) {
      s.execution_ms = t.execution_ms;
      break;
    }
  }
  if (warehouse->second.state == "STOPPED" || warehouse->second.state == "STOPPING") {
    if (options_.auto_start) {
      StartWarehouse(warehouse->second, now_ms);
    } else {
      s.state = "FAILED";
      s.terminal_ms = now_ms;
      s.failure.error_code = "BAD_REQUEST";
      s.failure.message = absl::StrCat("Warehouse ", s.warehouse_id,
                                       " is not running. Start it before executing statements.");
    }
  }
  const std::string id = s.id;
  if (!Terminal(s.state)) active_.insert(id);
  statements_[id] = std::move(s);
  AdvanceTo(now_ms);
  Statement& stored = statements_.at(id);
  if (Terminal(stored.state) || wait_s == 0) return JsonResponse(StatementJson(stored));
  waiters_.push_back(Waiter{id, now_ms + wait_s * 1000, on_timeout == "CANCEL", std::move(*hold)});
  *hold = nullptr;
  return Response{};
}

Response SqlApi::GetStatement(absl::string_view id, int64_t now_ms) {
  Statement* s = Find(id);
  if (s == nullptr) {
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                    absl::StrCat("Statement ", id, " does not exist or has expired."));
  }
  s->last_poll_ms = now_ms;
  return JsonResponse(StatementJson(*s));
}

Response SqlApi::GetChunk(absl::string_view id, absl::string_view index_text, int64_t now_ms) {
  Statement* s = Find(id);
  if (s == nullptr) {
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                    absl::StrCat("Statement ", id, " does not exist or has expired."));
  }
  s->last_poll_ms = now_ms;
  if (s->state != "SUCCEEDED") {
    return ApiError(400, "INVALID_STATE",
                    absl::StrCat("Statement ", id, " is ", s->state,
                                 "; result chunks are available only when it SUCCEEDED."));
  }
  int64_t index = 0;
  if (!absl::SimpleAtoi(index_text, &index) || index < 0 ||
      index >= static_cast<int64_t>(s->chunks.size())) {
    return BadParameter(absl::StrCat("Chunk index ", index_text, " is out of range [0, ",
                                     s->chunks.size(), ")"))
        .ToResponse();
  }
  return JsonResponse(ChunkJson(*s, static_cast<size_t>(index)));
}

Response SqlApi::Cancel(absl::string_view id, int64_t now_ms) {
  Statement* s = Find(id);
  if (s == nullptr) {
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                    absl::StrCat("Statement ", id, " does not exist or has expired."));
  }
  if (!Terminal(s->state)) {
    s->state = "CANCELED";
    s->terminal_ms = now_ms;
  }
  AdvanceTo(now_ms);  // answers a wait on it
  return JsonResponse(json::Value::EmptyObject());
}

Response SqlApi::ExternalLink(const Request& request, absl::string_view rest, int64_t now_ms) {
  auto s3_error = [](int status, absl::string_view code, absl::string_view message) {
    Response r;
    r.status = status;
    r.headers = {{"Content-Type", "application/xml"}};
    r.body = absl::StrCat(R"(<?xml version="1.0" encoding="UTF-8"?><Error><Code>)", code,
                          "</Code><Message>", message, "</Message></Error>");
    return r;
  };
  if (request.Header("authorization") != nullptr) {
    return s3_error(400, "InvalidArgument",
                    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "
                    "Signature query string parameter or the Authorization header should be "
                    "specified");
  }
  const std::vector<absl::string_view> parts = absl::StrSplit(rest, '/');
  std::string expires_text;
  std::string signature;
  int64_t expires = 0;
  int64_t index = -1;
  Statement* s = parts.size() == 2 ? Find(parts[0]) : nullptr;
  if (s == nullptr || !absl::SimpleAtoi(parts[1], &index) ||
      !QueryString(request, "X-Emulator-Expires", &expires_text) ||
      !absl::SimpleAtoi(expires_text, &expires) ||
      !QueryString(request, "X-Emulator-Signature", &signature) || signature != s->link_secret ||
      s->state != "SUCCEEDED" || index < 0 || index >= static_cast<int64_t>(s->chunks.size())) {
    return s3_error(403, "AccessDenied", "Access Denied");
  }
  if (now_ms > expires) return s3_error(403, "AccessDenied", "Request has expired");
  const Chunk& c = s->chunks[static_cast<size_t>(index)];
  Response r;
  if (s->format == "CSV") {
    r.headers = {{"Content-Type", "text/csv"}};
    for (int64_t row = c.row_offset; row < c.row_offset + c.row_count; ++row) {
      const auto& values = s->result.rows[static_cast<size_t>(row)];
      for (size_t i = 0; i < values.size(); ++i) {
        absl::StrAppend(&r.body, i ? "," : "", CsvField(values[i]));
      }
      r.body += "\n";
    }
    return r;
  }
  json::Value data = json::Value::EmptyArray();
  for (int64_t row = c.row_offset; row < c.row_offset + c.row_count; ++row) {
    data.Append(RowJson(s->result.rows[static_cast<size_t>(row)]));
  }
  r.headers = {{"Content-Type", "application/json"}};
  r.body = data.Dump();
  return r;
}

json::Value SqlApi::WarehouseJson(const Warehouse& w) const {
  json::Value out;
  out.Set("id", w.spec.id)
      .Set("name", w.spec.name)
      .Set("cluster_size", w.spec.cluster_size)
      .Set("min_num_clusters", 1)
      .Set("max_num_clusters", 1)
      .Set("num_clusters", w.state == "RUNNING" ? 1 : 0)
      .Set("num_active_sessions", 0)
      .Set("auto_stop_mins", 10)
      .Set("enable_photon", true)
      .Set("enable_serverless_compute", false)
      .Set("warehouse_type", "PRO")
      .Set("spot_instance_policy", "COST_OPTIMIZED")
      .Set("state", w.state)
      .Set("creator_name", "emulator-admin");
  json::Value channel;
  channel.Set("name", "CHANNEL_NAME_CURRENT");
  out.Set("channel", channel);
  json::Value health;
  health.Set("status", w.spec.health);
  if (!w.spec.health_summary.empty()) health.Set("summary", w.spec.health_summary);
  if (w.state == "STARTING" && w.spec.health_summary.empty()) {
    health.Set("summary", "Warehouse is starting");
  }
  out.Set("health", health);
  json::Value odbc;
  std::string hostname = options_.host;
  if (const size_t scheme = hostname.find("://"); scheme != std::string::npos) {
    hostname = hostname.substr(scheme + 3);
  }
  odbc.Set("hostname", hostname)
      .Set("path", absl::StrCat("/sql/1.0/warehouses/", w.spec.id))
      .Set("port", 443)
      .Set("protocol", "https");
  out.Set("odbc_params", odbc);
  return out;
}

Response SqlApi::ListWarehouses(const Request& request, int64_t now_ms) {
  (void)now_ms;
  int64_t page_size = 0;
  int64_t offset = 0;
  if (auto f = QueryInt(request, "page_size", &page_size)) return f->ToResponse();
  if (auto f = PageOffset(request, "warehouses", &offset)) return f->ToResponse();
  if (page_size < 0) return BadParameter("page_size must be >= 0").ToResponse();
  const int64_t size = page_size == 0 ? static_cast<int64_t>(warehouses_.size()) : page_size;
  json::Value list = json::Value::EmptyArray();
  int64_t index = 0;
  for (const auto& [id, w] : warehouses_) {
    if (index >= offset && index < offset + size) list.Append(WarehouseJson(w));
    ++index;
  }
  json::Value out;
  out.Set("warehouses", list);
  if (offset + size < static_cast<int64_t>(warehouses_.size())) {
    out.Set("next_page_token", EncodePageToken("warehouses", offset + size));
  }
  return JsonResponse(out);
}

Response SqlApi::WarehouseAction(const Request& request, absl::string_view id,
                                 absl::string_view action, int64_t now_ms) {
  (void)request;
  auto it = warehouses_.find(std::string(id));
  if (it == warehouses_.end()) {
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST",
                    absl::StrCat("Warehouse ", id, " does not exist."));
  }
  Warehouse& w = it->second;
  if (action == "start") {
    StartWarehouse(w, now_ms);
    AdvanceTo(now_ms);
    return JsonResponse(json::Value::EmptyObject());
  }
  if (action == "stop") {
    w.state = "STOPPED";
    return JsonResponse(json::Value::EmptyObject());
  }
  return JsonResponse(WarehouseJson(w));
}

}  // namespace emulator
