// The Python relay's settings (ssh-relay) read by sshrelayd: every one of its 36 variables, from an
// environment as its users have it to the effective configuration, and the errors and notices a
// switching user meets. The mapping table is docs/configuration.md ("Settings of the Python relay").
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/config/ssh_relay_environment.hpp"
#include "native/daemon/config.hpp"
#include "tests/support/temp_dir.hpp"

namespace sshrelay::daemon {
namespace {

using Env = std::map<std::string, std::string>;
using namespace std::chrono_literals;
using testing::TempDir;

ConfigParse parse_env(const Env& env) {
  const char* argv[] = {"sshrelayd", nullptr};
  return parse_daemon_config(1, argv, env);
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Its "minimum env to smoke-test" (no authentication), which most rows start from.
Env minimum(Env extra = {}) {
  Env env = {{"RELAY_PUBLIC_HOST", "ssh-relay.example.com"},
             {"RELAY_PUBLIC_PORT", "443"},
             {"RELAY_IDENTITY_PROVIDER", "none"},
             {"RELAY_AUTH_REQUIRED", "false"},
             {"RELAY_LOG_SINKS", "stderr"}};
  for (auto& [k, v] : extra) env[k] = v;
  return env;
}

struct Row {
  std::vector<std::string> variables;  // the ssh-relay variables this row proves
  Env env;
  std::function<void(const DaemonConfig&)> check;
};

TEST(SshRelaySettings, EveryVariableHasItsMeaning) {
  TempDir tmp;
  const std::string static_dir = tmp.file("static");
  std::filesystem::create_directories(static_dir);
  const Env pan = {{"RELAY_LOG_SINKS", "stderr,pan"},
                   {"RELAY_PAN_FIREWALL_URLS", "https://fw1.example.com,https://fw2.example.com"},
                   {"RELAY_PAN_API_KEY", "pan-key-1"},
                   {"RELAY_SOURCE_PORT_MIN", "20000"},
                   {"RELAY_SOURCE_PORT_MAX", "20999"}};
  const auto with = [](Env base, const Env& more) {
    for (auto& [k, v] : more) base[k] = v;
    return base;
  };
  const std::vector<Row> rows = {
      {{"RELAY_PUBLIC_HOST", "RELAY_PUBLIC_PORT"}, minimum(), [](const DaemonConfig& c) {
         EXPECT_EQ(c.public_host, "ssh-relay.example.com");
         EXPECT_EQ(c.public_port, 443);
       }},
      {{}, minimum({{"RELAY_PUBLIC_PORT", ""}}), [](const DaemonConfig& c) {
         EXPECT_EQ(c.public_port, 443) << "443 whenever a public host is set, as there";
       }},
      {{"RELAY_IDENTITY_PROVIDER", "RELAY_AUTH_REQUIRED"}, minimum({{"RELAY_IDENTITY_PROVIDER", "disabled"}}),
       [](const DaemonConfig& c) {
         EXPECT_EQ(c.identity.provider, "none");
         EXPECT_TRUE(c.identity.upstream_enforces_auth);
       }},
      {{"RELAY_CF_TEAM_DOMAIN", "RELAY_CF_AUDIENCE"},
       minimum({{"RELAY_IDENTITY_PROVIDER", "cloudflare-access"}, {"RELAY_AUTH_REQUIRED", "true"},
                {"RELAY_CF_TEAM_DOMAIN", "yourteam"}, {"RELAY_CF_AUDIENCE", "aud-tag"}}),
       [](const DaemonConfig& c) {
         EXPECT_EQ(c.identity.provider, "cloudflare-access");
         EXPECT_EQ(c.identity.team_domain, "yourteam");
         EXPECT_EQ(c.identity.audiences, std::vector<std::string>{"aud-tag"});
       }},
      {{"RELAY_IAP_AUDIENCE"},
       minimum({{"RELAY_IDENTITY_PROVIDER", "gcp-iap"}, {"RELAY_AUTH_REQUIRED", "true"},
                {"RELAY_IAP_AUDIENCE", "/projects/1/global/backendServices/2"}}),
       [](const DaemonConfig& c) {
         EXPECT_EQ(c.identity.provider, "gcp-iap");
         EXPECT_EQ(c.identity.audiences, std::vector<std::string>{"/projects/1/global/backendServices/2"});
       }},
      {{"RELAY_READ_CHUNK_BYTES", "RELAY_MAX_FRAME_BYTES"},
       minimum({{"RELAY_READ_CHUNK_BYTES", "65536"}, {"RELAY_MAX_FRAME_BYTES", "1048576"}}),
       [](const DaemonConfig& c) {
         EXPECT_NE(joined(c.notices).find("RELAY_READ_CHUNK_BYTES=65536 is not needed"), std::string::npos) << joined(c.notices);
         EXPECT_NE(joined(c.notices).find("RELAY_MAX_FRAME_BYTES=1048576 is not needed"), std::string::npos) << joined(c.notices);
       }},
      {{"RELAY_MAX_REPLAY_BUFFER", "RELAY_GRACE_SECONDS", "RELAY_MAX_SESSIONS_TOTAL", "RELAY_MAX_SESSIONS_PER_IDENTITY"},
       minimum({{"RELAY_MAX_REPLAY_BUFFER", "1048576"}, {"RELAY_GRACE_SECONDS", "30"},
                {"RELAY_MAX_SESSIONS_TOTAL", "1000"}, {"RELAY_MAX_SESSIONS_PER_IDENTITY", "100"}}),
       [](const DaemonConfig& c) {
         EXPECT_EQ(c.max_replay_buffer, 1u << 20);
         EXPECT_EQ(c.grace, 30s);
         EXPECT_EQ(c.max_sessions_total, 1000u);
         EXPECT_EQ(c.max_sessions_per_principal, 100u);
       }},
      {{"RELAY_ALLOWED_ORIGINS", "RELAY_TRUSTED_PROXIES", "RELAY_UNSAFE_ALLOW_LOOPBACK"},
       minimum({{"RELAY_ALLOWED_ORIGINS", "chrome-extension://iodihamcpbpeioajjeobimgagajmlibd,https://ssh.example.com"},
                {"RELAY_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.1/32"}, {"RELAY_UNSAFE_ALLOW_LOOPBACK", "true"}}),
       [](const DaemonConfig& c) {
         EXPECT_EQ(c.allowed_origins, (std::vector<std::string>{"chrome-extension://iodihamcpbpeioajjeobimgagajmlibd",
                                                                 "https://ssh.example.com"}));
         EXPECT_EQ(c.trusted_proxies.size(), 2u);
         EXPECT_TRUE(c.unsafe_allow_loopback);
       }},
      {{"RELAY_STATIC_DIR"}, minimum({{"RELAY_STATIC_DIR", static_dir}}),
       [&](const DaemonConfig& c) { EXPECT_EQ(c.web_root, static_dir); }},
      {{"RELAY_SOURCE_PORT_MIN", "RELAY_SOURCE_PORT_MAX"},
       minimum({{"RELAY_SOURCE_PORT_MIN", "20000"}, {"RELAY_SOURCE_PORT_MAX", "20999"}}),
       [](const DaemonConfig& c) {
         EXPECT_EQ(c.source_port_first, 20000);
         EXPECT_EQ(c.source_port_last, 20999);
       }},
      {{"RELAY_TARGET_ALLOWLIST", "RELAY_TARGET_DENYLIST_EXTRA"},
       minimum({{"RELAY_TARGET_ALLOWLIST", "10.0.0.0/8,192.168.0.0/16"}, {"RELAY_TARGET_DENYLIST_EXTRA", "10.9.0.0/16"}}),
       [](const DaemonConfig& c) {
         EXPECT_EQ(c.target_policy.allow.size(), 2u);
         EXPECT_EQ(c.target_policy.deny.size(), 1u);
       }},
      {{"RELAY_LOG_SINKS"}, minimum(), [](const DaemonConfig& c) {
         EXPECT_TRUE(c.audit.to_stderr);
         EXPECT_EQ(c.audit.format, AuditFormat::ssh_relay) << "its searches keep working";
       }},
      {{"RELAY_LOG_FILE_PATH", "RELAY_LOG_FILE_MAX_BYTES", "RELAY_LOG_FILE_BACKUP_COUNT"},
       minimum({{"RELAY_LOG_SINKS", "file"}, {"RELAY_LOG_FILE_PATH", tmp.file("relay.jsonl")},
                {"RELAY_LOG_FILE_MAX_BYTES", "1048576"}, {"RELAY_LOG_FILE_BACKUP_COUNT", "3"}}),
       [&](const DaemonConfig& c) {
         EXPECT_FALSE(c.audit.to_stderr) << "stderr is not in its sink list";
         EXPECT_EQ(c.audit.jsonl_path, tmp.file("relay.jsonl"));
         EXPECT_EQ(c.audit.jsonl_max_bytes, 1u << 20);
         EXPECT_EQ(c.audit.jsonl_keep, 3u);
       }},
      {{"RELAY_SPLUNK_URL", "RELAY_SPLUNK_TOKEN", "RELAY_SPLUNK_INDEX", "RELAY_SPLUNK_SOURCE", "RELAY_SPLUNK_SOURCETYPE",
        "RELAY_SPLUNK_VERIFY"},
       minimum({{"RELAY_LOG_SINKS", "stderr,splunk"}, {"RELAY_SPLUNK_URL", "https://splunk.example.com:8088"},
                {"RELAY_SPLUNK_TOKEN", "hec-token-1"}, {"RELAY_SPLUNK_INDEX", "ssh"}, {"RELAY_SPLUNK_SOURCE", "relay-a"},
                {"RELAY_SPLUNK_SOURCETYPE", "relay:json"}, {"RELAY_SPLUNK_VERIFY", "false"}}),
       [](const DaemonConfig& c) {
         EXPECT_EQ(c.audit.hec_url, "https://splunk.example.com:8088");
         EXPECT_EQ(c.audit.hec_token, "hec-token-1");
         EXPECT_EQ(c.audit.hec_index, "ssh");
         EXPECT_EQ(c.audit.hec_source, "relay-a");
         EXPECT_EQ(c.audit.hec_sourcetype, "relay:json");
         EXPECT_FALSE(c.audit.hec_verify);
         EXPECT_TRUE(c.audit.to_stderr);
       }},
      {{}, minimum({{"RELAY_LOG_SINKS", "splunk"}, {"RELAY_SPLUNK_URL", "https://splunk.example.com:8088"},
                   {"RELAY_SPLUNK_TOKEN", "hec-token-1"}}),
       [](const DaemonConfig& c) {
         EXPECT_EQ(c.audit.hec_source, "ssh-relay") << "its default source";
         EXPECT_EQ(c.audit.hec_sourcetype, "_json") << "its default sourcetype";
         EXPECT_TRUE(c.audit.hec_verify);
       }},
      {{"RELAY_PAN_FIREWALL_URLS", "RELAY_PAN_API_KEY", "RELAY_PAN_VERIFY", "RELAY_PAN_LOGIN_TIMEOUT_SECONDS",
        "RELAY_RELAY_IP"},
       with(minimum(pan), {{"RELAY_PAN_VERIFY", "no"}, {"RELAY_PAN_LOGIN_TIMEOUT_SECONDS", "3601"},
                           {"RELAY_RELAY_IP", "192.0.2.10"}}),
       [](const DaemonConfig& c) {
         EXPECT_EQ(c.audit.pan_urls, (std::vector<std::string>{"https://fw1.example.com", "https://fw2.example.com"}));
         EXPECT_EQ(c.audit.pan_api_key, "pan-key-1");
         EXPECT_FALSE(c.audit.pan_verify);
         EXPECT_EQ(c.audit.pan_login_timeout_minutes, 61u) << "PAN-OS counts minutes: rounded up";
         EXPECT_EQ(c.audit.pan_relay_ip, "192.0.2.10");
       }},
  };
  std::set<std::string> proven;
  for (const auto& row : rows) {
    SCOPED_TRACE(row.variables.empty() ? std::string("(defaults)") : row.variables.front());
    const ConfigParse r = parse_env(row.env);
    if (const auto* e = std::get_if<ConfigError>(&r)) {
      ADD_FAILURE() << e->message;
      continue;
    }
    const auto& c = std::get<DaemonConfig>(r);
    EXPECT_EQ(joined(c.warnings), "") << "an ssh-relay variable read as unknown";
    row.check(c);
    proven.insert(row.variables.begin(), row.variables.end());
  }
  // The table covers every variable the Python relay reads.
  std::set<std::string> all;
  for (const auto& v : config::ssh_relay_variables()) all.insert(std::string(v.name));
  EXPECT_EQ(all.size(), 36u);
  EXPECT_EQ(proven, all);
}

TEST(SshRelaySettings, ErrorsNameTheVariable) {
  const auto error_of = [](const Env& env) {
    const ConfigParse r = parse_env(env);
    const auto* e = std::get_if<ConfigError>(&r);
    return e ? e->message : std::string("(no error)");
  };
  EXPECT_NE(error_of(minimum({{"RELAY_AUTH_REQUIRED", "true"}})).find("RELAY_AUTH_REQUIRED=true contradicts"),
            std::string::npos);
  EXPECT_NE(error_of(minimum({{"RELAY_LOG_SINKS", "stderr,syslog"}})).find("\"syslog\" is not a sink"), std::string::npos);
  EXPECT_NE(error_of(minimum({{"RELAY_LOG_SINKS", "file"}})).find("RELAY_LOG_FILE_PATH is not set"), std::string::npos);
  EXPECT_NE(error_of(minimum({{"RELAY_SOURCE_PORT_MIN", "20000"}})).find("without RELAY_SOURCE_PORT_MAX"),
            std::string::npos);
  EXPECT_NE(error_of(minimum({{"RELAY_GRACE_SECONDS", "soon"}})).find("RELAY_GRACE_SECONDS"), std::string::npos);
  EXPECT_NE(error_of(minimum({{"RELAY_MAX_FRAME_BYTES", "1MB"}})).find("RELAY_MAX_FRAME_BYTES"), std::string::npos);
  // Its misspelt provider silently became "none"; here it stops the start.
  EXPECT_NE(error_of(minimum({{"RELAY_IDENTITY_PROVIDER", "cloudflare"}})).find("cloudflare"), std::string::npos);
}

TEST(SshRelaySettings, WhatIsReadDifferentlyIsSaid) {
  // A Splunk variable while RELAY_LOG_SINKS does not name splunk is not used, as there, and the log says so.
  const ConfigParse r = parse_env(minimum({{"RELAY_SPLUNK_URL", "https://splunk.example.com:8088"}}));
  const auto& c = std::get<DaemonConfig>(r);
  EXPECT_EQ(c.audit.hec_url, "");
  EXPECT_NE(joined(c.notices).find("RELAY_SPLUNK_URL is not used: RELAY_LOG_SINKS does not name splunk"),
            std::string::npos) << joined(c.notices);
  // Our own spelling wins over theirs.
  const ConfigParse both = parse_env(minimum({{"RELAY_MAX_SESSIONS_PER_IDENTITY", "5"},
                                              {"RELAY_MAX_SESSIONS_PER_PRINCIPAL", "7"}}));
  EXPECT_EQ(std::get<DaemonConfig>(both).max_sessions_per_principal, 7u);
  EXPECT_NE(joined(std::get<DaemonConfig>(both).notices).find("overridden by RELAY_MAX_SESSIONS_PER_PRINCIPAL"),
            std::string::npos);
  // A typo of one of its names gets the nearest of its names.
  const ConfigParse typo = parse_env(minimum({{"RELAY_SPLUNK_TOKN", "x"}}));
  EXPECT_NE(joined(std::get<DaemonConfig>(typo).warnings).find("did you mean RELAY_SPLUNK_TOKEN?"), std::string::npos)
      << joined(std::get<DaemonConfig>(typo).warnings);
  // A JWT provider with RELAY_AUTH_REQUIRED=false still needs a token here, and says so.
  const ConfigParse optional = parse_env(minimum({{"RELAY_IDENTITY_PROVIDER", "cloudflare-access"},
                                                  {"RELAY_CF_TEAM_DOMAIN", "t"}, {"RELAY_CF_AUDIENCE", "a"}}));
  EXPECT_NE(joined(std::get<DaemonConfig>(optional).notices).find("still requires a valid token"), std::string::npos);
}

}  // namespace
}  // namespace sshrelay::daemon
