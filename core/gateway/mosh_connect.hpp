#pragma once
// Starting mosh-server on the remote host and reading where it listens (peers.md §4.4). The gateway runs
// `mosh-server new -s -c 256 -l LANG=en_US.UTF-8` over SSH and reads its output (stdout and stderr
// together, as ssh-mosh-wan-optimizer does: versions differ in where they print it) for the line
//   MOSH CONNECT <udp port> <key>
// The key is mosh's session key (22 characters of base64) handed to mosh-client as MOSH_KEY: a secret,
// so no error message repeats it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/common/result.hpp"

namespace sshrelay::gateway {

inline constexpr std::string_view kMoshDefaultLocale = "LANG=en_US.UTF-8";

// How much of mosh-server's output an error quotes when the MOSH CONNECT line is missing.
inline constexpr std::size_t kMoshOutputQuoted = 400;

// The remote command line: "mosh-server new -s -c 256 -l LANG=en_US.UTF-8" for the default locale. A
// locale with characters a shell would interpret is single-quoted.
std::string mosh_server_command(std::string_view locale = kMoshDefaultLocale);

// MOSH carries a screen, not the remote shell's exit status. So that `ssh` through the gateway still ends
// with it, the session runs the user's login shell under a small wrapper that writes the status to
// `exit_file` (relative to the remote user's home) when the shell ends; the gateway reads it back over SSH
// afterwards. `exit_file` is made by the gateway (letters, digits, '.', '-' and '_' only).
//   <server_command> -- /bin/sh -c '"${SHELL:-/bin/sh}" -l; echo $? > "$HOME/<exit_file>"'
std::string mosh_session_command(std::string_view server_command, std::string_view exit_file);
// Reads and removes the file: `cat "$HOME/<exit_file>" && rm -f "$HOME/<exit_file>"`.
std::string exit_status_command(std::string_view exit_file);
// The status the file holds (0-255), or nothing when it holds something else.
std::optional<int> parse_exit_status(std::string_view text);

struct MoshConnect {
  std::uint16_t udp_port = 0;
  std::string key;
};

// Lines are split at '\n' and stripped of blanks; the first line that starts with "MOSH CONNECT" and has at
// least four blank-separated fields gives the port (field 3, 1-65535) and the key (field 4: base64
// characters, at least one). Shorter MOSH CONNECT lines are passed over, as the peer does. Without such a
// line the error quotes the first 400 bytes of output (control bytes other than newline and tab escaped).
// Errors are protocol errors: the text comes from the remote host.
Result<MoshConnect> parse_mosh_connect(std::string_view output);

}  // namespace sshrelay::gateway
