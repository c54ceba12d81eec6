// Load for rate-limit tests: many GetWarehouse calls from several threads, counted by how
// the gateway answered.
#ifndef TESTS_INTEGRATION_FLOOD_H_
#define TESTS_INTEGRATION_FLOOD_H_

#include <memory>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"

namespace gateway::testing {

// One SqlService/GetWarehouse call (id wh1, the warehouse every rate-limit and tenancy
// test configures in the emulator) on `channel`.
grpc::Status GetWarehouse(const std::shared_ptr<grpc::Channel>& channel);

struct Flood {
  int admitted = 0;
  int limited = 0;  // refused with TENANT_RATE_LIMITED
  int other = 0;    // any other failure
  // When the first call was sent, and the last that was admitted.
  absl::Time first = absl::InfiniteFuture();
  absl::Time last_admitted = absl::InfinitePast();

  // From the first call to the last admitted: a saturated limit of rate r and burst b
  // admits b + r × window() calls, the last one at the window's end.
  absl::Duration window() const { return last_admitted - first; }
};

// Calls SqlService/GetWarehouse (id wh1) on `channel` from `threads` threads as fast as
// they can until `until`. The channel is connected first (a health check, which no limit
// counts), so the window holds only the flood.
Flood Hammer(const std::shared_ptr<grpc::Channel>& channel, int threads, absl::Time until);

}  // namespace gateway::testing

#endif  // TESTS_INTEGRATION_FLOOD_H_
