#include "native/daemon/router.hpp"

#include "native/daemon/audit/audit_log.hpp"

#include <boost/beast/version.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/url/parse.hpp>
#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "core/identity/device_login.hpp"
#include "core/nassh/corp_relay_v1.hpp"
#include "core/nassh/nassh_cookie.hpp"
#include "core/rendezvous/rendezvous_api.hpp"
#include "core/policy/client_address.hpp"
#include "core/wire/close_code.hpp"
#include "native/daemon/cluster/session_directory.hpp"
#include "native/daemon/health_check.hpp"
#include "native/daemon/identity/authenticator.hpp"
#include "native/daemon/relay_metrics.hpp"
#include "native/daemon/static_files.hpp"
#include "native/daemon/websocket_upgrade.hpp"

namespace sshrelay::daemon {
namespace {

using Params = QueryParams;


http::message_generator text_response(const Request& req, http::status status, std::string_view content_type,
                                      std::string body) {
  return response(req, status, content_type, std::move(body));
}

http::message_generator bad_request(const Request& req, std::string_view message) {
  return text_response(req, http::status::bad_request, "text/html; charset=utf-8", render_error_page(message));
}

// RFC 6455 §4.1: the key is 16 random bytes in base64: 22 characters of the alphabet and "==".
bool is_websocket_key(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  const auto base64 = [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
  };
  // The last character before the padding carries 2 bits of the 16th byte and 4 zero bits.
  return std::all_of(key.begin(), key.begin() + 22, base64) && std::string_view("AQgw").find(key[21]) != std::string_view::npos;
}

std::optional<std::string> param(const Params& params, const std::string& name) {
  auto it = params.find(name);
  if (it == params.end()) return std::nullopt;
  return it->second;
}

}  // namespace

std::string health_body(RelayContext& ctx) {
  if (!ctx.directory) return std::string(kHealthBody);
  const auto status = ctx.directory->status();
  return nlohmann::json{{"ok", true},
                        {"cluster", {{"node", status["node"]}, {"directory_reachable", status["directory_reachable"]}}}}
      .dump();
}

namespace {

http::message_generator statz(const Request& req, RelayContext& ctx) {
  std::size_t attached = 0;
  std::map<std::string, std::size_t> by_kind;
  const auto sessions = ctx.registry.all();
  for (const auto& session : sessions) {
    attached += session->attached() ? 1 : 0;
    ++by_kind[std::string(session->kind())];
  }
  nlohmann::json body = {{"sessions", sessions.size()},
                         {"sessions_by_kind", by_kind},
                         {"attached", attached},
                         {"replay_bytes", ctx.budget.in_use()},
                         {"replay_bytes_peak", ctx.budget.peak()},
                         {"replay_budget", ctx.budget.limit()}};
  if (ctx.audit_log) body["audit_lost"] = ctx.audit_log->lost_counts();
  if (ctx.directory) body["cluster"] = ctx.directory->status();
  return text_response(req, http::status::ok, "application/json", body.dump());
}

// How to log in to this relay from a terminal (`sshrelay auth`, swsrs auth): the OIDC issuer, audience,
// admin scopes and client id, and the provider's login endpoints once its discovery document has been
// read. 404 unless the provider is oidc: Cloudflare Access and IAP logins go through their own CLIs.
http::message_generator login_config(const Request& req, RelayContext& ctx) {
  const auto& id = ctx.config.identity;
  if (id.provider != "oidc") {
    return text_response(req, http::status::not_found, "text/plain",
                         "this relay offers no OIDC login (its identity provider is " +
                             (id.provider.empty() ? std::string("none") : id.provider) + ")\n");
  }
  LoginEndpoints endpoints;
  endpoints.issuer = id.issuer;
  if (!id.audiences.empty()) endpoints.audience = id.audiences.front();
  endpoints.client_id = id.client_id;
  endpoints.scopes.assign(std::begin(kRendezvousScopes), std::end(kRendezvousScopes));
  if (ctx.authenticator && ctx.authenticator->jwks()) {
    const auto document = ctx.authenticator->jwks()->stats().discovery_document;
    // A document for another issuer was already refused by the JWKS fetch; the endpoints stay empty
    // then, and clients read the provider's discovery themselves.
    if (!document.empty()) (void)complete_from_oidc_discovery(endpoints, document);
  }
  auto res = response(req, http::status::ok, "application/json", login_config_json(endpoints));
  res.set(http::field::cache_control, "public, max-age=300");
  return res;
}

// The Secure Shell extension reads /endpoint and /cookie?method=direct with fetch() from its own origin:
// Chrome hands it the answer only with these headers, and only an allowed origin gets them.
void allow_origin(http::response<http::string_body>& res, const Request& req, RelayContext& ctx) {
  res.set(http::field::vary, "Origin");
  const auto origin = req[http::field::origin];
  if (!origin.empty() && ctx.origins.allows(origin, req[http::field::host])) {
    res.set(http::field::access_control_allow_origin, origin);
    res.set(http::field::access_control_allow_credentials, "true");
  }
}

http::message_generator endpoint(const Request& req, RelayContext& ctx) {
  auto body = endpoint_json_body(ctx.config.public_host, ctx.config.public_port);
  if (!body) return text_response(req, http::status::internal_server_error, "text/plain", body.error().message + "\n");
  auto res = response(req, http::status::ok, "application/json", std::move(*body));
  allow_origin(res, req, ctx);
  return res;
}

// Every /cookie request is audited, answered or refused (the Python relay's "handshake" event).
void audit_cookie(RelayContext& ctx, const Request& req, const ConnectionPeer& peer, const CookieRequest& cookie,
                  const std::string& refusal) {
  AuditEvent event;
  event.type = AuditEventType::cookie_request;
  event.source_ip = client_address(ctx, req, peer);
  event.source_port = event.source_ip == peer.ip ? peer.port : std::uint16_t{0};
  event.user_agent = std::string(req[http::field::user_agent]);
  event.extension_id = cookie.ext.value_or("");
  event.redirect_path = cookie.path.value_or("");
  event.path = std::string(req.target());
  event.reason = refusal;
  ctx.audit(std::move(event));
}

http::message_generator cookie(const Request& req, RelayContext& ctx, const Params& params, const ConnectionPeer& peer) {
  CookieRequest cookie_request{param(params, "ext"), param(params, "path"), param(params, "version"),
                               param(params, "method"), ctx.config.public_host, ctx.config.public_port, std::nullopt};
  auto answer = answer_cookie(cookie_request);
  audit_cookie(ctx, req, peer, cookie_request, answer ? std::string() : answer.error().message);
  if (!answer) return bad_request(req, answer.error().message);
  if (auto* redirect = std::get_if<CookieRedirect>(&*answer)) {
    return text_response(req, http::status::ok, "text/html; charset=utf-8", render_redirect_page(redirect->url));
  }
  if (auto* json = std::get_if<CookieJson>(&*answer)) {
    auto res = response(req, http::status::ok, "application/json", json->body);
    allow_origin(res, req, ctx);
    return res;
  }
  return text_response(req, http::status::ok, "text/html; charset=utf-8", render_close_page());
}

}  // namespace

http::response<http::string_body> response(const Request& req, http::status status, std::string_view content_type,
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

namespace {

// Every X-Forwarded-For field, in order, as one list (RFC 9110 §5.3: repeated fields are one
// comma-separated field). A proxy may append its hop as a field of its own (HAProxy's `option
// forwardfor` does): reading only the first field would hand the client's forged one to the walk.
std::string all_forwarded_for(const Request& req) {
  std::string joined;
  for (auto [it, end] = req.equal_range("X-Forwarded-For"); it != end; ++it) {
    if (!joined.empty()) joined += ", ";
    joined += it->value();
  }
  return joined;
}

// A single-address header, or nothing when it is given more than once (which copy the proxy wrote cannot
// be told).
std::string_view single_field(const Request& req, std::string_view name) {
  if (req.count(name) != 1) return {};
  const auto value = req[name];
  return {value.data(), value.size()};
}

}  // namespace

std::string client_address(const RelayContext& ctx, const Request& req, const ConnectionPeer& peer) {
  const std::string forwarded_for = all_forwarded_for(req);
  return effective_client_address(
      peer.ip, ProxyHeaders{single_field(req, "CF-Connecting-IP"), single_field(req, "X-Real-IP"), forwarded_for},
      ctx.config.trusted_proxies);
}

Route route(RelayContext& ctx, const Request& req, const ConnectionPeer& peer) {
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) return bad_request(req, "malformed request target");
  const std::string path = url->path();
  // Health checks come from load balancers that name the relay by whatever address they dial.
  if (path != kHealthPath && path != kPlainHealthPath) {
    if (req.count(http::field::host) != 1) return bad_request(req, "a request needs exactly one Host header");
    if (!ctx.hosts.answers_to(req[http::field::host])) {
      return text_response(req, http::status::misdirected_request, "text/plain",
                           "this relay does not answer to the name in the Host header; its operator can add the name "
                           "with --allowed-hosts\n");
    }
  }
  Params params;
  std::string repeated;  // a name given twice: refused where parameters matter
  for (const auto& p : url->params()) {
    if (!params.emplace(std::string(p.key), std::string(p.value)).second && repeated.empty()) repeated = p.key;
  }

  const bool upgrade = boost::beast::websocket::is_upgrade(req);
  // The older corp-relay@google.com (the Secure Shell extension without --proxy-mode): not relayed, but
  // the user is told which option to set.
  if (path == v1::kProxyPath) {
    auto res = response(req, http::status::ok, "text/plain", std::string(v1::kNoticeSessionId));
    allow_origin(res, req, ctx);
    return res;
  }
  if (path == v1::kConnectPath && upgrade) {
    if (req.count(http::field::sec_websocket_key) != 1 || !is_websocket_key(req[http::field::sec_websocket_key])) {
      return bad_request(req, "Sec-WebSocket-Key must be given once, as the base64 form of 16 bytes");
    }
    const std::uint32_t client_bytes = 0;  // nothing of the client's was or will be relayed
    return NoticeUpgrade{upgrade_response(req[http::field::sec_websocket_key], ""),
                         {v1::connect_message(client_bytes, v1::ssh_disconnect_notice(v1::unsupported_protocol_text()))}};
  }
  if (path == rendezvous::kAdminSessionsPath || path.rfind(std::string(rendezvous::kAdminSessionsPath) + "/", 0) == 0) {
    return AdminRequest{};
  }
  std::string rendezvous_id;
  if (const Endpoint* endpoint = find_endpoint(path, &rendezvous_id)) {
    if (!upgrade) return text_response(req, http::status::upgrade_required, "text/plain", "WebSocket upgrade required\n");
    if (req.count(http::field::sec_websocket_key) != 1 || !is_websocket_key(req[http::field::sec_websocket_key])) {
      return bad_request(req, "Sec-WebSocket-Key must be given once, as the base64 form of 16 bytes");
    }
    // Checked here as well as by the upgrade itself, so no target is dialed for a handshake that will fail.
    if (req[http::field::sec_websocket_version] != "13") {
      auto res = response(req, http::status::upgrade_required, "text/plain", "WebSocket version 13 required\n");
      res.set(http::field::sec_websocket_version, "13");
      return res;
    }
    return WsRequest{endpoint, std::move(rendezvous_id), std::move(params), std::move(repeated)};
  }
  if (upgrade) return text_response(req, http::status::not_found, "text/plain", "no WebSocket endpoint at " + path + "\n");
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    return text_response(req, http::status::method_not_allowed, "text/plain", "method not allowed\n");
  }
  if (path == kHealthPath) return text_response(req, http::status::ok, "application/json", health_body(ctx));
  if (path == kPlainHealthPath) return text_response(req, http::status::ok, "text/plain; charset=utf-8", std::string(kPlainHealthBody));
  if (path == "/statz") return statz(req, ctx);
  if (path == kLoginConfigPath) return login_config(req, ctx);
  if (path == "/metrics" && ctx.config.metrics_on_main_listener && ctx.metrics) {
    return text_response(req, http::status::ok, "text/plain; version=0.0.4; charset=utf-8", ctx.metrics->render(ctx));
  }
  if (path == "/cookie") return cookie(req, ctx, params, peer);
  if (path == "/endpoint") return endpoint(req, ctx);
  return serve_static(ctx.config.web_root, path, req);
}

}  // namespace sshrelay::daemon
