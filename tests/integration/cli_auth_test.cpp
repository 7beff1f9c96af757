// Credentials `sshrelay proxy` sends to the relay, checked against a scripted stand-in relay that records
// every upgrade request: fixed --header/--cookie, --token-file, and --token-cmd re-run when its JWT has
// expired (for a reconnect) or when the relay refuses it (HTTP 401 or close 4401), but not otherwise.
#include <gtest/gtest.h>

#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/wire/v4_frame.hpp"
#include "tests/integration/harness.hpp"
#include "tests/support/files.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::itest {
namespace {

namespace http = beast::http;

constexpr const char* kSid = "fake-session-0001";
constexpr const char* kJwtHeader = "eyJhbGciOiJub25lIn0";       // {"alg":"none"}
constexpr const char* kExpiredPayload = "eyJleHAiOjF9";          // {"exp":1}
constexpr const char* kValidPayload = "eyJleHAiOjQxMDI0NDQ4MDB9";  // {"exp":4102444800} (year 2100)

struct SeenRequest {
  std::string target;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// How the stand-in answers one connection.
enum class Answer {
  refuse_401,            // HTTP 401 to the upgrade
  close_4401,            // upgrade, then close 4401 before CONNECT_SUCCESS
  connect_then_close,    // CONNECT_SUCCESS, then close 1000 "bye"
  connect_then_reset,    // CONNECT_SUCCESS, then a TCP reset: the client resumes
  resume_then_close,     // RECONNECT_SUCCESS(0), then close 1000 "bye after reconnect"
};

// A relay stand-in on a TcpTarget: the i-th connection gets answers[i] (the last one repeats).
// `client_log` is the CLI's stderr (it runs with -v): connect_then_reset resets only once the CLI has
// logged that it read CONNECT_SUCCESS, so the reset always hits an established session.
class FakeRelay {
 public:
  FakeRelay(std::vector<Answer> answers, std::string client_log)
      : answers_(std::move(answers)), client_log_(std::move(client_log)) {}

  std::uint16_t port() const { return target_.port(); }
  std::vector<SeenRequest> requests() const {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  void serve(tcp::socket& socket) {
    beast::flat_buffer buffer;
    http::request<http::string_body> req;
    error_code ec;
    http::read(socket, buffer, req, ec);
    if (ec) return;
    std::size_t index = 0;
    {
      SeenRequest seen;
      seen.target = std::string(req.target());
      for (const auto& field : req) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        seen.headers[name] = std::string(field.value());
      }
      std::lock_guard lock(mutex_);
      index = seen_.size();
      seen_.push_back(std::move(seen));
    }
    const Answer answer = answers_[std::min(index, answers_.size() - 1)];
    if (answer == Answer::refuse_401) {
      http::response<http::string_body> res{http::status::unauthorized, req.version()};
      res.body() = "token expired";
      res.prepare_payload();
      http::write(socket, res, ec);
      return;
    }
    websocket::stream<tcp::socket&> ws(socket);
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::sec_websocket_protocol, "ssh"); }));
    ws.accept(req, ec);
    if (ec) return;
    ws.binary(true);
    const auto send = [&](const v4::Frame& frame) {
      const auto bytes = v4::encode(frame);
      ws.write(asio::buffer(bytes), ec);
    };
    switch (answer) {
      case Answer::close_4401:
        ws.close(websocket::close_reason(static_cast<websocket::close_code>(4401), "identity token expired"), ec);
        return;
      case Answer::connect_then_close:
        send(v4::ConnectSuccess{kSid});
        ws.close(websocket::close_reason(websocket::close_code::normal, "bye"), ec);
        return;
      case Answer::connect_then_reset:
        send(v4::ConnectSuccess{kSid});
        // Let the client read it before the reset (a reset could otherwise overtake it).
        if (!wait_until([&] { return testing::read_file(client_log_).find("] CONNECT_SUCCESS") != std::string::npos; },
                        60s)) {
          ADD_FAILURE() << "the CLI never logged CONNECT_SUCCESS:\n" << testing::file_tail(client_log_);
        }
        socket.set_option(asio::socket_base::linger(true, 0), ec);
        socket.close(ec);
        return;
      case Answer::resume_then_close:
        send(v4::ReconnectSuccess{0});
        ws.close(websocket::close_reason(websocket::close_code::normal, "bye after reconnect"), ec);
        return;
      case Answer::refuse_401:
        return;
    }
  }

  std::vector<Answer> answers_;
  std::string client_log_;
  mutable std::mutex mutex_;
  std::vector<SeenRequest> seen_;
  TcpTarget target_{[this](tcp::socket& socket) { serve(socket); }};  // last: serve() uses the members above
};

class CliAuthTest : public ::testing::Test {
 protected:
  // A --token-cmd script printing "<header>.<payload>.sigN" for its N-th run (counted in a file).
  std::string token_script(const std::string& payload) {
    const auto script = dir_.file("token.sh");
    testing::write_file(script,
                        "#!/bin/sh\n"
                        "n=$(cat '" + counter() + "' 2>/dev/null || echo 0)\n"
                        "n=$((n + 1))\n"
                        "echo \"$n\" > '" + counter() + "'\n"
                        "printf '%s.%s.sig%s\\n' " + kJwtHeader + " " + payload + " \"$n\"\n",
                        0755);
    return script;
  }
  std::string token(const std::string& payload, int run) const {
    return std::string(kJwtHeader) + "." + payload + ".sig" + std::to_string(run);
  }
  int command_runs() const {
    try {
      return std::stoi(testing::read_file(counter()));
    } catch (const std::exception&) {
      return 0;
    }
  }
  std::string counter() const { return dir_.file("runs"); }

  int run_cli(const FakeRelay& relay, const std::vector<std::string>& flags) {
    std::vector<std::string> argv = {SSHRELAY_CLI_PATH, "proxy", "--relay", "ws://127.0.0.1:" + std::to_string(relay.port()), "-v"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(), {"db1.example", "22"});
    return testing::run(argv, "", out(), err(), 120s);
  }
  std::string out() const { return dir_.file("cli.out"); }
  std::string err() const { return dir_.file("cli.err"); }
  std::string describe() const { return "\n--- sshrelay stderr:\n" + testing::file_tail(err()); }

  testing::TempDir dir_{"sshrelay-cli-auth"};
};

TEST_F(CliAuthTest, SendsHeadersCookiesAndTheTokenFile) {
  FakeRelay relay({Answer::connect_then_close}, err());
  const auto token_file = dir_.file("token");
  testing::write_file(token_file, "  file-token-123\n", 0600);
  ASSERT_EQ(run_cli(relay, {"-l", "alice", "--header", "X-Team: blue", "-H", "X-Other:  two words ", "--cookie", "a=1",
                            "--cookie", "CF_Authorization=xyz", "--token-file", token_file}),
            0)
      << describe();
  const auto requests = relay.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& r = requests[0];
  EXPECT_EQ(r.target, "/v4/connect?host=db1.example&port=22&dstUsername=alice");
  EXPECT_EQ(r.header("authorization"), "Bearer file-token-123");
  EXPECT_EQ(r.header("x-team"), "blue");
  EXPECT_EQ(r.header("x-other"), "two words");
  EXPECT_EQ(r.header("cookie"), "a=1; CF_Authorization=xyz");
  EXPECT_EQ(r.header("sec-websocket-protocol"), "ssh");
  EXPECT_NE(r.header("user-agent").find("sshrelay"), std::string::npos);
  EXPECT_NE(testing::read_file(err()).find("close 1000 \"bye\""), std::string::npos) << describe();
  EXPECT_EQ(testing::read_file(out()), "");
}

TEST_F(CliAuthTest, TokenHeaderNameCarriesTheBareToken) {
  FakeRelay relay({Answer::connect_then_close}, err());
  const auto token_file = dir_.file("token");
  testing::write_file(token_file, "cf-jwt\n", 0600);
  ASSERT_EQ(run_cli(relay, {"--token-file", token_file, "--token-header", "cf-access-token"}), 0) << describe();
  const auto requests = relay.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].header("cf-access-token"), "cf-jwt");
  EXPECT_EQ(requests[0].header("authorization"), "");
}

TEST_F(CliAuthTest, ExpiredTokenIsRefetchedForTheReconnect) {
  FakeRelay relay({Answer::connect_then_reset, Answer::resume_then_close}, err());
  ASSERT_EQ(run_cli(relay, {"--token-cmd", token_script(kExpiredPayload)}), 0) << describe();
  const auto requests = relay.requests();
  ASSERT_EQ(requests.size(), 2u) << describe();
  EXPECT_EQ(requests[0].header("authorization"), "Bearer " + token(kExpiredPayload, 1));
  EXPECT_EQ(requests[1].target, std::string("/v4/reconnect?sid=") + kSid + "&ack=0");
  EXPECT_EQ(requests[1].header("authorization"), "Bearer " + token(kExpiredPayload, 2));
  EXPECT_EQ(command_runs(), 2);
}

TEST_F(CliAuthTest, ValidTokenIsReusedForTheReconnect) {
  FakeRelay relay({Answer::connect_then_reset, Answer::resume_then_close}, err());
  ASSERT_EQ(run_cli(relay, {"--token-cmd", token_script(kValidPayload)}), 0) << describe();
  const auto requests = relay.requests();
  ASSERT_EQ(requests.size(), 2u) << describe();
  EXPECT_EQ(requests[0].header("authorization"), "Bearer " + token(kValidPayload, 1));
  EXPECT_EQ(requests[1].header("authorization"), "Bearer " + token(kValidPayload, 1));
  EXPECT_EQ(command_runs(), 1);
}

TEST_F(CliAuthTest, Http401RerunsTheTokenCmdAndRetries) {
  FakeRelay relay({Answer::refuse_401, Answer::connect_then_close}, err());
  ASSERT_EQ(run_cli(relay, {"--token-cmd", token_script(kValidPayload)}), 0) << describe();
  const auto requests = relay.requests();
  ASSERT_EQ(requests.size(), 2u) << describe();
  EXPECT_EQ(requests[0].header("authorization"), "Bearer " + token(kValidPayload, 1));
  EXPECT_EQ(requests[1].header("authorization"), "Bearer " + token(kValidPayload, 2));
  EXPECT_EQ(command_runs(), 2);
}

TEST_F(CliAuthTest, Close4401RerunsTheTokenCmdAndRetries) {
  FakeRelay relay({Answer::close_4401, Answer::connect_then_close}, err());
  ASSERT_EQ(run_cli(relay, {"--token-cmd", token_script(kValidPayload)}), 0) << describe();
  const auto requests = relay.requests();
  ASSERT_EQ(requests.size(), 2u) << describe();
  EXPECT_EQ(requests[1].target, "/v4/connect?host=db1.example&port=22&dstUsername=");
  EXPECT_EQ(requests[1].header("authorization"), "Bearer " + token(kValidPayload, 2));
  EXPECT_EQ(command_runs(), 2);
}

TEST_F(CliAuthTest, RepeatedRefusalExitsSix) {
  FakeRelay relay({Answer::refuse_401}, err());
  ASSERT_EQ(run_cli(relay, {"--token-cmd", token_script(kValidPayload)}), 6) << describe();
  EXPECT_EQ(relay.requests().size(), 2u) << "one retry with a fresh token, no more";
  EXPECT_NE(testing::read_file(err()).find("HTTP 401"), std::string::npos) << describe();
}

TEST_F(CliAuthTest, FailingTokenCmdExitsSixWithItsOutput) {
  FakeRelay relay({Answer::connect_then_close}, err());
  ASSERT_EQ(run_cli(relay, {"--token-cmd", "echo please log in first >&2; exit 3"}), 6) << describe();
  const auto err_text = testing::read_file(err());
  EXPECT_NE(err_text.find("please log in first"), std::string::npos) << describe();
  EXPECT_NE(err_text.find("--token-cmd"), std::string::npos) << describe();
  EXPECT_NE(err_text.find("exited with status 3"), std::string::npos) << describe();
  EXPECT_TRUE(relay.requests().empty());
  EXPECT_EQ(testing::read_file(out()), "");
}

}  // namespace
}  // namespace sshrelay::itest
