#include "client/gateway_client.h"

#include "gmock/gmock.h"
#include "google/protobuf/any.pb.h"
#include "gtest/gtest.h"
#include "proto/google/rpc/error_details.pb.h"
#include "proto/google/rpc/status.pb.h"

namespace gateway::client {
namespace {

using ::testing::HasSubstr;

// A gRPC status as the gateway sends it: code, message and google.rpc details.
grpc::Status GatewayStatus(grpc::StatusCode code, const std::string& message,
                           std::optional<absl::Duration> retry_delay, const std::string& reason,
                           const std::string& domain, const std::string& quota = "") {
  google::rpc::Status details;
  details.set_code(code);
  details.set_message(message);
  if (retry_delay.has_value()) {
    google::rpc::RetryInfo retry;
    retry.mutable_retry_delay()->set_seconds(absl::ToInt64Seconds(*retry_delay));
    retry.mutable_retry_delay()->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(
        *retry_delay - absl::Seconds(absl::ToInt64Seconds(*retry_delay)))));
    details.add_details()->PackFrom(retry);
  }
  if (!reason.empty()) {
    google::rpc::ErrorInfo info;
    info.set_reason(reason);
    info.set_domain(domain);
    details.add_details()->PackFrom(info);
  }
  if (!quota.empty()) {
    google::rpc::QuotaFailure failure;
    failure.add_violations()->set_subject("tenant:team");
    failure.mutable_violations(0)->set_description(quota);
    details.add_details()->PackFrom(failure);
  }
  return grpc::Status(code, message, details.SerializeAsString());
}

TEST(ErrorsTest, DetailsComeBackFromTheTrailer) {
  const absl::Status status = FromGrpcStatus(
      GatewayStatus(grpc::StatusCode::RESOURCE_EXHAUSTED, "tenant team is over its rate limit",
                    absl::Milliseconds(1500), "TENANT_RATE_LIMITED", kGatewayDomain,
                    "5 requests per second, burst 5"));
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  const ErrorDetails details = DetailsOf(status);
  EXPECT_EQ(details.retry_delay, absl::Milliseconds(1500));
  EXPECT_EQ(details.reason, "TENANT_RATE_LIMITED");
  EXPECT_EQ(details.domain, "gateway.databricks");
  ASSERT_EQ(details.quota_violations.size(), 1u);
  EXPECT_EQ(details.quota_violations[0].first, "tenant:team");
  EXPECT_EQ(DescribeError(status),
            "RESOURCE_EXHAUSTED: tenant team is over its rate limit (retry after 1.5s; quota "
            "tenant:team: 5 requests per second, burst 5; reason TENANT_RATE_LIMITED from "
            "gateway.databricks)");
  EXPECT_EQ(DescribeError(absl::NotFoundError("no such run")), "NOT_FOUND: no such run");
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

class RetryPolicyTest : public ::testing::Test {
 protected:
  RetryPolicy policy_{RetryOptions{3, absl::Seconds(30)}, nullptr};
  const absl::Time far_ = absl::Now() + absl::Hours(1);
};

TEST_F(RetryPolicyTest, SafeCallsWaitExactlyTheGatewaysDelay) {
  const absl::Status throttled = FromGrpcStatus(
      GatewayStatus(grpc::StatusCode::RESOURCE_EXHAUSTED, "slow down", absl::Milliseconds(250),
                    "REQUEST_LIMIT_EXCEEDED", kDatabricksDomain));
  EXPECT_EQ(policy_.Delay(throttled, /*safe=*/true, 1, far_), absl::Milliseconds(250));
  const absl::Status unavailable =
      FromGrpcStatus(GatewayStatus(grpc::StatusCode::UNAVAILABLE, "breaker open", absl::Seconds(2),
                                   "CIRCUIT_BREAKER_OPEN", kGatewayDomain));
  EXPECT_EQ(policy_.Delay(unavailable, true, 1, far_), absl::Seconds(2));
}

TEST_F(RetryPolicyTest, UnsafeCallsAreRetriedOnlyWhenTheTenantLimiterRefusedThem) {
  const absl::Status limiter =
      FromGrpcStatus(GatewayStatus(grpc::StatusCode::RESOURCE_EXHAUSTED, "over the limit",
                                   absl::Seconds(1), "TENANT_RATE_LIMITED", kGatewayDomain));
  EXPECT_EQ(policy_.Delay(limiter, /*safe=*/false, 1, far_), absl::Seconds(1));
  const absl::Status concurrency =
      FromGrpcStatus(GatewayStatus(grpc::StatusCode::RESOURCE_EXHAUSTED, "too many at once",
                                   absl::Seconds(1), "TENANT_CONCURRENCY_LIMITED", kGatewayDomain));
  EXPECT_EQ(policy_.Delay(concurrency, false, 1, far_), absl::Seconds(1));
  // Databricks throttled a statement that may have run: not repeated.
  const absl::Status databricks =
      FromGrpcStatus(GatewayStatus(grpc::StatusCode::RESOURCE_EXHAUSTED, "slow down",
                                   absl::Seconds(1), "REQUEST_LIMIT_EXCEEDED", kDatabricksDomain));
  EXPECT_EQ(policy_.Delay(databricks, false, 1, far_), std::nullopt);
  // A breaker that opened between the steps of a call: not repeated either.
  const absl::Status breaker =
      FromGrpcStatus(GatewayStatus(grpc::StatusCode::UNAVAILABLE, "breaker open", absl::Seconds(1),
                                   "CIRCUIT_BREAKER_OPEN", kGatewayDomain));
  EXPECT_EQ(policy_.Delay(breaker, false, 1, far_), std::nullopt);
}

TEST_F(RetryPolicyTest, NoRetryWithoutRetryInfoOrBeyondTheLimits) {
  const absl::Status bare = FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"));
  EXPECT_EQ(policy_.Delay(bare, true, 1, far_), std::nullopt);
  const absl::Status invalid = FromGrpcStatus(
      GatewayStatus(grpc::StatusCode::INVALID_ARGUMENT, "bad", absl::Seconds(1), "", ""));
  EXPECT_EQ(policy_.Delay(invalid, true, 1, far_), std::nullopt);
  const absl::Status long_wait = FromGrpcStatus(
      GatewayStatus(grpc::StatusCode::RESOURCE_EXHAUSTED, "later", absl::Seconds(31), "", ""));
  EXPECT_EQ(policy_.Delay(long_wait, true, 1, far_), std::nullopt);
  const absl::Status soon = FromGrpcStatus(
      GatewayStatus(grpc::StatusCode::RESOURCE_EXHAUSTED, "soon", absl::Seconds(1), "", ""));
  EXPECT_EQ(policy_.Delay(soon, true, 2, far_), absl::Seconds(1));
  EXPECT_EQ(policy_.Delay(soon, true, 3, far_), std::nullopt);  // max_attempts = 3
  EXPECT_EQ(policy_.Delay(soon, true, 1, absl::Now() + absl::Milliseconds(500)), std::nullopt);
}

TEST(CreateTest, OptionErrorsNameTheOption) {
  ClientOptions options;
  options.target = "";
  EXPECT_EQ(GatewayClient::Create(options).status().message(), "target: must not be empty");
  options.target = "127.0.0.1:1";
  options.api_key_env = "DBGW_CLIENT_TEST_UNSET_VARIABLE";
  EXPECT_EQ(GatewayClient::Create(options).status().message(),
            "api_key_env: the environment variable DBGW_CLIENT_TEST_UNSET_VARIABLE is not set");
  options.api_key_env = "";
  options.api_key_file = "/nonexistent/key";
  EXPECT_EQ(GatewayClient::Create(options).status().message(),
            "api_key_file: cannot read /nonexistent/key");
  options.api_key_file = "";
  options.ca_file = "/etc/ssl/certs/ca-certificates.crt";
  EXPECT_THAT(GatewayClient::Create(options).status().message(), HasSubstr("need tls"));
  options.tls = true;
  options.ca_file = "";
  options.cert_file = "client.pem";
  EXPECT_EQ(GatewayClient::Create(options).status().message(),
            "cert_file and key_file go together: set both or neither");
  options.cert_file = "";
  EXPECT_TRUE(GatewayClient::Create(options).ok());  // connects lazily
}

}  // namespace
}  // namespace gateway::client
