#pragma once
// The web client's files (web/), served at /. Read-only, no directory listings, no path escapes.
#include <boost/beast/http.hpp>
#include <string>
#include <string_view>

namespace sshrelay::daemon {

// `path` is the decoded URL path; "/" serves index.html. 404 for anything missing or outside root.
boost::beast::http::message_generator serve_static(const std::string& root, std::string_view path,
                                                   const boost::beast::http::request<boost::beast::http::string_body>& req);

}  // namespace sshrelay::daemon
