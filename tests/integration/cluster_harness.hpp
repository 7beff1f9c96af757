#pragma once
// What the cluster tests run: a real redis-server (Debian's), sshrelayd nodes sharing it and a secret,
// and Debian's haproxy round-robin in front of them, all on 127.0.0.1.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/process.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {

// How a test's redis-server is reached: TLS (with this certificate, trusted by the clients as its own
// CA) and a password, or neither.
struct RedisOptions {
  std::string tls_cert, tls_key;
  std::string password;
};

// redis-server without persistence on a loopback port; stop() and start() again keep the port.
class RedisServer {
 public:
  explicit RedisServer(RedisOptions options = {});
  ~RedisServer();
  void start();
  // SIGKILL: as a crash or a partition looks to the relays (no goodbye).
  void kill();
  std::uint16_t port() const { return port_; }
  // With TLS the name is localhost (the test certificate's name).
  std::string url() const;
  // redis-cli's answer to `args` (one line per reply element), or throws.
  std::string cli(const std::vector<std::string>& args) const;

 private:
  testing::TempDir dir_{"sshrelay-redis"};
  RedisOptions options_;
  std::uint16_t port_ = 0;
  std::optional<testing::Process> process_;
};

// sshrelayd nodes of one cluster: each with its own internal link, the shared secret and an audit file.
class ClusterNodes {
 public:
  ClusterNodes(const RedisServer& redis, int count, std::vector<std::string> extra_args = {});
  testing::RelayDaemon& node(int i) { return *nodes_[static_cast<std::size_t>(i)]; }
  int size() const { return static_cast<int>(nodes_.size()); }
  std::string node_id(int i) const { return "node" + std::to_string(i); }
  std::uint16_t internal_port(int i) const;
  std::string audit_path(int i) const;
  const std::string& secret_path() const { return secret_path_; }
  std::string secret() const;
  // The nodes' logs, for a failure message.
  std::string logs(std::size_t tail = 3000) const;
  // Waits until every node sees all the others in the directory (its /statz), or throws.
  void wait_until_formed() const;

 private:
  testing::TempDir dir_{"sshrelay-cluster"};
  std::string secret_path_;
  std::vector<std::unique_ptr<testing::RelayDaemon>> nodes_;
};

// haproxy in TCP mode, round-robin over `ports`, logging one line per connection with the server it
// went to.
class HaproxyFront {
 public:
  explicit HaproxyFront(const std::vector<std::uint16_t>& ports);
  ~HaproxyFront();
  std::uint16_t port() const { return port_; }
  // The server ("node0"...) of each connection haproxy logged, in order.
  std::vector<std::string> servers_used() const;
  std::string log_text() const;

 private:
  testing::TempDir dir_{"sshrelay-haproxy"};
  std::uint16_t port_ = 0;
  std::optional<testing::Process> process_;
};

}  // namespace sshrelay::itest
