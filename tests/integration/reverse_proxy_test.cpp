// The shipped reverse-proxy configurations (deploy/nginx, deploy/apache, deploy/caddy, deploy/haproxy) in
// front of sshrelayd, each run by Debian's own server with only host names, ports and certificate paths
// changed: real `ssh` through `sshrelay proxy` through the proxy (TLS) to a throwaway sshd. A command,
// 16 MiB each way, an idle session outliving twice the relay's ping interval, a session resumed after
// the proxy itself is killed and restarted, and the client's address reaching the audit trail through
// X-Forwarded-For (the client comes over IPv6 ::1, the proxy reaches the relay over IPv4, so "::1" in
// the audit can only have come from the header; a forged X-Forwarded-For from the client is not
// believed).
//
// The login variants (deploy/nginx/sshrelay-oauth2-proxy.conf, deploy/apache/sshrelay-openidc.conf) need an
// identity provider that cannot run here: the server's own configuration check (`nginx -t`, `apache2 -t`
// with mod_auth_openidc loaded) accepts each, with the same substitutions; deploy/nginx/oauth2-proxy.cfg is
// TOML that agrees with the nginx variant.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "tests/integration/harness.hpp"
#include "tests/integration/tunnel_site.hpp"
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

// The shipped file each server runs unless it is given another with the same placeholders (a variant).
std::string base_file(const std::string& kind) {
  if (kind == "nginx") return "deploy/nginx/sshrelay.conf";
  if (kind == "apache") return "deploy/apache/sshrelay.conf";
  if (kind == "haproxy") return "deploy/haproxy/sshrelay.cfg";
  return "deploy/caddy/Caddyfile";
}

// One of the four servers, with a shipped configuration (by default base_file(kind)).
class ReverseProxy {
 public:
  ReverseProxy(std::string kind, const TempDir& dir, const testing::TestCertificate& cert, std::uint16_t relay_port,
               std::uint16_t https_port, const std::string& shipped = "")
      : kind_(std::move(kind)), dir_(dir), https_port_(https_port),
        http_port_(testing::pick_free_loopback_port()), admin_port_(testing::pick_free_loopback_port()) {
    const std::string file = shipped.empty() ? base_file(kind_) : shipped;
    const std::string relay = "127.0.0.1:" + std::to_string(relay_port);
    const std::string https = std::to_string(https_port_);
    const std::string http = std::to_string(http_port_);
    if (kind_ == "nginx") {
      write_shipped(file, "sshrelay.conf",
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
      check_argv_ = {"/usr/sbin/nginx", "-t", "-p", d, "-c", d + "/nginx.conf"};
    } else if (kind_ == "haproxy") {
      const auto combined = dir_.file("combined.pem");
      testing::write_file(combined, testing::read_file(cert.cert) + testing::read_file(cert.key));
      write_shipped(file, "haproxy.cfg",
                    {{"127.0.0.1:8080", relay}, {"bind :::80 v4v6", "bind :::" + http + " v4v6"},
                     {"bind :::443 v4v6", "bind :::" + https + " v4v6"},
                     {"/etc/haproxy/certs/relay.example.com.pem", combined}});
      argv_ = {"/usr/sbin/haproxy", "-db", "-f", dir_.file("haproxy.cfg")};
    } else if (kind_ == "apache") {
      const auto text = write_shipped(
          file, "sshrelay.conf",
          {{"relay.example.com", "localhost"}, {"127.0.0.1:8080", relay}, {"*:80>", "*:" + http + ">"},
           {"*:443>", "*:" + https + ">"}, {"https://localhost/", "https://localhost:" + https + "/"},
           {"/etc/ssl/sshrelay/fullchain.pem", cert.cert}, {"/etc/ssl/sshrelay/privkey.pem", cert.key}});
      const std::string d = dir_.path().string();
      std::string conf = "ServerRoot /etc/apache2\nServerName localhost\nListen " + http + "\nListen " + https +
                         "\nPidFile " + d + "/httpd.pid\nErrorLog " + d + "/error.log\nLogLevel warn\n"
                         "DefaultRuntimeDir " + d + "\nMutex file:" + d + " default\n";
      if (::geteuid() == 0) conf += "User www-data\nGroup www-data\n";
      std::vector<std::string> modules = {"mpm_event", "authz_core", "alias", "headers", "ssl", "socache_shmcb", "proxy",
                                          "proxy_http", "proxy_wstunnel"};
      // The OIDC login: mod_auth_openidc (Debian's libapache2-mod-auth-openidc), and AuthType
      // (mod_authn_core) and `Require valid-user` (mod_authz_user), both enabled by default in Debian.
      if (text.find("AuthType openid-connect") != std::string::npos) {
        modules.insert(modules.end(), {"authn_core", "authz_user", "auth_openidc"});
      }
      for (const auto& module : modules) {
        conf += "LoadModule " + module + "_module /usr/lib/apache2/modules/mod_" + module + ".so\n";
      }
      conf += "SSLSessionCache shmcb:" + d + "/ssl_scache(512000)\nInclude " + d + "/sshrelay.conf\n";
      testing::write_file(dir_.file("httpd.conf"), conf);
      argv_ = {"/usr/sbin/apache2", "-f", dir_.file("httpd.conf"), "-DFOREGROUND"};
      check_argv_ = {"/usr/sbin/apache2", "-t", "-f", dir_.file("httpd.conf")};
    } else {
      write_shipped(file, "Caddyfile",
                    {{"relay.example.com", "localhost"}, {"127.0.0.1:8080", relay}, {"http_port 80", "http_port " + http},
                     {"https_port 443", "https_port " + https}, {"localhost:2019", "localhost:" + std::to_string(admin_port_)},
                     {"/etc/ssl/sshrelay/fullchain.pem", cert.cert}, {"/etc/ssl/sshrelay/privkey.pem", cert.key},
                     {"tunnels.example.com", "tunnels.localhost"}, {"/etc/ssl/sshrelay/tunnels-fullchain.pem", cert.cert},
                     {"/etc/ssl/sshrelay/tunnels-privkey.pem", cert.key}});
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

  // Instead of start(): the server's own check of its configuration (nginx -t, apache2 -t), which reads
  // every file it names (the certificate too) but opens no port. Its exit code and what it printed.
  std::pair<int, std::string> check() const {
    if (check_argv_.empty()) throw std::runtime_error("no configuration check for " + kind_);
    const auto said = dir_.file("check.log");
    const int code = testing::run(check_argv_, "", said, said, 60s);
    return {code, testing::read_file(said)};
  }

  std::uint16_t https_port() const { return https_port_; }
  std::string log() const {
    std::string out = "--- " + kind_ + " output:\n" + testing::file_tail(dir_.file("server.log"), 3000);
    if (std::filesystem::exists(dir_.file("error.log"))) out += "\n--- error.log:\n" + testing::file_tail(dir_.file("error.log"), 3000);
    return out;
  }

 private:
  // Writes the shipped file, substituted, as `name` in the server's directory, and returns what it wrote.
  std::string write_shipped(const std::string& shipped, const std::string& name,
                            const std::vector<std::pair<std::string, std::string>>& changes) {
    auto text = substitute(testing::read_file(source_tree() + "/" + shipped), changes, shipped);
    testing::write_file(dir_.file(name), text);
    return text;
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
  std::vector<std::string> argv_, check_argv_;
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

// The login variants cannot log anyone in here (no identity provider, no oauth2-proxy in Debian), so
// they get the server's own configuration check, after the same substitutions as the base files.
class ReverseProxyLoginVariantTest : public ::testing::Test {
 protected:
  // `kind` checks `shipped`: exit 0, its own words for success, and nothing that reads as a complaint.
  void expect_accepted(const std::string& kind, const std::string& shipped, const std::string& success) {
    const auto cert = testing::make_test_certificate(scratch_);
    const ReverseProxy proxy(kind, server_dir_, cert, testing::pick_free_loopback_port(),
                             testing::pick_free_loopback_port(), shipped);
    const auto [code, said] = proxy.check();
    EXPECT_EQ(code, 0) << said;
    EXPECT_NE(said.find(success), std::string::npos) << said;
    // The paths it names are the test's own (random) directories: no reading words into those.
    std::string words = said;
    for (const auto& dir : {server_dir_.path().string(), scratch_.path().string()}) {
      for (auto at = words.find(dir); at != std::string::npos; at = words.find(dir, at)) words.replace(at, dir.size(), "DIR");
    }
    std::transform(words.begin(), words.end(), words.begin(), [](unsigned char c) { return std::tolower(c); });
    for (const char* bad : {"emerg", "alert", "crit", "error", "warn"}) {
      EXPECT_EQ(words.find(bad), std::string::npos) << "\"" << bad << "\" in what " << kind << " said:\n" << said;
    }
  }

  TempDir scratch_{"sshrelay-login-variant"};
  TempDir server_dir_{"sshrelay-login-variant-server"};
};

TEST_F(ReverseProxyLoginVariantTest, NginxAcceptsTheOAuth2ProxyVariant) {
  expect_accepted("nginx", "deploy/nginx/sshrelay-oauth2-proxy.conf", "test is successful");
}

TEST_F(ReverseProxyLoginVariantTest, ApacheWithModAuthOpenidcAcceptsTheOpenidcVariant) {
  ASSERT_TRUE(std::filesystem::exists("/usr/lib/apache2/modules/mod_auth_openidc.so"))
      << "mod_auth_openidc is missing: apt-get install libapache2-mod-auth-openidc";
  expect_accepted("apache", "deploy/apache/sshrelay-openidc.conf", "Syntax OK");
}

// There is no oauth2-proxy in Debian to load oauth2-proxy.cfg. What can be checked: it is TOML (python3's
// tomllib reads it), and it agrees with the nginx variant on everything the two share.
TEST_F(ReverseProxyLoginVariantTest, OAuth2ProxyConfigAgreesWithTheNginxVariant) {
  const auto json = scratch_.file("oauth2-proxy.json");
  ASSERT_EQ(testing::run({"python3", "-c", "import json, sys, tomllib; json.dump(tomllib.load(open(sys.argv[1], 'rb')), sys.stdout)",
                          source_tree() + "/deploy/nginx/oauth2-proxy.cfg"},
                         "", json, scratch_.file("python.err"), 60s),
            0)
      << testing::read_file(scratch_.file("python.err"));
  const auto cfg = nlohmann::json::parse(testing::read_file(json));
  const auto nginx = testing::read_file(source_tree() + "/deploy/nginx/sshrelay-oauth2-proxy.conf");

  // nginx reaches oauth2-proxy where it listens.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(nginx, m, std::regex(R"(upstream oauth2_proxy \{\s*server ([^;\s]+);)")));
  EXPECT_EQ(cfg.value("http_address", ""), m[1].str());
  ASSERT_NE(nginx.find("proxy_pass       http://oauth2_proxy;"), std::string::npos);

  // The callback is under /oauth2/ on nginx's host name (nginx passes /oauth2/ to oauth2-proxy), and sign-in
  // may send the user back to that host.
  ASSERT_TRUE(std::regex_search(nginx, m, std::regex(R"(server_name ([^;\s]+);)")));
  const std::string host = m[1].str();
  ASSERT_NE(nginx.find("location /oauth2/ {"), std::string::npos);
  EXPECT_EQ(cfg.value("redirect_url", "").rfind("https://" + host + "/oauth2/", 0), 0u) << cfg.dump();
  EXPECT_EQ(cfg.value("whitelist_domains", nlohmann::json::array()), nlohmann::json::array({host})) << cfg.dump();

  // auth_request mode, and the response headers nginx passes on to the relay are the ones oauth2-proxy sets.
  EXPECT_EQ(cfg.value("reverse_proxy", false), true);
  EXPECT_EQ(cfg.value("upstreams", nlohmann::json::array()), nlohmann::json::array({"static://202"}));
  EXPECT_NE(nginx.find("$upstream_http_authorization"), std::string::npos);
  EXPECT_EQ(cfg.value("set_authorization_header", false), true);
  EXPECT_NE(nginx.find("$upstream_http_x_auth_request_email"), std::string::npos);
  EXPECT_EQ(cfg.value("set_xauthrequest", false), true);

  // The extension's cross-site WebSocket carries only a SameSite=None; Secure cookie.
  EXPECT_EQ(cfg.value("cookie_samesite", ""), "none");
  EXPECT_EQ(cfg.value("cookie_secure", false), true);
}

// Caddy's wildcard site for tunnels (the shipped Caddyfile's *.tunnels.example.com block): a visitor's HTTPS
// request for <subdomain>.tunnels.localhost goes through Caddy to the relay, which hands it to the tunnel
// whose client (`sshrelay tunnel`) serves it from Python's HTTP server.
TEST(ReverseProxyTunnelTest, CaddysWildcardSiteReachesATunnel) {
  TempDir scratch("sshrelay-caddy-tunnel");
  TempDir server_dir("sshrelay-caddy-tunnel-server");
  const auto cert = testing::make_test_certificate(scratch, {"*.tunnels.localhost"});
  const auto https_port = testing::pick_free_loopback_port();
  RelayDaemon relay;
  relay.start(relayd_path(), {"--tunnels", "--tunnel-domain", "tunnels.localhost", "--public-port", std::to_string(https_port),
                              "--trusted-proxies", "127.0.0.1/32,::1/128"});
  ReverseProxy caddy("caddy", server_dir, cert, relay.port(), https_port);
  caddy.start();
  TunnelSite site(scratch);
  const auto out = scratch.file("tunnel.out");
  testing::Process cli({SSHRELAY_CLI_PATH, "tunnel", "--relay", "ws://127.0.0.1:" + std::to_string(relay.port()), "--to",
                        "127.0.0.1:" + std::to_string(site.port())},
                       testing::ProcessIo{"", out, scratch.file("tunnel.err")});
  std::smatch m;
  std::string said;
  const std::regex url(R"(https://([0-9a-f]{16})\.tunnels\.localhost:(\d+))");
  ASSERT_TRUE(wait_until([&] {
    said = std::filesystem::exists(out) ? testing::read_file(out) : "";
    return std::regex_search(said, m, url) || !cli.running();
  }, 60s)) << testing::file_tail(scratch.file("tunnel.err")) << relay.log_text();
  ASSERT_TRUE(std::regex_search(said, m, url)) << said << testing::file_tail(scratch.file("tunnel.err"));
  EXPECT_EQ(m[2].str(), std::to_string(https_port)) << "the URL names the proxy's port, the relay's public one";
  const std::string host = m[1].str() + ".tunnels.localhost";
  const std::string port = std::to_string(https_port);
  const auto body = scratch.file("body");
  ASSERT_EQ(testing::run({"curl", "--silent", "--show-error", "--fail", "--cacert", cert.cert, "--resolve", host + ":" + port + ":127.0.0.1",
                          "-o", body, "https://" + host + ":" + port + "/hello"},
                         "", scratch.file("curl.out"), scratch.file("curl.err"), 120s),
            0)
      << testing::read_file(scratch.file("curl.err")) << caddy.log() << relay.log_text();
  EXPECT_EQ(testing::read_file(body), "hello through the tunnel\n");
}

}  // namespace
}  // namespace sshrelay::itest
