#pragma once
// A self-signed certificate for local TLS servers in tests (the relay with --tls-cert, the JWKS server,
// the Splunk HEC and PAN-OS receivers): P-256, valid one day, for DNS:localhost and IP:127.0.0.1, made by
// the openssl CLI so no test trusts a certificate its own code produced.
#include <string>
#include <vector>

#include "tests/support/temp_dir.hpp"

namespace sshrelay::testing {

struct TestCertificate {
  std::string cert;  // PEM certificate path (also the CA file a client trusts)
  std::string key;   // PEM private key path
};

// Writes cert.pem and key.pem into `dir`. `extra_dns_names` are added to the certificate's names (e.g. a
// wildcard "*.tunnels.localhost"). Throws std::runtime_error with openssl's output on failure.
TestCertificate make_test_certificate(const TempDir& dir, const std::vector<std::string>& extra_dns_names = {});

}  // namespace sshrelay::testing
