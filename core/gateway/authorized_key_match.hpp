#pragma once
// Whether an OpenSSH authorized_keys text lists a presented public key: the gateway's check of a client
// key against the remote user's file (fetched over SSH) or a local one. Lenient as sshd is about what
// surrounds the key: blank lines, `#` comments, options before the key type (even quoted ones with
// blanks) and the comment after it are all passed over; only the type and the base64 blob must match.
// Options are not enforced (the gateway runs no command on the client's behalf).
#include <string_view>

namespace sshrelay::gateway {

bool authorized_keys_list(std::string_view text, std::string_view key_type, std::string_view key_base64);

}  // namespace sshrelay::gateway
