#include "tests/harness/redis.h"

#include <hiredis/hiredis.h>
#include <unistd.h>

#include <csignal>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace gateway::testing {
namespace {

std::string ReplyText(const redisReply& reply) {
  switch (reply.type) {
    case REDIS_REPLY_INTEGER:
      return absl::StrCat(reply.integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ERROR:
      return absl::StrCat("(error) ", std::string(reply.str, reply.len));
    case REDIS_REPLY_ARRAY: {
      std::vector<std::string> parts;
      for (size_t i = 0; i < reply.elements; ++i) parts.push_back(ReplyText(*reply.element[i]));
      return absl::StrJoin(parts, " ");
    }
    default:
      return std::string(reply.str, reply.len);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(const std::string& name,
                                                                const std::string& password) {
  const int port = FreePort();
  if (port == 0) return absl::InternalError("no free port on 127.0.0.1");
  std::unique_ptr<RedisServer> server(new RedisServer(name, password, port));
  absl::Status launched = server->Launch();
  if (!launched.ok()) return launched;
  return server;
}

RedisServer::~RedisServer() {
  if (process_ != nullptr) Stop().IgnoreError();
}

std::string RedisServer::address() const { return absl::StrCat("127.0.0.1:", port_); }

absl::Status RedisServer::Launch() {
  const std::string binary = FindOnPath("redis-server");
  if (binary.empty()) {
    return absl::FailedPreconditionError("redis-server is not on PATH (make deps installs it)");
  }
  std::vector<std::string> argv = {binary,
                                   "--bind",
                                   "127.0.0.1",
                                   "--port",
                                   absl::StrCat(port_),
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--daemonize",
                                   "no",
                                   "--dir",
                                   TempDir(),
                                   "--logfile",
                                   absl::StrCat(TempDir(), "/", name_, ".redis.log")};
  if (!password_.empty()) {
    argv.emplace_back("--requirepass");
    argv.push_back(password_);
  }
  absl::StatusOr<Subprocess> process =
      Subprocess::Start(argv, {}, absl::StrCat(TempDir(), "/", name_, ".redis.stderr"));
  if (!process.ok()) return process.status();
  process_ = std::make_unique<Subprocess>(*std::move(process));
  const bool up = PollUntil([this] { return Command({"PING"}).ok(); }, absl::Seconds(10));
  if (!up) {
    return absl::UnavailableError(absl::StrCat("redis-server did not answer on port ", port_));
  }
  return absl::OkStatus();
}

absl::Status RedisServer::Stop() {
  if (process_ == nullptr) return absl::OkStatus();
  process_->Signal(SIGCONT);
  process_->Signal(SIGTERM);
  const std::optional<int> status = process_->Wait(absl::Seconds(10));
  process_.reset();
  if (!status.has_value()) return absl::DeadlineExceededError("redis-server did not stop");
  return absl::OkStatus();
}

absl::Status RedisServer::Restart() {
  absl::Status stopped = Stop();
  if (!stopped.ok()) return stopped;
  return Launch();
}

void RedisServer::Pause() const { process_->Signal(SIGSTOP); }
void RedisServer::Resume() const { process_->Signal(SIGCONT); }

absl::StatusOr<std::string> RedisServer::Command(const std::vector<std::string>& args) const {
  const timeval timeout{2, 0};
  redisContext* context = redisConnectWithTimeout("127.0.0.1", port_, timeout);
  if (context == nullptr || context->err != 0) {
    const std::string error = context != nullptr ? context->errstr : "out of memory";
    if (context != nullptr) redisFree(context);
    return absl::UnavailableError(absl::StrCat("cannot connect to Redis: ", error));
  }
  redisSetTimeout(context, timeout);
  auto run = [context](const std::vector<std::string>& command) -> absl::StatusOr<std::string> {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    auto* reply = static_cast<redisReply*>(
        redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data()));
    if (reply == nullptr) {
      return absl::UnavailableError(absl::StrCat("Redis did not answer: ", context->errstr));
    }
    std::string text = ReplyText(*reply);
    freeReplyObject(reply);
    return text;
  };
  absl::StatusOr<std::string> result;
  if (!password_.empty()) result = run({"AUTH", password_});
  if (password_.empty() || result.ok()) result = run(args);
  redisFree(context);
  return result;
}

}  // namespace gateway::testing
