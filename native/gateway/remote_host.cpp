#include "native/gateway/remote_host.hpp"

#include <libssh/libssh.h>

#include <fstream>
#include <sstream>

#include "native/libssh/handles.hpp"
#include "native/libssh/host_key.hpp"

namespace sshrelay::gateway {
namespace {

std::string session_error(ssh_session session) {
  const char* text = ssh_get_error(session);
  return text != nullptr && *text ? text : "no detail";
}

// The remote's host key against known_hosts: only a key already listed for host[:port] passes.
Status check_host_key(ssh_session session, const RemoteHost& remote) {
  if (remote.ignore_host_key) return Ok{};
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(session, &key) != SSH_OK) return local_error("the remote sent no host key");
  const libssh::SshKey owned(key);
  const std::string where = remote.host + ":" + std::to_string(remote.port);
  const std::string file = remote.known_hosts.empty() ? "the default known_hosts files" : remote.known_hosts;
  switch (ssh_session_is_known_server(session)) {
    case SSH_KNOWN_HOSTS_OK: return Ok{};
    case SSH_KNOWN_HOSTS_CHANGED:
      return local_error("the remote host key of " + where + " has CHANGED (now " + libssh::key_fingerprint(key) +
                         "), refusing to connect: if the change is expected, update " + file);
    case SSH_KNOWN_HOSTS_OTHER:
      return local_error("the remote " + where + " offered a key of another type than " + file + " lists for it (" +
                         libssh::key_fingerprint(key) + "), refusing to connect");
    case SSH_KNOWN_HOSTS_NOT_FOUND:
    case SSH_KNOWN_HOSTS_UNKNOWN:
      return local_error("the remote host key of " + where + " (" + libssh::key_fingerprint(key) + ") is not in " + file +
                         ": add it (ssh-keyscan -p " + std::to_string(remote.port) + " " + remote.host + ")");
    case SSH_KNOWN_HOSTS_ERROR: break;
  }
  return local_error("cannot check the remote host key against " + file + ": " + session_error(session));
}

Result<libssh::SshKey> gateway_key(const RemoteHost& remote) {
  ssh_key key = nullptr;
  int rc = SSH_ERROR;
  if (!remote.key_text.empty()) {
    rc = ssh_pki_import_privkey_base64(remote.key_text.c_str(), nullptr, nullptr, nullptr, &key);
  } else {
    rc = ssh_pki_import_privkey_file(remote.key_path.c_str(), nullptr, nullptr, nullptr, &key);
  }
  if (rc != SSH_OK) {
    return local_error("cannot read the gateway's SSH key " +
                       (remote.key_text.empty() ? remote.key_path : std::string("(GATEWAY_SSH_KEY_CONTENT)")) +
                       ": not an unencrypted private key libssh can read");
  }
  return libssh::SshKey(key);
}

}  // namespace

Status check_remote_settings(const RemoteHost& remote) {
  if (!remote.key_text.empty() || !remote.key_path.empty()) {
    if (auto key = gateway_key(remote); !key) return key.error();
  }
  if (remote.known_hosts.empty() || remote.ignore_host_key) return Ok{};
  std::ifstream file(remote.known_hosts);
  if (!file) return local_error("REMOTE_KNOWN_HOSTS: cannot read " + remote.known_hosts);
  std::size_t line_number = 0;
  std::size_t entries = 0;
  for (std::string line; std::getline(file, line);) {
    ++line_number;
    std::istringstream words(line);
    std::string first, second, third;
    words >> first;
    if (first.empty() || first.starts_with('#')) continue;
    if (first.starts_with('@')) words >> first;  // @cert-authority, @revoked
    words >> second >> third;
    if (second.empty() || third.empty()) {
      return local_error("REMOTE_KNOWN_HOSTS: " + remote.known_hosts + ":" + std::to_string(line_number) +
                         ": not a known_hosts line (host, key type, key)");
    }
    ++entries;
  }
  if (entries == 0) return local_error("REMOTE_KNOWN_HOSTS: " + remote.known_hosts + " lists no host key");
  return Ok{};
}

Result<RemoteOutput> run_on_remote(const RemoteHost& remote, const std::string& user, const std::string& command,
                                   std::chrono::seconds deadline) {
  libssh::SshSession session(ssh_new());
  ssh_session s = session.get();
  if (s == nullptr) return local_error("out of memory for an SSH session");
  long timeout = static_cast<long>(deadline.count());
  unsigned int port = remote.port;
  int no = 0;
  ssh_options_set(s, SSH_OPTIONS_HOST, remote.host.c_str());
  ssh_options_set(s, SSH_OPTIONS_PORT, &port);
  ssh_options_set(s, SSH_OPTIONS_USER, user.c_str());
  ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout);
  ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &no);  // the operator's ~/.ssh/config is not ours
  if (!remote.known_hosts.empty()) {
    ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, remote.known_hosts.c_str());
    ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null");
  }
  const std::string where = user + "@" + remote.host + ":" + std::to_string(remote.port);
  if (ssh_connect(s) != SSH_OK) return local_error("cannot connect to " + where + ": " + session_error(s));
  if (auto checked = check_host_key(s, remote); !checked) return checked.error();

  int auth = SSH_AUTH_DENIED;
  if (remote.key_text.empty() && remote.key_path.empty()) {
    auth = ssh_userauth_publickey_auto(s, nullptr, nullptr);
  } else {
    auto key = gateway_key(remote);
    if (!key) return key.error();
    auth = ssh_userauth_publickey(s, nullptr, key->get());
  }
  if (auth != SSH_AUTH_SUCCESS) {
    return local_error("the remote refused the gateway's key for " + where +
                       " (permission denied: add the gateway's public key, GATEWAY_SSH_KEY_PATH, to that user's authorized_keys)");
  }
  ssh_channel channel = ssh_channel_new(s);
  if (channel == nullptr) return local_error("cannot open a channel to " + where);
  struct ChannelFree {
    ssh_channel c;
    ~ChannelFree() { ssh_channel_free(c); }
  } owned{channel};
  if (ssh_channel_open_session(channel) != SSH_OK || ssh_channel_request_exec(channel, command.c_str()) != SSH_OK) {
    return local_error("cannot run a command on " + where + ": " + session_error(s));
  }
  RemoteOutput out;
  const auto until = std::chrono::steady_clock::now() + deadline;
  char buffer[16384];
  // Both streams in turn (libssh's EOF counts only once both are drained), each wait short, the whole
  // bounded by the deadline.
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return local_error("the remote command on " + where + " did not finish within " + std::to_string(deadline.count()) + " s");
    }
    const int wait_ms = static_cast<int>(std::min<long long>(left.count(), 100));
    const int n_out = ssh_channel_read_timeout(channel, buffer, sizeof buffer, 0, wait_ms);
    if (n_out > 0) out.out.append(buffer, static_cast<std::size_t>(n_out));
    const int n_err = n_out == SSH_ERROR ? SSH_ERROR : ssh_channel_read_nonblocking(channel, buffer, sizeof buffer, 1);
    if (n_err > 0) out.err.append(buffer, static_cast<std::size_t>(n_err));
    if (n_out == SSH_ERROR || n_err == SSH_ERROR) return local_error("the connection to " + where + " broke: " + session_error(s));
    if (n_out <= 0 && n_err <= 0 && (ssh_channel_is_eof(channel) || ssh_channel_is_closed(channel))) break;
  }
  out.exit_status = ssh_channel_get_exit_status(channel);
  ssh_channel_close(channel);
  return out;
}

}  // namespace sshrelay::gateway
