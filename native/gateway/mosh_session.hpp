#pragma once
// One client's SSH connection to the gateway in `--wan mosh` mode (libssh's server callbacks, on the
// connection's own thread): the user name checked before anything else, keys and passwords judged by
// ClientAuth, then one interactive session — `pty-req` sizes it, `shell` starts mosh-server on the remote
// and mosh-client here, and bytes flow between the client's channel and mosh-client's pseudo-terminal
// until either ends; `window-change` is passed on. `exec` and subsystems are refused: MOSH carries a
// terminal, nothing else (`--wan relay` carries everything, docs/gateway.md).
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "core/common/result.hpp"
#include "native/libssh/handles.hpp"

namespace sshrelay::gateway {

struct MoshEndpoint {
  std::string address;  // IP literal of the remote, for mosh-client
  std::uint16_t udp_port = 0;
  std::string key;
  std::string exit_file;  // where the remote session leaves its shell's exit status (mosh_connect.hpp)
};

struct MoshSessionHooks {
  // Client authentication (client_auth.hpp). `password` unset: password authentication is off.
  std::function<bool(const std::string& user, const std::string& key_type, const std::string& key_base64)> key_accepted;
  std::function<bool(const std::string& user, const std::string& password)> password_accepted;
  // Starts mosh-server on the remote as `user` and says where mosh-client goes.
  std::function<Result<MoshEndpoint>(const std::string& user)> start_mosh_server;
  // After mosh-client exited: the remote shell's exit status, read back over SSH (nothing if unknown).
  std::function<std::optional<int>(const std::string& user, const std::string& exit_file)> remote_exit_status;
  // What happened, for the log and the audit trail: "start", "close" (with detail), "denied".
  std::function<void(const std::string& what, const std::string& user, const std::string& detail)> report;
  std::string remote_label;  // "user@host:port" is built from it: "host:port"
  std::chrono::seconds auth_timeout{60};
};

// Serves one accepted connection to its end. The session handle is freed on return.
void serve_mosh_session(libssh::SshSession session, const std::string& address, const MoshSessionHooks& hooks);

}  // namespace sshrelay::gateway
