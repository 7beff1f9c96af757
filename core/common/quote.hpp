#pragma once
// Quoting peer-supplied text inside an error message.
#include <string>
#include <string_view>

namespace sshrelay {

// "text" with non-printable bytes, quotes and backslashes as \xNN and anything past 80 bytes cut to
// "...": a message stays one readable line whatever the peer sent.
std::string quote(std::string_view text);

}  // namespace sshrelay
