#include "native/daemon/static_files.hpp"

#include <array>
#include <utility>

namespace sshrelay::daemon {

namespace http = boost::beast::http;

namespace {

std::string_view mime_type(std::string_view path) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".wasm", "application/wasm"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".map", "application/json"},
  }};
  for (const auto& [ext, type] : kTypes) {
    if (path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext) return type;
  }
  return "application/octet-stream";
}

// Only plain segments: no "..", no hidden files, no backslashes or NULs that some layer might interpret.
bool safe_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return false;
  if (path.find('\\') != std::string_view::npos || path.find('\0') != std::string_view::npos) return false;
  return path.find("/.") == std::string_view::npos;
}

http::message_generator not_found(const http::request<http::string_body>& req) {
  http::response<http::string_body> res{http::status::not_found, req.version()};
  res.set(http::field::content_type, "text/plain");
  res.keep_alive(req.keep_alive());
  res.body() = "not found\n";
  res.prepare_payload();
  return res;
}

}  // namespace

http::message_generator serve_static(const std::string& root, std::string_view path,
                                     const http::request<http::string_body>& req) {
  if (root.empty() || !safe_path(path)) return not_found(req);
  std::string file = root + std::string(path);
  if (file.back() == '/') file += "index.html";

  http::file_body::value_type body;
  boost::beast::error_code ec;
  body.open(file.c_str(), boost::beast::file_mode::scan, ec);
  if (ec) return not_found(req);
  const auto size = body.size();
  http::response<http::file_body> res{std::piecewise_construct, std::make_tuple(std::move(body)),
                                      std::make_tuple(http::status::ok, req.version())};
  res.set(http::field::server, "sshrelayd");
  res.set(http::field::content_type, mime_type(file));
  res.set("X-Content-Type-Options", "nosniff");
  res.content_length(size);
  res.keep_alive(req.keep_alive());
  if (req.method() == http::verb::head) {
    http::response<http::empty_body> head{http::status::ok, req.version()};
    head.base() = res.base();
    return head;
  }
  return res;
}

}  // namespace sshrelay::daemon
