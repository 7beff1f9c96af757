#include "tests/integration/cluster_harness.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>
#include <thread>

#include "tests/integration/harness.hpp"
#include "tests/support/files.hpp"
#include "tests/support/loopback.hpp"

namespace sshrelay::itest {

using namespace std::chrono_literals;

RedisServer::RedisServer(RedisOptions options) : options_(std::move(options)), port_(testing::pick_free_loopback_port()) {
  start();
}

std::string RedisServer::url() const {
  const bool tls = !options_.tls_cert.empty();
  return std::string(tls ? "rediss://" : "redis://") + (options_.password.empty() ? "" : ":" + options_.password + "@") +
         (tls ? "localhost" : "127.0.0.1") + ":" + std::to_string(port_);
}

RedisServer::~RedisServer() {
  if (process_) process_->terminate(SIGTERM, 5s);
}

void RedisServer::start() {
  if (process_ && process_->running()) return;
  testing::ProcessIo io;
  io.stdout_path = dir_.file("redis.log");
  io.stderr_path = io.stdout_path;
  std::vector<std::string> argv{"redis-server", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir_.path().string()};
  if (options_.tls_cert.empty()) {
    argv.insert(argv.end(), {"--port", std::to_string(port_)});
  } else {
    argv.insert(argv.end(), {"--port", "0", "--tls-port", std::to_string(port_), "--tls-cert-file", options_.tls_cert, "--tls-key-file",
                             options_.tls_key, "--tls-ca-cert-file", options_.tls_cert, "--tls-auth-clients", "no"});
  }
  if (!options_.password.empty()) argv.insert(argv.end(), {"--requirepass", options_.password});
  process_.emplace(argv, io);
  const bool ready = wait_until([&] {
    try {
      return cli({"PING"}) == "PONG\n";
    } catch (const std::exception&) {
      return false;
    }
  }, 30s);
  if (!ready) throw std::runtime_error("redis-server did not answer PING: " + testing::file_tail(dir_.file("redis.log")));
}

void RedisServer::kill() {
  if (process_) process_->terminate(SIGKILL, 5s);
  process_.reset();
}

std::string RedisServer::cli(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"redis-cli", "-p", std::to_string(port_)};
  if (!options_.tls_cert.empty()) argv.insert(argv.end(), {"--tls", "--cacert", options_.tls_cert, "-h", "localhost"});
  if (!options_.password.empty()) argv.insert(argv.end(), {"-a", options_.password, "--no-auth-warning"});
  argv.insert(argv.end(), args.begin(), args.end());
  const auto out = dir_.file("cli.out");
  const auto err = dir_.file("cli.err");
  if (testing::run(argv, "", out, err, 10s) != 0) throw std::runtime_error("redis-cli failed: " + testing::read_file(err));
  return testing::read_file(out);
}

ClusterNodes::ClusterNodes(const RedisServer& redis, int count, std::vector<std::string> extra_args) {
  secret_path_ = dir_.file("cluster.secret");
  testing::write_file(secret_path_, "0123456789abcdef0123456789abcdef-test-secret", 0600);
  for (int i = 0; i < count; ++i) {
    auto node = std::make_unique<testing::RelayDaemon>();
    std::vector<std::string> args = {"--unsafe-allow-loopback", "--cluster-redis", redis.url(), "--cluster-listen", "127.0.0.1:0",
                                     "--cluster-secret-file", secret_path_, "--cluster-node-id", node_id(i),
                                     "--cluster-heartbeat-ms", "200", "--audit-jsonl", dir_.file("audit" + std::to_string(i) + ".jsonl")};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    node->start(relayd_path(), args);
    nodes_.push_back(std::move(node));
  }
}

std::uint16_t ClusterNodes::internal_port(int i) const {
  const auto ready = nlohmann::json::parse(testing::read_file(nodes_[static_cast<std::size_t>(i)]->dir() + "/ready.json"));
  const auto address = ready.at("cluster_listen").get<std::string>();
  return static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
}

std::string ClusterNodes::audit_path(int i) const { return dir_.file("audit" + std::to_string(i) + ".jsonl"); }

std::string ClusterNodes::secret() const { return testing::read_file(secret_path_); }

std::string ClusterNodes::logs(std::size_t tail) const {
  std::string out;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    out += "\n--- node" + std::to_string(i) + " log:\n" + testing::file_tail(nodes_[i]->log_path(), tail);
  }
  return out;
}

void ClusterNodes::wait_until_formed() const {
  const bool formed = wait_until([&] {
    for (const auto& node : nodes_) {
      try {
        const auto statz = nlohmann::json::parse(http_get(node->port(), "/statz", 5s).body);
        const auto& cluster = statz.at("cluster");
        if (!cluster.at("directory_reachable").get<bool>()) return false;
        if (cluster.at("other_nodes").get<int>() != static_cast<int>(nodes_.size()) - 1) return false;
      } catch (const std::exception&) {
        return false;
      }
    }
    return true;
  }, 30s);
  if (!formed) throw std::runtime_error("the cluster did not form within 30 s" + logs());
}

HaproxyFront::HaproxyFront(const std::vector<std::uint16_t>& ports) : port_(testing::pick_free_loopback_port()) {
  std::string config =
      "global\n"
      "  log stdout format raw local0 info\n"
      "defaults\n"
      "  mode tcp\n"
      "  log global\n"
      "  option tcplog\n"
      // One line per connection as soon as it reaches a server, in connection order.
      "  option logasap\n"
      "  timeout connect 5s\n"
      "  timeout client 1h\n"
      "  timeout server 1h\n"
      "frontend relays\n"
      "  bind 127.0.0.1:" + std::to_string(port_) + "\n"
      "  default_backend nodes\n"
      "backend nodes\n"
      "  balance roundrobin\n";
  for (std::size_t i = 0; i < ports.size(); ++i) {
    config += "  server node" + std::to_string(i) + " 127.0.0.1:" + std::to_string(ports[i]) + "\n";
  }
  testing::write_file(dir_.file("haproxy.cfg"), config);
  testing::ProcessIo io;
  io.stdout_path = dir_.file("haproxy.log");
  io.stderr_path = io.stdout_path;
  process_.emplace(std::vector<std::string>{"/usr/sbin/haproxy", "-db", "-f", dir_.file("haproxy.cfg")}, io);
  if (!wait_until([&] { return testing::loopback_port_accepts(port_, 1s); }, 30s)) {
    throw std::runtime_error("haproxy did not listen: " + testing::file_tail(dir_.file("haproxy.log")));
  }
  // That probe was a connection too: its log line, before any the test counts.
  (void)wait_until([&] { return !servers_used().empty(); }, 5s);
}

HaproxyFront::~HaproxyFront() {
  if (process_) process_->terminate(SIGTERM, 5s);
}

std::string HaproxyFront::log_text() const { return testing::read_file(dir_.file("haproxy.log")); }

std::vector<std::string> HaproxyFront::servers_used() const {
  std::vector<std::string> servers;
  static const std::regex kServer(R"( relays nodes/(node\d+) )");
  const auto text = log_text();
  for (std::sregex_iterator it(text.begin(), text.end(), kServer), end; it != end; ++it) servers.push_back((*it)[1]);
  return servers;
}

}  // namespace sshrelay::itest
