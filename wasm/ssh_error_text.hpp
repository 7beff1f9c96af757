#pragma once
// libssh's message for the session's last error, or `fallback` when it has none: the words a channel
// (terminal, SFTP, forward, command) puts after its own "what broke".
#include <string>

#include <libssh/libssh.h>

namespace sshrelay::wasm {

inline std::string ssh_error_text(ssh_session session, const char* fallback) {
  const char* detail = ssh_get_error(session);
  return detail != nullptr && *detail ? detail : fallback;
}

}  // namespace sshrelay::wasm
