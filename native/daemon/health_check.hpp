#pragma once
// GET /healthz: what a load balancer asks to decide whether to keep sending users here. The router
// answers it like any request; the listener also answers it on its own thread the moment a plain-HTTP
// connection is accepted with the whole request already readable, so a burst of session setups queued
// on the I/O threads cannot make a healthy relay look dead (issue #10 F7: p99 of 0.7-1.6 s before).
#include <boost/asio/ip/tcp.hpp>
#include <string_view>

namespace sshrelay::daemon {

inline constexpr std::string_view kHealthPath = "/healthz";
inline constexpr std::string_view kHealthBody = "{\"ok\":true}";
// wsproxy's health endpoint, for its users' load balancers: 200, text/plain, "ok".
inline constexpr std::string_view kPlainHealthPath = "/health";
inline constexpr std::string_view kPlainHealthBody = "ok";

// If `socket` holds a complete `GET /healthz` or `GET /health` (or HEAD) request without a body, answers
// it (200, Connection: close), closes the socket and returns true. Otherwise reads nothing, returns false.
// Never blocks: only bytes already received are looked at.
// `json_body`: what /healthz says (kHealthBody, or with the cluster's state: router.hpp's health_body).
bool answer_health_check(boost::asio::ip::tcp::socket& socket, std::string_view json_body = kHealthBody);

}  // namespace sshrelay::daemon
