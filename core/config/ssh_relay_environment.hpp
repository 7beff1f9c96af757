#pragma once
// The Python nassh relay's settings (ssh-relay, tehrhart/nassh-proxy) read as ours, so that its users
// switch by swapping the binary and keeping their environment file. Each of its RELAY_* variables has
// one meaning here: most are another name for one of our settings, a few (RELAY_LOG_SINKS, the source
// port pair, RELAY_AUTH_REQUIRED) decide several of ours, and two (RELAY_READ_CHUNK_BYTES,
// RELAY_MAX_FRAME_BYTES) are checked and then answered with our fixed limits. The table is in
// docs/configuration.md ("Settings of the Python relay").
//
// Pure: environment in, our RELAY_* variables and the lines to log out. The daemon's parser reads the
// result like any other environment, so one set of value checks serves both spellings.
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/result.hpp"

namespace sshrelay::config {

// Every variable the Python relay reads (its 36 settings), by our spelling of its name.
struct SshRelayVariable {
  std::string_view name;     // "RELAY_CF_TEAM_DOMAIN"
  std::string_view becomes;  // what it sets here, for the docs and the startup log
};
const std::vector<SshRelayVariable>& ssh_relay_variables();
bool is_ssh_relay_variable(std::string_view name);

// For a variable its users may have that is not one of its settings (RELAY_HOST, RELAY_PORT and
// RELAY_TLS_PORT of its Makefile: the uvicorn bind): what to use instead, or empty.
std::string_view ssh_relay_hint(std::string_view name);

struct TranslatedEnvironment {
  // The environment with each ssh-relay variable replaced by the variables of ours it stands for. Where
  // both spellings are set, ours wins (a notice says so).
  std::map<std::string, std::string> variables;
  // One line each for the startup log: what was read as what, and where our meaning differs.
  std::vector<std::string> notices;
};

// Fails, naming the variable and value, where the Python relay would refuse to start too (an unknown
// audit sink, a sink without its settings, RELAY_AUTH_REQUIRED=true with no identity provider) or where a
// value cannot mean anything (a lone source-port bound).
Result<TranslatedEnvironment> translate_ssh_relay_environment(const std::map<std::string, std::string>& env);

}  // namespace sshrelay::config
