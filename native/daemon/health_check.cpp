#include "native/daemon/health_check.hpp"

#include <sys/socket.h>

#include <array>
#include <cctype>
#include <string>

namespace sshrelay::daemon {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// The request head's length if `head` is a complete GET/HEAD /healthz[?query] request without a body.
std::size_t health_request_length(std::string_view head, bool& head_only) {
  std::string_view rest;
  if (starts_with(head, "GET ")) {
    rest = head.substr(4);
    head_only = false;
  } else if (starts_with(head, "HEAD ")) {
    rest = head.substr(5);
    head_only = true;
  } else {
    return 0;
  }
  if (!starts_with(rest, kHealthPath)) return 0;
  const char after = rest.size() > kHealthPath.size() ? rest[kHealthPath.size()] : '\0';
  if (after != ' ' && after != '?') return 0;
  const auto end = head.find("\r\n\r\n");
  if (end == std::string_view::npos) return 0;
  // A body (or a chunked one) would follow the head: leave such a request to the HTTP session.
  std::string lower(head.substr(0, end));
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("\r\ncontent-length:") != std::string::npos || lower.find("\r\ntransfer-encoding:") != std::string::npos) {
    return 0;
  }
  return end + 4;
}

}  // namespace

bool answer_health_check(boost::asio::ip::tcp::socket& socket) {
  std::array<char, 2048> peeked{};
  const int fd = socket.native_handle();
  const auto got = ::recv(fd, peeked.data(), peeked.size(), MSG_PEEK | MSG_DONTWAIT);
  if (got <= 0) return false;
  bool head_only = false;
  const std::size_t length = health_request_length(std::string_view(peeked.data(), static_cast<std::size_t>(got)), head_only);
  if (length == 0) return false;
  // Take the request off the socket (closing with it unread would reset the connection), then answer.
  if (::recv(fd, peeked.data(), length, MSG_DONTWAIT) != static_cast<ssize_t>(length)) return false;
  std::string response = "HTTP/1.1 200 OK\r\nServer: sshrelayd\r\nContent-Type: application/json\r\n"
                         "Cache-Control: no-store\r\nConnection: close\r\nContent-Length: " +
                         std::to_string(kHealthBody.size()) + "\r\n\r\n";
  if (!head_only) response += kHealthBody;
  (void)::send(fd, response.data(), response.size(), MSG_DONTWAIT | MSG_NOSIGNAL);  // fits an empty socket buffer
  boost::system::error_code ignored;
  socket.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
  return true;
}

}  // namespace sshrelay::daemon
