#include "tests/integration/flood.h"

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "proto/databricks/gateway/v1/sql.grpc.pb.h"
#include "tests/integration/proto/health.grpc.pb.h"
#include "tests/integration/stack.h"

namespace gateway::testing {
namespace {

namespace v1 = ::databricks::gateway::v1;

void Min(std::atomic<int64_t>& slot, int64_t value) {
  int64_t seen = slot.load();
  while (value < seen && !slot.compare_exchange_weak(seen, value)) {
  }
}

void Max(std::atomic<int64_t>& slot, int64_t value) {
  int64_t seen = slot.load();
  while (value > seen && !slot.compare_exchange_weak(seen, value)) {
  }
}

}  // namespace

grpc::Status GetWarehouse(const std::shared_ptr<grpc::Channel>& channel) {
  v1::GetWarehouseRequest request;
  request.set_id("wh1");
  v1::GetWarehouseResponse response;
  return v1::SqlService::NewStub(channel)->GetWarehouse(Context().get(), request, &response);
}

Flood Hammer(const std::shared_ptr<grpc::Channel>& channel, int threads, absl::Time until) {
  ::grpc::health::v1::HealthCheckResponse health;
  ::grpc::health::v1::Health::NewStub(channel)->Check(Context().get(), {}, &health);
  std::atomic<int> admitted{0};
  std::atomic<int> limited{0};
  std::atomic<int> other{0};
  std::atomic<int64_t> first{INT64_MAX};
  std::atomic<int64_t> last_admitted{INT64_MIN};
  std::vector<std::thread> workers;
  workers.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      while (absl::Now() < until) {
        const int64_t sent = absl::ToUnixMicros(absl::Now());
        Min(first, sent);
        const grpc::Status status = GetWarehouse(channel);
        if (status.ok()) {
          ++admitted;
          Max(last_admitted, sent);
        } else if (ErrorInfoOf(status).reason == "TENANT_RATE_LIMITED") {
          ++limited;
        } else {
          ++other;
        }
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  Flood flood;
  flood.admitted = admitted.load();
  flood.limited = limited.load();
  flood.other = other.load();
  if (first.load() != INT64_MAX) flood.first = absl::FromUnixMicros(first.load());
  if (last_admitted.load() != INT64_MIN) {
    flood.last_admitted = absl::FromUnixMicros(last_admitted.load());
  }
  return flood;
}

}  // namespace gateway::testing
