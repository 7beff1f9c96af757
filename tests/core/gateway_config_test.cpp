// The gateway's settings from defaults, the environment, a YAML file and flags, in that order of
// precedence, and every mistake named by the name it was given under.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/common/base64.hpp"
#include "core/gateway/gateway_config.hpp"

namespace sshrelay::gateway {
namespace {

using namespace std::chrono_literals;
using Env = std::map<std::string, std::string>;

constexpr const char* kKeyText =
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "-----END OPENSSH PRIVATE KEY-----\n";

// ssh-mosh-wan-optimizer's config.yaml.example, with its commented options switched on and its remarks
// shortened: the shape a migrating user brings along.
constexpr const char* kPeerExample = R"(# SSH <-> MOSH WAN Gateway - example configuration
# Copy to config.yaml and adjust; or use environment variables instead.

# -- SSH server (local clients -> gateway) --
host: "0.0.0.0"
port: 2222
host_key_path: "/etc/gateway/host_key"   # auto-generated if missing

# -- Client -> Gateway authentication --
# Option B: local authorized_keys file
authorized_keys_path: "/keys/authorized_keys"
#
# Option D: password authentication
password_auth: true
passwords:
  alice: "s3cr3t"
  bob: "p4ssw0rd"
#
# Dev / trusted-LAN only - never enable in production
# accept_any_key: true

# -- Fixed remote MOSH target (REQUIRED) --
remote_host: "my-server.example.com"    # required - only host clients can reach
remote_port: 22

# -- Remote host-key verification --
remote_known_hosts: "/keys/known_hosts"    # recommended: pin the remote host key
remote_ignore_host_key: false              # true = skip verification (insecure)
)";

std::string env_error(const Env& env) {
  GatewayConfig config;
  auto done = apply_environment(config, env);
  return done ? "(applied)" : done.error().message;
}

std::string yaml_error(std::string_view text) {
  GatewayConfig config;
  auto done = apply_yaml(config, text, "gateway.yaml");
  return done ? "(applied)" : done.error().message;
}

std::string flag_error(std::string_view name, std::string_view value) {
  GatewayConfig config;
  auto done = apply_flag(config, name, value);
  return done ? "(applied)" : done.error().message;
}

std::string validate_error(const GatewayConfig& config) {
  auto done = validate(config);
  return done ? "(valid)" : done.error().message;
}

GatewayConfig valid_config() {
  GatewayConfig config;
  config.remote_host = "my-server.example.com";
  return config;
}

TEST(GatewaySettings, DefaultsAreThePeers) {
  const GatewayConfig c;
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.port, 2222);
  EXPECT_EQ(c.host_key_path, "/etc/gateway/host_key");
  EXPECT_EQ(c.authorized_keys_path, "");
  EXPECT_EQ(c.authorized_keys_content, "");
  EXPECT_FALSE(c.accept_any_key);
  EXPECT_FALSE(c.password_auth);
  EXPECT_TRUE(c.passwords.empty());
  EXPECT_EQ(c.remote_host, "");
  EXPECT_EQ(c.remote_port, 22);
  EXPECT_EQ(c.gateway_ssh_key_path, "");
  EXPECT_EQ(c.gateway_ssh_key_content, "");
  EXPECT_EQ(c.remote_known_hosts, "");
  EXPECT_FALSE(c.remote_ignore_host_key);
  EXPECT_EQ(c.log_level, LogLevel::info);
  EXPECT_EQ(c.wan, WanLeg::mosh);
  EXPECT_EQ(c.relay_url, "");
  EXPECT_EQ(c.audit_jsonl, "");
  EXPECT_EQ(c.authorized_keys_cache_seconds, 60u);
  EXPECT_EQ(c.authorized_keys_cache_ttl(), 60s);
  EXPECT_EQ(validate_error(c), "REMOTE_HOST (remote_host, --remote-host) is required");
}

TEST(GatewaySettings, ListsEveryNameOnce) {
  std::set<std::string_view> env, yaml, flags;
  for (const auto& s : gateway_settings()) {
    EXPECT_TRUE(env.insert(s.env).second) << s.env;
    EXPECT_TRUE(yaml.insert(s.yaml).second) << s.yaml;
    if (!s.flag.empty()) {
      EXPECT_TRUE(flags.insert(s.flag).second) << s.flag;
    }
    EXPECT_FALSE(s.meaning.empty()) << s.env;
  }
  EXPECT_EQ(env.size(), 20u);
  EXPECT_EQ(flags, (std::set<std::string_view>{"--host", "--port", "--authorized-keys", "--accept-any-key",
                                               "--remote-host", "--remote-port", "--remote-known-hosts",
                                               "--ignore-remote-host-key", "--log-level", "--wan", "--relay",
                                               "--audit-jsonl", "--mosh-server-command"}));
  EXPECT_NE(precedence_text().find("a command-line flag, the YAML file given with --config FILE, an environment "
                                   "variable (an empty one counts as not set), the built-in default"),
            std::string::npos);
  EXPECT_NE(precedence_text().find("instead of the environment"), std::string::npos);
  EXPECT_EQ(to_string(WanLeg::relay), "relay");
  EXPECT_EQ(to_string(WanLeg::mosh), "mosh");
  EXPECT_EQ(to_string(LogLevel::warning), "WARNING");
}

TEST(GatewaySettings, ReadsEveryEnvironmentVariable) {
  GatewayConfig c;
  const Env env = {{"GATEWAY_HOST", "127.0.0.1"},
                   {"GATEWAY_PORT", "2200"},
                   {"GATEWAY_HOST_KEY_PATH", "/var/lib/gw/host_key"},
                   {"GATEWAY_AUTHORIZED_KEYS_PATH", "/keys/authorized_keys"},
                   {"GATEWAY_AUTHORIZED_KEYS_CONTENT", "ssh-ed25519 AAAA alice\nssh-ed25519 BBBB bob\n"},
                   {"GATEWAY_ACCEPT_ANY_KEY", "yes"},
                   {"GATEWAY_PASSWORD_AUTH", "TRUE"},
                   {"GATEWAY_PASSWORDS", "alice:s3:cr3t, bob : p4ss ,,"},
                   {"REMOTE_HOST", "db-1.internal"},
                   {"REMOTE_PORT", "2022"},
                   {"GATEWAY_SSH_KEY_PATH", "/keys/gw_key"},
                   {"GATEWAY_SSH_KEY_CONTENT", base64_encode(std::string_view(kKeyText))},
                   {"REMOTE_KNOWN_HOSTS", "/keys/known_hosts"},
                   {"REMOTE_IGNORE_HOST_KEY", "on"},
                   {"GATEWAY_LOG_LEVEL", "debug"},
                   {"GATEWAY_WAN", "Relay"},
                   {"GATEWAY_RELAY_URL", "wss://relay.example.com"},
                   {"GATEWAY_AUDIT_JSONL", "/var/log/gw/audit.jsonl"},
                   {"GATEWAY_AUTHORIZED_KEYS_CACHE_SECONDS", "0"},
                   {"PATH", "/usr/bin"},
                   {"GATEWAY_UNRELATED", "x"}};
  ASSERT_TRUE(apply_environment(c, env));
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 2200);
  EXPECT_EQ(c.host_key_path, "/var/lib/gw/host_key");
  EXPECT_EQ(c.authorized_keys_path, "/keys/authorized_keys");
  EXPECT_EQ(c.authorized_keys_content, "ssh-ed25519 AAAA alice\nssh-ed25519 BBBB bob\n");
  EXPECT_TRUE(c.accept_any_key);
  EXPECT_TRUE(c.password_auth);
  EXPECT_EQ(c.passwords, (std::map<std::string, std::string>{{"alice", "s3:cr3t"}, {"bob", "p4ss"}}));
  EXPECT_EQ(c.remote_host, "db-1.internal");
  EXPECT_EQ(c.remote_port, 2022);
  EXPECT_EQ(c.gateway_ssh_key_path, "/keys/gw_key");
  EXPECT_EQ(c.gateway_ssh_key_content, kKeyText);
  EXPECT_EQ(c.remote_known_hosts, "/keys/known_hosts");
  EXPECT_TRUE(c.remote_ignore_host_key);
  EXPECT_EQ(c.log_level, LogLevel::debug);
  EXPECT_EQ(c.wan, WanLeg::relay);
  EXPECT_EQ(c.relay_url, "wss://relay.example.com");
  EXPECT_EQ(c.audit_jsonl, "/var/log/gw/audit.jsonl");
  EXPECT_EQ(c.authorized_keys_cache_seconds, 0u);
  EXPECT_EQ(validate_error(c), "(valid)");
}

TEST(GatewaySettings, TakesAnEmptyVariableAsNotSet) {
  GatewayConfig c;
  ASSERT_TRUE(apply_environment(c, {{"GATEWAY_PORT", ""}, {"REMOTE_HOST", ""}, {"GATEWAY_ACCEPT_ANY_KEY", ""}}));
  EXPECT_EQ(c.port, 2222);
  EXPECT_EQ(c.remote_host, "");
  EXPECT_FALSE(c.accept_any_key);
}

TEST(GatewaySettings, ReadsBooleanWordsAndRefusesOthers) {
  for (const char* yes : {"1", "true", "True", "YES", "on", " On "}) {
    GatewayConfig c;
    ASSERT_TRUE(apply_environment(c, {{"GATEWAY_PASSWORD_AUTH", yes}})) << yes;
    EXPECT_TRUE(c.password_auth) << yes;
  }
  for (const char* no : {"0", "false", "FALSE", "no", "Off"}) {
    GatewayConfig c;
    c.password_auth = true;
    ASSERT_TRUE(apply_environment(c, {{"GATEWAY_PASSWORD_AUTH", no}})) << no;
    EXPECT_FALSE(c.password_auth) << no;
  }
  // The peer reads these as false without a word; here they stop the start.
  EXPECT_EQ(env_error({{"GATEWAY_ACCEPT_ANY_KEY", "ture"}}),
            "GATEWAY_ACCEPT_ANY_KEY: 'ture' is not a boolean (1/true/yes/on or 0/false/no/off)");
  EXPECT_EQ(env_error({{"REMOTE_IGNORE_HOST_KEY", "2"}}),
            "REMOTE_IGNORE_HOST_KEY: '2' is not a boolean (1/true/yes/on or 0/false/no/off)");
  EXPECT_EQ(yaml_error("password_auth: enabled\n"),
            "gateway.yaml:1: password_auth: 'enabled' is not a boolean (1/true/yes/on or 0/false/no/off)");
}

TEST(GatewaySettings, NamesTheVariableOfABadValue) {
  EXPECT_EQ(env_error({{"GATEWAY_PORT", "abc"}}), "GATEWAY_PORT: 'abc' is not a port (1-65535)");
  EXPECT_EQ(env_error({{"GATEWAY_PORT", "0"}}), "GATEWAY_PORT: '0' is not a port (1-65535)");
  EXPECT_EQ(env_error({{"REMOTE_PORT", "65536"}}), "REMOTE_PORT: '65536' is not a port (1-65535)");
  EXPECT_EQ(env_error({{"REMOTE_PORT", "-22"}}), "REMOTE_PORT: '-22' is not a port (1-65535)");
  EXPECT_EQ(env_error({{"REMOTE_HOST", "a b"}}), "REMOTE_HOST: 'a b' may contain only letters, digits, '.' and '-'");
  EXPECT_EQ(env_error({{"REMOTE_HOST", "host;id"}}),
            "REMOTE_HOST: 'host;id' may contain only letters, digits, '.' and '-'");
  EXPECT_EQ(env_error({{"REMOTE_HOST", "user@host"}}),
            "REMOTE_HOST: 'user@host' may contain only letters, digits, '.' and '-'");
  EXPECT_EQ(env_error({{"REMOTE_HOST", "::1"}}), "REMOTE_HOST: '::1' may contain only letters, digits, '.' and '-'");
  EXPECT_EQ(env_error({{"REMOTE_HOST", "-oProxyCommand"}}), "REMOTE_HOST: '-oProxyCommand' may not start with '-'");
  EXPECT_EQ(env_error({{"REMOTE_HOST", "..."}}), "REMOTE_HOST: '...' has no letter or digit");
  EXPECT_EQ(env_error({{"REMOTE_HOST", "h\x1b"}}),
            "REMOTE_HOST: \"h\\x1b\" may contain only letters, digits, '.' and '-'");
  EXPECT_EQ(env_error({{"REMOTE_HOST", "   "}}), "REMOTE_HOST: may not be empty");
  EXPECT_EQ(env_error({{"GATEWAY_HOST", " "}}), "GATEWAY_HOST: may not be empty");
  EXPECT_EQ(env_error({{"GATEWAY_HOST_KEY_PATH", "\t"}}), "GATEWAY_HOST_KEY_PATH: may not be empty");
  EXPECT_EQ(env_error({{"GATEWAY_WAN", "udp"}}), "GATEWAY_WAN: 'udp' is not a WAN leg (mosh or relay)");
  EXPECT_EQ(env_error({{"GATEWAY_LOG_LEVEL", "verbose"}}),
            "GATEWAY_LOG_LEVEL: 'verbose' is not a log level (DEBUG, INFO, WARNING or ERROR)");
  EXPECT_EQ(env_error({{"GATEWAY_AUTHORIZED_KEYS_CACHE_SECONDS", "86401"}}),
            "GATEWAY_AUTHORIZED_KEYS_CACHE_SECONDS: '86401' is not a number of seconds (0-86400)");
  EXPECT_EQ(env_error({{"GATEWAY_AUTHORIZED_KEYS_CACHE_SECONDS", "1m"}}),
            "GATEWAY_AUTHORIZED_KEYS_CACHE_SECONDS: '1m' is not a number of seconds (0-86400)");
  EXPECT_EQ(env_error({{"GATEWAY_AUTHORIZED_KEYS_CACHE_SECONDS", "-1"}}),
            "GATEWAY_AUTHORIZED_KEYS_CACHE_SECONDS: '-1' is not a number of seconds (0-86400)");
}

TEST(GatewaySettings, ReadsTheRemainingValueForms) {
  GatewayConfig c;
  ASSERT_TRUE(apply_environment(c, {{"GATEWAY_PORT", " 2201 "},
                                    {"REMOTE_HOST", " 10.0.0.5 "},
                                    {"GATEWAY_LOG_LEVEL", "Warning"},
                                    {"GATEWAY_AUTHORIZED_KEYS_CACHE_SECONDS", "86400"}}));
  EXPECT_EQ(c.port, 2201);
  EXPECT_EQ(c.remote_host, "10.0.0.5");
  EXPECT_EQ(c.log_level, LogLevel::warning);
  EXPECT_EQ(c.authorized_keys_cache_ttl(), 24h);
  for (const auto& [word, level] : std::map<std::string, LogLevel>{
           {"DEBUG", LogLevel::debug}, {"INFO", LogLevel::info}, {"WARNING", LogLevel::warning}, {"ERROR", LogLevel::error}}) {
    ASSERT_TRUE(apply_flag(c, "--log-level", word));
    EXPECT_EQ(c.log_level, level) << word;
  }
}

TEST(GatewaySettings, SplitsPasswordsAtTheFirstColon) {
  GatewayConfig c;
  ASSERT_TRUE(apply_environment(c, {{"GATEWAY_PASSWORDS", "alice:a:b:c,bob:x y"}}));
  EXPECT_EQ(c.passwords, (std::map<std::string, std::string>{{"alice", "a:b:c"}, {"bob", "x y"}}));

  // No message repeats an item: it may be a password.
  EXPECT_EQ(env_error({{"GATEWAY_PASSWORDS", "alice:x,bobsecret"}}),
            "GATEWAY_PASSWORDS: item 2 has no ':' (write user:password,user:password)");
  EXPECT_EQ(env_error({{"GATEWAY_PASSWORDS", ":secret"}}), "GATEWAY_PASSWORDS: item 1 has no user name before ':'");
  EXPECT_EQ(env_error({{"GATEWAY_PASSWORDS", "a b:secret"}}),
            "GATEWAY_PASSWORDS: item 1: 'a b' is not a user name the gateway accepts (1-64 letters, digits, '.', '_', "
            "'-')");
  EXPECT_EQ(env_error({{"GATEWAY_PASSWORDS", "alice@host:secret"}}),
            "GATEWAY_PASSWORDS: item 1: 'alice@host' is not a user name the gateway accepts (1-64 letters, digits, "
            "'.', '_', '-')");
  EXPECT_EQ(env_error({{"GATEWAY_PASSWORDS", "alice: "}}), "GATEWAY_PASSWORDS: item 1 (alice) has an empty password");
  EXPECT_EQ(env_error({{"GATEWAY_PASSWORDS", "alice:x,alice:y"}}), "GATEWAY_PASSWORDS: item 2: alice is listed twice");
}

TEST(GatewaySettings, DecodesTheGatewayKeyFromBase64) {
  // `base64` without -w0 wraps at 76 columns: the line breaks are read past.
  std::string wrapped = base64_encode(std::string_view(kKeyText));
  for (std::size_t at = 76; at < wrapped.size(); at += 77) wrapped.insert(at, "\n");
  GatewayConfig c;
  ASSERT_TRUE(apply_environment(c, {{"GATEWAY_SSH_KEY_CONTENT", wrapped + "\n"}}));
  EXPECT_EQ(c.gateway_ssh_key_content, kKeyText);

  EXPECT_EQ(env_error({{"GATEWAY_SSH_KEY_CONTENT", "not base64!"}}), "GATEWAY_SSH_KEY_CONTENT: not valid base64");
  EXPECT_EQ(env_error({{"GATEWAY_SSH_KEY_CONTENT", "abc"}}), "GATEWAY_SSH_KEY_CONTENT: not valid base64");
  EXPECT_EQ(env_error({{"GATEWAY_SSH_KEY_CONTENT", kKeyText}}),
            "GATEWAY_SSH_KEY_CONTENT: not valid base64 (this looks like the key itself: give the key file "
            "base64-encoded, e.g. base64 -w0 KEYFILE)");
  EXPECT_EQ(env_error({{"GATEWAY_SSH_KEY_CONTENT", base64_encode(std::string_view("ssh-ed25519 AAAA public"))}}),
            "GATEWAY_SSH_KEY_CONTENT: decodes to something that is not a private key (expected '-----BEGIN ... "
            "PRIVATE KEY-----')");
  EXPECT_EQ(yaml_error("gateway_ssh_key_content: 'no way'\n"), "gateway.yaml:1: gateway_ssh_key_content: not valid base64");
}

TEST(GatewaySettings, ReadsThePeersExampleFile) {
  GatewayConfig c;
  auto done = apply_yaml(c, kPeerExample, "config.yaml");
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.port, 2222);
  EXPECT_EQ(c.host_key_path, "/etc/gateway/host_key");
  EXPECT_EQ(c.authorized_keys_path, "/keys/authorized_keys");
  EXPECT_TRUE(c.password_auth);
  EXPECT_EQ(c.passwords, (std::map<std::string, std::string>{{"alice", "s3cr3t"}, {"bob", "p4ssw0rd"}}));
  EXPECT_FALSE(c.accept_any_key);
  EXPECT_EQ(c.remote_host, "my-server.example.com");
  EXPECT_EQ(c.remote_port, 22);
  EXPECT_EQ(c.remote_known_hosts, "/keys/known_hosts");
  EXPECT_FALSE(c.remote_ignore_host_key);
  EXPECT_EQ(validate_error(c), "(valid)");
}

TEST(GatewaySettings, ReadsEveryYamlKeyAndOurs) {
  GatewayConfig c;
  const std::string yaml = std::string(R"(authorized_keys_content: "ssh-ed25519 AAAA alice\nssh-ed25519 BBBB bob"
accept_any_key: yes
gateway_ssh_key_path: '/keys/gw key'
gateway_ssh_key_content: )") + base64_encode(std::string_view(kKeyText)) + R"(
remote_host: db1
remote_ignore_host_key: "true"
log_level: ERROR
wan: relay
relay_url: wss://relay.example.com:8443/prefix
audit_jsonl: /var/log/gw.jsonl
authorized_keys_cache_seconds: 120
_note: keys starting with '_' are skipped, as the peer skips them
passwords:
  carol: 1234
)";
  auto done = apply_yaml(c, yaml, "gateway.yaml");
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(c.authorized_keys_content, "ssh-ed25519 AAAA alice\nssh-ed25519 BBBB bob");
  EXPECT_TRUE(c.accept_any_key);
  EXPECT_EQ(c.gateway_ssh_key_path, "/keys/gw key");
  EXPECT_EQ(c.gateway_ssh_key_content, kKeyText);
  EXPECT_EQ(c.remote_host, "db1");
  EXPECT_TRUE(c.remote_ignore_host_key);
  EXPECT_EQ(c.log_level, LogLevel::error);
  EXPECT_EQ(c.wan, WanLeg::relay);
  EXPECT_EQ(c.relay_url, "wss://relay.example.com:8443/prefix");
  EXPECT_EQ(c.audit_jsonl, "/var/log/gw.jsonl");
  EXPECT_EQ(c.authorized_keys_cache_seconds, 120u);
  EXPECT_EQ(c.passwords, (std::map<std::string, std::string>{{"carol", "1234"}}));
}

TEST(GatewaySettings, PutsAYamlKeyWithoutValueBackToItsDefault) {
  GatewayConfig c;
  ASSERT_TRUE(apply_environment(c, {{"REMOTE_KNOWN_HOSTS", "/env/known_hosts"},
                                    {"GATEWAY_PORT", "2200"},
                                    {"GATEWAY_PASSWORDS", "alice:x"},
                                    {"GATEWAY_ACCEPT_ANY_KEY", "1"}}));
  ASSERT_TRUE(apply_yaml(c, "remote_known_hosts:\nport: ~\npasswords: null\naccept_any_key:\n", "gateway.yaml"));
  EXPECT_EQ(c.remote_known_hosts, "");
  EXPECT_EQ(c.port, 2222);
  EXPECT_TRUE(c.passwords.empty());
  EXPECT_FALSE(c.accept_any_key);
}

TEST(GatewaySettings, NamesTheFileLineAndKeyOfAYamlMistake) {
  EXPECT_EQ(yaml_error("host: a\nremote_hots: db1\n"),
            "gateway.yaml:2: unknown key 'remote_hots' (did you mean 'remote_host'?)");
  EXPECT_EQ(yaml_error("REMOTE_HOST: db1\n"), "gateway.yaml:1: unknown key 'REMOTE_HOST' (did you mean 'remote_host'?)");
  EXPECT_EQ(yaml_error("colour: blue\n"), "gateway.yaml:1: unknown key 'colour'");
  EXPECT_EQ(yaml_error("\n\nport: abc\n"), "gateway.yaml:3: port: 'abc' is not a port (1-65535)");
  EXPECT_EQ(yaml_error("remote_host: 'a b'\n"), "gateway.yaml:1: remote_host: 'a b' may contain only letters, digits, '.' and '-'");
  EXPECT_EQ(yaml_error("wan: 'udp'\n"), "gateway.yaml:1: wan: 'udp' is not a WAN leg (mosh or relay)");
  EXPECT_EQ(yaml_error("passwords: alice:x\n"),
            "gateway.yaml:1: passwords: write a mapping: 'passwords:' and then indented 'user: password' lines");
  EXPECT_EQ(yaml_error("passwords:\n  alice:\n"), "gateway.yaml:2: passwords: alice has no password");
  EXPECT_EQ(yaml_error("passwords:\n  alice: ''\n"), "gateway.yaml:2: passwords: alice has no password");
  EXPECT_EQ(yaml_error("passwords:\n  ok: x\n  'a/b': x\n"),
            "gateway.yaml:3: passwords: 'a/b' is not a user name the gateway accepts (1-64 letters, digits, '.', '_', "
            "'-')");
  EXPECT_EQ(yaml_error("remote_host:\n  name: db1\n"), "gateway.yaml:1: remote_host takes one value, not a mapping of indented lines");
  EXPECT_EQ(yaml_error("remote_host:\n  - db1\n"), "gateway.yaml:2: lists ('- item') are not supported");
}

TEST(GatewaySettings, ReadsEveryFlag) {
  GatewayConfig c;
  ASSERT_TRUE(apply_flag(c, "--host", "::"));
  ASSERT_TRUE(apply_flag(c, "--port", "2201"));
  EXPECT_EQ(c.port, 2201);
  ASSERT_TRUE(apply_flag(c, "-p", "2202"));
  EXPECT_EQ(c.port, 2202);
  ASSERT_TRUE(apply_flag(c, "p", "2203"));
  ASSERT_TRUE(apply_flag(c, "authorized-keys", "/keys/ak"));
  ASSERT_TRUE(apply_flag(c, "--accept-any-key", ""));
  ASSERT_TRUE(apply_flag(c, "--remote-host", "db2"));
  ASSERT_TRUE(apply_flag(c, "--remote-port", "2022"));
  ASSERT_TRUE(apply_flag(c, "--remote-known-hosts", "/keys/kh"));
  ASSERT_TRUE(apply_flag(c, "--ignore-remote-host-key", ""));
  ASSERT_TRUE(apply_flag(c, "--log-level", "WARNING"));
  ASSERT_TRUE(apply_flag(c, "--wan", "relay"));
  ASSERT_TRUE(apply_flag(c, "--relay", "ws://127.0.0.1:8080"));
  ASSERT_TRUE(apply_flag(c, "--audit-jsonl", "/tmp/audit.jsonl"));
  EXPECT_EQ(c.host, "::");
  EXPECT_EQ(c.port, 2203);
  EXPECT_EQ(c.authorized_keys_path, "/keys/ak");
  EXPECT_TRUE(c.accept_any_key);
  EXPECT_EQ(c.remote_host, "db2");
  EXPECT_EQ(c.remote_port, 2022);
  EXPECT_EQ(c.remote_known_hosts, "/keys/kh");
  EXPECT_TRUE(c.remote_ignore_host_key);
  EXPECT_EQ(c.log_level, LogLevel::warning);
  EXPECT_EQ(c.wan, WanLeg::relay);
  EXPECT_EQ(c.relay_url, "ws://127.0.0.1:8080");
  EXPECT_EQ(c.audit_jsonl, "/tmp/audit.jsonl");
  ASSERT_TRUE(apply_flag(c, "--accept-any-key", "false"));
  EXPECT_FALSE(c.accept_any_key);
}

TEST(GatewaySettings, NamesTheFlagOfAMistake) {
  EXPECT_EQ(flag_error("--port", "abc"), "--port: 'abc' is not a port (1-65535)");
  EXPECT_EQ(flag_error("-p", "0"), "--port: '0' is not a port (1-65535)");
  EXPECT_EQ(flag_error("--remote-host", "a b"), "--remote-host: 'a b' may contain only letters, digits, '.' and '-'");
  EXPECT_EQ(flag_error("--remote-host", ""), "--remote-host: may not be empty");
  EXPECT_EQ(flag_error("--host", ""), "--host: may not be empty");
  EXPECT_EQ(flag_error("--accept-any-key", "maybe"),
            "--accept-any-key: 'maybe' is not a boolean (1/true/yes/on or 0/false/no/off)");
  EXPECT_EQ(flag_error("--wan", "tcp"), "--wan: 'tcp' is not a WAN leg (mosh or relay)");
  EXPECT_EQ(flag_error("--remote-hots", "x"), "unknown flag '--remote-hots' (did you mean '--remote-host'?)");
  EXPECT_EQ(flag_error("relya", "x"), "unknown flag '--relya' (did you mean '--relay'?)");
  EXPECT_EQ(flag_error("--host-key-path", "x"), "unknown flag '--host-key-path'");
  EXPECT_EQ(flag_error("--config", "x"), "unknown flag '--config'");
}

TEST(GatewaySettings, FlagsBeatTheFileWhichBeatsTheEnvironmentWhichBeatsTheDefaults) {
  GatewayConfig c;
  ASSERT_TRUE(apply_environment(c, {{"REMOTE_HOST", "env-host"},
                                    {"REMOTE_PORT", "2001"},
                                    {"GATEWAY_PORT", "3001"},
                                    {"GATEWAY_WAN", "relay"},
                                    {"GATEWAY_RELAY_URL", "wss://env.example"}}));
  ASSERT_TRUE(apply_yaml(c, "remote_host: yaml-host\nremote_port: 2002\nrelay_url: wss://yaml.example\n", "g.yaml"));
  ASSERT_TRUE(apply_flag(c, "--remote-host", "flag-host"));
  EXPECT_EQ(c.remote_host, "flag-host");            // flag > yaml > env
  EXPECT_EQ(c.remote_port, 2002);                   // yaml > env, no flag
  EXPECT_EQ(c.relay_url, "wss://yaml.example");     // yaml > env
  EXPECT_EQ(c.port, 3001);                          // env > default, not in the file
  EXPECT_EQ(c.wan, WanLeg::relay);                  // env > default
  EXPECT_EQ(c.host, "0.0.0.0");                     // default
  EXPECT_EQ(c.authorized_keys_cache_seconds, 60u);  // default
  EXPECT_EQ(validate_error(c), "(valid)");
}

TEST(GatewaySettings, ValidatesTheWholeNamingEveryName) {
  EXPECT_EQ(validate_error(valid_config()), "(valid)");

  auto c = valid_config();
  c.remote_host = "a b";
  EXPECT_EQ(validate_error(c), "REMOTE_HOST (remote_host, --remote-host): 'a b' may contain only letters, digits, '.' and '-'");
  c = valid_config();
  c.host = "";
  EXPECT_EQ(validate_error(c), "GATEWAY_HOST (host, --host) may not be empty");
  c = valid_config();
  c.port = 0;
  EXPECT_EQ(validate_error(c), "GATEWAY_PORT (port, --port): 0 is not a port (1-65535)");
  c = valid_config();
  c.remote_port = 0;
  EXPECT_EQ(validate_error(c), "REMOTE_PORT (remote_port, --remote-port): 0 is not a port (1-65535)");
  c = valid_config();
  c.host_key_path = "";
  EXPECT_EQ(validate_error(c), "GATEWAY_HOST_KEY_PATH (host_key_path) may not be empty");
  c = valid_config();
  c.passwords = {{"bad name", "x"}};
  EXPECT_EQ(validate_error(c),
            "GATEWAY_PASSWORDS (passwords): 'bad name' is not a user name the gateway accepts (1-64 letters, digits, "
            "'.', '_', '-')");
  c = valid_config();
  c.passwords = {{"alice", ""}};
  EXPECT_EQ(validate_error(c), "GATEWAY_PASSWORDS (passwords): alice has an empty password");
  c = valid_config();
  c.wan = WanLeg::relay;
  EXPECT_EQ(validate_error(c),
            "GATEWAY_RELAY_URL (relay_url, --relay) is required with the relay WAN leg (GATEWAY_WAN (wan, --wan) = "
            "relay)");
  c.relay_url = "wss://relay.example.com";
  EXPECT_EQ(validate_error(c), "(valid)");
  c = valid_config();
  c.authorized_keys_cache_seconds = 86401;
  EXPECT_EQ(validate_error(c),
            "GATEWAY_AUTHORIZED_KEYS_CACHE_SECONDS (authorized_keys_cache_seconds): 86401 is more than 86400");
}

}  // namespace
}  // namespace sshrelay::gateway
