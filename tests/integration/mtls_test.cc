// mTLS end to end: the gRPC listener with TLS asks callers for a client certificate signed
// by the configured CA; its subject identifies the tenant. Callers without one may still
// present an API key; certificates from another CA never complete the handshake.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/databricks/gateway/v1/sql.grpc.pb.h"
#include "tests/harness/pki.h"
#include "tests/harness/process.h"
#include "tests/integration/stack.h"

namespace gateway {
namespace {

namespace v1 = ::databricks::gateway::v1;
using ::gateway::testing::Context;
using ::gateway::testing::ReadFile;
using ::gateway::testing::SeriesValue;
using ::gateway::testing::Sha256Hex;
using ::gateway::testing::Stack;
using ::gateway::testing::StackOptions;
using ::gateway::testing::TestPki;
using ::testing::HasSubstr;

class MtlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pki_ = new TestPki();
    ASSERT_TRUE(pki_->MakeCa("server-ca") && pki_->MakeCa("callers-ca") &&
                pki_->MakeCa("rogue-ca") &&
                pki_->Sign("server", "server-ca", "gateway", "IP:127.0.0.1") &&
                pki_->Sign("reporting", "callers-ca", "svc-reporting") &&
                pki_->Sign("billing", "callers-ca", "billing-cn", "DNS:billing.internal") &&
                pki_->Sign("stranger", "callers-ca", "svc-stranger") &&
                pki_->Sign("rogue", "rogue-ca", "svc-reporting"))
        << "openssl could not make the test certificates";
    StackOptions options;
    options.emulator_yaml = "sql:\n  warehouses: [{id: wh1, name: Main, state: RUNNING}]\n";
    options.server_yaml = absl::StrCat("  tls:\n    cert_file: ", pki_->Cert("server"),
                                       "\n    key_file: ", pki_->Key("server"),
                                       "\n    client_ca_file: ", pki_->Cert("callers-ca"), "\n");
    options.gateway_yaml = absl::StrCat(R"yaml(
credential_pools:
  - name: pool
    workspace: default
    credentials:
      - {name: pat, type: pat, token: {env: DATABRICKS_TOKEN}}
tenants:
  - name: reporting
    mtls_identities: [svc-reporting]
    credential_pool: pool
  - name: billing
    mtls_identities: [billing.internal]
    credential_pool: pool
  - name: keyed
    api_key_sha256: [")yaml",
                                        Sha256Hex("keyed-key"), R"yaml("]
    credential_pool: pool
security:
  handle_signing_key: {env: HANDLE_KEY}
)yaml");
    options.gateway_env = {{"HANDLE_KEY", "mtls-handle-signing-key-padded-to-32-bytes"}};
    stack_ = new Stack("mtls", options);
  }
  static void TearDownTestSuite() {
    delete stack_;
    delete pki_;
  }
  void SetUp() override { ASSERT_TRUE(stack_->ok()) << stack_->error(); }

  // GetWarehouse over TLS (trusting the server's CA), with client certificate `cert`
  // unless empty, and an API key unless empty.
  static grpc::Status Call(const std::string& cert, const std::string& api_key = "") {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = ReadFile(pki_->Cert("server-ca"));
    if (!cert.empty()) {
      tls.pem_private_key = ReadFile(pki_->Key(cert));
      tls.pem_cert_chain = ReadFile(pki_->Cert(cert));
    }
    grpc::ChannelArguments args;
    args.SetString("mtls-test-client", cert);  // a connection of its own
    auto channel = grpc::CreateCustomChannel(stack_->target(), grpc::SslCredentials(tls), args);
    auto sql = v1::SqlService::NewStub(channel);
    v1::GetWarehouseRequest request;
    request.set_id("wh1");
    v1::GetWarehouseResponse response;
    auto context = Context(absl::Seconds(10));
    if (!api_key.empty()) context->AddMetadata("authorization", "Bearer " + api_key);
    return sql->GetWarehouse(context.get(), request, &response);
  }

  static double Allowed(const std::string& tenant) {
    return SeriesValue(stack_->Metrics(),
                       absl::StrCat(R"(gateway_ratelimit_decisions_total{decision="allowed",)",
                                    R"(rule="tenant",tenant=")", tenant, R"("})"));
  }

  static TestPki* pki_;
  static Stack* stack_;
};

TestPki* MtlsTest::pki_ = nullptr;
Stack* MtlsTest::stack_ = nullptr;

TEST_F(MtlsTest, ClientCertificateIdentifiesTheTenantByCommonNameOrSan) {
  grpc::Status status = Call("reporting");
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Allowed("reporting"), 1);
  status = Call("billing");
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Allowed("billing"), 1);
}

TEST_F(MtlsTest, TrustedCertificateOfNoTenantIsUnauthenticated) {
  const grpc::Status status = Call("stranger");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(stack_->Metrics(),
              HasSubstr(R"(gateway_auth_refused_total{reason="unknown_identity"})"));
}

TEST_F(MtlsTest, CertificateFromAnotherCaNeverConnects) {
  // The same subject as "reporting", signed by a CA the gateway does not trust.
  EXPECT_EQ(Call("rogue").error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(MtlsTest, CallersWithoutCertificateUseApiKeys) {
  grpc::Status status = Call("", "keyed-key");
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(Call("").error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(MtlsTest, PlaintextIsRefused) {
  auto sql = v1::SqlService::NewStub(
      grpc::CreateChannel(stack_->target(), grpc::InsecureChannelCredentials()));
  v1::GetWarehouseRequest request;
  request.set_id("wh1");
  v1::GetWarehouseResponse response;
  EXPECT_EQ(sql->GetWarehouse(Context(absl::Seconds(5)).get(), request, &response).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace gateway
