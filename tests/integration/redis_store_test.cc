// The Redis store of global limits against a real redis-server on a free loopback port:
// the GCRA script's decisions, a bucket shared by two stores, and the failures: Redis
// stopped, paused, its script cache flushed, a wrong password.
#include "server/ratelimit/redis_store.h"

#include <future>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "server/common/log.h"
#include "server/metrics/redis_metrics.h"
#include "tests/harness/redis.h"

namespace gateway::ratelimit {
namespace {

using ::gateway::testing::FreePort;
using ::gateway::testing::PollUntil;
using ::gateway::testing::RedisServer;
using ::testing::HasSubstr;
using ::testing::Not;

// An ostream whose text can be read while another thread writes to it.
class LockedLog : public std::streambuf {
 public:
  std::ostream& stream() { return stream_; }
  std::string Text() {
    std::lock_guard<std::mutex> lock(mu_);
    return text_;
  }
  int Count(const std::string& needle) {
    const std::string text = Text();
    int count = 0;
    for (size_t at = text.find(needle); at != std::string::npos;
         at = text.find(needle, at + needle.size())) {
      ++count;
    }
    return count;
  }

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    std::lock_guard<std::mutex> lock(mu_);
    text_.append(s, static_cast<size_t>(n));
    return n;
  }
  int overflow(int c) override {
    if (c != EOF) {
      std::lock_guard<std::mutex> lock(mu_);
      text_.push_back(static_cast<char>(c));
    }
    return c;
  }

 private:
  std::mutex mu_;
  std::string text_;
  std::ostream stream_{this};
};

absl::StatusOr<GcraDecision> Take(RedisStore& store, const std::string& key, double rate,
                                  int64_t burst) {
  std::promise<absl::StatusOr<GcraDecision>> promise;
  store.Take(key, rate, burst, [&promise](const absl::StatusOr<GcraDecision>& decision) {
    promise.set_value(decision);
  });
  return promise.get_future().get();
}

class RedisStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start("store");
    ASSERT_TRUE(redis.ok()) << redis.status();
    redis_ = *std::move(redis);
  }

  static RedisStoreOptions Options(const std::string& address) {
    RedisStoreOptions options;
    options.address = address;
    options.key_prefix = "test:";
    options.timeout = absl::Milliseconds(50);
    options.connect_timeout = absl::Milliseconds(500);
    options.reconnect_interval = absl::Milliseconds(100);
    return options;
  }

  std::unique_ptr<RedisStore> ConnectedStore() {
    auto store = std::make_unique<RedisStore>(Options(redis_->address()), &logger_, &metrics_);
    EXPECT_TRUE(PollUntil([&] { return store->connected(); }, absl::Seconds(5)));
    return store;
  }

  std::unique_ptr<RedisServer> redis_;
  prometheus::Registry registry_;
  metrics::RedisMetrics metrics_{registry_};
  LockedLog log_;
  Logger logger_{&log_.stream(), LogLevel::kDebug};
};

TEST_F(RedisStoreTest, DecidesAsTheGcraDoes) {
  auto store = ConnectedStore();
  EXPECT_EQ(metrics_.up.Value(), 1);
  // One call a second with a burst of 5: five pass at once, with 4, 3, 2, 1, 0 left.
  for (int64_t remaining = 4; remaining >= 0; --remaining) {
    absl::StatusOr<GcraDecision> decision = Take(*store, "a", 1, 5);
    ASSERT_TRUE(decision.ok()) << decision.status();
    EXPECT_TRUE(decision->allowed);
    EXPECT_EQ(decision->remaining, remaining);
  }
  absl::StatusOr<GcraDecision> refused = Take(*store, "a", 1, 5);
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_FALSE(refused->allowed);
  EXPECT_GT(refused->retry_after, absl::ZeroDuration());
  EXPECT_LE(refused->retry_after, absl::Seconds(1));
  // Another key is another bucket.
  EXPECT_TRUE(Take(*store, "b", 1, 5)->allowed);

  // When the refusal said, one call passes again.
  absl::SleepFor(refused->retry_after + absl::Milliseconds(20));
  EXPECT_TRUE(Take(*store, "a", 1, 5)->allowed);
  EXPECT_GE(metrics_.duration.Collect().histogram.sample_count, 8u);
}

TEST_F(RedisStoreTest, KeysCarryThePrefixAndExpireWhenIdle) {
  auto store = ConnectedStore();
  ASSERT_TRUE(Take(*store, "rl:tenant:rule", 1, 5)->allowed);
  absl::StatusOr<std::string> ttl = redis_->Command({"PTTL", "test:rl:tenant:rule"});
  ASSERT_TRUE(ttl.ok()) << ttl.status();
  int64_t ms = 0;
  ASSERT_TRUE(absl::SimpleAtoi(*ttl, &ms)) << *ttl;
  // The stored arrival time is one interval (1 s) ahead: it expires then, when it is idle.
  EXPECT_GT(ms, 0);
  EXPECT_LE(ms, 1000);
}

TEST_F(RedisStoreTest, TwoStoresShareOneBucket) {
  auto first = ConnectedStore();
  auto second = ConnectedStore();
  int allowed = 0;
  for (int i = 0; i < 8; ++i) {
    absl::StatusOr<GcraDecision> decision = Take(i % 2 == 0 ? *first : *second, "shared", 1, 4);
    ASSERT_TRUE(decision.ok()) << decision.status();
    allowed += decision->allowed;
  }
  EXPECT_EQ(allowed, 4);
}

TEST_F(RedisStoreTest, StoppedRedisFailsDecisionsAtOnceAndIsUsedAgainWhenBack) {
  auto store = ConnectedStore();
  EXPECT_EQ(log_.Count("connected to Redis"), 1);
  ASSERT_TRUE(redis_->Stop().ok());
  ASSERT_TRUE(PollUntil([&] { return !store->connected(); }, absl::Seconds(5)));
  const absl::Time start = absl::Now();
  absl::StatusOr<GcraDecision> decision = Take(*store, "a", 1, 5);
  EXPECT_EQ(decision.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(50)) << "a decision waited for a dead Redis";
  EXPECT_EQ(metrics_.up.Value(), 0);

  // Several attempts fail while it is down; the log says so once.
  ASSERT_TRUE(PollUntil([&] { return metrics_.connect_errors.Value() >= 3; }, absl::Seconds(5)));
  EXPECT_EQ(log_.Count("Redis is unreachable"), 1) << log_.Text();

  ASSERT_TRUE(redis_->Restart().ok());
  ASSERT_TRUE(PollUntil([&] { return store->connected(); }, absl::Seconds(5)));
  EXPECT_EQ(log_.Count("Redis is reachable again"), 1) << log_.Text();
  EXPECT_EQ(metrics_.up.Value(), 1);
  decision = Take(*store, "a", 1, 5);
  ASSERT_TRUE(decision.ok()) << decision.status();
  EXPECT_TRUE(decision->allowed);
}

TEST_F(RedisStoreTest, SilentRedisTimesDecisionsOutThenIsReplaced) {
  auto store = ConnectedStore();
  redis_->Pause();
  const absl::Time start = absl::Now();
  absl::StatusOr<GcraDecision> decision = Take(*store, "a", 1, 5);
  const absl::Duration waited = absl::Now() - start;
  EXPECT_EQ(decision.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_GE(waited, absl::Milliseconds(50));
  EXPECT_LT(waited, absl::Milliseconds(500));
  EXPECT_EQ(metrics_.timeouts.Value(), 1);

  // No answer within connect_timeout: the connection is deemed dead.
  ASSERT_TRUE(PollUntil([&] { return !store->connected(); }, absl::Seconds(5)));
  EXPECT_GE(metrics_.disconnects.Value(), 1);
  redis_->Resume();
  ASSERT_TRUE(PollUntil([&] { return store->connected(); }, absl::Seconds(5)));
  decision = Take(*store, "a", 1, 5);
  ASSERT_TRUE(decision.ok()) << decision.status();
}

TEST_F(RedisStoreTest, FlushedScriptIsLoadedAgain) {
  auto store = ConnectedStore();
  ASSERT_TRUE(Take(*store, "a", 1, 5).ok());
  ASSERT_TRUE(redis_->Command({"SCRIPT", "FLUSH"}).ok());
  absl::StatusOr<GcraDecision> decision = Take(*store, "a", 1, 5);
  EXPECT_EQ(decision.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(decision.status().message(), HasSubstr("NOSCRIPT"));
  EXPECT_EQ(metrics_.reply_errors.Value(), 1);
  EXPECT_TRUE(PollUntil([&] { return Take(*store, "a", 1, 5).ok(); }, absl::Seconds(2)));
}

TEST_F(RedisStoreTest, PasswordIsSentAndNeverLogged) {
  constexpr char kPassword[] = "redis-test-password-4f1c";
  absl::StatusOr<std::unique_ptr<RedisServer>> secured = RedisServer::Start("secured", kPassword);
  ASSERT_TRUE(secured.ok()) << secured.status();

  RedisStoreOptions right = Options((*secured)->address());
  right.password = [&] { return std::string(kPassword); };
  RedisStore store(right, &logger_, &metrics_);
  ASSERT_TRUE(PollUntil([&] { return store.connected(); }, absl::Seconds(5)));
  EXPECT_TRUE(Take(store, "a", 1, 5)->allowed);

  constexpr char kWrong[] = "not-the-password-9d2e";
  RedisStoreOptions wrong = Options((*secured)->address());
  wrong.password = [&] { return std::string(kWrong); };
  RedisStore refused(wrong, &logger_, &metrics_);
  ASSERT_TRUE(PollUntil([&] { return log_.Count("AUTH refused") > 0; }, absl::Seconds(5)));
  EXPECT_FALSE(refused.connected());
  EXPECT_EQ(Take(refused, "a", 1, 5).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(log_.Text(), Not(HasSubstr(kPassword)));
  EXPECT_THAT(log_.Text(), Not(HasSubstr(kWrong)));
}

TEST_F(RedisStoreTest, StartsWithoutRedisAndSaysSoOnce) {
  RedisStore store(Options(absl::StrCat("127.0.0.1:", FreePort())), &logger_, &metrics_);
  ASSERT_TRUE(PollUntil([&] { return metrics_.connect_errors.Value() >= 3; }, absl::Seconds(5)));
  EXPECT_FALSE(store.connected());
  EXPECT_EQ(log_.Count("Redis is unreachable"), 1) << log_.Text();
  EXPECT_EQ(log_.Count("connected to Redis"), 0);
  EXPECT_EQ(Take(store, "a", 1, 5).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace gateway::ratelimit
