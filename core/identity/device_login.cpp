#include "core/identity/device_login.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/common/quote.hpp"
#include "core/identity/jwt.hpp"
#include "core/wire/query.hpp"

namespace sshrelay {
namespace {

constexpr std::size_t kMaxDocumentBytes = 64 * 1024;

// A string member, "" when absent; an error when present with another type.
Result<std::string> optional_string(const nlohmann::json& json, const char* name, std::string_view document_name) {
  const auto it = json.find(name);
  if (it == json.end() || it->is_null()) return std::string();
  if (!it->is_string()) return protocol_error(std::string(document_name) + ": \"" + name + "\" is not a string");
  return it->get<std::string>();
}

Result<nlohmann::json> json_object(std::string_view document, std::string_view document_name) {
  if (document.size() > kMaxDocumentBytes) return protocol_error(std::string(document_name) + " is over 64 KiB");
  auto json = parse_strict_json(document);
  if (json.is_discarded() || !json.is_object()) return protocol_error(std::string(document_name) + " is not a JSON object");
  return json;
}

bool loopback_http(std::string_view url) {
  for (std::string_view prefix : {"http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/",
                                  "http://[::1]:", "http://[::1]/"}) {
    if (url.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

Status check_url(const std::string& url, std::string_view what) {
  if ((url.rfind("https://", 0) == 0 && url.size() > 8) || loopback_http(url)) return Ok{};
  return protocol_error(std::string(what) + " " + quote(url) + " is not an https:// URL");
}

// RFC 6749 §5.2's error members, or the status when the body has none.
TokenError error_of(unsigned status, std::string_view body) {
  TokenError error;
  auto json = parse_strict_json(body);
  if (!json.is_discarded() && json.is_object()) {
    if (auto it = json.find("error"); it != json.end() && it->is_string()) error.code = it->get<std::string>();
    if (auto it = json.find("error_description"); it != json.end() && it->is_string()) {
      error.description = it->get<std::string>();
    }
  }
  if (error.code.empty()) {
    error.code = "http_" + std::to_string(status);
    std::string text(body.substr(0, 200));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    error.description = text.empty() ? "the provider answered HTTP " + std::to_string(status)
                                     : "the provider answered HTTP " + std::to_string(status) + ": " + text;
  }
  return error;
}

std::optional<std::int64_t> seconds_member(const nlohmann::json& json, const char* name) {
  const auto it = json.find(name);
  if (it == json.end() || !it->is_number()) return std::nullopt;
  const double value = it->get<double>();
  if (!(value >= 0 && value < 1e9)) return std::nullopt;
  return static_cast<std::int64_t>(value);
}

}  // namespace

std::string login_config_json(const LoginEndpoints& endpoints) {
  nlohmann::json j = nlohmann::json::object();
  const std::pair<const char*, const std::string*> members[] = {
      {"issuer", &endpoints.issuer},
      {"audience", &endpoints.audience},
      {"authorization_endpoint", &endpoints.authorization_endpoint},
      {"token_endpoint", &endpoints.token_endpoint},
      {"device_authorization_endpoint", &endpoints.device_authorization_endpoint},
      {"client_id_hint", &endpoints.client_id},
  };
  for (const auto& [name, field] : members) {
    if (!field->empty()) j[name] = *field;
  }
  if (!endpoints.scopes.empty()) j["scopes"] = endpoints.scopes;
  return j.dump() + "\n";
}

Result<LoginEndpoints> parse_login_config(std::string_view document) {
  constexpr std::string_view kName = "the relay's login configuration";
  auto json = json_object(document, kName);
  if (!json) return json.error();
  LoginEndpoints out;
  const std::pair<const char*, std::string*> members[] = {
      {"issuer", &out.issuer},
      {"audience", &out.audience},
      {"client_id_hint", &out.client_id},
      {"authorization_endpoint", &out.authorization_endpoint},
      {"device_authorization_endpoint", &out.device_authorization_endpoint},
      {"token_endpoint", &out.token_endpoint},
  };
  for (const auto& [name, field] : members) {
    auto value = optional_string(*json, name, kName);
    if (!value) return value.error();
    *field = std::move(*value);
  }
  if (auto it = json->find("scopes"); it != json->end() && !it->is_null()) {
    if (!it->is_array()) return protocol_error(std::string(kName) + ": \"scopes\" is not an array");
    for (const auto& scope : *it) {
      if (!scope.is_string()) return protocol_error(std::string(kName) + ": \"scopes\" holds a non-string");
      out.scopes.push_back(scope.get<std::string>());
    }
  }
  return out;
}

Status complete_from_oidc_discovery(LoginEndpoints& endpoints, std::string_view document) {
  constexpr std::string_view kName = "the provider's OIDC discovery document";
  auto json = json_object(document, kName);
  if (!json) return json.error();
  auto issuer = optional_string(*json, "issuer", kName);
  if (!issuer) return issuer.error();
  if (*issuer != endpoints.issuer) {
    return protocol_error(std::string(kName) + " names issuer " + quote(*issuer) + ", not " + quote(endpoints.issuer));
  }
  const std::pair<const char*, std::string*> members[] = {
      {"authorization_endpoint", &endpoints.authorization_endpoint},
      {"device_authorization_endpoint", &endpoints.device_authorization_endpoint},
      {"token_endpoint", &endpoints.token_endpoint},
  };
  for (const auto& [name, field] : members) {
    if (!field->empty()) continue;
    auto value = optional_string(*json, name, kName);
    if (!value) return value.error();
    *field = std::move(*value);
  }
  return Ok{};
}

Status check_device_login(const LoginEndpoints& endpoints) {
  if (endpoints.device_authorization_endpoint.empty()) {
    return local_error("the identity provider " + quote(endpoints.issuer) +
                       " offers no device login (its discovery document has no device_authorization_endpoint); "
                       "use 'sshrelay auth --token-cmd' with your provider's CLI instead");
  }
  if (endpoints.token_endpoint.empty()) {
    return local_error("the identity provider " + quote(endpoints.issuer) + " names no token_endpoint");
  }
  if (endpoints.client_id.empty()) {
    return local_error("no OAuth client id: the relay names none (sshrelayd --identity-client-id); give --client-id");
  }
  if (auto ok = check_url(endpoints.device_authorization_endpoint, "device_authorization_endpoint"); !ok) return ok;
  return check_url(endpoints.token_endpoint, "token_endpoint");
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out += '&';
    out += percent_encode_component(name);
    out += '=';
    out += percent_encode_component(value);
  }
  return out;
}

std::string requested_scope(const LoginEndpoints& endpoints) {
  std::vector<std::string> scopes = endpoints.scopes;
  if (scopes.empty()) scopes.assign(std::begin(kRendezvousScopes), std::end(kRendezvousScopes));
  scopes.emplace_back("openid");
  scopes.emplace_back("offline_access");
  std::string out;
  std::vector<std::string> seen;
  for (const auto& scope : scopes) {
    if (scope.empty() || std::find(seen.begin(), seen.end(), scope) != seen.end()) continue;
    seen.push_back(scope);
    if (!out.empty()) out += ' ';
    out += scope;
  }
  return out;
}

std::string device_authorization_body(const LoginEndpoints& endpoints) {
  std::vector<std::pair<std::string, std::string>> fields = {{"client_id", endpoints.client_id},
                                                             {"scope", requested_scope(endpoints)}};
  if (!endpoints.audience.empty()) fields.emplace_back("audience", endpoints.audience);
  return form_encode(fields);
}

std::string device_token_body(const std::string& client_id, const std::string& device_code) {
  return form_encode({{"grant_type", "urn:ietf:params:oauth:grant-type:device_code"},
                      {"device_code", device_code},
                      {"client_id", client_id}});
}

std::string refresh_token_body(const std::string& client_id, const std::string& refresh_token) {
  return form_encode({{"grant_type", "refresh_token"}, {"refresh_token", refresh_token}, {"client_id", client_id}});
}

Result<DeviceAuthorization> parse_device_authorization(unsigned status, std::string_view body) {
  if (status != 200) return protocol_error("device authorization refused: " + error_of(status, body).describe());
  constexpr std::string_view kName = "the device authorization answer";
  auto json = json_object(body, kName);
  if (!json) return json.error();
  DeviceAuthorization out;
  const std::pair<const char*, std::string*> members[] = {
      {"device_code", &out.device_code},
      {"user_code", &out.user_code},
      {"verification_uri_complete", &out.verification_uri_complete},
  };
  for (const auto& [name, field] : members) {
    auto value = optional_string(*json, name, kName);
    if (!value) return value.error();
    *field = std::move(*value);
  }
  // "verification_url" is Google's older spelling.
  for (const char* name : {"verification_uri", "verification_url"}) {
    auto value = optional_string(*json, name, kName);
    if (!value) return value.error();
    if (out.verification_uri.empty()) out.verification_uri = std::move(*value);
  }
  if (out.device_code.empty() || out.user_code.empty() || out.verification_uri.empty()) {
    return protocol_error(std::string(kName) + " lacks device_code, user_code or verification_uri");
  }
  const auto expires_in = seconds_member(*json, "expires_in");
  if (!expires_in || *expires_in == 0) return protocol_error(std::string(kName) + " has no usable expires_in");
  out.expires_in = std::chrono::seconds(*expires_in);
  if (const auto interval = seconds_member(*json, "interval"); interval && *interval > 0) {
    out.interval = std::chrono::seconds(std::min<std::int64_t>(*interval, 60));
  }
  return out;
}

std::string TokenError::describe() const { return description.empty() ? code : code + ": " + description; }

TokenAnswer parse_token_answer(unsigned status, std::string_view body) {
  TokenAnswer answer;
  if (status != 200) {
    answer.error = error_of(status, body);
    return answer;
  }
  auto json = parse_strict_json(body);
  if (json.is_discarded() || !json.is_object()) {
    answer.error = {"invalid_response", "the token endpoint's answer is not a JSON object"};
    return answer;
  }
  TokenGrant grant;
  const std::pair<const char*, std::string*> members[] = {{"access_token", &grant.access_token},
                                                          {"token_type", &grant.token_type},
                                                          {"refresh_token", &grant.refresh_token},
                                                          {"id_token", &grant.id_token}};
  for (const auto& [name, field] : members) {
    if (auto it = json.find(name); it != json.end() && it->is_string()) *field = it->get<std::string>();
  }
  if (grant.access_token.empty()) {
    answer.error = {"invalid_response", "the token endpoint's answer has no access_token"};
    return answer;
  }
  if (grant.token_type.empty()) grant.token_type = "Bearer";
  grant.expires_in = seconds_member(json, "expires_in");
  answer.grant = std::move(grant);
  return answer;
}

DevicePoll::DevicePoll(const DeviceAuthorization& authorization, TimePoint now)
    : interval_(authorization.interval), next_poll_at_(now + authorization.interval),
      expires_at_(now + authorization.expires_in) {}

DevicePoll::Step DevicePoll::on_answer(unsigned status, std::string_view body, TimePoint now) {
  auto answer = parse_token_answer(status, body);
  Step step;
  if (answer.grant) {
    step.outcome = Outcome::granted;
    step.grant = std::move(answer.grant);
    return step;
  }
  const std::string& code = answer.error.code;
  if (code == "authorization_pending" || code == "slow_down") {
    if (code == "slow_down") interval_ += std::chrono::seconds(5);  // RFC 8628 §3.5
    next_poll_at_ = now + interval_;
    if (next_poll_at_ < expires_at_) return step;
    step.outcome = Outcome::failed;
    step.message = "the login code expired before it was approved; run 'sshrelay auth' again";
    return step;
  }
  step.outcome = Outcome::failed;
  if (code == "access_denied") {
    step.message = "the login was denied at the identity provider";
  } else if (code == "expired_token") {
    step.message = "the login code expired before it was approved; run 'sshrelay auth' again";
  } else {
    step.message = "the identity provider refused the login: " + answer.error.describe();
  }
  return step;
}

}  // namespace sshrelay
