// `sshrelay proxy` command line: what a good one yields, and that every bad one is a UsageError naming
// the flag (the CLI turns it into exit code 2).
#include "native/cli/proxy_options.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace sshrelay::cli {
namespace {

using namespace std::chrono_literals;

// Sets an environment variable for one test, and removes it again.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

ProxyOptions parse(std::initializer_list<std::string> args) {
  const auto result = parse_proxy_command_line(std::vector<std::string>(args));
  EXPECT_FALSE(result.help);
  return result.options;
}

TEST(CliOptions, ProxyCommandDefaults) {
  const auto o = parse({"--relay", "wss://relay.example.com", "db1", "22"});
  EXPECT_TRUE(o.relay.tls);
  EXPECT_EQ(o.relay.host, "relay.example.com");
  EXPECT_EQ(o.relay.port, 443);
  EXPECT_EQ(o.host, "db1");
  EXPECT_EQ(o.port, 22);
  EXPECT_EQ(o.user, "");
  EXPECT_TRUE(o.headers.empty());
  EXPECT_EQ(o.token_header, "Authorization");
  EXPECT_EQ(o.reconnect_timeout, 120s) << "defaults to the relay's default grace period";
  EXPECT_EQ(o.connect_timeout, 10s);
  EXPECT_FALSE(o.listen);
  EXPECT_FALSE(o.verbose);
  EXPECT_FALSE(o.quiet);
  EXPECT_FALSE(o.insecure);
  EXPECT_EQ(o.shape, client::RelayShape::v4) << "the resumable endpoint unless told otherwise";
}

TEST(CliOptions, ShapeChoosesTheRelayEndpoint) {
  EXPECT_EQ(parse({"--relay", "ws://127.0.0.1:1", "--shape", "relay", "h", "22"}).shape, client::RelayShape::raw);
  EXPECT_EQ(parse({"--relay", "ws://127.0.0.1:1", "--shape", "v4", "h", "22"}).shape, client::RelayShape::v4);
}

TEST(CliOptions, EveryFlag) {
  const auto o = parse({"-r", "ws://127.0.0.1:8080/prefix", "-l", "alice", "-H", "X-A: 1", "--header", "X-B:two words",
                        "--cookie", "a=1", "--cookie", "b=2", "--token-cmd", "printf tok", "--token-header",
                        "cf-access-token", "--token-cmd-timeout", "5", "--ca-file", "/tmp/ca.pem", "--insecure",
                        "--tls-server-name", "relay.internal", "--origin", "https://x.example", "--connect-timeout", "3",
                        "--reconnect-timeout", "0", "--listen", "127.0.0.1:2222", "-v", "--stats-interval", "2",
                        "DB1.Example.com", "2200"});
  EXPECT_FALSE(o.relay.tls);
  EXPECT_EQ(o.relay.path_prefix, "/prefix");
  EXPECT_EQ(o.user, "alice");
  ASSERT_EQ(o.headers.size(), 3u);
  EXPECT_EQ(o.headers[0], (std::pair<std::string, std::string>{"X-A", "1"}));
  EXPECT_EQ(o.headers[1], (std::pair<std::string, std::string>{"X-B", "two words"}));
  EXPECT_EQ(o.headers[2], (std::pair<std::string, std::string>{"Cookie", "a=1; b=2"}));
  EXPECT_EQ(o.token_cmd, "printf tok");
  EXPECT_EQ(o.token_header, "cf-access-token");
  EXPECT_EQ(o.token_cmd_timeout, 5s);
  EXPECT_EQ(o.ca_file, "/tmp/ca.pem");
  EXPECT_TRUE(o.insecure);
  EXPECT_EQ(o.tls_server_name, "relay.internal");
  EXPECT_EQ(o.origin, "https://x.example");
  EXPECT_EQ(o.connect_timeout, 3s);
  EXPECT_EQ(o.reconnect_timeout, 0s);
  ASSERT_TRUE(o.listen);
  EXPECT_EQ(o.listen->to_string(), "127.0.0.1:2222");
  EXPECT_TRUE(o.verbose);
  EXPECT_EQ(o.stats_interval, 2s);
  EXPECT_EQ(o.host, "db1.example.com");
  EXPECT_EQ(o.port, 2200);
}

TEST(CliOptions, Help) {
  EXPECT_TRUE(parse_proxy_command_line({"--help"}).help);
  EXPECT_TRUE(parse_proxy_command_line({"-h"}).help);
  const auto help = proxy_help();
  EXPECT_NE(help.find("Exit codes:"), std::string::npos);
  EXPECT_NE(help.find("SSHRELAY_RELAY"), std::string::npos);
}

TEST(CliOptions, EnvironmentFillsInAndFlagsWin) {
  ScopedEnv relay("SSHRELAY_RELAY", "wss://env.example.com");
  ScopedEnv cmd("SSHRELAY_TOKEN_CMD", "env-token-cmd");
  ScopedEnv budget("SSHRELAY_RECONNECT_TIMEOUT", "30");
  ScopedEnv unrelated("SSHRELAY_SOMETHING_ELSE", "ignored");
  auto o = parse({"h", "22"});
  EXPECT_EQ(o.relay.host, "env.example.com");
  EXPECT_EQ(o.token_cmd, "env-token-cmd");
  EXPECT_EQ(o.reconnect_timeout, 30s);
  o = parse({"--relay", "ws://flag.example.com", "--reconnect-timeout", "7", "h", "22"});
  EXPECT_EQ(o.relay.host, "flag.example.com");
  EXPECT_EQ(o.reconnect_timeout, 7s);
}

TEST(CliOptions, ErrorsNameTheFlag) {
  const std::string relay = "ws://127.0.0.1:1";
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"h", "22"}, "--relay"},
      {{"--relay", "http://x", "h", "22"}, "--relay"},
      {{"--relay", relay}, "HOST and PORT"},
      {{"--relay", relay, "h"}, "HOST and PORT"},
      {{"--relay", relay, "h", "22", "extra"}, "positional"},
      {{"--relay", relay, "h", "port"}, "PORT 'port'"},
      {{"--relay", relay, "h", "70000"}, "PORT '70000'"},
      {{"--relay", relay, "bad host", "22"}, "HOST 'bad host'"},
      {{"--relay", relay, "--bogus", "h", "22"}, "--bogus"},
      {{"--relay", relay, "--rel", "h", "22"}, "--rel"},  // no guessing of abbreviations
      {{"--relay", relay, "--header", "nocolon", "h", "22"}, "--header 'nocolon'"},
      {{"--relay", relay, "--header", "bad name: v", "h", "22"}, "--header"},
      {{"--relay", relay, "--header", "X: a\rb", "h", "22"}, "--header"},
      {{"--relay", relay, "--cookie", "novalue", "h", "22"}, "--cookie 'novalue'"},
      {{"--relay", relay, "--cookie", "a=b;c=d", "h", "22"}, "--cookie"},
      {{"--relay", relay, "--token-file", "f", "--token-cmd", "c", "h", "22"}, "--token-file and --token-cmd"},
      {{"--relay", relay, "--token-cmd", "", "h", "22"}, "--token-cmd"},
      {{"--relay", relay, "--token-header", "not a name", "h", "22"}, "--token-header"},
      {{"--relay", relay, "--reconnect-timeout", "abc", "h", "22"}, "--reconnect-timeout"},
      {{"--relay", relay, "--reconnect-timeout", "-1", "h", "22"}, "--reconnect-timeout"},
      {{"--relay", relay, "--reconnect-timeout", "86401", "h", "22"}, "--reconnect-timeout"},
      {{"--relay", relay, "--connect-timeout", "0", "h", "22"}, "--connect-timeout"},
      {{"--relay", relay, "--shape", "websocket", "h", "22"}, "--shape 'websocket': expected v4 or relay"},
      {{"--relay", relay, "--stats-interval", "0", "h", "22"}, "--stats-interval"},
      {{"--relay", relay, "--listen", "nonsense", "h", "22"}, "--listen 'nonsense'"},
      {{"--relay", relay, "--listen", "example.com:22", "h", "22"}, "--listen"},
      {{"--relay", relay, "--listen", "127.0.0.1:99999", "h", "22"}, "--listen"},
      {{"--relay", relay, "-v", "-q", "h", "22"}, "--quiet"},
      {{"--relay", relay, "--user", std::string("a\nb"), "h", "22"}, "--user"},
  };
  for (const auto& [args, expected] : cases) {
    std::string error;
    try {
      parse_proxy_command_line(args);
      ADD_FAILURE() << "accepted: " << ::testing::PrintToString(args);
      continue;
    } catch (const UsageError& e) {
      error = e.what();
    }
    EXPECT_NE(error.find(expected), std::string::npos) << ::testing::PrintToString(args) << " -> " << error;
  }
}

TEST(CliOptions, ListenAddresses) {
  EXPECT_EQ(parse_listen_address("2222").to_string(), "127.0.0.1:2222");
  EXPECT_EQ(parse_listen_address("localhost:2222").to_string(), "127.0.0.1:2222");
  EXPECT_EQ(parse_listen_address("127.0.0.1:0").port, 0);
  EXPECT_EQ(parse_listen_address("[::1]:2222").to_string(), "[::1]:2222");
  EXPECT_TRUE(parse_listen_address("[::1]:2222").loopback());
  const auto any = parse_listen_address("0.0.0.0:2222");
  EXPECT_EQ(any.address, "0.0.0.0");
  EXPECT_FALSE(any.loopback());
  EXPECT_THROW(parse_listen_address(":"), UsageError);
  EXPECT_THROW(parse_listen_address(""), UsageError);
}

}  // namespace
}  // namespace sshrelay::cli
