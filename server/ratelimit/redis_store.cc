#include "server/ratelimit/redis_store.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <deque>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/write.hpp"

namespace gateway::ratelimit {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using ErrorCode = boost::system::error_code;

// KEYS[1]: the rule's key. ARGV[1]: the emission interval (1/rate) in µs; ARGV[2]: the
// burst. The key holds the theoretical arrival time (TAT) in µs of Redis' clock and expires
// when the TAT passes, when it would mean "idle" anyway. The arithmetic is Gcra::Take's.
// Returns {allowed 0|1, µs until one call would pass, calls that would pass now}.
constexpr char kGcraScript[] = R"lua(
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local tolerance = interval * tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local ahead = tat + interval - now
if ahead > tolerance then
  return {0, ahead - tolerance, 0}
end
redis.call('SET', KEYS[1], string.format('%.0f', tat + interval), 'PX', math.ceil(ahead / 1000))
return {1, 0, math.floor((tolerance - ahead) / interval)}
)lua";

struct ReplyDeleter {
  void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

struct ReaderDeleter {
  void operator()(redisReader* reader) const { redisReaderFree(reader); }
};

// One command in the Redis protocol (RESP).
std::string Command(const std::vector<absl::string_view>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (absl::string_view arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  char* formatted = nullptr;
  const int length = redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()), argv.data(),
                                            lengths.data());
  if (length < 0) throw std::bad_alloc();
  std::string command(formatted, static_cast<size_t>(length));
  redisFreeCommand(formatted);
  return command;
}

absl::string_view Text(const redisReply& reply) {
  return reply.str == nullptr ? absl::string_view() : absl::string_view(reply.str, reply.len);
}

// The script's answer, or nothing when the reply has another shape.
std::optional<GcraDecision> DecisionOf(const redisReply& reply) {
  if (reply.type != REDIS_REPLY_ARRAY || reply.elements != 3) return std::nullopt;
  for (size_t i = 0; i < 3; ++i) {
    if (reply.element[i]->type != REDIS_REPLY_INTEGER) return std::nullopt;
  }
  GcraDecision decision;
  decision.allowed = reply.element[0]->integer == 1;
  decision.retry_after = absl::Microseconds(reply.element[1]->integer);
  decision.remaining = reply.element[2]->integer;
  return decision;
}

}  // namespace

const char* GcraScript() { return kGcraScript; }

// Everything but the constructor, Take's fast path and connected() runs on the I/O thread.
class RedisStore::Connection {
 public:
  Connection(RedisStoreOptions options, Logger* logger, metrics::RedisMetrics* metrics)
      : options_(std::move(options)),
        logger_(logger),
        metrics_(metrics),
        work_(asio::make_work_guard(io_)),
        resolver_(io_),
        socket_(io_),
        connect_timer_(io_),
        deadline_timer_(io_) {
    absl::string_view address = options_.address;
    const size_t colon = address.rfind(':');
    host_ = std::string(address.substr(0, colon));
    port_ = std::string(address.substr(colon + 1));
    if (host_.size() >= 2 && host_.front() == '[' && host_.back() == ']') {
      host_ = host_.substr(1, host_.size() - 2);
    }
    metrics_->up.Set(0);
    asio::post(io_, [this] { Connect(); });
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Connection() {
    asio::post(io_, [this] { Stop(); });
    thread_.join();
  }

  bool connected() const { return ready_.load(std::memory_order_acquire); }

  void Take(const std::string& key, double rate, int64_t burst, Callback done) {
    if (!connected()) {
      done(absl::UnavailableError("not connected to Redis"));
      return;
    }
    const int64_t interval_us = std::max<int64_t>(1, std::llround(1e6 / rate));
    asio::post(io_, [this, key = absl::StrCat(options_.key_prefix, key), interval_us, burst,
                     done = std::move(done)]() mutable {
      if (state_ != State::kReady) {
        done(absl::UnavailableError("not connected to Redis"));
        return;
      }
      Send(Command(
               {"EVALSHA", script_sha_, "1", key, absl::StrCat(interval_us), absl::StrCat(burst)}),
           Pending::Kind::kDecision, std::move(done));
    });
  }

 private:
  enum class State { kDisconnected, kConnecting, kLoading, kReady, kStopped };
  // A command sent whose reply has not arrived. Replies come in the order of commands.
  struct Pending {
    enum class Kind { kAuth, kLoadScript, kDecision };
    Kind kind;
    Clock::time_point sent;
    // Of a decision; empty once answered (by a timeout, before the reply).
    Callback done;
  };
  enum class Failure { kConnect, kDisconnect };

  void Connect() {
    state_ = State::kConnecting;
    const uint64_t generation = generation_;
    connect_timer_.expires_after(absl::ToChronoMilliseconds(options_.connect_timeout));
    connect_timer_.async_wait([this, generation](const ErrorCode& error) {
      if (error || generation != generation_) return;
      if (state_ == State::kConnecting || state_ == State::kLoading) {
        Drop(Failure::kConnect,
             absl::StrCat("no connection within ", absl::FormatDuration(options_.connect_timeout)));
      }
    });
    resolver_.async_resolve(
        host_, port_,
        [this, generation](const ErrorCode& error, const tcp::resolver::results_type& endpoints) {
          if (generation != generation_) return;
          if (error) {
            Drop(Failure::kConnect, absl::StrCat("cannot resolve ", host_, ": ", error.message()));
            return;
          }
          asio::async_connect(socket_, endpoints,
                              [this, generation](const ErrorCode& error, const tcp::endpoint&) {
                                if (generation != generation_) return;
                                if (error) {
                                  Drop(Failure::kConnect, error.message());
                                  return;
                                }
                                OnConnected();
                              });
        });
  }

  // Authenticates and loads the script; the connection is ready when the script is.
  void OnConnected() {
    state_ = State::kLoading;
    ErrorCode ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    reader_.reset(redisReaderCreate());
    Read();
    if (options_.password) {
      absl::StatusOr<std::string> password = options_.password();
      if (!password.ok()) {
        Drop(Failure::kConnect, password.status().message());
        return;
      }
      Send(Command({"AUTH", *password}), Pending::Kind::kAuth, nullptr);
    }
    LoadScript();
  }

  void LoadScript() {
    loading_script_ = true;
    Send(Command({"SCRIPT", "LOAD", kGcraScript}), Pending::Kind::kLoadScript, nullptr);
  }

  void Send(const std::string& command, Pending::Kind kind, Callback done) {
    outbox_ += command;
    pending_.push_back(Pending{kind, Clock::now(), std::move(done)});
    Write();
    ArmTimer();
  }

  void Write() {
    if (writing_ || outbox_.empty()) return;
    writing_ = true;
    // The buffer belongs to the write: a dropped connection may not free it under it.
    auto buffer = std::make_shared<std::string>(std::move(outbox_));
    outbox_.clear();
    asio::async_write(socket_, asio::buffer(*buffer),
                      [this, buffer, generation = generation_](const ErrorCode& error, size_t) {
                        if (generation != generation_) return;
                        writing_ = false;
                        if (error) {
                          Drop(Failure::kDisconnect, error.message());
                          return;
                        }
                        Write();
                      });
  }

  void Read() {
    socket_.async_read_some(
        asio::buffer(inbox_), [this, generation = generation_](const ErrorCode& error, size_t n) {
          if (generation != generation_) return;
          if (error) {
            Drop(state_ == State::kReady ? Failure::kDisconnect : Failure::kConnect,
                 error == asio::error::eof ? "Redis closed the connection" : error.message());
            return;
          }
          redisReaderFeed(reader_.get(), inbox_.data(), n);
          while (true) {
            void* raw = nullptr;
            if (redisReaderGetReply(reader_.get(), &raw) != REDIS_OK) {
              Drop(Failure::kDisconnect, absl::StrCat("unreadable reply: ", reader_->errstr));
              return;
            }
            if (raw == nullptr) break;
            Reply reply(static_cast<redisReply*>(raw));
            if (pending_.empty()) {
              Drop(Failure::kDisconnect, "a reply to no command");
              return;
            }
            Pending pending = std::move(pending_.front());
            pending_.pop_front();
            if (!OnReply(pending, *reply)) return;
          }
          Read();
        });
  }

  // False when the reply dropped the connection.
  bool OnReply(Pending& pending, const redisReply& reply) {
    switch (pending.kind) {
      case Pending::Kind::kAuth:
        if (reply.type == REDIS_REPLY_ERROR) {
          Drop(Failure::kConnect, absl::StrCat("AUTH refused: ", Text(reply)));
          return false;
        }
        return true;
      case Pending::Kind::kLoadScript:
        loading_script_ = false;
        if (reply.type != REDIS_REPLY_STRING) {
          Drop(Failure::kConnect, absl::StrCat("SCRIPT LOAD refused: ", Text(reply)));
          return false;
        }
        script_sha_ = std::string(Text(reply));
        if (state_ == State::kLoading) BecomeReady();
        return true;
      case Pending::Kind::kDecision:
        break;
    }
    metrics_->duration.Observe(std::chrono::duration<double>(Clock::now() - pending.sent).count());
    std::optional<GcraDecision> decision = DecisionOf(reply);
    if (decision.has_value()) {
      if (pending.done) pending.done(*decision);
      return true;
    }
    metrics_->reply_errors.Increment();
    // The script cache was flushed (SCRIPT FLUSH, a failover): load it again; decisions
    // fail until it is back.
    if (reply.type == REDIS_REPLY_ERROR && absl::StartsWith(Text(reply), "NOSCRIPT") &&
        !loading_script_) {
      LoadScript();
    }
    if (pending.done) {
      pending.done(absl::InternalError(
          reply.type == REDIS_REPLY_ERROR
              ? absl::StrCat("Redis answered with an error: ", Text(reply))
              : absl::StrCat("Redis answered with a reply of type ", reply.type)));
    }
    return true;
  }

  void BecomeReady() {
    state_ = State::kReady;
    connect_timer_.cancel();
    ready_.store(true, std::memory_order_release);
    metrics_->up.Set(1);
    if (!ever_connected_) {
      logger_->Info("connected to Redis: global limits are decided there",
                    {{"address", options_.address}});
    } else if (reported_down_) {
      logger_->Info("Redis is reachable again: global limits are decided there again",
                    {{"address", options_.address}});
    }
    ever_connected_ = true;
    reported_down_ = false;
  }

  // Wakes for the earliest of: the first open decision's timeout, the oldest command's
  // stall limit (connect_timeout).
  void ArmTimer() {
    if (pending_.empty()) return;
    Clock::time_point next =
        pending_.front().sent + absl::ToChronoMilliseconds(options_.connect_timeout);
    for (const Pending& pending : pending_) {
      if (pending.done) {
        next = std::min(next, pending.sent + absl::ToChronoMicroseconds(options_.timeout));
        break;
      }
    }
    if (timer_armed_ && timer_at_ <= next) return;
    timer_armed_ = true;
    timer_at_ = next;
    deadline_timer_.expires_at(next);
    deadline_timer_.async_wait([this](const ErrorCode& error) {
      if (error == asio::error::operation_aborted) return;
      timer_armed_ = false;
      OnTimer();
    });
  }

  void OnTimer() {
    if (state_ == State::kStopped || pending_.empty()) return;
    const Clock::time_point now = Clock::now();
    if (pending_.front().sent + absl::ToChronoMilliseconds(options_.connect_timeout) <= now) {
      Drop(state_ == State::kReady ? Failure::kDisconnect : Failure::kConnect,
           absl::StrCat("no reply within ", absl::FormatDuration(options_.connect_timeout)));
      return;
    }
    // Decisions time out in the order sent: they all have the same timeout.
    for (Pending& pending : pending_) {
      if (!pending.done) continue;
      if (pending.sent + absl::ToChronoMicroseconds(options_.timeout) > now) break;
      metrics_->timeouts.Increment();
      Callback done = std::move(pending.done);
      pending.done = nullptr;
      done(absl::DeadlineExceededError(
          absl::StrCat("Redis did not decide within ", absl::FormatDuration(options_.timeout))));
    }
    ArmTimer();
  }

  // Closes the connection, fails what waits on it and, unless stopping, tries again after
  // reconnect_interval.
  void Drop(Failure failure, absl::string_view reason) {
    const bool was_ready = state_ == State::kReady;
    ++generation_;
    state_ = State::kDisconnected;
    ready_.store(false, std::memory_order_release);
    metrics_->up.Set(0);
    ErrorCode ignored;
    socket_.close(ignored);
    resolver_.cancel();
    deadline_timer_.cancel();
    timer_armed_ = false;
    outbox_.clear();
    writing_ = false;
    loading_script_ = false;
    (failure == Failure::kConnect ? metrics_->connect_errors : metrics_->disconnects).Increment();
    FailPending(absl::StrCat("lost the connection to Redis: ", reason));

    if (was_ready || !reported_down_) {
      logger_->Warn(
          "Redis is unreachable: global limits fall back to local limits divided by "
          "redis.replica_count until it is back",
          {{"address", options_.address}, {"reason", reason}});
      reported_down_ = true;
    } else {
      logger_->Debug("cannot reach Redis", {{"address", options_.address}, {"reason", reason}});
    }
    connect_timer_.expires_after(absl::ToChronoMilliseconds(options_.reconnect_interval));
    connect_timer_.async_wait([this, generation = generation_](const ErrorCode& error) {
      if (error || generation != generation_ || state_ != State::kDisconnected) return;
      Connect();
    });
  }

  void Stop() {
    ++generation_;
    state_ = State::kStopped;
    ready_.store(false, std::memory_order_release);
    ErrorCode ignored;
    socket_.close(ignored);
    resolver_.cancel();
    connect_timer_.cancel();
    deadline_timer_.cancel();
    FailPending("the gateway is stopping");
    work_.reset();
  }

  void FailPending(const std::string& reason) {
    std::deque<Pending> failed;
    failed.swap(pending_);
    for (Pending& pending : failed) {
      if (pending.done) pending.done(absl::UnavailableError(reason));
    }
  }

  const RedisStoreOptions options_;
  Logger* const logger_;
  metrics::RedisMetrics* const metrics_;
  std::string host_;
  std::string port_;

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  tcp::resolver resolver_;
  tcp::socket socket_;
  // The deadline of connecting, then the delay before the next attempt.
  asio::steady_timer connect_timer_;
  // Decisions' timeouts and the stall limit.
  asio::steady_timer deadline_timer_;
  std::thread thread_;
  std::atomic<bool> ready_{false};

  // The rest belongs to the I/O thread.
  State state_ = State::kDisconnected;
  // Changes whenever the connection is dropped; handlers of an older one do nothing.
  uint64_t generation_ = 0;
  std::deque<Pending> pending_;
  std::string outbox_;
  bool writing_ = false;
  std::array<char, size_t{16} * 1024> inbox_;
  std::unique_ptr<redisReader, ReaderDeleter> reader_;
  std::string script_sha_;
  bool loading_script_ = false;
  bool timer_armed_ = false;
  Clock::time_point timer_at_;
  bool ever_connected_ = false;
  // Logged that Redis is unreachable and not yet that it is back.
  bool reported_down_ = false;
};

RedisStore::RedisStore(RedisStoreOptions options, Logger* logger, metrics::RedisMetrics* metrics)
    : connection_(std::make_unique<Connection>(std::move(options), logger, metrics)) {}

RedisStore::~RedisStore() = default;

void RedisStore::Take(const std::string& key, double rate, int64_t burst, Callback done) {
  connection_->Take(key, rate, burst, std::move(done));
}

bool RedisStore::connected() const { return connection_->connected(); }

}  // namespace gateway::ratelimit
