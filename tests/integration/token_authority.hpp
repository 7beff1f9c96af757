#pragma once
// The test identity provider (tests/fixtures/token_authority/server.mjs) as a subprocess: an HTTPS JWKS
// and OIDC discovery server on 127.0.0.1 with a throwaway certificate, minting tokens with npm `jose`.
// Installs the fixture's npm dependencies first when node_modules is missing (`npm ci`, under a lock so
// parallel tests do not race; needs the npm registry once).
#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {

class TokenAuthority {
 public:
  // Makes the certificate (openssl CLI), starts node and waits (at most 30 s) for its {"port":N} line.
  // Throws std::runtime_error with the log tail on failure.
  TokenAuthority();
  ~TokenAuthority();
  TokenAuthority(const TokenAuthority&) = delete;
  TokenAuthority& operator=(const TokenAuthority&) = delete;

  std::uint16_t port() const { return port_; }
  // "https://127.0.0.1:PORT": the issuer its discovery document names.
  std::string origin() const;
  std::string jwks_url() const { return origin() + "/jwks"; }
  // The self-signed certificate the server presents (a CA file for the relay's JWKS fetch).
  const std::string& ca_file() const { return cert_; }

  // POST /mint: {alg, claims, kid?, key?, header?} -> the compact token.
  std::string mint(const nlohmann::json& request);
  // POST /rotate: new keys, new kids; returns the kids now published.
  nlohmann::json rotate();
  void down();  // /jwks and discovery answer 503
  void up();
  nlohmann::json stats();  // {jwks_requests, discovery_requests, generation, kids, down}
  nlohmann::json set_discovery(const nlohmann::json& overrides);

  // Any request: returns the parsed JSON body; throws on transport errors or a non-200 status.
  nlohmann::json call(const std::string& method, const std::string& path, const nlohmann::json& body = nullptr);

  std::string log_tail() const;

 private:
  testing::TempDir dir_{"sshrelay-token-authority"};
  std::string cert_;
  std::string key_;
  std::string log_;
  std::optional<testing::Process> process_;
  std::uint16_t port_ = 0;
};

// The fixture's folder (tests/fixtures/token_authority in the source tree).
std::string token_authority_dir();

}  // namespace sshrelay::itest
