#include "tests/integration/raw_wire.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sshrelay::itest {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool header_named(const std::string& line, const std::string& name) {
  return lower(line.substr(0, name.size() + 1)) == lower(name) + ":";
}

std::string request(const std::string& first_line, std::vector<std::string> defaults, const std::vector<std::string>& extra) {
  // Defaults are "Name: value"; one whose name appears in `extra` is left out.
  std::string out = first_line + "\r\n";
  for (const auto& line : defaults) {
    const std::string name = line.substr(0, line.find(':'));
    const bool replaced = std::any_of(extra.begin(), extra.end(), [&](const std::string& e) { return header_named(e, name); });
    if (!replaced) out += line + "\r\n";
  }
  for (const auto& line : extra) out += line + "\r\n";
  return out + "\r\n";
}

}  // namespace

std::uint16_t RawFrame::close_code() const {
  if (payload.size() < 2) return 0;
  return static_cast<std::uint16_t>((payload[0] << 8) | payload[1]);
}

std::string RawFrame::close_reason() const {
  return payload.size() <= 2 ? std::string() : std::string(payload.begin() + 2, payload.end());
}

RawConnection::RawConnection(std::uint16_t port, int receive_buffer) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  if (receive_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd_);
    throw std::runtime_error("connect to 127.0.0.1:" + std::to_string(port) + ": " + why);
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::send(std::string_view bytes) {
  return send(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

bool RawConnection::send(std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

std::size_t RawConnection::send_within(std::span<const std::uint8_t> bytes, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t written = 0;
  while (written < bytes.size()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd_, POLLOUT, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // the deadline check above ends the loop
    const auto n = ::send(fd_, bytes.data() + written, bytes.size() - written, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
    if (n <= 0) break;
    written += static_cast<std::size_t>(n);
  }
  return written;
}

std::size_t RawConnection::unacknowledged() const {
  int queued = 0;
  if (::ioctl(fd_, SIOCOUTQ, &queued) != 0 || queued < 0) return 0;
  return static_cast<std::size_t>(queued);
}

bool RawConnection::fill(std::size_t n, std::chrono::steady_clock::time_point deadline) {
  char chunk[16384];
  while (buffer_.size() < n) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      last_end_ = ReadEnd::timeout;
      return false;
    }
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) continue;  // the deadline check above ends the loop
    const auto got = ::recv(fd_, chunk, sizeof chunk, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got == 0) {
      last_end_ = ReadEnd::eof;
      return false;
    }
    if (got < 0) {
      last_end_ = ReadEnd::reset;
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(got));
    received_total_ += static_cast<std::size_t>(got);
  }
  return true;
}

std::optional<RawHttpResponse> RawConnection::read_http_response(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(buffer_.size() + 1, deadline)) return std::nullopt;
  }
  RawHttpResponse response;
  const std::string head = buffer_.substr(0, head_end);
  buffer_.erase(0, head_end + 4);
  const auto first_end = head.find("\r\n");
  const std::string status_line = head.substr(0, first_end);
  if (status_line.rfind("HTTP/1.", 0) == 0 && status_line.size() >= 12) {
    response.status = static_cast<unsigned>(std::stoul(status_line.substr(9, 3)));
  }
  std::size_t pos = first_end == std::string::npos ? head.size() : first_end + 2;
  while (pos < head.size()) {
    auto end = head.find("\r\n", pos);
    if (end == std::string::npos) end = head.size();
    const std::string line = head.substr(pos, end - pos);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      response.headers[lower(line.substr(0, colon))] = value;
    }
    pos = end + 2;
  }
  if (auto it = response.headers.find("content-length"); it != response.headers.end() && response.status != 101) {
    const auto length = static_cast<std::size_t>(std::stoul(it->second));
    if (!fill(length, deadline)) return response;  // what arrived of the head is still worth reporting
    response.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
  }
  return response;
}

std::optional<RawFrame> RawConnection::read_frame(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!fill(2, deadline)) return std::nullopt;
  const auto b0 = static_cast<std::uint8_t>(buffer_[0]);
  const auto b1 = static_cast<std::uint8_t>(buffer_[1]);
  std::size_t header = 2;
  std::uint64_t length = b1 & 0x7f;
  if (length == 126) header = 4;
  if (length == 127) header = 10;
  if (!fill(header, deadline)) return std::nullopt;
  if (header > 2) {
    length = 0;
    for (std::size_t i = 2; i < header; ++i) length = (length << 8) | static_cast<std::uint8_t>(buffer_[i]);
  }
  if (length > (64u << 20)) throw std::runtime_error("server frame of " + std::to_string(length) + " bytes");
  if (!fill(header + length, deadline)) return std::nullopt;
  RawFrame frame;
  frame.fin = (b0 & 0x80) != 0;
  frame.opcode = b0 & 0x0f;
  frame.payload.assign(buffer_.begin() + static_cast<std::ptrdiff_t>(header),
                       buffer_.begin() + static_cast<std::ptrdiff_t>(header + length));
  buffer_.erase(0, header + length);
  return frame;
}

std::optional<RawFrame> RawConnection::read_close(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int frames = 0; frames < 100000; ++frames) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      last_end_ = ReadEnd::timeout;
      return std::nullopt;
    }
    auto frame = read_frame(left);
    if (!frame) return std::nullopt;
    if (frame->opcode == 8) return frame;
  }
  return std::nullopt;
}

ReadEnd RawConnection::drain(std::chrono::milliseconds timeout, std::size_t limit) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const std::size_t start = received_total_;
  while (received_total_ - start < limit) {
    buffer_.clear();
    if (!fill(1, deadline)) return last_end_;
  }
  return ReadEnd::limit;
}

void RawConnection::reset() {
  const linger hard{1, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  ::close(fd_);
  fd_ = -1;
}

std::string upgrade_request(std::uint16_t port, const std::string& target, const std::vector<std::string>& extra) {
  return request("GET " + target + " HTTP/1.1",
                 {"Host: 127.0.0.1:" + std::to_string(port), "Upgrade: websocket", "Connection: Upgrade",
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13",
                  "Sec-WebSocket-Protocol: ssh"},
                 extra);
}

std::string get_request(std::uint16_t port, const std::string& target, const std::vector<std::string>& extra) {
  return request("GET " + target + " HTTP/1.1", {"Host: 127.0.0.1:" + std::to_string(port), "Connection: close"}, extra);
}

std::vector<std::uint8_t> client_frame(std::uint8_t opcode, std::span<const std::uint8_t> payload, bool masked,
                                       std::uint8_t rsv, std::optional<std::uint64_t> declared_length, bool fin) {
  std::vector<std::uint8_t> out;
  out.push_back(static_cast<std::uint8_t>((fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f)));
  const std::uint64_t length = declared_length.value_or(payload.size());
  const std::uint8_t mask_bit = masked ? 0x80 : 0;
  if (length < 126) {
    out.push_back(static_cast<std::uint8_t>(mask_bit | length));
  } else if (length <= 0xffff) {
    out.push_back(mask_bit | 126);
    out.push_back(static_cast<std::uint8_t>(length >> 8));
    out.push_back(static_cast<std::uint8_t>(length));
  } else {
    out.push_back(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(length >> shift));
  }
  const std::uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (masked) out.insert(out.end(), mask, mask + 4);
  for (std::size_t i = 0; i < payload.size(); ++i) out.push_back(masked ? payload[i] ^ mask[i % 4] : payload[i]);
  return out;
}

RawV4Wire::RawV4Wire(std::uint16_t port, const std::string& request, int receive_buffer)
    : connection_(port, receive_buffer) {
  if (!connection_.send(request)) throw std::runtime_error("could not send the upgrade request");
  auto response = connection_.read_http_response();
  if (!response) throw std::runtime_error("no answer to the upgrade request");
  if (response->status != 101) {
    throw std::runtime_error("upgrade refused: HTTP " + std::to_string(response->status) + " " + response->body);
  }
}

bool RawV4Wire::send(std::span<const std::uint8_t> message) { return connection_.send(client_frame(2, message)); }

std::optional<std::vector<std::uint8_t>> RawV4Wire::next_message(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int frames = 0; frames < 100000; ++frames) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    auto frame = connection_.read_frame(left);
    if (!frame) return std::nullopt;
    if (frame->opcode == 8) {
      close_ = std::move(frame);
      return std::nullopt;
    }
    if (frame->opcode == 2) return std::move(frame->payload);
  }
  return std::nullopt;
}

}  // namespace sshrelay::itest
