// The Python relay's variables as ours (the translation alone; tests/native/config_ssh_relay_test.cpp
// follows each one to the daemon's effective configuration).
#include "core/config/ssh_relay_environment.hpp"

#include <gtest/gtest.h>

#include <set>

namespace sshrelay::config {
namespace {

using Env = std::map<std::string, std::string>;

TEST(SshRelayEnvironment, RenamesAndKeepsWhatIsAlreadyOurs) {
  const auto t = translate_ssh_relay_environment({{"RELAY_CF_TEAM_DOMAIN", "team"},
                                                  {"RELAY_GRACE_SECONDS", "30"},
                                                  {"RELAY_SOURCE_PORT_MIN", "20000"},
                                                  {"RELAY_SOURCE_PORT_MAX", "20099"},
                                                  {"OTHER", "x"}});
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->variables, (Env{{"RELAY_IDENTITY_TEAM_DOMAIN", "team"},
                               {"RELAY_GRACE_SECONDS", "30"},
                               {"RELAY_SOURCE_PORT_RANGE", "20000-20099"},
                               {"OTHER", "x"}}));
  EXPECT_TRUE(t->notices.empty());
}

TEST(SshRelayEnvironment, LogSinksDecideStderrFormatAndWhichVariablesCount) {
  const auto t = translate_ssh_relay_environment(
      {{"RELAY_LOG_SINKS", "file"}, {"RELAY_LOG_FILE_PATH", "/var/log/r.jsonl"}, {"RELAY_PAN_API_KEY", "k"}});
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->variables, (Env{{"RELAY_AUDIT_STDERR", "false"},
                               {"RELAY_AUDIT_FORMAT", "ssh-relay"},
                               {"RELAY_AUDIT_JSONL", "/var/log/r.jsonl"}}));
  ASSERT_EQ(t->notices.size(), 2u);
  EXPECT_NE(t->notices[1].find("RELAY_PAN_API_KEY is not used"), std::string::npos) << t->notices[1];
}

TEST(SshRelayEnvironment, RefusesWhatThePythonRelayRefuses) {
  EXPECT_FALSE(translate_ssh_relay_environment({{"RELAY_AUTH_REQUIRED", "true"}}));  // provider none by default
  EXPECT_FALSE(translate_ssh_relay_environment({{"RELAY_AUTH_REQUIRED", "maybe"}}));
  EXPECT_FALSE(translate_ssh_relay_environment({{"RELAY_LOG_SINKS", "Stderr"}}));  // its names are case-sensitive
  EXPECT_FALSE(translate_ssh_relay_environment({{"RELAY_LOG_SINKS", "splunk"}, {"RELAY_SPLUNK_URL", "https://s"}}));
  EXPECT_FALSE(translate_ssh_relay_environment({{"RELAY_CF_AUDIENCE", "a"}, {"RELAY_IAP_AUDIENCE", "b"}}));
  EXPECT_FALSE(translate_ssh_relay_environment({{"RELAY_SOURCE_PORT_MAX", "3"}}));
  EXPECT_TRUE(translate_ssh_relay_environment({{"RELAY_AUTH_REQUIRED", "true"}, {"RELAY_IDENTITY_PROVIDER", "gcp-iap"}}));
}

TEST(SshRelayEnvironment, ItsMakefileVariablesGetAHint) {
  EXPECT_NE(ssh_relay_hint("RELAY_HOST").find("RELAY_LISTEN=HOST:PORT"), std::string_view::npos);
  EXPECT_NE(ssh_relay_hint("RELAY_PORT").find("RELAY_LISTEN"), std::string_view::npos);
  EXPECT_TRUE(ssh_relay_hint("RELAY_GRACE_SECOND").empty());
}

TEST(SshRelayEnvironment, ListsAllThirtySixOnce) {
  std::set<std::string_view> names;
  for (const auto& v : ssh_relay_variables()) {
    EXPECT_TRUE(names.insert(v.name).second) << v.name;
    EXPECT_TRUE(is_ssh_relay_variable(v.name));
  }
  EXPECT_EQ(names.size(), 36u);
  EXPECT_FALSE(is_ssh_relay_variable("RELAY_LISTEN"));
}

}  // namespace
}  // namespace sshrelay::config
