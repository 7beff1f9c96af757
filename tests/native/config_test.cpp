#include "native/daemon/config.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

namespace sshrelay::daemon {
namespace {

namespace fs = std::filesystem;
using Env = std::map<std::string, std::string>;
using namespace std::chrono_literals;

// Exactly these flags and variables.
ConfigParse parse_exactly(const std::vector<std::string>& args, const Env& env) {
  std::vector<const char*> argv{"sshrelayd"};
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);
  return parse_daemon_config(static_cast<int>(argv.size() - 1), argv.data(), env);
}

// As most tests want it: an identity provider is required, so unless the test picks one (or --dev),
// RELAY_IDENTITY_PROVIDER=none with RELAY_IDENTITY_UPSTREAM_ENFORCES_AUTH=yes fill in (flags win).
ConfigParse parse(std::initializer_list<std::string> args, const Env& env = {}) {
  const std::vector<std::string> owned(args);
  Env with_identity = env;
  const bool picks = std::any_of(owned.begin(), owned.end(), [](const std::string& a) {
    return a.starts_with("--identity-provider") || a == "--dev";
  });
  if (!picks && !env.contains("RELAY_IDENTITY_PROVIDER")) {
    with_identity.emplace("RELAY_IDENTITY_PROVIDER", "none");
    with_identity.emplace("RELAY_IDENTITY_UPSTREAM_ENFORCES_AUTH", "yes");
  }
  return parse_exactly(owned, with_identity);
}

DaemonConfig config_of(const ConfigParse& r) {
  if (const auto* e = std::get_if<ConfigError>(&r)) ADD_FAILURE() << "unexpected ConfigError: " << e->message;
  if (std::holds_alternative<HelpRequested>(r)) ADD_FAILURE() << "unexpected HelpRequested";
  const auto* c = std::get_if<DaemonConfig>(&r);
  return c ? *c : DaemonConfig{};
}

std::string error_of(const ConfigParse& r) {
  if (const auto* e = std::get_if<ConfigError>(&r)) return e->message;
  ADD_FAILURE() << "expected a ConfigError";
  return {};
}

#define EXPECT_MENTIONS(haystack, needle) EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)

// A private directory removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "sshrelay-config-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string write(const std::string& name, const std::string& content) const {
    const fs::path p = path_ / name;
    std::ofstream(p) << content;
    return p.string();
  }
  std::string path(const std::string& name) const { return (path_ / name).string(); }
  std::string dir() const { return path_.string(); }

 private:
  fs::path path_;
};

// ---------------------------------------------------------------------------------------------------
// Defaults

TEST(Config, Defaults) {
  const DaemonConfig c = config_of(parse({}));
  ASSERT_EQ(c.listen.size(), 1u);
  EXPECT_EQ(c.listen[0].host, "127.0.0.1");
  EXPECT_EQ(c.listen[0].port, 8080);
  EXPECT_EQ(c.public_host, "127.0.0.1");
  EXPECT_EQ(c.public_port, 8080);
  EXPECT_EQ(c.grace, 120s);
  EXPECT_EQ(c.max_replay_buffer, 4u << 20);
  EXPECT_EQ(c.max_replay_memory, 256u << 20);
  EXPECT_EQ(c.allowed_origins, (std::vector<std::string>{"chrome-extension://iodihamcpbpeioajjeobimgagajmlibd",
                                                         "chrome-extension://algkcnfjnajfhgimadimbjhmpaeohhln"}));
  EXPECT_FALSE(c.unsafe_allow_loopback);
  EXPECT_EQ(c.max_sessions_total, 10000u);
  EXPECT_EQ(c.threads, 0u);
  EXPECT_EQ(c.ping_interval, 30s);
  EXPECT_EQ(c.connect_timeout, 10s);
  EXPECT_EQ(c.shutdown_timeout, 5s);
  EXPECT_EQ(c.tls_cert, "");
  EXPECT_EQ(c.tls_key, "");
  EXPECT_EQ(c.web_root, SSHRELAY_DEFAULT_WEB_ROOT);
  EXPECT_EQ(c.ready_file, "");
  EXPECT_EQ(c.log_level, "info");
  EXPECT_FALSE(c.dev);
}

TEST(Config, ParsedDefaultsMatchStructInitializers) {
  const DaemonConfig parsed = config_of(parse({}));
  const DaemonConfig plain;
  EXPECT_EQ(parsed.grace, plain.grace);
  EXPECT_EQ(parsed.max_replay_buffer, plain.max_replay_buffer);
  EXPECT_EQ(parsed.max_replay_memory, plain.max_replay_memory);
  EXPECT_EQ(parsed.unsafe_allow_loopback, plain.unsafe_allow_loopback);
  EXPECT_EQ(parsed.max_sessions_total, plain.max_sessions_total);
  EXPECT_EQ(parsed.threads, plain.threads);
  EXPECT_EQ(parsed.ping_interval, plain.ping_interval);
  EXPECT_EQ(parsed.connect_timeout, plain.connect_timeout);
  EXPECT_EQ(parsed.shutdown_timeout, plain.shutdown_timeout);
  EXPECT_EQ(parsed.log_level, plain.log_level);
  EXPECT_EQ(parsed.dev, plain.dev);
}

// ---------------------------------------------------------------------------------------------------
// Sources and precedence

TEST(Config, FlagsBeatEnvironmentBeatsFileBeatsDefaults) {
  TempDir tmp;
  const std::string file = tmp.write("relay.conf",
                                     "# comment\n"
                                     "grace-seconds = 10\n"
                                     "ping-seconds = 11\n"
                                     "threads = 3\n"
                                     "listen = 127.0.0.1:1001\n"
                                     "listen = 127.0.0.1:1002\n");
  const DaemonConfig c = config_of(parse({"--config", file, "--grace-seconds=30"},
                                         {{"RELAY_GRACE_SECONDS", "20"}, {"RELAY_PING_SECONDS", "21"}}));
  EXPECT_EQ(c.grace, 30s);             // flag
  EXPECT_EQ(c.ping_interval, 21s);     // environment
  EXPECT_EQ(c.threads, 3u);            // file
  EXPECT_EQ(c.connect_timeout, 10s);   // default
  ASSERT_EQ(c.listen.size(), 2u);      // repeated key in the file
  EXPECT_EQ(c.listen[1].port, 1002);
}

TEST(Config, ListsFromAHigherSourceReplaceRatherThanMerge) {
  TempDir tmp;
  const std::string file = tmp.write("relay.conf", "listen = 127.0.0.1:1001\nallowed-origins = https://a.example\n");
  const DaemonConfig env_wins = config_of(parse({"--config", file}, {{"RELAY_LISTEN", "127.0.0.1:2001,[::1]:2002"}}));
  ASSERT_EQ(env_wins.listen.size(), 2u);
  EXPECT_EQ(env_wins.listen[0], (ListenAddress{"127.0.0.1", 2001}));
  EXPECT_EQ(env_wins.listen[1], (ListenAddress{"::1", 2002}));
  EXPECT_EQ(env_wins.allowed_origins, std::vector<std::string>{"https://a.example"});

  const DaemonConfig flag_wins =
      config_of(parse({"--config", file, "--listen", "127.0.0.1:3001"}, {{"RELAY_LISTEN", "127.0.0.1:2001"}}));
  EXPECT_EQ(flag_wins.listen, std::vector<ListenAddress>{(ListenAddress{"127.0.0.1", 3001})});
}

TEST(Config, ConfigFileFromEnvironment) {
  TempDir tmp;
  const std::string file = tmp.write("relay.conf", "max-sessions-total = 7\ndev = yes\n");
  const DaemonConfig c = config_of(parse({}, {{"RELAY_CONFIG", file}}));
  EXPECT_EQ(c.max_sessions_total, 7u);
  EXPECT_TRUE(c.dev);
}

TEST(Config, EnvironmentNamesMapToOptions) {
  const DaemonConfig c = config_of(parse({}, {{"RELAY_GRACE_SECONDS", "7"},
                                              {"RELAY_CONNECT_TIMEOUT_SECONDS", "3"},
                                              {"RELAY_MAX_REPLAY_BUFFER", "1M"},
                                              {"RELAY_PUBLIC_HOST", "relay.example.com"},
                                              {"RELAY_PUBLIC_PORT", "443"},
                                              {"RELAY_UNSAFE_ALLOW_LOOPBACK", "1"}}));
  EXPECT_EQ(c.grace, 7s);
  EXPECT_EQ(c.connect_timeout, 3s);
  EXPECT_EQ(c.max_replay_buffer, 1u << 20);
  EXPECT_EQ(c.public_host, "relay.example.com");
  EXPECT_EQ(c.public_port, 443);
  EXPECT_TRUE(c.unsafe_allow_loopback);
}

TEST(Config, UnknownEnvironmentVariablesAreReportedAndEmptyOnesAreUnset) {
  const ConfigParse r = parse({}, {{"RELAY_NO_SUCH_SETTING", "x"},
                                   {"RELAY_HELP", "1"},
                                   {"RELAY_VERSION", "1"},
                                   {"RELAY_", "x"},
                                   {"RELAY_GRACE_SECOND", "5"},
                                   {"OTHER_GRACE_SECONDS", "abc"},
                                   {"RELAY_THREADS", ""}});
  const DaemonConfig c = config_of(r);
  EXPECT_EQ(c.threads, 0u);
  EXPECT_EQ(c.grace, 120s);  // the misspelt variable did not count
  const std::vector<std::string> expected{
      "RELAY_ names no setting; ignored",
      "RELAY_GRACE_SECOND names no setting (did you mean RELAY_GRACE_SECONDS?); ignored",
      "RELAY_HELP names no setting; ignored",
      "RELAY_NO_SUCH_SETTING names no setting; ignored",
      "RELAY_VERSION names no setting; ignored",
  };
  EXPECT_EQ(c.warnings, expected);  // OTHER_* is not ours to judge
}

// /cookie would send browsers to 0.0.0.0: the start says so.
TEST(Config, ListeningOnAnyAddressWithoutAPublicHostWarns) {
  const DaemonConfig any = config_of(parse({"--listen", "0.0.0.0:8080"}));
  ASSERT_EQ(any.warnings.size(), 1u);
  EXPECT_MENTIONS(any.warnings.front(), "listening on 0.0.0.0 without --public-host (RELAY_PUBLIC_HOST)");
  EXPECT_EQ(config_of(parse({"--listen", "[::]:8080"})).warnings.size(), 1u);
  EXPECT_TRUE(config_of(parse({"--listen", "0.0.0.0:8080", "--public-host", "relay.example.com"})).warnings.empty());
  EXPECT_EQ(config_of(parse({"--listen", "0.0.0.0:8080", "--public-host", "relay.example.com"})).public_port, 443);
  EXPECT_EQ(config_of(parse({"--listen", "127.0.0.1:8080"})).public_port, 8080);
}

TEST(Config, KnownVariablesLeaveNoWarnings) {
  EXPECT_EQ(config_of(parse({}, {{"RELAY_GRACE_SECONDS", "5"}, {"RELAY_CONFIG", ""}})).warnings,
            std::vector<std::string>{});
}

TEST(ConfigErrors, StrictConfigRefusesAVariableThatNamesNoSetting) {
  const std::string message = error_of(parse({"--strict-config"}, {{"RELAY_GRACE_SECOND", "5"}}));
  EXPECT_MENTIONS(message, "--strict-config (RELAY_STRICT_CONFIG)");
  EXPECT_MENTIONS(message, "RELAY_GRACE_SECOND names no setting (did you mean RELAY_GRACE_SECONDS?)");
  EXPECT_MENTIONS(error_of(parse({}, {{"RELAY_STRICT_CONFIG", "yes"}, {"RELAY_AUTH_REQUIRD", "true"}})),
                  "RELAY_AUTH_REQUIRD names no setting (did you mean RELAY_AUTH_REQUIRED?)");
  EXPECT_EQ(config_of(parse({"--strict-config"}, {{"RELAY_GRACE_SECONDS", "5"}})).grace, 5s);
}

TEST(Config, RelayEnvironmentReadsOnlyRelayVariables) {
  ::setenv("RELAY_CONFIG_TEST_PROBE", "a=b", 1);
  ::setenv("NOT_RELAY_CONFIG_TEST_PROBE", "x", 1);
  const auto env = relay_environment();
  ::unsetenv("RELAY_CONFIG_TEST_PROBE");
  ::unsetenv("NOT_RELAY_CONFIG_TEST_PROBE");
  ASSERT_TRUE(env.count("RELAY_CONFIG_TEST_PROBE"));
  EXPECT_EQ(env.at("RELAY_CONFIG_TEST_PROBE"), "a=b");
  for (const auto& [name, value] : env) EXPECT_EQ(name.rfind("RELAY_", 0), 0u) << name;
}

// ---------------------------------------------------------------------------------------------------
// Listen addresses

TEST(Config, RepeatableAndCommaSeparatedListen) {
  const DaemonConfig c =
      config_of(parse({"--listen", "127.0.0.1:9001", "--listen=0.0.0.0:9002, localhost:0", "--listen", "[::]:9003"}));
  const std::vector<ListenAddress> want{
      {"127.0.0.1", 9001}, {"0.0.0.0", 9002}, {"localhost", 0}, {"::", 9003}};
  EXPECT_EQ(c.listen, want);
  EXPECT_EQ(c.public_host, "127.0.0.1");  // first listen
  EXPECT_EQ(c.public_port, 9001);
}

TEST(Config, Ipv6Listen) {
  const DaemonConfig c = config_of(parse({"--listen", "[::1]:8080"}));
  ASSERT_EQ(c.listen.size(), 1u);
  EXPECT_EQ(c.listen[0], (ListenAddress{"::1", 8080}));
  EXPECT_EQ(c.public_host, "::1");
  EXPECT_NE(describe(c).find("listen=[::1]:8080"), std::string::npos) << describe(c);

  EXPECT_EQ(config_of(parse({"--listen", "[0:0:0:0:0:0:0:1]:0"})).listen[0], (ListenAddress{"::1", 0}));
}

TEST(Config, EphemeralListenPortIsAllowed) {
  const DaemonConfig c = config_of(parse({"--listen", "127.0.0.1:0"}));
  EXPECT_EQ(c.listen[0].port, 0);
  EXPECT_EQ(c.public_port, 0);
}

TEST(Config, PublicHostForms) {
  EXPECT_EQ(config_of(parse({"--public-host", "[2001:db8::1]"})).public_host, "2001:db8::1");
  EXPECT_EQ(config_of(parse({"--public-host", "2001:db8::1"})).public_host, "2001:db8::1");
  EXPECT_EQ(config_of(parse({"--public-host", "relay.example.com"})).public_host, "relay.example.com");
  EXPECT_EQ(config_of(parse({"--public-host", "10.1.2.3"})).public_host, "10.1.2.3");
}

// ---------------------------------------------------------------------------------------------------
// Values

TEST(Config, ByteSizeSuffixes) {
  const std::vector<std::pair<std::string, std::size_t>> cases = {
      {"65536", 65536},       {"64K", 64u << 10},   {"64k", 64u << 10}, {"64KiB", 64u << 10},
      {"2M", 2u << 20},       {"2MiB", 2u << 20},   {"2 mib", 2u << 20}, {"1G", std::size_t{1} << 30},
      {"1GiB", std::size_t{1} << 30}, {"131072B", 131072},
  };
  for (const auto& [text, want] : cases) {
    const DaemonConfig c = config_of(parse({"--max-replay-buffer", text, "--max-replay-memory", "4G"}));
    EXPECT_EQ(c.max_replay_buffer, want) << text;
  }
  EXPECT_EQ(config_of(parse({"--max-replay-memory", "3GiB"})).max_replay_memory, std::size_t{3} << 30);
}

TEST(Config, Booleans) {
  for (const char* yes : {"1", "true", "TRUE", "yes", "on"})
    EXPECT_TRUE(config_of(parse({}, {{"RELAY_UNSAFE_ALLOW_LOOPBACK", yes}})).unsafe_allow_loopback) << yes;
  for (const char* no : {"0", "false", "no", "off", "Off"})
    EXPECT_FALSE(config_of(parse({}, {{"RELAY_UNSAFE_ALLOW_LOOPBACK", no}})).unsafe_allow_loopback) << no;
  EXPECT_TRUE(config_of(parse({"--unsafe-allow-loopback"})).unsafe_allow_loopback);
  EXPECT_FALSE(config_of(parse({"--unsafe-allow-loopback=no"})).unsafe_allow_loopback);
  EXPECT_FALSE(config_of(parse({"--unsafe-allow-loopback", "no"})).unsafe_allow_loopback);
  EXPECT_TRUE(config_of(parse({"--unsafe-allow-loopback", "--dev=no"})).unsafe_allow_loopback);
}

TEST(Config, DevDefaults) {
  const DaemonConfig dev = config_of(parse({"--dev"}));
  EXPECT_TRUE(dev.dev);
  EXPECT_TRUE(dev.unsafe_allow_loopback);
  EXPECT_EQ(dev.log_level, "debug");

  const DaemonConfig explicit_settings =
      config_of(parse({"--dev", "--log-level", "warn"}, {{"RELAY_UNSAFE_ALLOW_LOOPBACK", "false"}}));
  EXPECT_TRUE(explicit_settings.dev);
  EXPECT_FALSE(explicit_settings.unsafe_allow_loopback);
  EXPECT_EQ(explicit_settings.log_level, "warn");

  EXPECT_TRUE(config_of(parse({}, {{"RELAY_DEV", "yes"}})).unsafe_allow_loopback);
  EXPECT_FALSE(config_of(parse({"--dev=false"})).unsafe_allow_loopback);
}

TEST(Config, AllowedOrigins) {
  const DaemonConfig c = config_of(parse({"--allowed-origins", "https://relay.example.com, HTTPS://Relay.Example.COM:443",
                                          "--allowed-origins", "http://127.0.0.1:8080,chrome-extension://abc,*"}));
  EXPECT_EQ(c.allowed_origins, (std::vector<std::string>{"https://relay.example.com", "http://127.0.0.1:8080",
                                                         "chrome-extension://abc", "*"}));
  EXPECT_EQ(config_of(parse({"--allowed-origins", "https://[::1]:8443"})).allowed_origins,
            std::vector<std::string>{"https://[::1]:8443"});
  // An explicitly empty list leaves only the relay's own origin.
  EXPECT_TRUE(config_of(parse({"--allowed-origins", ""})).allowed_origins.empty());
}

TEST(Config, Ranges) {
  EXPECT_EQ(config_of(parse({"--grace-seconds", "0"})).grace, 0s);
  EXPECT_EQ(config_of(parse({"--grace-seconds", "86400"})).grace, 86400s);
  EXPECT_EQ(config_of(parse({"--threads", "256"})).threads, 256u);
  EXPECT_EQ(config_of(parse({"--public-port", "65535"})).public_port, 65535);
}

TEST(Config, FilesAndDirectories) {
  TempDir tmp;
  const std::string cert = tmp.write("cert.pem", "-----BEGIN CERTIFICATE-----\n");
  const std::string key = tmp.write("secret-key-file.pem", "-----BEGIN PRIVATE KEY-----\n");
  const DaemonConfig c = config_of(parse({"--tls-cert", cert, "--tls-key", key, "--web-root", tmp.dir(),
                                          "--ready-file", tmp.path("ready")}));
  EXPECT_EQ(c.tls_cert, cert);
  EXPECT_EQ(c.tls_key, key);
  EXPECT_EQ(c.web_root, tmp.dir());
  EXPECT_EQ(c.ready_file, tmp.path("ready"));
  // The startup summary does not carry the key's path.
  EXPECT_EQ(describe(c).find("secret-key-file"), std::string::npos) << describe(c);
  EXPECT_NE(describe(c).find("tls=on"), std::string::npos) << describe(c);
}

// ---------------------------------------------------------------------------------------------------
// Errors: each names the setting

struct ErrorCase {
  std::vector<std::string> args;
  Env env;
  std::vector<std::string> mentions;
};

void expect_error(const ErrorCase& t) {
  std::vector<const char*> argv{"sshrelayd"};
  for (const auto& a : t.args) argv.push_back(a.c_str());
  const std::string message = error_of(parse_daemon_config(static_cast<int>(argv.size()), argv.data(), t.env));
  std::string where;
  for (const auto& a : t.args) where += a + " ";
  for (const auto& [k, v] : t.env) where += k + "=" + v + " ";
  for (const auto& m : t.mentions) EXPECT_NE(message.find(m), std::string::npos) << where << "-> " << message;
}

TEST(ConfigErrors, UnknownFlagsAndArguments) {
  expect_error({{"--bogus"}, {}, {"--bogus"}});
  expect_error({{"--bogus=1"}, {}, {"--bogus"}});
  expect_error({{"--grace"}, {}, {"--grace"}});  // no abbreviations
  expect_error({{"stray"}, {}, {"\"stray\""}});
  expect_error({{"--dev", "maybe"}, {}, {"--dev", "\"maybe\""}});
  expect_error({{"--grace-seconds"}, {}, {"grace-seconds"}});  // missing value
  expect_error({{"--grace-seconds", "1", "--grace-seconds", "2"}, {}, {"grace-seconds"}});
}

TEST(ConfigErrors, BadNumbers) {
  expect_error({{"--grace-seconds", "abc"}, {}, {"--grace-seconds (RELAY_GRACE_SECONDS)", "\"abc\"", "not a number"}});
  expect_error({{}, {{"RELAY_GRACE_SECONDS", "abc"}}, {"--grace-seconds (RELAY_GRACE_SECONDS)", "\"abc\"", "environment"}});
  expect_error({{"--threads", "-1"}, {}, {"--threads", "\"-1\""}});
  expect_error({{"--threads", "1.5"}, {}, {"--threads", "\"1.5\""}});
  expect_error({{"--max-sessions-total", "0"}, {}, {"--max-sessions-total", "\"0\""}});
  expect_error({{"--max-sessions-total", "99999999999999999999999"}, {}, {"--max-sessions-total"}});
  expect_error({{"--ping-seconds", "0"}, {}, {"--ping-seconds", "\"0\""}});
  expect_error({{"--connect-timeout-seconds", "x"}, {}, {"--connect-timeout-seconds", "\"x\""}});
  expect_error({{"--shutdown-seconds", "601"}, {}, {"--shutdown-seconds", "\"601\""}});
}

TEST(ConfigErrors, Ranges) {
  expect_error({{"--grace-seconds", "86401"}, {}, {"--grace-seconds", "\"86401\"", "0..86400"}});
  expect_error({{"--threads", "257"}, {}, {"--threads", "\"257\"", "0..256"}});
  expect_error({{"--public-port", "0"}, {}, {"--public-port", "\"0\""}});
  expect_error({{"--public-port", "65536"}, {}, {"--public-port", "\"65536\""}});
  expect_error({{}, {{"RELAY_PUBLIC_PORT", "70000"}}, {"RELAY_PUBLIC_PORT", "\"70000\""}});
  expect_error({{"--listen", "127.0.0.1:65536"}, {}, {"--listen", "65536"}});
}

TEST(ConfigErrors, BadListenSyntax) {
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", ":8080", "::1:8080", "[::1]", "[::1]:", "user@host:80",
                          "host:http", "bad_host!:80", "10.0.0:80", "[::1:80", "a:b:c"}) {
    expect_error({{"--listen", bad}, {}, {"--listen (RELAY_LISTEN)", std::string("\"") + bad}});
  }
  expect_error({{}, {{"RELAY_LISTEN", "127.0.0.1:1,nonsense"}}, {"RELAY_LISTEN", "\"nonsense\""}});
  expect_error({{"--listen", "127.0.0.1:80,127.0.0.1:80"}, {}, {"--listen", "twice"}});
  expect_error({{"--listen", ","}, {}, {"--listen"}});
}

TEST(ConfigErrors, BadPublicHost) {
  expect_error({{"--public-host", "relay.example.com:443"}, {}, {"--public-host", "--public-port"}});
  expect_error({{"--public-host", "[not-v6]"}, {}, {"--public-host", "\"[not-v6]\""}});
  expect_error({{"--public-host", "spaces are bad"}, {}, {"--public-host"}});
}

TEST(ConfigErrors, Tls) {
  TempDir tmp;
  const std::string cert = tmp.write("cert.pem", "x");
  const std::string key = tmp.write("key.pem", "x");
  expect_error({{"--tls-cert", cert}, {}, {"--tls-cert", "--tls-key"}});
  expect_error({{}, {{"RELAY_TLS_KEY", key}}, {"--tls-key", "--tls-cert"}});
  expect_error({{"--tls-cert", tmp.path("missing.pem"), "--tls-key", key}, {}, {"--tls-cert", "missing.pem"}});
  expect_error({{"--tls-cert", cert, "--tls-key", tmp.path("missing.pem")}, {}, {"--tls-key", "missing.pem"}});
  expect_error({{"--tls-cert", tmp.dir(), "--tls-key", key}, {}, {"--tls-cert", "directory"}});
}

TEST(ConfigErrors, WebRootAndReadyFile) {
  TempDir tmp;
  const std::string file = tmp.write("file", "x");
  expect_error({{"--web-root", tmp.path("missing")}, {}, {"--web-root", "missing", "not a directory"}});
  expect_error({{"--web-root", file}, {}, {"--web-root", "not a directory"}});
  expect_error({{"--ready-file", tmp.path("no/such/dir/ready")}, {}, {"--ready-file", "does not exist"}});
}

TEST(ConfigErrors, Origins) {
  for (const char* bad : {"example.com", "https://relay.example.com/", "https://relay.example.com/path",
                          "https://relay.example.com?x=1", "https://*.example.com", "https://relay:99999",
                          "https://user@relay.example.com", "https://", "chrome-extension:abc", "**"}) {
    expect_error({{"--allowed-origins", bad}, {}, {"--allowed-origins (RELAY_ALLOWED_ORIGINS)", std::string("\"") + bad}});
  }
}

TEST(ConfigErrors, ReplaySizes) {
  expect_error({{"--max-replay-buffer", "1K"}, {}, {"--max-replay-buffer", "\"1K\"", "64KiB"}});
  expect_error({{"--max-replay-buffer", "65535"}, {}, {"--max-replay-buffer", "\"65535\""}});
  expect_error({{"--max-replay-buffer", "4X"}, {}, {"--max-replay-buffer", "\"4X\""}});
  expect_error({{"--max-replay-buffer", "4 KB"}, {}, {"--max-replay-buffer", "\"4 KB\""}});
  expect_error({{"--max-replay-buffer", "M"}, {}, {"--max-replay-buffer", "\"M\""}});
  expect_error({{"--max-replay-buffer", "-4M"}, {}, {"--max-replay-buffer", "\"-4M\""}});
  expect_error({{"--max-replay-memory", "99999999999999G"}, {}, {"--max-replay-memory", "too large"}});
  expect_error({{"--max-replay-buffer", "8M", "--max-replay-memory", "4M"}, {},
                {"--max-replay-memory", "\"4M\"", "--max-replay-buffer"}});
}

TEST(ConfigErrors, BooleansAndLogLevel) {
  expect_error({{"--unsafe-allow-loopback=maybe"}, {}, {"--unsafe-allow-loopback", "\"maybe\""}});
  expect_error({{}, {{"RELAY_DEV", "2"}}, {"RELAY_DEV", "\"2\""}});
  expect_error({{"--log-level", "verbose"}, {}, {"--log-level (RELAY_LOG_LEVEL)", "\"verbose\""}});
}

TEST(ConfigErrors, ConfigFile) {
  TempDir tmp;
  expect_error({{"--config", tmp.path("absent.conf")}, {}, {"--config", "absent.conf"}});
  expect_error({{}, {{"RELAY_CONFIG", tmp.path("absent.conf")}}, {"RELAY_CONFIG", "absent.conf"}});
  expect_error({{"--config", tmp.dir()}, {}, {"--config", "directory"}});

  const std::string unknown = tmp.write("unknown.conf", "grace-seconds = 5\nno-such-key = 1\n");
  expect_error({{"--config", unknown}, {}, {"unknown.conf", "line 2", "\"no-such-key\""}});
  const std::string typo = tmp.write("typo.conf", "grace-second = 5\n");
  expect_error({{"--config", typo}, {}, {"typo.conf", "line 1", "\"grace-second\"", "did you mean grace-seconds?"}});

  const std::string help = tmp.write("help.conf", "help = 1\n");
  expect_error({{"--config", help}, {}, {"help.conf", "\"help\""}});

  const std::string syntax = tmp.write("syntax.conf", "grace-seconds 5\n");
  expect_error({{"--config", syntax}, {}, {"syntax.conf", "grace-seconds 5"}});

  const std::string bad_value = tmp.write("bad.conf", "\n\nthreads = many\n");
  expect_error({{"--config", bad_value}, {}, {"--threads (RELAY_THREADS)", "\"many\"", "bad.conf", "line 3"}});

  const std::string twice = tmp.write("twice.conf", "threads = 1\nthreads = 2\n");
  expect_error({{"--config", twice}, {}, {"twice.conf", "threads"}});

  // A bad value overridden by a higher-precedence source is never looked at.
  EXPECT_EQ(config_of(parse({"--config", bad_value, "--threads", "2"})).threads, 2u);
}

// ---------------------------------------------------------------------------------------------------
// Help and version

TEST(Config, HelpMentionsEverySettingAndItsVariable) {
  const ConfigParse r = parse({"--help"}, {{"RELAY_GRACE_SECONDS", "abc"}});
  ASSERT_TRUE(std::holds_alternative<HelpRequested>(r));
  const std::string& help = std::get<HelpRequested>(r).text;
  for (const char* name :
       {"config", "listen", "public-host", "public-port", "grace-seconds", "max-replay-buffer", "max-replay-memory",
        "allowed-origins", "unsafe-allow-loopback", "max-sessions-total", "threads", "ping-seconds",
        "connect-timeout-seconds", "shutdown-seconds", "tls-cert", "tls-key", "web-root", "ready-file", "log-level",
        "dev"}) {
    std::string var = "RELAY_";
    for (const char* p = name; *p; ++p) var += *p == '-' ? '_' : static_cast<char>(std::toupper(*p));
    EXPECT_MENTIONS(help, "--" + std::string(name));
    EXPECT_MENTIONS(help, var);
  }
  for (const char* default_text : {"127.0.0.1:8080", "=120", "=4MiB", "=256MiB", "=10000", "=30", "=10)", "=5)",
                                   "=info", "iodihamcpbpeioajjeobimgagajmlibd", SSHRELAY_DEFAULT_WEB_ROOT})
    EXPECT_MENTIONS(help, default_text);
  EXPECT_TRUE(std::holds_alternative<HelpRequested>(parse({"-h"})));
}

TEST(Config, Version) {
  const ConfigParse r = parse({"--version"});
  ASSERT_TRUE(std::holds_alternative<HelpRequested>(r));
  EXPECT_EQ(std::get<HelpRequested>(r).text.rfind("sshrelayd ", 0), 0u);
}

TEST(Config, DescribeIsOneLine) {
  const std::string line = describe(config_of(parse({"--listen", "127.0.0.1:1,[::1]:2"})));
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_MENTIONS(line, "listen=127.0.0.1:1,[::1]:2");
  EXPECT_MENTIONS(line, "grace=120s");
}

// ---------------------------------------------------------------------------------------------------
// Identity and audit settings (their own checks live with the Authenticator and AuditLog)

TEST(ConfigIdentity, ProviderIsRequiredUnlessDev) {
  EXPECT_MENTIONS(error_of(parse_exactly({}, {})), "--identity-provider (RELAY_IDENTITY_PROVIDER): is required");
  const DaemonConfig dev = config_of(parse_exactly({"--dev"}, {}));
  EXPECT_EQ(dev.identity.provider, "none");
  EXPECT_TRUE(dev.identity.upstream_enforces_auth);
  EXPECT_MENTIONS(describe(dev), "identity=none");
}

TEST(ConfigIdentity, NoneNeedsTheOperatorsWord) {
  EXPECT_MENTIONS(error_of(parse_exactly({"--identity-provider", "none"}, {})), "--identity-upstream-enforces-auth");
  EXPECT_MENTIONS(error_of(parse_exactly({"--dev", "--identity-upstream-enforces-auth=no"}, {})),
                  "--identity-upstream-enforces-auth");
}

TEST(ConfigIdentity, CloudflareAccess) {
  const DaemonConfig c = config_of(parse_exactly(
      {"--identity-provider", "Cloudflare-Access", "--identity-team-domain", "myteam", "--identity-audience", "aud1,aud2"},
      {{"RELAY_IDENTITY_LEEWAY_SECONDS", "5"}}));
  EXPECT_EQ(c.identity.provider, "cloudflare-access");
  EXPECT_EQ(c.identity.team_domain, "myteam");
  EXPECT_EQ(c.identity.audiences, (std::vector<std::string>{"aud1", "aud2"}));
  EXPECT_EQ(c.identity.leeway, 5s);
  EXPECT_MENTIONS(error_of(parse_exactly({"--identity-provider", "cloudflare-access", "--identity-audience", "a"}, {})),
                  "--identity-team-domain");
  EXPECT_MENTIONS(error_of(parse_exactly({"--identity-provider", "oidc", "--identity-issuer", "https://idp.example",
                                          "--identity-audience", "a", "--identity-jwks-url", "http://idp.example/jwks"},
                                         {})),
                  "--identity-jwks-url");
  EXPECT_MENTIONS(error_of(parse_exactly({"--identity-provider", "kerberos"}, {})), "\"kerberos\" is not one of");
  EXPECT_MENTIONS(error_of(parse({"--identity-leeway-seconds", "601"})), "--identity-leeway-seconds");
}

TEST(ConfigAudit, SinksAndSecretFiles) {
  TempDir tmp;
  const std::string token = tmp.write("hec.token", "  0123-abcd\n");
  const DaemonConfig c = config_of(parse({"--audit-stderr", "--audit-jsonl", tmp.path("audit.jsonl"),
                                          "--audit-jsonl-max-bytes", "1MiB", "--audit-hec-url", "https://127.0.0.1:8088",
                                          "--audit-hec-token-file", token}));
  EXPECT_TRUE(c.audit.to_stderr);
  EXPECT_EQ(c.audit.jsonl_path, tmp.path("audit.jsonl"));
  EXPECT_EQ(c.audit.jsonl_max_bytes, 1u << 20);
  EXPECT_EQ(c.audit.hec_token, "0123-abcd");
  const std::string line = describe(c);
  EXPECT_MENTIONS(line, "audit=stderr,jsonl,splunk-hec");
  EXPECT_EQ(line.find("0123-abcd"), std::string::npos);
  // A relay with no audit trail by default is a trap: stderr is on unless turned off or another sink is set.
  EXPECT_TRUE(config_of(parse({})).audit.to_stderr);
  EXPECT_MENTIONS(describe(config_of(parse({}))), "audit=stderr");
  EXPECT_MENTIONS(describe(config_of(parse({"--audit-stderr=no"}))), "audit=off");
  EXPECT_FALSE(config_of(parse({"--audit-jsonl", tmp.path("only.jsonl")})).audit.to_stderr);
}

TEST(ConfigAudit, ErrorsNameTheSetting) {
  TempDir tmp;
  EXPECT_MENTIONS(error_of(parse({"--audit-jsonl", tmp.path("missing/audit.jsonl")})), "--audit-jsonl");
  EXPECT_MENTIONS(error_of(parse({"--audit-hec-url", "https://127.0.0.1:8088"})), "--audit-hec-token-file");
  EXPECT_MENTIONS(error_of(parse({"--audit-hec-url", "http://127.0.0.1:8088", "--audit-hec-token-file",
                                  tmp.write("t", "x\n")})),
                  "--audit-hec-url");
  EXPECT_MENTIONS(error_of(parse({"--audit-hec-token-file", tmp.write("empty", "\n"), "--audit-hec-url",
                                  "https://127.0.0.1:8088"})),
                  "is empty");
  EXPECT_MENTIONS(error_of(parse({"--audit-pan-url", "https://127.0.0.1", "--audit-pan-key-file", tmp.write("k", "key\n")})),
                  "--source-port-range");
  EXPECT_MENTIONS(error_of(parse({"--audit-queue", "0"})), "--audit-queue");
}

}  // namespace
}  // namespace sshrelay::daemon

namespace sshrelay::daemon {
namespace {

TEST(ConfigTunnels, OffByDefaultAndReadLikeWsproxysSettings) {
  const DaemonConfig off = config_of(parse({}));
  EXPECT_FALSE(off.tunnels);
  EXPECT_EQ(off.tunnel_limits.port_min, off.tunnel_limits.port_max) << "no raw ports unless asked";
  const DaemonConfig c = config_of(parse({"--tunnels", "--tunnel-domain", "Tunnels.Example.COM.", "--tunnel-ports", "10000-10099",
                                          "--tunnel-listen-address", "0.0.0.0", "--tunnel-max-http-per-ip", "5",
                                          "--tunnel-max-tcp", "9", "--tunnel-response-seconds", "2"}));
  EXPECT_TRUE(c.tunnels);
  EXPECT_EQ(c.tunnel_domain, "tunnels.example.com");
  EXPECT_EQ(c.tunnel_limits.port_min, 10000);
  EXPECT_EQ(c.tunnel_limits.port_max, 10100) << "the flag's MAX is included; the pool's end is exclusive";
  EXPECT_EQ(c.tunnel_listen_host, "0.0.0.0");
  EXPECT_EQ(c.tunnel_limits.max_http_per_ip, 5u);
  EXPECT_EQ(c.tunnel_limits.max_tcp_global, 9u);
  EXPECT_EQ(c.tunnel_response_timeout, std::chrono::seconds(2));
  EXPECT_NE(describe(c).find("tunnels=on domain=tunnels.example.com tunnel-ports=10000-10099@0.0.0.0"), std::string::npos)
      << describe(c);
  EXPECT_TRUE(config_of(parse({}, {{"RELAY_TUNNELS", "yes"}, {"RELAY_TUNNEL_DOMAIN", "t.example.com"}})).tunnels);
}

TEST(ConfigTunnels, BadValuesNameTheSetting) {
  EXPECT_NE(error_of(parse({"--tunnel-domain", "localhost"})).find("--tunnel-domain"), std::string::npos);
  EXPECT_NE(error_of(parse({"--tunnel-domain", "https://t.example.com"})).find("not a domain name"), std::string::npos);
  EXPECT_NE(error_of(parse({"--tunnel-ports", "10100-10000"})).find("--tunnel-ports"), std::string::npos);
  EXPECT_NE(error_of(parse({"--tunnel-ports", "0-10"})).find("--tunnel-ports"), std::string::npos);
  EXPECT_NE(error_of(parse({"--tunnel-listen-address", "relay.example.com"})).find("not an IP address"), std::string::npos);
  EXPECT_NE(error_of(parse({"--tunnel-response-seconds", "0"})).find("--tunnel-response-seconds"), std::string::npos);
}

TEST(ConfigTunnels, TheStableSubdomainKeyIsReadWhole) {
  TempDir tmp;
  const std::string key(40, '\x7f');
  EXPECT_EQ(config_of(parse({"--tunnel-subdomain-key-file", tmp.write("key", key)})).tunnel_subdomain_key, key);
  EXPECT_TRUE(config_of(parse({})).tunnel_subdomain_key.empty()) << "none: the hub draws one at start";
  const auto short_key = error_of(parse({"--tunnel-subdomain-key-file", tmp.write("short", "too short")}));
  EXPECT_NE(short_key.find("holds 9 bytes; a key needs at least 32"), std::string::npos) << short_key;
  EXPECT_NE(error_of(parse({"--tunnel-subdomain-key-file", tmp.path("missing")})).find("--tunnel-subdomain-key-file"),
            std::string::npos);
}

}  // namespace
}  // namespace sshrelay::daemon

namespace sshrelay::daemon {
namespace {

// The cluster's settings: what a complete node needs, and errors that say what is missing.
TEST(DaemonConfigCluster, ACompleteNode) {
  TempDir dir;
  const auto secret = dir.write("cluster.secret", std::string(40, 's'));
  const auto c = config_of(parse({"--cluster-redis", "rediss://relay:pw@redis.internal:6380/1", "--cluster-listen", "10.0.0.5:8443",
                                  "--cluster-secret-file", secret, "--cluster-node-id", "relay-a"}));
  ASSERT_TRUE(c.cluster.redis.has_value());
  EXPECT_TRUE(c.cluster.redis->tls);
  EXPECT_EQ(c.cluster.redis->database, 1u);
  EXPECT_EQ(c.cluster.advertise, "10.0.0.5:8443");  // the listen address, when it names one
  EXPECT_EQ(c.cluster.secret.size(), 40u);
  EXPECT_EQ(c.cluster.node_id, "relay-a");
  EXPECT_EQ(c.cluster.heartbeat, 1000ms);
  // The log line names the directory without its password.
  EXPECT_MENTIONS(describe(c), "cluster=rediss://relay:***@redis.internal:6380/1");
  EXPECT_EQ(describe(c).find("pw"), std::string::npos);
}

TEST(DaemonConfigCluster, ErrorsNameWhatIsWrong) {
  TempDir dir;
  const auto secret = dir.write("cluster.secret", std::string(40, 's'));
  const auto short_secret = dir.write("short.secret", "too short");
  EXPECT_MENTIONS(error_of(parse({"--cluster-redis", "http://x"})), "--cluster-redis");
  EXPECT_MENTIONS(error_of(parse({"--cluster-redis", "redis://h"})), "--cluster-listen");
  EXPECT_MENTIONS(error_of(parse({"--cluster-redis", "redis://h", "--cluster-listen", "127.0.0.1:8443"})), "--cluster-secret-file");
  EXPECT_MENTIONS(error_of(parse({"--cluster-redis", "redis://h", "--cluster-listen", "127.0.0.1:8443", "--cluster-secret-file",
                                  short_secret})),
                  "at least 32");
  EXPECT_MENTIONS(error_of(parse({"--cluster-redis", "redis://h", "--cluster-listen", "0.0.0.0:8443", "--cluster-secret-file", secret})),
                  "--cluster-advertise");
  EXPECT_MENTIONS(error_of(parse({"--listen", "127.0.0.1:8443", "--cluster-redis", "redis://h", "--cluster-listen", "127.0.0.1:8443",
                                  "--cluster-secret-file", secret})),
                  "must not be public");
  EXPECT_MENTIONS(error_of(parse({"--cluster-redis", "redis://h", "--cluster-listen", "127.0.0.1:8443", "--cluster-secret-file", secret,
                                  "--cluster-node-id", "a b"})),
                  "--cluster-node-id");
  // Cluster settings without the directory do nothing: said, not ignored.
  EXPECT_MENTIONS(error_of(parse({"--cluster-listen", "127.0.0.1:8443"})), "without --cluster-redis");
  // A takeover needs the socket it takes over from.
  EXPECT_MENTIONS(error_of(parse({"--takeover"})), "--handover-socket");
  const auto passwordless_user = error_of(parse({"--cluster-redis", "redis://relay@h"}));
  EXPECT_MENTIONS(passwordless_user, "without a password");
}

}  // namespace
}  // namespace sshrelay::daemon
