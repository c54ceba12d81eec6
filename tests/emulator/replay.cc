#include "tests/emulator/replay.h"

#include <algorithm>
#include <fstream>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "tests/emulator/rest.h"

namespace emulator {
namespace {

using gateway::http::Request;
using gateway::http::Response;
namespace json = gateway::json;

constexpr char kRedacted[] = "[REDACTED]";

// Headers that describe the recorded transfer, not the answer: the server sets its own.
bool TransferHeader(absl::string_view name) {
  return name == "content-length" || name == "transfer-encoding" || name == "connection" ||
         name == "content-encoding" || name == "keep-alive";
}

std::vector<std::pair<std::string, std::string>> SplitQuery(absl::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  if (query.empty()) return out;
  for (absl::string_view pair : absl::StrSplit(query, '&')) {
    const size_t equals = pair.find('=');
    out.emplace_back(std::string(pair.substr(0, equals)),
                     equals == absl::string_view::npos ? "" : std::string(pair.substr(equals + 1)));
  }
  return out;
}

// Whether a value the gateway sent equals the recorded one. `field` is the member's name.
bool Same(const json::Value& recorded, const json::Value& sent, absl::string_view field) {
  if (recorded.is_string() && recorded.as_string() == kRedacted) return true;
  if (field == "wait_timeout") return true;
  if (field == "idempotency_token" && recorded.is_string() && sent.is_string() &&
      absl::StartsWith(recorded.as_string(), "gw-") && absl::StartsWith(sent.as_string(), "gw-")) {
    return true;
  }
  if (recorded.is_object() && sent.is_object()) {
    if (recorded.as_object().size() != sent.as_object().size()) return false;
    for (const auto& [name, value] : recorded.as_object()) {
      const json::Value* other = sent.Find(name);
      if (other == nullptr || !Same(value, *other, name)) return false;
    }
    return true;
  }
  if (recorded.is_array() && sent.is_array()) {
    const json::Array& a = recorded.as_array();
    const json::Array& b = sent.as_array();
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!Same(a[i], b[i], "")) return false;
    }
    return true;
  }
  return recorded == sent;
}

// Characters shared at the start of `a` and `b`: how close two requests are.
size_t CommonPrefix(absl::string_view a, absl::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Replay>> Replay::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("replay: cannot read ", path));
  auto replay = std::make_unique<Replay>();
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat("replay: ", path, ":", number, ": ", why));
    };
    absl::StatusOr<json::Value> parsed = json::Parse(line);
    if (!parsed.ok()) return bad(parsed.status().message());
    const json::Value* request = parsed->Find("request");
    const json::Value* seq = parsed->Find("seq");
    if (request == nullptr || seq == nullptr || !seq->is_int()) return bad("no request or seq");
    const json::Value* method = request->Find("method");
    const json::Value* url = request->Find("url");
    if (method == nullptr || !method->is_string() || url == nullptr || !url->is_string()) {
      return bad("the request has no method or url");
    }
    Exchange exchange;
    exchange.seq = seq->as_int();
    exchange.method = method->as_string();
    // "scheme://host[:port]/path?query": the origin is replaced, the rest matched.
    const std::string& full = url->as_string();
    const size_t scheme = full.find("://");
    const size_t path_start =
        scheme == std::string::npos ? std::string::npos : full.find('/', scheme + 3);
    if (path_start == std::string::npos) return bad("the url has no path: " + full);
    const std::string origin = full.substr(0, path_start);
    if (std::find(replay->origins_.begin(), replay->origins_.end(), origin) ==
        replay->origins_.end()) {
      replay->origins_.push_back(origin);
    }
    const std::string target = full.substr(path_start);
    const size_t question = target.find('?');
    exchange.path = target.substr(0, question);
    if (question != std::string::npos) exchange.query = SplitQuery(target.substr(question + 1));
    if (const json::Value* body = request->Find("body")) exchange.body = *body;
    if (const json::Value* attempts = parsed->Find("wire_attempts");
        attempts && attempts->is_int()) {
      exchange.wire_attempts = static_cast<int>(attempts->as_int());
    }
    if (const json::Value* took = parsed->Find("duration_ms"); took && took->is_number()) {
      exchange.took = absl::Milliseconds(took->as_double());
    }
    if (const json::Value* response = parsed->Find("response")) {
      const json::Value* status = response->Find("status");
      if (status == nullptr || !status->is_int()) return bad("the response has no status");
      exchange.status = static_cast<int>(status->as_int());
      if (const json::Value* headers = response->Find("headers"); headers && headers->is_object()) {
        for (const auto& [name, value] : headers->as_object()) {
          if (value.is_string() && !TransferHeader(name)) {
            exchange.headers.emplace_back(name, value.as_string());
          }
        }
      }
      if (const json::Value* body = response->Find("body")) {
        exchange.response_body = body->is_string() ? body->as_string() : body->Dump();
      }
    } else {
      exchange.transport_error = true;
    }
    replay->exchanges_.push_back(std::move(exchange));
  }
  std::stable_sort(replay->exchanges_.begin(), replay->exchanges_.end(),
                   [](const Exchange& a, const Exchange& b) { return a.seq < b.seq; });
  replay->used_.assign(replay->exchanges_.size(), false);
  replay->resets_.assign(replay->exchanges_.size(), 0);
  return replay;
}

bool Replay::Matches(const Exchange& exchange, const Request& request, const json::Value& body) {
  if (exchange.method != request.method || exchange.path != request.path) return false;
  const auto query = SplitQuery(request.query);
  if (query.size() != exchange.query.size()) return false;
  for (size_t i = 0; i < query.size(); ++i) {
    if (query[i].first != exchange.query[i].first) return false;
    if (exchange.query[i].second != kRedacted && query[i].second != exchange.query[i].second) {
      return false;
    }
  }
  if (exchange.body.is_null() || body.is_null()) return exchange.body.is_null() && body.is_null();
  return Same(exchange.body, body, "");
}

std::string Replay::Describe(const Exchange& exchange) {
  std::string out = absl::StrCat("#", exchange.seq, " ", exchange.method, " ", exchange.path);
  for (size_t i = 0; i < exchange.query.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "?" : "&", exchange.query[i].first, "=",
                    exchange.query[i].second);
  }
  if (!exchange.body.is_null()) absl::StrAppend(&out, " ", exchange.body.Dump());
  return out;
}

Replay::Replayed Replay::Answer(const Request& request, const std::string& base_url) {
  json::Value body;
  if (!request.body.empty()) {
    absl::StatusOr<json::Value> parsed = json::Parse(request.body);
    body = parsed.ok() ? *std::move(parsed) : json::Value(request.body);
  }
  const Exchange* chosen = nullptr;
  bool reset = false;
  {
    absl::MutexLock lock(&mu_);
    const Exchange* last_used = nullptr;
    for (size_t i = 0; i < exchanges_.size(); ++i) {
      if (!Matches(exchanges_[i], request, body)) continue;
      if (!used_[i]) {
        chosen = &exchanges_[i];
        reset = resets_[i] + 1 < chosen->wire_attempts;
        if (reset) {
          ++resets_[i];
        } else {
          used_[i] = true;
        }
        break;
      }
      last_used = &exchanges_[i];
    }
    if (chosen == nullptr) chosen = last_used;
  }
  if (chosen == nullptr) {
    const std::string sent =
        absl::StrCat(request.method, " ", request.target, body.is_null() ? "" : " ",
                     body.is_null() ? "" : body.Dump());
    const Exchange* closest = nullptr;
    size_t best = 0;
    for (const Exchange& exchange : exchanges_) {
      const std::string recorded = Describe(exchange);
      const size_t shared = CommonPrefix(sent, recorded.substr(recorded.find(' ') + 1));
      if (closest == nullptr || shared > best) {
        closest = &exchange;
        best = shared;
      }
    }
    return {ApiError(
                400, "REPLAY_NO_MATCH",
                absl::StrCat("replay: no recorded exchange matches ", sent,
                             closest == nullptr ? "; the recording is empty"
                                                : absl::StrCat("; the closest recorded request is ",
                                                               Describe(*closest)))),
            absl::ZeroDuration()};
  }
  Response response;
  if (reset) {
    response.delivery = Response::Delivery::kResetConnection;
    return {std::move(response), absl::ZeroDuration()};
  }
  if (chosen->transport_error) {
    response.delivery = Response::Delivery::kResetConnection;
    return {std::move(response), chosen->took};
  }
  response.status = chosen->status;
  response.headers = chosen->headers;
  response.body = chosen->response_body;
  for (const std::string& origin : origins_) {
    response.body = absl::StrReplaceAll(response.body, {{origin, base_url}});
  }
  return {std::move(response), chosen->took};
}

}  // namespace emulator
