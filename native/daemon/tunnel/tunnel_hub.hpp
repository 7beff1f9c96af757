#pragma once
// The daemon's tunnels: core's TunnelRegistry (subdomains, the raw port pool, the shared caps) behind a
// mutex, OpenSSL's randomness for subdomains, and the live sessions by subdomain. Admission registers a
// tunnel, the HTTP side finds one by Host, raw-port listeners count their connections here; any thread.
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/common/result.hpp"
#include "core/tunnel/tunnel_registry.hpp"
#include "native/daemon/relay_context.hpp"

namespace sshrelay::daemon {

class TunnelSession;

class TunnelHub {
 public:
  explicit TunnelHub(RelayContext& ctx);

  // A random subdomain, or with `stable_for` the principal's own: the first 8 bytes of
  // HMAC-SHA256(--tunnel-subdomain-key-file's key, principal), refused while another tunnel holds it.
  Result<tunnel::Registered> add(const std::shared_ptr<TunnelSession>& session, const std::string* stable_for = nullptr);
  void remove(tunnel::TunnelKey key);
  std::shared_ptr<TunnelSession> find(const std::string& subdomain) const;
  std::size_t size() const;

  // "https://<subdomain>.<--tunnel-domain>[:public port]", or "" without a tunnel domain.
  std::string url_for(const std::string& subdomain) const;

  bool begin_http(const std::string& ip);
  void end_http(const std::string& ip);
  bool begin_tcp();
  void end_tcp();

 private:
  RelayContext& ctx_;
  std::string subdomain_key_;  // the configured key, or one drawn at start
  mutable std::mutex mutex_;
  tunnel::TunnelRegistry registry_;
  std::map<tunnel::TunnelKey, std::weak_ptr<TunnelSession>> sessions_;
};

}  // namespace sshrelay::daemon
