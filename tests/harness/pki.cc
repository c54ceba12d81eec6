#include "tests/harness/pki.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tests/harness/process.h"

namespace gateway::testing {
namespace {

constexpr char kNewKey[] = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";

}  // namespace

TestPki::TestPki(std::string dir) : dir_(dir.empty() ? TempDir() : std::move(dir)) {}

std::string TestPki::Cert(const std::string& name) const {
  return absl::StrCat(dir_, "/", name, ".pem");
}

std::string TestPki::Key(const std::string& name) const {
  return absl::StrCat(dir_, "/", name, ".key");
}

bool TestPki::MakeCa(const std::string& name) {
  return Run(absl::StrCat("openssl req -x509 ", kNewKey, " -keyout ", name, ".key -out ", name,
                          ".pem -days 2 -subj /CN=", name, " 2>/dev/null\n"));
}

bool TestPki::Sign(const std::string& name, const std::string& ca, const std::string& common_name,
                   const std::string& san) {
  std::string extensions = "basicConstraints=CA:FALSE\\n";
  if (!san.empty()) extensions = absl::StrCat("subjectAltName=", san, "\\n", extensions);
  return Run(absl::StrCat("openssl req ", kNewKey, " -keyout ", name, ".key -out ", name,
                          ".csr -subj /CN=", common_name, " 2>/dev/null\n", "printf '", extensions,
                          "' > ", name, ".ext\n", "openssl x509 -req -in ", name, ".csr -CA ", ca,
                          ".pem -CAkey ", ca, ".key -CAcreateserial -days 2 ", "-extfile ", name,
                          ".ext -out ", name, ".pem 2>/dev/null\n"));
}

bool TestPki::Run(const std::string& script) const {
  const std::string file = absl::StrCat(dir_, "/pki.sh");
  WriteFile(file, absl::StrCat("set -e; cd '", dir_, "'\n", script));
  return std::system(absl::StrCat("bash '", file, "'").c_str()) == 0;
}

}  // namespace gateway::testing
