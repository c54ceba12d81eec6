#include "server/common/error_details.h"

#include "gtest/gtest.h"
#include "proto/google/rpc/error_details.pb.h"
#include "proto/google/rpc/status.pb.h"

namespace gateway {
namespace {

TEST(ErrorDetailsTest, DetailsReachTheGrpcStatus) {
  absl::Status status = absl::ResourceExhaustedError("slow down");
  SetRetryInfo(status, absl::Milliseconds(2500));
  SetErrorInfo(status, "REQUEST_LIMIT_EXCEEDED", kDatabricksDomain, {{"http_status", "429"}});
  SetQuotaFailure(status, "tenant:acme", "600 requests per minute");

  EXPECT_EQ(GetRetryDelay(status), absl::Milliseconds(2500));
  EXPECT_EQ(GetErrorReason(status).reason, "REQUEST_LIMIT_EXCEEDED");
  EXPECT_EQ(GetErrorReason(status).domain, kDatabricksDomain);

  const grpc::Status grpc_status = ToGrpcStatus(status);
  EXPECT_EQ(grpc_status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(grpc_status.error_message(), "slow down");
  google::rpc::Status details;
  ASSERT_TRUE(details.ParseFromString(grpc_status.error_details()));
  EXPECT_EQ(details.code(), static_cast<int>(grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_EQ(details.message(), "slow down");
  ASSERT_EQ(details.details_size(), 3);

  google::rpc::RetryInfo retry;
  google::rpc::ErrorInfo info;
  google::rpc::QuotaFailure quota;
  for (const google::protobuf::Any& any : details.details()) {
    if (any.Is<google::rpc::RetryInfo>()) {
      ASSERT_TRUE(any.UnpackTo(&retry));
    }
    if (any.Is<google::rpc::ErrorInfo>()) {
      ASSERT_TRUE(any.UnpackTo(&info));
    }
    if (any.Is<google::rpc::QuotaFailure>()) {
      ASSERT_TRUE(any.UnpackTo(&quota));
    }
  }
  EXPECT_EQ(retry.retry_delay().seconds(), 2);
  EXPECT_EQ(retry.retry_delay().nanos(), 500'000'000);
  EXPECT_EQ(info.reason(), "REQUEST_LIMIT_EXCEEDED");
  EXPECT_EQ(info.metadata().at("http_status"), "429");
  ASSERT_EQ(quota.violations_size(), 1);
  EXPECT_EQ(quota.violations(0).subject(), "tenant:acme");
}

TEST(ErrorDetailsTest, StatusWithoutDetailsHasNoDetailsTrailer) {
  const grpc::Status status = ToGrpcStatus(absl::NotFoundError("no such run"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(), "no such run");
  EXPECT_TRUE(status.error_details().empty());
  EXPECT_FALSE(GetRetryDelay(absl::NotFoundError("x")).has_value());
  EXPECT_TRUE(GetErrorReason(absl::NotFoundError("x")).reason.empty());
}

TEST(ErrorDetailsTest, OkStaysOk) {
  absl::Status ok;
  SetRetryInfo(ok, absl::Seconds(1));
  EXPECT_TRUE(ok.ok());
  EXPECT_TRUE(ToGrpcStatus(ok).ok());
}

}  // namespace
}  // namespace gateway
