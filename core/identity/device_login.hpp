#pragma once
// Logging in to an OIDC identity provider from a terminal: the OAuth 2.0 Device Authorization Grant
// (RFC 8628), as `sshrelay auth` runs it (and swsrs's `auth` before it). No I/O: the caller sends the
// request bodies built here, hands back each answer with the time, and sleeps until next_poll_at().
//
//   1. Where to log in: the relay's /.well-known/swsrs-config (issuer, client id, scopes, and the
//      provider's endpoints when the relay copied them), completed from the provider's own OIDC
//      discovery document when the relay did not.
//   2. POST device_authorization_endpoint -> a user code and a URL for the person to open.
//   3. POST token_endpoint every `interval` seconds until the person approves (a token), denies, or the
//      code expires; "slow_down" adds 5 s to the interval (RFC 8628 §3.5).
//   4. Later, a refresh_token grant at the same token_endpoint renews an expired access token.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/common/result.hpp"
#include "core/common/time.hpp"

namespace sshrelay {

// The rendezvous admin scopes swsrs asks for; sshrelayd's discovery document names the same.
inline constexpr const char* kRendezvousScopes[] = {"swsrs:session:create", "swsrs:session:read", "swsrs:session:delete"};
// Where a relay publishes how to log in to it (swsrs's path, kept so its CLI works against sshrelayd).
inline constexpr std::string_view kLoginConfigPath = "/.well-known/swsrs-config";

struct LoginEndpoints {
  std::string issuer;
  std::string audience;
  std::string client_id;  // the relay's client_id_hint, or --client-id
  std::vector<std::string> scopes;
  std::string authorization_endpoint;
  std::string device_authorization_endpoint;
  std::string token_endpoint;
};

// The relay's login document as sshrelayd serves it (swsrs's members: issuer, audience, scopes,
// client_id_hint and the provider's endpoints; empty members left out), with a trailing newline.
std::string login_config_json(const LoginEndpoints& endpoints);

// The relay's login document: a JSON object; empty or missing members stay empty. Errors name what is
// malformed.
Result<LoginEndpoints> parse_login_config(std::string_view document);

// Fills the endpoints `endpoints` lacks from the provider's OIDC discovery document, whose "issuer" must
// be endpoints.issuer exactly (a document for another issuer is refused: it could send the login to a
// stranger). Every endpoint must be https://, except on a loopback host (a provider on the same machine).
Status complete_from_oidc_discovery(LoginEndpoints& endpoints, std::string_view document);

// Ok when a device login can start: a client id, both endpoints, each https:// (or loopback http://).
// The error says which is missing and where it could come from.
Status check_device_login(const LoginEndpoints& endpoints);

// application/x-www-form-urlencoded (the token endpoint's format): name=value pairs joined by '&', each
// percent-encoded by core/wire/query's rule.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

// The scopes to ask for: the relay's (or swsrs's defaults when it names none), plus openid and
// offline_access (for a refresh token), each once, in that order.
std::string requested_scope(const LoginEndpoints& endpoints);

std::string device_authorization_body(const LoginEndpoints& endpoints);
std::string device_token_body(const std::string& client_id, const std::string& device_code);
std::string refresh_token_body(const std::string& client_id, const std::string& refresh_token);

struct DeviceAuthorization {
  std::string device_code;
  std::string user_code;
  std::string verification_uri;
  std::string verification_uri_complete;  // may be empty
  std::chrono::seconds expires_in{0};
  std::chrono::seconds interval{5};  // RFC 8628's default when the provider names none
};

// The device authorization endpoint's answer. A non-200 answer is an error quoting the provider's
// "error" / "error_description" (or the status).
Result<DeviceAuthorization> parse_device_authorization(unsigned status, std::string_view body);

struct TokenGrant {
  std::string access_token;
  std::string token_type;  // "Bearer" when the provider leaves it out
  std::string refresh_token;
  std::optional<std::int64_t> expires_in;  // seconds
  std::string id_token;
};

// The token endpoint's answer: a grant (200 with an access_token), or an OAuth error (RFC 6749 §5.2)
// with its code, e.g. "authorization_pending".
struct TokenError {
  std::string code;
  std::string description;
  std::string describe() const;  // "access_denied: the user said no", or the code alone
};
struct TokenAnswer {
  std::optional<TokenGrant> grant;
  TokenError error;
};
TokenAnswer parse_token_answer(unsigned status, std::string_view body);

// The polling half of the grant, in the caller's time.
class DevicePoll {
 public:
  DevicePoll(const DeviceAuthorization& authorization, TimePoint now);

  TimePoint next_poll_at() const { return next_poll_at_; }
  TimePoint expires_at() const { return expires_at_; }
  std::chrono::seconds interval() const { return interval_; }

  enum class Outcome { keep_polling, granted, failed };
  struct Step {
    Outcome outcome = Outcome::keep_polling;
    std::optional<TokenGrant> grant;
    std::string message;  // failed: why, for the person at the terminal
  };
  // One token endpoint answer, received at `now`.
  Step on_answer(unsigned status, std::string_view body, TimePoint now);
  // The token endpoint could not be reached at `now`: try again an interval later.
  void retry_later(TimePoint now) { next_poll_at_ = now + interval_; }
  // The code expired before an answer came (the caller checks before each poll).
  bool expired(TimePoint now) const { return now >= expires_at_; }

 private:
  std::chrono::seconds interval_;
  TimePoint next_poll_at_;
  TimePoint expires_at_;
};

}  // namespace sshrelay
