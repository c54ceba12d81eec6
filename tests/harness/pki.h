// Test certificates, made with the openssl command line in a scratch directory: CAs, and
// leaf certificates (P-256 keys) signed by them.
#ifndef TESTS_HARNESS_PKI_H_
#define TESTS_HARNESS_PKI_H_

#include <string>

namespace gateway::testing {

class TestPki {
 public:
  // Files go to `dir` (default: the test's scratch directory).
  explicit TestPki(std::string dir = "");

  // A self-signed CA: Cert(name) and Key(name). False when openssl failed.
  bool MakeCa(const std::string& name);
  // A certificate with subject CN `common_name` and, unless empty, subjectAltName `san`
  // ("IP:127.0.0.1", "DNS:host"), signed by CA `ca`. False when openssl failed.
  bool Sign(const std::string& name, const std::string& ca, const std::string& common_name,
            const std::string& san = "");

  // Paths of a certificate (PEM) and its private key.
  std::string Cert(const std::string& name) const;
  std::string Key(const std::string& name) const;

 private:
  bool Run(const std::string& script) const;
  std::string dir_;
};

}  // namespace gateway::testing

#endif  // TESTS_HARNESS_PKI_H_
