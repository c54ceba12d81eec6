#include "server/auth/tenants.h"

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "server/common/error_details.h"

namespace gateway::auth {
namespace {

std::string HexSha256(absl::string_view key) {
  const Digest d = Sha256(key);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(d.data()), 32));
}

std::vector<TenantOptions> Tenants() {
  TenantOptions a;
  a.name = "alpha";
  a.api_key_sha256 = {HexSha256("alpha-key-1"), HexSha256("alpha-key-2")};
  TenantOptions b;
  b.name = "beta";
  b.api_key_sha256 = {HexSha256("beta-key")};
  b.mtls_identities = {"spiffe://corp/beta"};
  return {a, b};
}

Credentials Bearer(std::string value) {
  Credentials c;
  c.authorization = std::move(value);
  return c;
}

TEST(AuthenticatorTest, KnownKeysFromEitherHeaderNameTheirTenant) {
  Authenticator auth(Tenants());
  EXPECT_EQ(auth.Identify(Bearer("Bearer alpha-key-1")).value(), 0u);
  EXPECT_EQ(auth.Identify(Bearer("bearer  alpha-key-2 ")).value(), 0u);
  Credentials x;
  x.api_key = "beta-key";
  EXPECT_EQ(auth.Identify(x).value(), 1u);
}

TEST(AuthenticatorTest, MissingAndUnknownKeysGetTheSameAnswer) {
  Authenticator auth(Tenants());
  std::string reason;
  absl::StatusOr<size_t> unknown = auth.Identify(Bearer("Bearer alpha-key-3"), &reason);
  EXPECT_EQ(reason, "unknown_key");
  absl::StatusOr<size_t> missing = auth.Identify(Credentials{}, &reason);
  EXPECT_EQ(reason, "missing_key");
  absl::StatusOr<size_t> not_bearer = auth.Identify(Bearer("Basic YWxwaGE6a2V5"), &reason);
  EXPECT_EQ(reason, "missing_key");
  for (const auto* result : {&unknown, &missing, &not_bearer}) {
    EXPECT_EQ(result->status().code(), absl::StatusCode::kUnauthenticated);
    EXPECT_EQ(result->status().message(), missing.status().message());
  }
  EXPECT_EQ(missing.status().message(),
            "missing or unknown API key: send the tenant's key as 'authorization: Bearer KEY' "
            "or 'x-api-key: KEY'");
}

TEST(AuthenticatorTest, CertificateIdentityWhenNoKeyIsSent) {
  Authenticator auth(Tenants());
  Credentials c;
  c.peer_identities = {"CN=someone", "spiffe://corp/beta"};
  EXPECT_EQ(auth.Identify(c).value(), 1u);
  c.authorization = "Bearer alpha-key-1";  // a key wins over the certificate
  EXPECT_EQ(auth.Identify(c).value(), 0u);
  Credentials stranger;
  stranger.peer_identities = {"spiffe://corp/gamma"};
  std::string reason;
  EXPECT_EQ(auth.Identify(stranger, &reason).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(reason, "unknown_identity");
}

TEST(AccessPolicyTest, RefusalsNameTheRuleAndWhatItAllows) {
  AccessRules rules;
  rules.methods = {"JobsService/*", "SqlService/ExecuteStatement"};
  rules.warehouses = {"wh-etl-*"};
  rules.schemas = {"main.sales_*", "lab.*"};
  AccessPolicy policy("alpha", rules);
  EXPECT_TRUE(policy.CheckMethod("JobsService/SubmitRun").ok());
  EXPECT_TRUE(policy.CheckMethod("SqlService/ExecuteStatement").ok());
  absl::Status denied = policy.CheckMethod("DeltaService/DeleteRows");
  EXPECT_EQ(denied.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.message(),
            "tenant 'alpha' may not call DeltaService/DeleteRows: access.methods allows only "
            "JobsService/*, SqlService/ExecuteStatement");
  EXPECT_EQ(GetErrorReason(denied).reason, "ACCESS_DENIED");

  EXPECT_TRUE(policy.CheckWarehouse("wh-etl-2").ok());
  EXPECT_EQ(policy.CheckWarehouse("wh-bi").message(),
            "tenant 'alpha' may not use warehouse 'wh-bi': access.warehouses allows only "
            "wh-etl-*");

  EXPECT_TRUE(policy.CheckSchema("main", "sales_eu").ok());
  EXPECT_TRUE(policy.CheckSchema("lab", "anything").ok());
  EXPECT_EQ(policy.CheckSchema("main", "hr").message(),
            "tenant 'alpha' may not touch schema main.hr: access.schemas allows only "
            "main.sales_*, lab.*");
  EXPECT_FALSE(policy.SchemaAllowed("mainx", "sales_eu"));
}

TEST(AccessPolicyTest, ACatalogIsReachableWhenSomeSchemaPatternReachesIntoIt) {
  AccessRules rules;
  rules.schemas = {"main.sales_*", "lab*", "hr.payroll"};
  AccessPolicy policy("alpha", rules);
  EXPECT_TRUE(policy.CatalogAllowed("main"));
  EXPECT_TRUE(policy.CatalogAllowed("lab"));
  EXPECT_TRUE(policy.CatalogAllowed("lab_2"));
  EXPECT_TRUE(policy.CatalogAllowed("hr"));
  EXPECT_FALSE(policy.CatalogAllowed("mai"));
  EXPECT_FALSE(policy.CatalogAllowed("samples"));
  EXPECT_EQ(policy.CheckCatalog("samples").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(AccessPolicy("all", AccessRules{}).CatalogAllowed("anything"));
}

TEST(AccessPolicyTest, AnEmptyPartNeverMatchesAPrefix) {
  AccessRules rules;
  rules.schemas = {"main.*", "*lab*"};
  AccessPolicy policy("alpha", rules);
  EXPECT_TRUE(policy.SchemaAllowed("main", "sales"));
  // Databricks would resolve the empty part to whatever schema or catalog is current.
  EXPECT_FALSE(policy.SchemaAllowed("main", ""));
  EXPECT_FALSE(policy.SchemaAllowed("", "sales"));
  EXPECT_EQ(policy.CheckSchema("main", "").code(), absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(policy.AllSchemasAllowed());
  EXPECT_TRUE(AccessPolicy("all", AccessRules{}).AllSchemasAllowed());
  const absl::Status path = policy.DenyPath("source.files.path", "s3://b/x");
  EXPECT_EQ(path.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(path.message(),
            "tenant 'alpha' may not read the storage path 's3://b/x' (source.files.path), which no "
            "schema rule covers: access.schemas allows only main.*, *lab*");
}

TEST(HandleSignerTest, AHandleOpensOnlyForItsTenantAndKind) {
  HandleSigner signer("a-signing-key");
  const std::string handle = signer.Sign("alpha", "run", "12345");
  EXPECT_EQ(handle.rfind("12345.", 0), 0u) << handle;
  EXPECT_EQ(signer.Verify("alpha", "run", handle).value(), "12345");

  absl::StatusOr<std::string> other_tenant = signer.Verify("beta", "run", handle);
  EXPECT_EQ(other_tenant.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(other_tenant.status().message(), absl::StrCat("run '", handle, "' does not exist"));
  EXPECT_FALSE(signer.Verify("alpha", "statement", handle).ok());
  EXPECT_FALSE(signer.Verify("alpha", "run", "12345").ok()) << "a raw id opens nothing";
  std::string tampered = handle;
  tampered[0] = '2';
  EXPECT_FALSE(signer.Verify("alpha", "run", tampered).ok());
  EXPECT_FALSE(HandleSigner("another-key").Verify("alpha", "run", handle).ok());
  EXPECT_EQ(
      signer.Verify("alpha", "statement", signer.Sign("alpha", "statement", "01ef-aa.b")).value(),
      "01ef-aa.b");
}

}  // namespace
}  // namespace gateway::auth
