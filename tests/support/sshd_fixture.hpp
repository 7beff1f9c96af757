#pragma once
// A throwaway OpenSSH server on 127.0.0.1 with its own keys and config, so integration tests drive a real
// sshd (and the real ssh client) without touching the machine's own SSH setup.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::testing {

class SshdFixture {
 public:
  // The alias the host key is stored under in known_hosts(); ssh_argv() passes it as HostKeyAlias, so the
  // key is checked whatever port or proxy the connection goes through.
  static constexpr const char* kHostKeyAlias = "sshrelay-test-target";

  SshdFixture() = default;
  // Stops sshd (if running) and removes its directory.
  ~SshdFixture();
  SshdFixture(const SshdFixture&) = delete;
  SshdFixture& operator=(const SshdFixture&) = delete;

  // Creates keys, authorized_keys, known_hosts and sshd_config in a fresh temp dir, starts
  // `/usr/sbin/sshd -D -e -f <cfg>` on a free 127.0.0.1 port and waits (at most 60 s) for its SSH banner.
  // Throws std::runtime_error with sshd's log tail if it exits early or never answers. Call once.
  void start();
  // Lines added to sshd_config (before start()): e.g. `SetEnv HOME=…` for a test's own home folder.
  void add_config(const std::string& lines) { extra_config_ += lines; }
  // SIGTERM, then SIGKILL after 30 s; returns once the port refuses connections (at most 30 s more).
  // Idempotent. Connections already open are served by sshd's own per-connection children, which live on
  // until their clients disconnect, as with a real sshd restart.
  void stop();
  bool running();

  std::uint16_t port() const { return port_; }
  // The login user: the current effective user (a non-root sshd can only log in as itself).
  const std::string& user() const { return user_; }
  // Private key (ed25519, no passphrase) whose public half is in authorized_keys.
  const std::string& client_key() const { return client_key_; }
  // known_hosts holding the host key under kHostKeyAlias.
  const std::string& known_hosts() const { return known_hosts_; }
  // The host key as "ssh-ed25519 AAAA...", for clients that keep their own known-hosts store.
  const std::string& host_public_key() const { return host_public_key_; }
  // sshd's stderr (LogLevel VERBOSE): quote its tail in failure messages.
  const std::string& log_path() const { return log_path_; }
  const std::string& dir() const { return dir_path_; }

  // `ssh -F /dev/null -i <key> -o IdentitiesOnly=yes -o UserKnownHostsFile=<known_hosts>
  //  -o StrictHostKeyChecking=yes -o HostKeyAlias=sshrelay-test-target -o BatchMode=yes
  //  -o ConnectTimeout=60 -o ServerAliveInterval=0 -p <port> <extra_options...> user@127.0.0.1
  //  [<remote_command>]`.
  // `port` may be the proxy's or relay's rather than port(). `extra_options` are inserted verbatim as
  // argv words, flag and value separately: {"-o", "ProxyCommand=sshrelay proxy ..."}. A word that is
  // neither a flag nor the value after a single-letter flag throws std::invalid_argument (it would
  // otherwise become the destination). An empty remote_command is left out (for -N or a shell).
  std::vector<std::string> ssh_argv(std::uint16_t port, const std::vector<std::string>& extra_options,
                                    const std::string& remote_command) const;

 private:
  void write_files();
  bool launch();  // false when the port was taken before sshd bound it (the caller retries)

  std::optional<TempDir> dir_;
  std::optional<Process> sshd_;
  std::uint16_t port_ = 0;
  std::string user_;
  std::string dir_path_;
  std::string host_key_;
  std::string client_key_;
  std::string authorized_keys_;
  std::string known_hosts_;
  std::string host_public_key_;
  std::string config_path_;
  std::string log_path_;
  std::string extra_config_;
};

}  // namespace sshrelay::testing
