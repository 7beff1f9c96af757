#include "native/daemon/identity/authenticator.hpp"

#include <boost/asio/post.hpp>
#include <boost/url/parse.hpp>
#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "core/common/quote.hpp"
#include "core/common/text.hpp"
#include "native/common/unix_time.hpp"
#include "native/daemon/identity/jwt_signature.hpp"

namespace sshrelay::daemon::identity {
namespace {

namespace net = boost::asio;

constexpr std::string_view kCloudflareHeader = "Cf-Access-Jwt-Assertion";
constexpr std::string_view kCloudflareCookie = "CF_Authorization";
constexpr std::string_view kCloudflareSuffix = ".cloudflareaccess.com";
constexpr std::string_view kIapHeader = "x-goog-iap-jwt-assertion";
constexpr std::string_view kIapJwksUrl = "https://www.gstatic.com/iap/verify/public_key-jwk";
constexpr std::string_view kIapIssuer = "https://cloud.google.com/iap";
constexpr std::size_t kMaxUserHeaderValue = 256;

// "--identity-provider (RELAY_IDENTITY_PROVIDER)", as config.cpp names settings.
std::string label(std::string_view option) {
  std::string env = "RELAY_";
  for (const char c : option) env += c == '-' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  return "--" + std::string(option) + " (" + env + ")";
}

Error bad(std::string_view option, const std::string& why) { return local_error(label(option) + ": " + why); }

bool is_query_name(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.' || c == '~';
  });
}

bool is_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.back() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  }) && name.find("..") == std::string_view::npos;
}

Status https_url(std::string_view option, const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme_id() != boost::urls::scheme::https || parsed->encoded_host().empty()) {
    return bad(option, quote(url) + " is not an https:// URL");
  }
  if (parsed->has_userinfo()) return bad(option, quote(url) + " must not hold credentials");
  return Ok{};
}

// "myteam", "myteam.cloudflareaccess.com", "https://myteam.cloudflareaccess.com/" -> the host name.
Result<std::string> team_host(std::string domain) {
  if (domain.rfind("https://", 0) == 0) domain.erase(0, 8);
  while (!domain.empty() && domain.back() == '/') domain.pop_back();
  for (auto& c : domain) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (domain.find('.') == std::string::npos) domain += kCloudflareSuffix;
  if (!is_dns_name(domain)) return bad("identity-team-domain", quote(domain) + " is not a host name");
  return domain;
}

Status common_checks(const IdentityConfig& c) {
  if (c.leeway < std::chrono::seconds(0) || c.leeway > std::chrono::seconds(600)) {
    return bad("identity-leeway-seconds", std::to_string(c.leeway.count()) + " is outside 0..600");
  }
  if (c.refresh_min_interval < std::chrono::seconds(1) || c.refresh_min_interval > std::chrono::seconds(3600)) {
    return bad("identity-jwks-min-refresh-seconds", std::to_string(c.refresh_min_interval.count()) + " is outside 1..3600");
  }
  if (c.refresh_interval < std::chrono::seconds(1) || c.refresh_interval > std::chrono::seconds(86400)) {
    return bad("identity-jwks-refresh-seconds", std::to_string(c.refresh_interval.count()) + " is outside 1..86400");
  }
  if (!c.cookie_name.empty() && !is_http_token(c.cookie_name)) {
    return bad("identity-cookie", quote(c.cookie_name) + " is not a valid cookie name");
  }
  if (!c.query_param.empty() && !is_query_name(c.query_param)) {
    return bad("identity-query-param", quote(c.query_param) + " is not a plain parameter name (letters, digits, -._~)");
  }
  if (c.audiences.empty()) return bad("identity-audience", "is required for provider " + c.provider);
  for (const auto& audience : c.audiences) {
    if (audience.empty()) return bad("identity-audience", "holds an empty audience");
  }
  if (!c.jwks_url.empty()) {
    if (auto ok = https_url("identity-jwks-url", c.jwks_url); !ok) return ok;
  }
  if (!c.issuer.empty()) {
    if (auto ok = https_url("identity-issuer", c.issuer); !ok) return ok;
  }
  if (!c.ca_file.empty()) {
    std::FILE* f = std::fopen(c.ca_file.c_str(), "rb");
    if (!f) return bad("identity-ca-file", quote(c.ca_file) + " cannot be read");
    std::fclose(f);
  }
  if (!c.user_header.empty()) return bad("identity-user-header", "only applies to provider none");
  if (c.upstream_enforces_auth) return bad("identity-upstream-enforces-auth", "only applies to provider none");
  return Ok{};
}

// Principal from the header an authenticating proxy sets (provider none).
Result<std::string> header_principal(std::string_view name, std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return protocol_error("no " + std::string(name) + " header (the upstream proxy must set it)");
  if (value.size() > kMaxUserHeaderValue) return protocol_error(std::string(name) + " header is over 256 bytes");
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return protocol_error(std::string(name) + " header holds control characters");
  }
  return std::string(value);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + quote(item);
  return out;
}

}  // namespace

Result<ResolvedIdentity> resolve_identity(const IdentityConfig& c) {
  ResolvedIdentity r;
  r.provider = c.provider;
  r.rules.audiences = c.audiences;
  r.rules.leeway_seconds = c.leeway.count();
  if (c.provider == "none") {
    if (!c.upstream_enforces_auth) {
      return bad("identity-provider", "\"none\" accepts every request unauthenticated; it needs "
                                      "--identity-upstream-enforces-auth (RELAY_IDENTITY_UPSTREAM_ENFORCES_AUTH) to "
                                      "state that a proxy in front of the relay authenticates users");
    }
    if (!c.user_header.empty() && !is_http_token(c.user_header)) {
      return bad("identity-user-header", quote(c.user_header) + " is not a header name");
    }
    const struct {
      const char* option;
      bool set;
    } unused[] = {{"identity-team-domain", !c.team_domain.empty()}, {"identity-jwks-url", !c.jwks_url.empty()},
                  {"identity-issuer", !c.issuer.empty()},           {"identity-audience", !c.audiences.empty()},
                  {"identity-cookie", !c.cookie_name.empty()},       {"identity-query-param", !c.query_param.empty()},
                  {"identity-ca-file", !c.ca_file.empty()},         {"identity-client-id", !c.client_id.empty()}};
    for (const auto& setting : unused) {
      if (setting.set) return bad(setting.option, "is set, but provider none checks no token");
    }
    return r;
  }
  if (c.provider != "cloudflare-access" && c.provider != "gcp-iap" && c.provider != "oidc") {
    if (c.provider.empty()) {
      return bad("identity-provider", "is required: cloudflare-access, gcp-iap, oidc, or none (with "
                                      "--identity-upstream-enforces-auth)");
    }
    return bad("identity-provider", quote(c.provider) + " is not one of cloudflare-access, gcp-iap, oidc, none");
  }
  if (auto ok = common_checks(c); !ok) return ok.error();
  if (!c.client_id.empty() && c.provider != "oidc") {
    return bad("identity-client-id", "only applies to oidc (a device login needs an OAuth provider)");
  }
  r.jwks_url = c.jwks_url;
  r.rules.issuer = c.issuer;
  r.sources.cookie = c.cookie_name;
  r.sources.query_param = c.query_param;

  if (c.provider == "cloudflare-access") {
    if (c.team_domain.empty()) {
      return bad("identity-team-domain", "is required for cloudflare-access (e.g. myteam.cloudflareaccess.com)");
    }
    auto host = team_host(c.team_domain);
    if (!host) return host.error();
    if (r.jwks_url.empty()) r.jwks_url = "https://" + *host + "/cdn-cgi/access/certs";
    if (r.rules.issuer.empty()) r.rules.issuer = "https://" + *host;
    r.sources.headers = {std::string(kCloudflareHeader)};
    if (r.sources.cookie.empty()) r.sources.cookie = std::string(kCloudflareCookie);
    r.algorithms = {JwsAlgorithm::rs256};
  } else if (c.provider == "gcp-iap") {
    if (!c.team_domain.empty()) return bad("identity-team-domain", "only applies to cloudflare-access");
    for (const auto& audience : c.audiences) {
      if (audience.rfind("/projects/", 0) != 0) {
        return bad("identity-audience", quote(audience) + " is not an IAP audience "
                                        "(/projects/NUMBER/global/backendServices/ID or /projects/NUMBER/apps/ID)");
      }
    }
    if (r.jwks_url.empty()) r.jwks_url = std::string(kIapJwksUrl);
    if (r.rules.issuer.empty()) r.rules.issuer = std::string(kIapIssuer);
    r.sources.headers = {std::string(kIapHeader)};
    r.algorithms = {JwsAlgorithm::es256};
  } else {  // oidc
    if (!c.team_domain.empty()) return bad("identity-team-domain", "only applies to cloudflare-access");
    if (c.issuer.empty()) return bad("identity-issuer", "is required for oidc (the provider's https:// issuer URL)");
    r.sources.bearer = true;
    r.algorithms = {JwsAlgorithm::rs256, JwsAlgorithm::rs384, JwsAlgorithm::rs512, JwsAlgorithm::es256,
                    JwsAlgorithm::es384};
  }
  return r;
}

PrincipalView principal_view(const Principal& principal) {
  PrincipalView view{principal.name, {}, {}};
  const auto strings_of = [](const nlohmann::json& array, std::vector<std::string>& out) {
    for (const auto& item : array) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    }
  };
  const auto groups = principal.claims.find("groups");
  if (groups != principal.claims.end() && groups->is_array()) strings_of(*groups, view.groups);
  // OAuth scopes: RFC 8693's space-separated "scope", else the "scp" array some providers send.
  const auto scope = principal.claims.find("scope");
  const auto scp = principal.claims.find("scp");
  if (scope != principal.claims.end() && scope->is_string()) {
    const auto text = scope->get<std::string>();
    for (std::size_t i = 0; i < text.size();) {
      const auto end = std::min(text.find(' ', i), text.size());
      if (end > i) view.scopes.push_back(text.substr(i, end - i));
      i = end + 1;
    }
  } else if (scp != principal.claims.end() && scp->is_array()) {
    strings_of(*scp, view.scopes);
  }
  return view;
}

Status IdentityConfig::validate() const {
  auto resolved = resolve_identity(*this);
  if (!resolved) return resolved.error();
  return Ok{};
}

Authenticator::Authenticator(net::io_context& ioc, IdentityConfig config)
    : ioc_(ioc), config_(std::move(config)), now_(unix_seconds_now) {
  auto resolved = resolve_identity(config_);
  if (!resolved) throw std::invalid_argument(resolved.error().message);
  resolved_ = std::move(*resolved);
  if (resolved_.provider == "none") return;
  JwksCacheOptions options;
  options.jwks_url = resolved_.jwks_url;
  options.issuer = resolved_.rules.issuer;
  options.ca_file = config_.ca_file;
  options.refresh_min_interval = config_.refresh_min_interval;
  options.refresh_interval = config_.refresh_interval;
  options.log_name = resolved_.provider + " JWKS";
  jwks_ = JwksCache::create(ioc_, std::move(options));
}

Authenticator::~Authenticator() { stop(); }

void Authenticator::start() {
  if (jwks_) jwks_->start();
}

void Authenticator::stop() {
  if (jwks_) jwks_->stop();
}

void Authenticator::set_clock_for_testing(std::function<std::int64_t()> now_unix_seconds) { now_ = std::move(now_unix_seconds); }

std::string Authenticator::describe() const {
  const auto& r = resolved_;
  if (r.provider == "none") {
    return "identity: none (an upstream proxy enforces authentication); principal " +
           (config_.user_header.empty() ? std::string("\"anonymous\"") : "from header " + config_.user_header);
  }
  std::string algorithms;
  for (const auto alg : r.algorithms) algorithms += (algorithms.empty() ? "" : ",") + std::string(to_string(alg));
  return "identity: " + r.provider + "; token from " + sshrelay::describe(r.sources) + "; iss " + quote(r.rules.issuer) +
         "; aud " + join(r.rules.audiences) + "; alg " + algorithms + "; JWKS " +
         (r.jwks_url.empty() ? "via OIDC discovery" : r.jwks_url) + "; leeway " + std::to_string(r.rules.leeway_seconds) + " s";
}

void Authenticator::async_authenticate(const boost::beast::http::request_header<>& req, Handler done) const {
  const auto fail_soon = [this, &done](Error error) {
    net::post(ioc_, [done = std::move(done), error = std::move(error)]() mutable { done(std::move(error)); });
  };
  const std::string provider = resolved_.provider;

  if (provider == "none") {
    Principal principal{"anonymous", nlohmann::json::object(), "provider none", true};
    if (!config_.user_header.empty()) {
      principal.anonymous = false;
      const auto value = req[config_.user_header];
      auto name = header_principal(config_.user_header, std::string_view(value.data(), value.size()));
      if (!name) return fail_soon(name.error());
      principal.name = std::move(*name);
      principal.source = "header " + config_.user_header;
    }
    net::post(ioc_, [done = std::move(done), principal = std::move(principal)]() mutable { done(std::move(principal)); });
    return;
  }

  // The token, copied out of the request (which may be gone by the time the key is found).
  TokenRequest view;
  for (const auto& field : req) {
    const auto name = field.name_string();
    const auto value = field.value();
    view.headers.push_back({std::string_view(name.data(), name.size()), std::string_view(value.data(), value.size())});
  }
  std::vector<std::pair<std::string, std::string>> query;  // decoded copies the views point into
  if (!resolved_.sources.query_param.empty()) {
    if (auto url = boost::urls::parse_origin_form(req.target())) {
      for (const auto& param : url->params()) query.emplace_back(param.key, param.value);
    }
    for (const auto& [name, value] : query) view.query.push_back({name, value});
  }
  auto found = find_token(resolved_.sources, view);
  if (!found) return fail_soon(protocol_error(provider + ": " + found.error().message));
  const std::string where = " (token from " + found->where + ")";

  auto jwt = parse_jwt(found->token);
  if (!jwt) return fail_soon(protocol_error(provider + ": " + jwt.error().message + where));
  if (std::find(resolved_.algorithms.begin(), resolved_.algorithms.end(), jwt->alg) == resolved_.algorithms.end()) {
    return fail_soon(protocol_error(provider + ": JWT alg " + jwt->alg_name + " is not one " + provider + " uses" + where));
  }
  if (auto claims = check_claims(*jwt, resolved_.rules, now_()); !claims) {
    return fail_soon(Error{claims.error().kind, provider + ": " + claims.error().message + where});
  }
  auto principal = principal_of(*jwt);
  if (!principal) return fail_soon(protocol_error(provider + ": " + principal.error().message + where));

  std::string kid = jwt->kid;
  jwks_->async_find(std::move(kid), [jwt = std::move(*jwt), name = std::move(*principal), source = found->where, provider,
                                     where, done = std::move(done)](KeyLookup key) mutable {
    if (!key) return done(Error{key.error().kind, provider + ": " + key.error().message + where});
    if (auto verified = verify_signature(jwt, **key); !verified) {
      return done(Error{verified.error().kind, provider + ": " + verified.error().message + where});
    }
    done(Principal{std::move(name), std::move(jwt.claims), std::move(source)});
  });
}

}  // namespace sshrelay::daemon::identity
