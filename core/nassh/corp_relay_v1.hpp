#pragma once
// What sshrelayd says to a client of the older corp-relay@google.com protocol, which the Secure Shell
// extension speaks when its relay options leave out --proxy-mode. sshrelayd does not relay it (it cannot
// resume uploads: the client keeps no copy of what it sent); instead it tells the user, in the one place
// the extension shows anything, which option to set.
//
// The v1 flow, from libapps nassh (nassh_relay_corp.js, nassh_stream_relay_corp.js): GET /proxy?host=&port=
// (an XHR with credentials) answers a session id as text; then a WebSocket to /connect?sid=&ack=&pos=
// whose server messages are a 4-byte big-endian ack of the client's bytes followed by bytes for ssh. So
// the relay answers /proxy, accepts /connect, and sends ssh an SSH version line and an
// SSH_MSG_DISCONNECT carrying the text: OpenSSH (the extension's ssh) prints
// "Received disconnect from HOST port PORT:2: <text>" in the terminal.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sshrelay::v1 {

inline constexpr std::string_view kProxyPath = "/proxy";
inline constexpr std::string_view kConnectPath = "/connect";
// The session id /proxy answers: there is no session behind it.
inline constexpr std::string_view kNoticeSessionId = "corp-relay-v4-only";

// The text the user reads.
std::string unsupported_protocol_text();

// The SSH server's side of the first bytes: "SSH-2.0-sshrelayd\r\n" then one unencrypted binary packet
// (RFC 4253 §6) holding SSH_MSG_DISCONNECT (reason 2, protocol error) with `text` (cut to 400 bytes).
std::vector<std::uint8_t> ssh_disconnect_notice(std::string_view text);

// One server-to-client /connect message: the 4-byte big-endian ack of the client's bytes (modulo 2^24),
// then `data`.
std::vector<std::uint8_t> connect_message(std::uint32_t ack, const std::vector<std::uint8_t>& data);

}  // namespace sshrelay::v1
