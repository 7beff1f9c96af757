#include "core/tunnel/tunnel_frame.hpp"

namespace sshrelay::tunnel {

std::vector<std::uint8_t> frame_header(std::string_view conn_id) {
  const auto n = static_cast<std::uint32_t>(conn_id.size());
  std::vector<std::uint8_t> out = {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                                   static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
  out.insert(out.end(), conn_id.begin(), conn_id.end());
  return out;
}

std::vector<std::uint8_t> encode_frame(std::string_view conn_id, std::span<const std::uint8_t> payload) {
  auto out = frame_header(conn_id);
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

std::optional<Frame> decode_frame(std::span<const std::uint8_t> message) {
  if (message.size() < 4) return std::nullopt;
  const std::uint32_t n = (std::uint32_t{message[0]} << 24) | (std::uint32_t{message[1]} << 16) |
                          (std::uint32_t{message[2]} << 8) | message[3];
  if (n == 0 || n > kMaxFrameIdLength || message.size() < 4 + std::size_t{n}) return std::nullopt;
  return Frame{std::string_view(reinterpret_cast<const char*>(message.data() + 4), n), message.subspan(4 + n)};
}

}  // namespace sshrelay::tunnel
