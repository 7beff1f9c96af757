#include "native/daemon/websocket_upgrade.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>

namespace sshrelay::daemon {

std::string websocket_accept_key(std::string_view key) {
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  const std::string input = std::string(key) + std::string(kGuid);
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
  std::array<unsigned char, 4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1> encoded{};
  const int n = EVP_EncodeBlock(encoded.data(), digest.data(), SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<const char*>(encoded.data()), static_cast<std::size_t>(n));
}

bool offers_subprotocol(std::string_view offered, std::string_view protocol) {
  std::size_t pos = 0;
  while (pos <= offered.size()) {
    auto comma = offered.find(',', pos);
    if (comma == std::string_view::npos) comma = offered.size();
    auto token = offered.substr(pos, comma - pos);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
    if (token == protocol) return true;
    pos = comma + 1;
  }
  return false;
}

std::string upgrade_response(std::string_view key, std::string_view subprotocol) {
  std::string out =
      "HTTP/1.1 101 Switching Protocols\r\nServer: sshrelayd\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Accept: " +
      websocket_accept_key(key) + "\r\n";
  if (!subprotocol.empty()) out += "Sec-WebSocket-Protocol: " + std::string(subprotocol) + "\r\n";
  return out + "\r\n";
}

}  // namespace sshrelay::daemon
