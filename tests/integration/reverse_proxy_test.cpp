// The shipped reverse-proxy configurations (deploy/nginx, deploy/apache, deploy/caddy, deploy/haproxy) in
// front of sshrelayd, each run by Debian's own server with only host names, ports and certificate paths
// changed: real `ssh` through `sshrelay proxy` through the proxy (TLS) to a throwaway sshd. A command,
// 16 MiB each way, an idle session outliving twice the relay's ping interval, a session resumed after
// the proxy itself is killed and restarted, and the client's address reaching the audit trail through
// X-Forwarded-For (the client comes over IPv6 ::1, the proxy reaches the relay over IPv4, so "::1" in
// the audit can only have come from the header; a forged X-Forwarded-For from the client is not
// believed).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/integration/harness.hpp"
#include "tests/support/files.hpp"
#include "tests/support/loopback.hpp"
#include "tests/support/process.hpp"
#include "tests/support/relay_daemon.hpp"
#include "tests/support/sha256.hpp"
#include "tests/support/sshd_fixture.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_certificate.hpp"

namespace sshrelay::itest {
namespace {

using testing::RelayDaemon;
using testing::SshdFixture;
using testing::TempDir;

constexpr int kPingSeconds = 2;

// `text` with each `from` replaced by `to`; every `from` must occur (a shipped file that no longer has
// the placeholder would otherwise be tested unchanged, against the wrong ports).
std::string substitute(std::string text, const std::vector<std::pair<std::string, std::string>>& changes,
                       const std::string& file) {
  for (const auto& [from, to] : changes) {
    const auto at = text.find(from);
    if (at == std::string::npos) throw std::runtime_error(file + " no longer holds \"" + from + "\"");
    for (auto pos = at; pos != std::string::npos; pos = text.find(from, pos + to.size())) text.replace(pos, from.size(), to);
  }
  return text;
}

// One of the four servers, running a shipped configuration.
class ReverseProxy {
 public:
  ReverseProxy(std::string kind, const TempDir& dir, const testing::TestCertificate& cert, std::uint16_t relay_port,
               std::uint16_t https_port)
      : kind_(std::move(kind)), dir_(dir), https_port_(https_port),
        http_port_(testing::pick_free_loopback_port()), admin_port_(testing::pick_free_loopback_port()) {
    const std::string relay = "127.0.0.1:" + std::to_string(relay_port);
    const std::string https = std::to_string(https_port_);
    const std::string http = std::to_string(http_port_);
    if (kind_ == "nginx") {
      write_shipped("deploy/nginx/sshrelay.conf", "sshrelay.conf",
                    {{"relay.example.com", "localhost"}, {"127.0.0.1:8080", relay}, {"listen 80;", "listen " + http + ";"},
                     {"listen 443 ssl;", "listen " + https + " ssl;"}, {"listen [::]:443 ssl;", "listen [::]:" + https + " ssl;"},
                     {"/etc/ssl/sshrelay/fullchain.pem", cert.cert}, {"/etc/ssl/sshrelay/privkey.pem", cert.key}});
      const std::string d = dir_.path().string();
      testing::write_file(dir_.file("nginx.conf"),
                          "daemon off;\nworker_processes 1;\npid " + d + "/nginx.pid;\nerror_log " + d + "/error.log info;\n"
                          "events { worker_connections 1024; }\nhttp {\n  access_log " + d + "/access.log;\n"
                          "  client_body_temp_path " + d + "/body;\n  proxy_temp_path " + d + "/proxy;\n"
                          "  fastcgi_temp_path " + d + "/fastcgi;\n  uwsgi_temp_path " + d + "/uwsgi;\n"
                          "  scgi_temp_path " + d + "/scgi;\n  include " + d + "/sshrelay.conf;\n}\n");
      argv_ = {"/usr/sbin/nginx", "-p", d, "-c", d + "/nginx.conf"};
    } else if (kind_ == "haproxy") {
      const auto combined = dir_.file("combined.pem");
      testing::write_file(combined, testing::read_file(cert.cert) + testing::read_file(cert.key));
      write_shipped("deploy/haproxy/sshrelay.cfg", "haproxy.cfg",
                    {{"127.0.0.1:8080", relay}, {"bind :::80 v4v6", "bind :::" + http + " v4v6"},
                     {"bind :::443 v4v6", "bind :::" + https + " v4v6"},
                     {"/etc/haproxy/certs/relay.example.com.pem", combined}});
      argv_ = {"/usr/sbin/haproxy", "-db", "-f", dir_.file("haproxy.cfg")};
    } else if (kind_ == "apache") {
      write_shipped("deploy/apache/sshrelay.conf", "sshrelay.conf",
                    {{"relay.example.com", "localhost"}, {"127.0.0.1:8080", relay}, {"*:80>", "*:" + http + ">"},
                     {"*:443>", "*:" + https + ">"}, {"https://localhost/", "https://localhost:" + https + "/"},
                     {"/etc/ssl/sshrelay/fullchain.pem", cert.cert}, {"/etc/ssl/sshrelay/privkey.pem", cert.key}});
      const std::string d = dir_.path().string();
      std::string conf = "ServerRoot /etc/apache2\nServerName localhost\nListen " + http + "\nListen " + https +
                         "\nPidFile " + d + "/httpd.pid\nErrorLog " + d + "/error.log\nLogLevel warn\n"
                         "DefaultRuntimeDir " + d + "\nMutex file:" + d + " default\n";
      if (::geteuid() == 0) conf += "User www-data\nGroup www-data\n";
      for (const char* module : {"mpm_event", "authz_core", "alias", "headers", "ssl", "socache_shmcb", "proxy",
                                 "proxy_http", "proxy_wstunnel"}) {
        conf += std::string("LoadModule ") + module + "_module /usr/lib/apache2/modules/mod_" + module + ".so\n";
      }
      conf += "SSLSessionCache shmcb:" + d + "/ssl_scache(512000)\nInclude " + d + "/sshrelay.conf\n";
      testing::write_file(dir_.file("httpd.conf"), conf);
      argv_ = {"/usr/sbin/apache2", "-f", dir_.file("httpd.conf"), "-DFOREGROUND"};
    } else {
      write_shipped("deploy/caddy/Caddyfile", "Caddyfile",
                    {{"relay.example.com", "localhost"}, {"127.0.0.1:8080", relay}, {"http_port 80", "http_port " + http},
                     {"https_port 443", "https_port " + https}, {"localhost:2019", "localhost:" + std::to_string(admin_port_)},
                     {"/etc/ssl/sshrelay/fullchain.pem", cert.cert}, {"/etc/ssl/sshrelay/privkey.pem", cert.key}});
      argv_ = {"/usr/bin/caddy", "run", "--config", dir_.file("Caddyfile"), "--adapter", "caddyfile"};
      env_ = {{"HOME", dir_.path().string()}, {"XDG_DATA_HOME", dir_.file("data")}, {"XDG_CONFIG_HOME", dir_.file("config")}};
    }
  }

  // Its workers too: destroying the Process would kill only the master, and nginx's or Apache's workers
  // would live on, holding the ports.
  ~ReverseProxy() { kill(); }
  ReverseProxy(const ReverseProxy&) = delete;
  ReverseProxy& operator=(const ReverseProxy&) = delete;

  // Starts the server and waits (at most 60 s) until its TLS port accepts on ::1.
  void start() {
    process_.emplace(argv_, testing::ProcessIo{"", dir_.file("server.log"), dir_.file("server.log"), env_});
    const bool up = wait_until([&] { return !process_->running() || accepts_on_ipv6(); }, 60s);
    if (!up || !process_->running()) {
      throw std::runtime_error(kind_ + " did not come up: " + process_->command_line() + "\n" + log());
    }
  }
  // As a crash would: SIGKILL to the server and its worker processes (nginx's and Apache's workers hold
  // the connections and the listening sockets), so every connection through it drops at once.
  void kill() {
    if (!process_) return;
    process_->send_signal(SIGSTOP);  // no new workers while they are killed
    testing::run({"pkill", "-KILL", "-P", std::to_string(process_->pid())}, "", "", "", 30s);
    process_->terminate(SIGKILL, std::chrono::milliseconds(0));
    process_.reset();
  }

  std::uint16_t https_port() const { return https_port_; }
  std::string log() const {
    std::string out = "--- " + kind_ + " output:\n" + testing::file_tail(dir_.file("server.log"), 3000);
    if (std::filesystem::exists(dir_.file("error.log"))) out += "\n--- error.log:\n" + testing::file_tail(dir_.file("error.log"), 3000);
    return out;
  }

 private:
  void write_shipped(const std::string& shipped, const std::string& name,
                     const std::vector<std::pair<std::string, std::string>>& changes) {
    const auto path = source_tree() + "/" + shipped;
    testing::write_file(dir_.file(name), substitute(testing::read_file(path), changes, shipped));
  }
  bool accepts_on_ipv6() const {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket socket(ioc);
    boost::system::error_code ec;
    socket.connect({boost::asio::ip::make_address("::1"), https_port_}, ec);
    return !ec;
  }

  std::string kind_;
  const TempDir& dir_;
  std::uint16_t https_port_, http_port_, admin_port_;
  std::vector<std::string> argv_;
  std::vector<std::pair<std::string, std::string>> env_;
  std::optional<testing::Process> process_;
};

class ReverseProxyTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    sshd_.start();
    cert_ = testing::make_test_certificate(scratch_);
    // The proxy's port is chosen before the relay starts: the relay must know it as its public port.
    const auto https_port = testing::pick_free_loopback_port();
    relay_.start(relayd_path(), {"--unsafe-allow-loopback", "--trusted-proxies", "127.0.0.1/32", "--public-host", "localhost",
                                 "--public-port", std::to_string(https_port), "--ping-seconds", std::to_string(kPingSeconds), "--audit-jsonl",
                                 audit(), "--audit-jsonl-fsync=no"});
    proxy_.emplace(GetParam(), proxy_dir_, cert_, relay_.port(), https_port);
    proxy_->start();
  }

  std::string audit() const { return scratch_.file("audit.jsonl"); }
  std::string out() const { return scratch_.file("ssh.out"); }
  std::string err() const { return scratch_.file("ssh.err"); }

  // ssh whose ProxyCommand is `sshrelay proxy` to wss://[::1]:PORT (the proxy), named localhost.
  std::vector<std::string> ssh(const std::string& command) const {
    const std::string port = std::to_string(proxy_->https_port());
    const std::vector<std::string> words = {
        SSHRELAY_CLI_PATH, "proxy", "--relay", "wss://[::1]:" + port, "--tls-server-name", "localhost", "--ca-file", cert_.cert,
        "--origin", "https://localhost:" + port, "-H", "Host: localhost:" + port,
        // A forged client address: the proxy appends the real one, and the relay believes only that.
        "-H", "X-Forwarded-For: 203.0.113.7", "-l", sshd_.user(), "%h", "%p"};
    return sshd_.ssh_argv(sshd_.port(), {"-o", "ProxyCommand=" + testing::format_command_line(words), "-o", "LogLevel=ERROR"},
                          command);
  }

  std::string diagnostics() const {
    return "\n--- ssh + sshrelay stderr:\n" + testing::file_tail(err(), 4000) + "\n" + proxy_->log() +
           "\n--- relayd log:\n" + testing::file_tail(relay_.log_path(), 4000);
  }

  TempDir scratch_{"sshrelay-reverse-proxy"};
  TempDir proxy_dir_{"sshrelay-reverse-proxy-server"};
  testing::TestCertificate cert_;
  SshdFixture sshd_;
  RelayDaemon relay_;
  std::optional<ReverseProxy> proxy_;
};

TEST_P(ReverseProxyTest, SshThroughTheShippedConfig) {
  // A command, and the client's address in the audit trail.
  ASSERT_EQ(testing::run(ssh("echo through-" + GetParam()), "", out(), err(), 120s), 0) << diagnostics();
  EXPECT_EQ(testing::read_file(out()), "through-" + GetParam() + "\n");
  std::vector<nlohmann::json> starts;
  ASSERT_TRUE(wait_until([&] { return !(starts = read_audit_events(audit(), "session.start")).empty(); }, 30s));
  EXPECT_EQ(starts.front().value("source.ip", ""), "::1") << starts.front().dump() << diagnostics();

  // 16 MiB up, then back.
  const auto source = scratch_.file("source.bin");
  const auto remote = scratch_.file("remote.bin");
  testing::write_random_file(source, 16 * 1024 * 1024, 7);
  ASSERT_EQ(testing::run(ssh("cat > " + remote), source, out(), err(), 300s), 0) << diagnostics();
  EXPECT_EQ(testing::sha256_file_hex(remote), testing::sha256_file_hex(source)) << diagnostics();
  ASSERT_EQ(testing::run(ssh("cat " + remote), "", out(), err(), 300s), 0) << diagnostics();
  EXPECT_EQ(testing::sha256_file_hex(out()), testing::sha256_file_hex(source)) << diagnostics();

  // Idle for more than twice the ping interval: the proxy's timeouts let the pinged WebSocket live.
  ASSERT_EQ(testing::run(ssh("sleep " + std::to_string(2 * kPingSeconds + 2) + "; echo still-here"), "", out(), err(), 120s), 0)
      << diagnostics();
  EXPECT_EQ(testing::read_file(out()), "still-here\n");
  EXPECT_TRUE(read_audit_events(audit(), "session.reconnect").empty()) << "an idle session was dropped" << diagnostics();

  // The proxy dies mid-session and comes back: the CLI resumes through it, nothing lost.
  const auto marker = scratch_.file("marker");
  testing::Process session(ssh("echo before; while [ ! -e " + marker + " ]; do sleep 0.1; done; echo after"),
                           testing::ProcessIo{"", out(), err(), {}});
  ASSERT_TRUE(wait_until([&] { return testing::read_file(out()) == "before\n"; }, 60s)) << diagnostics();
  proxy_->kill();
  proxy_->start();
  testing::write_file(marker, "");
  ASSERT_EQ(session.wait_for(120s), 0) << diagnostics();
  EXPECT_EQ(testing::read_file(out()), "before\nafter\n") << diagnostics();
  ASSERT_TRUE(wait_until([&] { return !read_audit_events(audit(), "session.reconnect").empty(); }, 30s)) << diagnostics();
}

std::string server_name(const ::testing::TestParamInfo<std::string>& server) { return server.param; }

INSTANTIATE_TEST_SUITE_P(Servers, ReverseProxyTest, ::testing::Values("nginx", "apache", "caddy", "haproxy"), server_name);

}  // namespace
}  // namespace sshrelay::itest
