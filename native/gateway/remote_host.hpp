#pragma once
// The gateway's own SSH connection to the fixed remote host (libssh's client API, blocking, on the
// calling connection's thread): the remote's host key checked against a known_hosts file (unless the
// operator turned that off, loudly), the gateway's key as the credential, one command run with a deadline.
// Used to fetch a user's ~/.ssh/authorized_keys and to start mosh-server (docs/gateway.md).
#include <chrono>
#include <cstdint>
#include <string>

#include "core/common/result.hpp"

namespace sshrelay::gateway {

struct RemoteHost {
  std::string host;
  std::uint16_t port = 22;
  std::string known_hosts;       // empty: libssh's defaults (~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts)
  bool ignore_host_key = false;  // REMOTE_IGNORE_HOST_KEY
  std::string key_path;          // the gateway's key; empty with empty key_text: the system's default keys
  std::string key_text;          // the key itself (GATEWAY_SSH_KEY_CONTENT, decoded)
};

struct RemoteOutput {
  std::string out;
  std::string err;
  int exit_status = -1;
};

// At startup, before any client waits on them: the gateway's key can be read (when one is configured),
// and the known_hosts file can be read and has the shape of one (`[host]:port type base64` lines).
Status check_remote_settings(const RemoteHost& remote);

// Runs `command` on the remote as `user`. Errors say what failed in words: cannot connect, the host key
// is unknown or changed (with the fingerprint seen), the gateway's key was refused, the deadline passed.
Result<RemoteOutput> run_on_remote(const RemoteHost& remote, const std::string& user, const std::string& command,
                                   std::chrono::seconds deadline);

}  // namespace sshrelay::gateway
