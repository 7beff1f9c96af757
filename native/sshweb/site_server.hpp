#pragma once
// One site's SSH listener (libssh's server API): accepts on the site's port, and serves each connection
// on a thread of its own (bounded), where libssh's blocking calls are at home:
//
//   key exchange ─▶ authentication ─▶ session channel ─▶ env SSHWEB_PUBKEY? ─▶ exec COMMAND ─▶ output,
//   exit-status, EOF, close
//
// Authentication decides the tier: a verified public key is identified (or what authorized-keys says);
// keyboard-interactive, a password (any: it is not checked), or `none` from the user "anonymous" are
// anonymous. `none` from anyone else is answered with the methods, so that OpenSSH offers its keys
// first (sshttpd admits `none` at once, which leaves OpenSSH users anonymous even with a key).
#include <memory>
#include <string>
#include <vector>

#include "core/common/result.hpp"
#include "core/sshweb/site_config.hpp"
#include "native/daemon/audit/audit_log.hpp"
#include "native/libssh/handles.hpp"
#include "native/libssh/ssh_listener.hpp"
#include "native/sshweb/mcp_client.hpp"
#include "native/sshweb/proxy_fetcher.hpp"
#include "native/sshweb/site_access.hpp"

namespace sshrelay::sshweb {

struct ServerLimits {
  std::string bind_address = "0.0.0.0";
  std::size_t max_connections = 256;              // per site, at once
  std::chrono::seconds idle_timeout{60};          // a connection with nothing to say is closed
  // An api-call's whole exchange with the backend; a proxy-call's, redirects included; each exchange with
  // the MCP server.
  std::chrono::milliseconds backend_timeout{30000};
};

class SiteServer {
 public:
  SiteServer(SiteConfig site, ServerLimits limits, daemon::audit::AuditLog* audit);
  ~SiteServer();
  // Loads (or creates) the host key, reads authorized-keys, starts the MCP server, binds. Errors name
  // the site and what failed.
  Status start();
  void stop();
  std::uint16_t port() const { return site_.port; }

 private:
  void serve(libssh::SshSession session, const std::string& address);
  void audit(const ClientIdentity& client, const std::string& summary, int exit_status, const std::string& error);

  SiteConfig site_;
  ServerLimits limits_;
  daemon::audit::AuditLog* audit_;
  std::unique_ptr<SiteAccess> access_;
  std::unique_ptr<McpClient> mcp_;        // with an `mcp` block
  std::unique_ptr<ProxyFetcher> proxy_;   // with a `proxy-cache` allow list
  std::unique_ptr<libssh::SshListener> listener_;
};

}  // namespace sshrelay::sshweb
