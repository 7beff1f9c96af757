#include "tests/integration/token_authority.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "tests/support/files.hpp"
#include "tests/support/test_certificate.hpp"

namespace sshrelay::itest {
namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using namespace std::chrono_literals;

// Generous: node starting (and answering) on a loaded machine is slow; the bounds only cost time on failure.
constexpr auto kStartTimeout = 120s;
constexpr auto kRequestTimeout = 60s;

// One npm install at a time across test processes (ctest -j runs tests in parallel).
class InstallLock {
 public:
  InstallLock() : fd_(::open("/tmp/sshrelay-token-authority-npm.lock", O_CREAT | O_RDWR | O_CLOEXEC, 0666)) {
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~InstallLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  InstallLock(const InstallLock&) = delete;
  InstallLock& operator=(const InstallLock&) = delete;

 private:
  int fd_;
};

bool dependencies_installed(const fs::path& dir) { return fs::exists(dir / "node_modules" / "jose" / "package.json"); }

// `npm ci` only when node_modules lacks jose: offline runs with the dependencies present never touch the
// registry. --prefer-offline uses npm's cache when it has the exact version.
void ensure_dependencies(const testing::TempDir& scratch) {
  const fs::path dir = token_authority_dir();
  if (dependencies_installed(dir)) return;
  InstallLock lock;
  if (dependencies_installed(dir)) return;  // another test installed them while we waited
  const std::string log = scratch.file("npm.log");
  const int code = testing::run({"npm", "ci", "--prefix", dir.string(), "--no-audit", "--no-fund", "--prefer-offline"},
                                "", log, log, 300s);
  if (code != 0 || !dependencies_installed(dir)) {
    throw std::runtime_error("npm ci --prefix " + dir.string() + " failed (exit " + std::to_string(code) +
                             "); the token authority needs npm `jose` from the registry once:\n" +
                             testing::file_tail(log));
  }
}

// The {"port":N} line, once node has written it.
std::optional<std::uint16_t> ready_port(const std::string& log) {
  std::ifstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line.front() != '{') continue;
    const auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_object() && json.contains("port") && json["port"].is_number_unsigned()) {
      return static_cast<std::uint16_t>(json["port"].get<unsigned>());
    }
  }
  return std::nullopt;
}

}  // namespace

std::string token_authority_dir() {
  // This file is tests/integration/token_authority.cpp; the fixture is tests/fixtures/token_authority.
  return (fs::path(__FILE__).parent_path().parent_path() / "fixtures" / "token_authority").lexically_normal().string();
}

TokenAuthority::TokenAuthority() {
  const auto made = testing::make_test_certificate(dir_);
  cert_ = made.cert;
  key_ = made.key;
  log_ = dir_.file("authority.log");
  ensure_dependencies(dir_);

  const std::string script = (fs::path(token_authority_dir()) / "server.mjs").string();
  process_.emplace(std::vector<std::string>{"node", script, "--cert", cert_, "--key", key_},
                   testing::ProcessIo{"", log_, log_, {}});
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  for (;;) {
    if (auto port = ready_port(log_)) {
      port_ = *port;
      return;
    }
    if (!process_->running()) {
      throw std::runtime_error("the token authority exited with " + std::to_string(process_->exit_code().value_or(-1)) +
                               ":\n" + testing::file_tail(log_));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      throw std::runtime_error("the token authority printed no port within " + std::to_string(kStartTimeout.count()) +
                               " s:\n" + testing::file_tail(log_));
    }
    std::this_thread::sleep_for(20ms);
  }
}

TokenAuthority::~TokenAuthority() {
  if (process_ && process_->running()) process_->terminate(SIGTERM, 30s);
}

std::string TokenAuthority::origin() const { return "https://127.0.0.1:" + std::to_string(port_); }

std::string TokenAuthority::log_tail() const { return testing::file_tail(log_); }

nlohmann::json TokenAuthority::call(const std::string& method, const std::string& path, const nlohmann::json& body) {
  net::io_context ioc;
  ssl::context tls(ssl::context::tls_client);
  tls.load_verify_file(cert_);
  tls.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(ioc, tls);
  stream.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  auto& connection = beast::get_lowest_layer(stream);
  connection.expires_after(kRequestTimeout);

  http::request<http::string_body> req{http::string_to_verb(method), path, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port_));
  req.set(http::field::connection, "close");
  if (!body.is_null()) {
    req.set(http::field::content_type, "application/json");
    req.body() = body.dump();
  }
  req.prepare_payload();

  http::response<http::string_body> res;
  beast::error_code ec;
  beast::flat_buffer buffer;
  const auto step = [&](const char* what) {
    if (ec) throw std::runtime_error(std::string("token authority ") + method + " " + path + ": " + what + ": " + ec.message());
  };
  // Asynchronous operations so that the tcp_stream deadline applies; run until each completes.
  connection.async_connect(net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), [&](beast::error_code e) { ec = e; });
  ioc.run();
  step("connect");
  ioc.restart();
  stream.async_handshake(ssl::stream_base::client, [&](beast::error_code e) { ec = e; });
  ioc.run();
  step("TLS handshake");
  ioc.restart();
  http::async_write(stream, req, [&](beast::error_code e, std::size_t) { ec = e; });
  ioc.run();
  step("write");
  ioc.restart();
  http::async_read(stream, buffer, res, [&](beast::error_code e, std::size_t) { ec = e; });
  ioc.run();
  step("read");
  if (res.result() != http::status::ok) {
    throw std::runtime_error("token authority " + method + " " + path + ": HTTP " + std::to_string(res.result_int()) + " " +
                             res.body() + "\n" + log_tail());
  }
  return nlohmann::json::parse(res.body());
}

std::string TokenAuthority::mint(const nlohmann::json& request) {
  return call("POST", "/mint", request).at("token").get<std::string>();
}

nlohmann::json TokenAuthority::rotate() { return call("POST", "/rotate", nlohmann::json::object()).at("kids"); }
void TokenAuthority::down() { call("POST", "/down", nlohmann::json::object()); }
void TokenAuthority::up() { call("POST", "/up", nlohmann::json::object()); }
nlohmann::json TokenAuthority::stats() { return call("GET", "/stats"); }
nlohmann::json TokenAuthority::set_discovery(const nlohmann::json& overrides) {
  return call("POST", "/discovery", overrides);
}

}  // namespace sshrelay::itest
