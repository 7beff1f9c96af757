#include "native/daemon/rendezvous/rendezvous_admin.hpp"

#include <boost/url/parse.hpp>

#include "core/policy/origin_policy.hpp"
#include "core/rendezvous/rendezvous_api.hpp"
#include "native/daemon/log.hpp"
#include "native/daemon/rendezvous/rendezvous_hub.hpp"

namespace sshrelay::daemon {
namespace {

using Response = http::response<http::string_body>;

Response answer(const Request& req, http::status status, std::string body,
                std::string_view type = "text/plain; charset=utf-8") {
  return response(req, status, type, std::move(body));
}

Response json(const Request& req, http::status status, const nlohmann::json& body) {
  return answer(req, status, body.dump(2) + "\n", "application/json");
}

// Where the legs connect, for the create answer's *_url fields: the relay's public origin, if it has one.
std::string public_base_url(const RelayContext& ctx) {
  const auto& c = ctx.config;
  if (c.public_host.empty()) return {};
  return origin_of(ctx.tls.has_value() || c.public_port == 443 ? "https" : "http", c.public_host, c.public_port);
}

}  // namespace

Response answer_rendezvous_admin(RelayContext& ctx, const Request& req, const Result<identity::Principal>& who,
                                 const ConnectionPeer& peer) {
  AuditEvent base;
  base.source_ip = client_address(ctx, req, peer);
  base.source_port = base.source_ip == peer.ip ? peer.port : std::uint16_t{0};
  base.user_agent = std::string(req[http::field::user_agent]);
  base.path = std::string(req.target());
  base.endpoint = "rendezvous-admin";
  const auto refuse = [&](AuditEventType type, http::status status, std::string why) {
    AuditEvent event = base;
    event.type = type;
    event.reason = why;
    ctx.audit(std::move(event));
    log(LogLevel::warn, "rendezvous admin request from " + peer.text + " refused: " + why);
    return answer(req, status, why + "\n");
  };
  if (!ctx.rendezvous) return answer(req, http::status::not_found, "rendezvous is not enabled\n");
  if (!who) return refuse(AuditEventType::auth_denied, http::status::unauthorized, "invalid token: " + who.error().message);
  const auto view = identity::principal_view(*who);
  base.principal = who->name;
  if (!ctx.config.dev) {
    if (ctx.config.rendezvous_admins.empty()) {
      return refuse(AuditEventType::policy_denied, http::status::forbidden,
                    "this relay names no rendezvous admins (the policy file's \"rendezvous_admins\")");
    }
    if (!rule_matches(PrincipalRule{ctx.config.rendezvous_admins, {}, {}}, view)) {
      return refuse(AuditEventType::policy_denied, http::status::forbidden,
                    (who->name.empty() ? std::string("anonymous") : who->name) +
                        " is not a rendezvous admin (the policy file's \"rendezvous_admins\")");
    }
  }
  auto url = boost::urls::parse_origin_form(req.target());
  const std::string path = url ? std::string(url->path()) : std::string();
  const std::string_view root = rendezvous::kAdminSessionsPath;
  const auto id = rendezvous::id_after(path, std::string(root) + "/");
  const auto hub = ctx.rendezvous;
  // Sessions without an identity are not one principal's (as for relay sessions): no per-principal cap.
  const std::string owner = who->anonymous ? std::string() : who->name;

  if (path == root && req.method() == http::verb::post) {
    auto ttl = rendezvous::parse_create_body(req.body());
    if (!ttl) return answer(req, http::status::bad_request, ttl.error().message + "\n");
    auto created = hub->create(owner, *ttl, base);
    if (!created) {
      const bool cap = created.error().message.find("the most") != std::string::npos;
      return answer(req, cap ? http::status::too_many_requests : http::status::bad_request, created.error().message + "\n");
    }
    return json(req, http::status::created, rendezvous::created_json(*created, public_base_url(ctx), hub->clock()));
  }
  if (path == root && (req.method() == http::verb::get || req.method() == http::verb::head)) {
    const auto clock = hub->clock();
    nlohmann::json sessions = nlohmann::json::array();
    for (const auto& status : hub->list()) sessions.push_back(rendezvous::status_json(status, clock));
    return json(req, http::status::ok, {{"sessions", std::move(sessions)}});
  }
  if (id && (req.method() == http::verb::get || req.method() == http::verb::head)) {
    auto status = hub->status(*id);
    if (!status) return answer(req, http::status::not_found, "no such rendezvous session\n");
    return json(req, http::status::ok, rendezvous::status_json(*status, hub->clock()));
  }
  if (id && req.method() == http::verb::delete_) {
    if (!hub->revoke(*id, base)) return answer(req, http::status::not_found, "no such rendezvous session\n");
    return answer(req, http::status::no_content, "");
  }
  if (path != root && !id) return answer(req, http::status::not_found, "no such rendezvous admin resource: " + path + "\n");
  auto res = answer(req, http::status::method_not_allowed, "method not allowed\n");
  res.set(http::field::allow, path == root ? "GET, POST" : "GET, DELETE");
  return res;
}

}  // namespace sshrelay::daemon
