#pragma once
// Who may use the gateway (docs/gateway.md), in the order ssh-mosh-wan-optimizer decides it: the insecure
// accept-any-key mode; else a local authorized_keys (inline content, else the file — read at each
// attempt, so edits count at once); else the remote user's own ~/.ssh/authorized_keys, fetched over SSH
// with the gateway's key and kept per user for the cache TTL (a failed fetch is not kept, and refuses).
// Passwords only when password auth is on, compared in constant time.
#include <mutex>
#include <string>

#include "core/gateway/authorized_keys_cache.hpp"
#include "core/gateway/gateway_config.hpp"
#include "native/gateway/remote_host.hpp"

namespace sshrelay::gateway {

class ClientAuth {
 public:
  ClientAuth(const GatewayConfig& config, RemoteHost remote);
  bool key_accepted(const std::string& user, const std::string& key_type, const std::string& key_base64);
  bool password_accepted(const std::string& user, const std::string& password) const;
  bool passwords_enabled() const { return config_.password_auth; }
  // How many times the remote's authorized_keys was fetched (the cache's effect, for the tests' log).
  std::size_t remote_fetches() const { return remote_fetches_; }

 private:
  Result<std::string> remote_authorized_keys(const std::string& user);

  const GatewayConfig& config_;
  RemoteHost remote_;
  std::mutex mutex_;  // connections authenticate on their own threads
  AuthorizedKeysCache cache_;
  std::size_t remote_fetches_ = 0;
};

}  // namespace sshrelay::gateway
