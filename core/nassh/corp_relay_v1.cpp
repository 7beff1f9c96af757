#include "core/nassh/corp_relay_v1.hpp"

#include <algorithm>

namespace sshrelay::v1 {
namespace {

constexpr std::uint8_t kSshMsgDisconnect = 1;
constexpr std::uint32_t kDisconnectProtocolError = 2;
constexpr std::size_t kBlockSize = 8;  // the cipher block size before any key exchange
constexpr std::size_t kMaxTextBytes = 400;  // OpenSSH prints at most 400 characters of it

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

void put_string(std::vector<std::uint8_t>& out, std::string_view s) {
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

}  // namespace

std::string unsupported_protocol_text() {
  return "this relay speaks corp-relay-v4@google.com only: add --proxy-mode=corp-relay-v4@google.com to the "
         "relay server options";
}

std::vector<std::uint8_t> ssh_disconnect_notice(std::string_view text) {
  constexpr std::string_view version = "SSH-2.0-sshrelayd\r\n";
  std::vector<std::uint8_t> payload{kSshMsgDisconnect};
  put_u32(payload, kDisconnectProtocolError);
  put_string(payload, text.substr(0, std::min(text.size(), kMaxTextBytes)));
  put_string(payload, "");  // language tag
  // packet_length (4) + padding_length (1) + payload + padding is a multiple of the block size, with at
  // least 4 bytes of padding.
  std::size_t padding = kBlockSize - (5 + payload.size()) % kBlockSize;
  if (padding < 4) padding += kBlockSize;
  std::vector<std::uint8_t> out(version.begin(), version.end());
  put_u32(out, static_cast<std::uint32_t>(1 + payload.size() + padding));
  out.push_back(static_cast<std::uint8_t>(padding));
  out.insert(out.end(), payload.begin(), payload.end());
  out.insert(out.end(), padding, 0);  // no secrecy to protect before key exchange
  return out;
}

std::vector<std::uint8_t> connect_message(std::uint32_t ack, const std::vector<std::uint8_t>& data) {
  std::vector<std::uint8_t> out;
  out.reserve(4 + data.size());
  put_u32(out, ack & 0xFFFFFF);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

}  // namespace sshrelay::v1
