#include "core/identity/cached_credentials.hpp"

#include <nlohmann/json.hpp>

#include "core/common/utc_time.hpp"
#include "core/identity/jwt.hpp"

namespace sshrelay {

bool CachedCredentials::fresh_at(std::int64_t now_unix, std::int64_t margin_seconds) const {
  if (access_token.empty()) return false;
  return !expiry_unix || *expiry_unix > now_unix + margin_seconds;
}

CachedCredentials credentials_from_grant(const TokenGrant& grant, std::int64_t now_unix, const LoginEndpoints& endpoints,
                                         const std::string& relay, const std::string& previous_refresh_token) {
  CachedCredentials out;
  out.access_token = grant.access_token;
  out.token_type = grant.token_type.empty() ? "Bearer" : grant.token_type;
  out.refresh_token = grant.refresh_token.empty() ? previous_refresh_token : grant.refresh_token;
  if (grant.expires_in) {
    out.expiry_unix = now_unix + *grant.expires_in;
  } else if (auto exp = unverified_expiry(grant.access_token)) {
    out.expiry_unix = *exp;  // a JWT access token says when it ends even when the answer does not
  }
  out.issuer = endpoints.issuer;
  out.token_endpoint = endpoints.token_endpoint;
  out.client_id = endpoints.client_id;
  out.relay = relay;
  return out;
}

std::string credentials_to_json(const CachedCredentials& c) {
  nlohmann::json j = nlohmann::json::object();
  auto put = [&j](const char* name, const std::string& value) {
    if (!value.empty()) j[name] = value;
  };
  put("access_token", c.access_token);
  if (!c.access_token.empty()) put("token_type", c.token_type);
  put("refresh_token", c.refresh_token);
  if (c.expiry_unix) j["expiry"] = format_utc_millis(*c.expiry_unix * 1000);
  put("issuer", c.issuer);
  put("token_endpoint", c.token_endpoint);
  put("client_id", c.client_id);
  put("relay", c.relay);
  put("token_command", c.token_command);
  put("token_header", c.token_header);
  return j.dump(2) + "\n";
}

Result<CachedCredentials> parse_cached_credentials(std::string_view text) {
  auto j = parse_strict_json(text);
  if (j.is_discarded() || !j.is_object()) return local_error("not a JSON object");
  CachedCredentials c;
  c.token_type.clear();
  const std::pair<const char*, std::string*> members[] = {
      {"access_token", &c.access_token},     {"token_type", &c.token_type}, {"refresh_token", &c.refresh_token},
      {"issuer", &c.issuer},                 {"token_endpoint", &c.token_endpoint},
      {"client_id", &c.client_id},           {"relay", &c.relay},
      {"token_command", &c.token_command},   {"token_header", &c.token_header},
  };
  for (const auto& [name, field] : members) {
    const auto it = j.find(name);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_string()) return local_error(std::string("\"") + name + "\" is not a string");
    *field = it->get<std::string>();
  }
  if (c.token_type.empty()) c.token_type = "Bearer";
  if (const auto it = j.find("expiry"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return local_error("\"expiry\" is not an RFC 3339 time");
    // Go writes the zero time for "no expiry".
    if (it->get<std::string>().rfind("0001-01-01T", 0) != 0) {
      const auto ms = parse_rfc3339_millis(it->get<std::string>());
      if (!ms) return local_error("\"expiry\" is not an RFC 3339 time");
      c.expiry_unix = *ms >= 0 ? *ms / 1000 : -((-*ms + 999) / 1000);
    }
  }
  if (c.access_token.empty() && c.token_command.empty()) return local_error("it holds neither an access_token nor a token_command");
  return c;
}

}  // namespace sshrelay
