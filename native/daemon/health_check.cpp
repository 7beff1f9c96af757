#include "native/daemon/health_check.hpp"

#include <sys/socket.h>

#include <array>
#include <cctype>
#include <string>

namespace sshrelay::daemon {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// Whether `head` (the request head without its final CRLF CRLF) is well-formed HTTP/1.x: a request line
// `METHOD SP target SP HTTP/1.x`, then `name: value` lines whose names are tokens and whose values hold no
// control characters. Anything else is left to the HTTP session, which answers 400 (issue #10 F7).
bool well_formed_head(std::string_view head) {
  const auto is_token = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  };
  const auto line_end = head.find("\r\n");
  const std::string_view request_line = head.substr(0, line_end);
  const auto first_space = request_line.find(' ');
  const auto last_space = request_line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space) return false;
  const auto version = request_line.substr(last_space + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") return false;
  for (char c : request_line.substr(first_space + 1, last_space - first_space - 1)) {
    if (c <= ' ' || c == 0x7f) return false;
  }
  std::string_view rest = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
  while (!rest.empty()) {
    const auto end = rest.find("\r\n");
    const std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 2);
    const auto colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return false;
    for (char c : line.substr(0, colon)) {
      if (!is_token(c)) return false;
    }
    for (char c : line.substr(colon + 1)) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) return false;
    }
  }
  return true;
}

// The request head's length if `head` is a complete GET/HEAD `path`[?query] request without a body.
std::size_t health_request_length(std::string_view head, std::string_view path, bool& head_only) {
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
  if (!starts_with(rest, path)) return 0;
  const char after = rest.size() > path.size() ? rest[path.size()] : '\0';
  if (after != ' ' && after != '?') return 0;
  const auto end = head.find("\r\n\r\n");
  if (end == std::string_view::npos) return 0;
  if (!well_formed_head(head.substr(0, end))) return 0;
  // A body (or a chunked one) would follow the head: leave such a request to the HTTP session.
  std::string lower(head.substr(0, end));
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("\r\ncontent-length:") != std::string::npos || lower.find("\r\ntransfer-encoding:") != std::string::npos) {
    return 0;
  }
  return end + 4;
}

}  // namespace

bool answer_health_check(boost::asio::ip::tcp::socket& socket, std::string_view json_body) {
  std::array<char, 2048> peeked{};
  const int fd = socket.native_handle();
  const auto got = ::recv(fd, peeked.data(), peeked.size(), MSG_PEEK | MSG_DONTWAIT);
  if (got <= 0) return false;
  const std::string_view head(peeked.data(), static_cast<std::size_t>(got));
  bool head_only = false;
  std::string_view body = json_body;
  std::string_view type = "application/json";
  std::size_t length = health_request_length(head, kHealthPath, head_only);
  if (length == 0) {
    length = health_request_length(head, kPlainHealthPath, head_only);
    body = kPlainHealthBody;
    type = "text/plain; charset=utf-8";
  }
  if (length == 0) return false;
  // Take the request off the socket (closing with it unread would reset the connection), then answer.
  if (::recv(fd, peeked.data(), length, MSG_DONTWAIT) != static_cast<ssize_t>(length)) return false;
  std::string response = "HTTP/1.1 200 OK\r\nServer: sshrelayd\r\nContent-Type: " + std::string(type) +
                         "\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n\r\n";
  if (!head_only) response += body;
  (void)::send(fd, response.data(), response.size(), MSG_DONTWAIT | MSG_NOSIGNAL);  // fits an empty socket buffer
  boost::system::error_code ignored;
  socket.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
  return true;
}

}  // namespace sshrelay::daemon
