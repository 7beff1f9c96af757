#include "native/daemon/router.hpp"

#include "native/daemon/audit/audit_log.hpp"

#include <boost/beast/version.hpp>
#include <boost/url/parse.hpp>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>

#include "core/nassh_cookie.hpp"
#include "core/session_id.hpp"
#include "native/daemon/close_codes.hpp"
#include "native/daemon/relay_session.hpp"
#include "native/daemon/static_files.hpp"

namespace sshrelay::daemon {
namespace {

using Params = std::map<std::string, std::string>;

http::message_generator text_response(const Request& req, http::status status, std::string_view content_type,
                                      std::string body) {
  http::response<http::string_body> res{status, req.version()};
  res.set(http::field::server, "sshrelayd");
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.keep_alive(req.keep_alive());
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

http::message_generator bad_request(const Request& req, std::string_view message) {
  return text_response(req, http::status::bad_request, "text/html; charset=utf-8", render_error_page(message));
}

std::optional<std::string> param(const Params& params, const std::string& name) {
  auto it = params.find(name);
  if (it == params.end()) return std::nullopt;
  return it->second;
}

http::message_generator statz(const Request& req, RelayContext& ctx) {
  std::size_t attached = 0;
  const auto sessions = ctx.registry.all();
  for (const auto& session : sessions) attached += session->attached() ? 1 : 0;
  nlohmann::json body = {{"sessions", sessions.size()},
                         {"attached", attached},
                         {"replay_bytes", ctx.budget.in_use()},
                         {"replay_bytes_peak", ctx.budget.peak()},
                         {"replay_budget", ctx.budget.limit()}};
  if (ctx.audit_log) body["audit_lost"] = ctx.audit_log->lost_counts();
  return text_response(req, http::status::ok, "application/json", body.dump());
}

http::message_generator cookie(const Request& req, RelayContext& ctx, const Params& params) {
  CookieRequest cookie_request{param(params, "ext"), param(params, "path"), param(params, "version"),
                               param(params, "method"), ctx.config.public_host, ctx.config.public_port, std::nullopt};
  auto answer = answer_cookie(cookie_request);
  if (!answer) return bad_request(req, answer.error().message);
  if (auto* redirect = std::get_if<CookieRedirect>(&*answer)) {
    return text_response(req, http::status::ok, "text/html; charset=utf-8", render_redirect_page(redirect->url));
  }
  if (auto* json = std::get_if<CookieJson>(&*answer)) {
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::cache_control, "no-store");
    const auto origin = req[http::field::origin];
    if (!origin.empty() && ctx.origins.allows(origin, req[http::field::host])) {
      res.set(http::field::access_control_allow_origin, origin);
      res.set(http::field::access_control_allow_credentials, "true");
    }
    res.keep_alive(req.keep_alive());
    res.body() = json->body;
    res.prepare_payload();
    return res;
  }
  return text_response(req, http::status::ok, "text/html; charset=utf-8", render_close_page());
}

V4Request v4_request(const Request& req, RelayContext& ctx, const std::string& path, const Params& params) {
  const auto origin = req[http::field::origin];
  if (!ctx.origins.allows(origin, req[http::field::host])) {
    return WsRefusal{close_code::denied, "origin " + std::string(origin) + " is not allowed"};
  }
  if (ctx.stopping) return WsRefusal{close_code::service_restart, "relay is restarting"};
  if (path == "/v4/connect") {
    auto host = param(params, "host");
    auto port = param(params, "port");
    if (!host || !port) return WsRefusal{close_code::protocol_error, "/v4/connect needs host= and port="};
    auto target = make_target(*host, *port);
    if (!target) return WsRefusal{close_code::protocol_error, target.error().message};
    return V4Connect{*target, param(params, "dstUsername").value_or("")};
  }
  auto sid = param(params, "sid");
  auto ack_text = param(params, "ack");
  if (!sid || !is_valid_session_id(*sid)) return WsRefusal{close_code::unknown_session, "missing or malformed sid="};
  std::uint64_t ack = 0;
  if (!ack_text || ack_text->empty() ||
      std::from_chars(ack_text->data(), ack_text->data() + ack_text->size(), ack).ptr != ack_text->data() + ack_text->size()) {
    return WsRefusal{close_code::protocol_error, "ack= must be a decimal byte count"};
  }
  return V4Reconnect{*sid, ack};
}

}  // namespace

Route route(RelayContext& ctx, const Request& req) {
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) return bad_request(req, "malformed request target");
  const std::string path = url->path();
  Params params;
  for (const auto& p : url->params()) params[std::string(p.key)] = std::string(p.value);

  const bool upgrade = boost::beast::websocket::is_upgrade(req);
  if (path == "/v4/connect" || path == "/v4/reconnect") {
    if (!upgrade) return text_response(req, http::status::upgrade_required, "text/plain", "WebSocket upgrade required\n");
    return v4_request(req, ctx, path, params);
  }
  if (upgrade) return text_response(req, http::status::not_found, "text/plain", "no WebSocket endpoint at " + path + "\n");
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    return text_response(req, http::status::method_not_allowed, "text/plain", "method not allowed\n");
  }
  if (path == "/healthz") return text_response(req, http::status::ok, "application/json", "{\"ok\":true}");
  if (path == "/statz") return statz(req, ctx);
  if (path == "/cookie") return cookie(req, ctx, params);
  if (path == "/endpoint") {
    auto body = endpoint_json_body(ctx.config.public_host, ctx.config.public_port);
    if (!body) return text_response(req, http::status::internal_server_error, "text/plain", body.error().message + "\n");
    return text_response(req, http::status::ok, "application/json", *body);
  }
  return serve_static(ctx.config.web_root, path, req);
}

}  // namespace sshrelay::daemon
