#include "tests/support/test_certificate.hpp"

#include <chrono>
#include <stdexcept>

#include "tests/support/files.hpp"
#include "tests/support/process.hpp"

namespace sshrelay::testing {

TestCertificate make_test_certificate(const TempDir& dir, const std::vector<std::string>& extra_dns_names) {
  TestCertificate made{dir.file("cert.pem"), dir.file("key.pem")};
  const std::string log = dir.file("openssl.log");
  std::string names = "subjectAltName=DNS:localhost,IP:127.0.0.1";
  for (const auto& name : extra_dns_names) names += ",DNS:" + name;
  const int code = run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                        "-keyout", made.key, "-out", made.cert, "-days", "1", "-subj", "/CN=localhost", "-addext", names},
                       "", log, log, std::chrono::seconds(60));
  if (code != 0) throw std::runtime_error("openssl req failed:\n" + file_tail(log));
  return made;
}

}  // namespace sshrelay::testing
