#include "native/cli/login.hpp"

#include <chrono>
#include <iostream>
#include <thread>

#include "core/identity/device_login.hpp"
#include "core/identity/jwks.hpp"
#include "core/identity/jwt.hpp"
#include "native/cli/client_setup.hpp"
#include "native/cli/credentials_file.hpp"
#include "native/cli/exit_status.hpp"
#include "native/cli/oauth_client.hpp"
#include "native/cli/token_source.hpp"
#include "native/client/relay_http.hpp"
#include "native/common/unix_time.hpp"

namespace sshrelay::cli {
namespace {

// Consecutive failures to reach the token endpoint tolerated while polling (a Wi-Fi blip).
constexpr int kMaxPollFailures = 3;

std::string minutes_text(std::chrono::seconds s) {
  const auto minutes = (s.count() + 59) / 60;
  return std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes");
}

// Who the new token names, for the success line: the ID token's (or access token's) email or subject,
// read without verifying (the relay verifies).
std::string who(const TokenGrant& grant) {
  for (const auto* token : {&grant.id_token, &grant.access_token}) {
    if (token->empty()) continue;
    auto jwt = parse_jwt(*token);
    if (!jwt) continue;
    if (auto name = principal_of(*jwt)) return *name;
  }
  return {};
}

// The relay's login configuration, then the provider's own discovery for what it leaves out.
// nullopt (with a line printed) when the relay offers no login; an error when it cannot be had.
Result<std::optional<LoginEndpoints>> find_endpoints(const ProxyOptions& options, Console& console,
                                                     const OAuthClient& oauth) {
  LoginEndpoints endpoints;
  if (options.issuer.empty()) {
    ClientSetup setup = make_client_setup(options, console);
    auto reply = client::relay_http_request(setup.connection.transport, boost::beast::http::verb::get,
                                            options.relay.path_prefix + std::string(kLoginConfigPath), "", {});
    if (!reply) return local_error("cannot ask the relay how to log in: " + reply.error().message);
    if (reply->status == 404) {
      console.info("the relay at " + options.relay.to_string() +
                   " offers no OIDC login (" + std::string(kLoginConfigPath) +
                   " answers 404): it is open, or an identity-aware proxy in front of it checks you. For the "
                   "latter, save your proxy's token command: sshrelay auth --relay URL --token-cmd COMMAND");
      return std::optional<LoginEndpoints>{};
    }
    if (reply->status != 200) {
      return local_error("the relay's " + std::string(kLoginConfigPath) + " answered HTTP " + std::to_string(reply->status));
    }
    auto parsed = parse_login_config(reply->body);
    if (!parsed) return local_error(parsed.error().message);
    endpoints = std::move(*parsed);
    if (endpoints.issuer.empty()) return local_error("the relay's login configuration names no issuer; give --issuer");
  } else {
    endpoints.issuer = options.issuer;
  }
  if (!options.client_id.empty()) endpoints.client_id = options.client_id;
  if (!options.scopes.empty()) endpoints.scopes = options.scopes;
  if (endpoints.device_authorization_endpoint.empty() || endpoints.token_endpoint.empty()) {
    const std::string url = oidc_discovery_url(endpoints.issuer);
    auto reply = oauth.get(url);
    if (!reply) return local_error("cannot read the identity provider's discovery document: " + reply.error().message);
    if (reply->status != 200) return local_error(url + " answered HTTP " + std::to_string(reply->status));
    if (auto completed = complete_from_oidc_discovery(endpoints, reply->body); !completed) {
      return local_error(completed.error().message);
    }
  }
  if (auto ok = check_device_login(endpoints); !ok) return ok.error();
  return std::optional<LoginEndpoints>(std::move(endpoints));
}

int save_token_command(const ProxyOptions& options, const std::string& path, Console& console) {
  if (!options.token_file.empty()) {
    throw UsageError("--token-file needs no login: give it to each command (or use --token-cmd here)");
  }
  ShellCommand command(options.token_cmd);
  auto output = command.run(options.token_cmd_timeout);
  const std::string source = "--token-cmd '" + options.token_cmd + "'";
  if (!output) {
    console.error(source + " " + output.error().message);
    return kExitAuth;
  }
  if (auto token = TokenSource::clean_token(*output, source); !token) {
    console.error(token.error().message);
    return kExitAuth;
  }
  CachedCredentials saved;
  saved.token_command = options.token_cmd;
  if (options.token_header != "Authorization") saved.token_header = options.token_header;
  saved.relay = options.relay.to_string();
  if (auto ok = save_credentials(path, saved); !ok) {
    console.error(ok.error().message);
    return kExitRelayError;
  }
  console.info("saved: for " + saved.relay + ", sshrelay will run '" + options.token_cmd + "' for a token (" + path + ")");
  return kExitOk;
}

int device_login(const ProxyOptions& options, const std::string& path, Console& console) {
  OAuthClient oauth(options);
  auto found = find_endpoints(options, console, oauth);
  if (!found) {
    console.error(found.error().message);
    return kExitRelayError;
  }
  if (!*found) return kExitOk;
  const LoginEndpoints& endpoints = **found;

  auto reply = oauth.post_form(endpoints.device_authorization_endpoint, device_authorization_body(endpoints));
  if (!reply) {
    console.error("cannot start the login: " + reply.error().message);
    return kExitRelayError;
  }
  auto authorization = parse_device_authorization(reply->status, reply->body);
  if (!authorization) {
    console.error(authorization.error().message);
    return kExitAuth;
  }
  // Always shown (even with -q): without it nobody can log in.
  console.error("To log in to " + endpoints.issuer + ", open " + authorization->verification_uri + " and enter the code " +
                authorization->user_code + " (within " + minutes_text(authorization->expires_in) + ").");
  if (!authorization->verification_uri_complete.empty()) {
    console.error("Or open " + authorization->verification_uri_complete);
  }
  console.progress("waiting for the login to be approved (polling every " +
                   std::to_string(authorization->interval.count()) + " s)");

  DevicePoll poll(*authorization, std::chrono::steady_clock::now());
  int failures = 0;
  for (;;) {
    std::this_thread::sleep_until(std::min(poll.next_poll_at(), poll.expires_at()));
    const auto now = std::chrono::steady_clock::now();
    if (poll.expired(now)) {
      console.error("the login code expired before it was approved; run 'sshrelay auth' again");
      return kExitAuth;
    }
    auto answer = oauth.post_form(endpoints.token_endpoint, device_token_body(endpoints.client_id, authorization->device_code));
    if (!answer) {
      if (++failures >= kMaxPollFailures) {
        console.error("cannot reach the identity provider: " + answer.error().message);
        return kExitRelayError;
      }
      console.progress("token endpoint: " + answer.error().message + " (retrying)");
      poll.retry_later(now);
      continue;
    }
    failures = 0;
    auto step = poll.on_answer(answer->status, answer->body, std::chrono::steady_clock::now());
    if (step.outcome == DevicePoll::Outcome::keep_polling) continue;
    if (step.outcome == DevicePoll::Outcome::failed) {
      console.error(step.message);
      return kExitAuth;
    }
    const auto saved = credentials_from_grant(*step.grant, unix_seconds_now(), endpoints, options.relay.to_string());
    if (auto ok = save_credentials(path, saved); !ok) {
      console.error(ok.error().message);
      return kExitRelayError;
    }
    const std::string name = who(*step.grant);
    console.info("logged in to " + endpoints.issuer + (name.empty() ? "" : " as " + name) + "; saved in " + path +
                 (saved.refresh_token.empty() ? " (no refresh token: log in again when it expires)" : ""));
    return kExitOk;
  }
}

}  // namespace

int run_auth(const ProxyOptions& options, Console& console) {
  const std::string path = !options.credentials_path.empty() ? options.credentials_path : default_credentials_path();
  if (path.empty()) throw UsageError("no place for the login: set HOME or give --credentials PATH");
  if (options.logout) {
    auto removed = remove_credentials(path);
    if (!removed) {
      console.error(removed.error().message);
      return kExitRelayError;
    }
    console.info(*removed ? "logged out: removed " + path : "no saved login at " + path);
    return kExitOk;
  }
  if (!options.token_cmd.empty() || !options.token_file.empty()) return save_token_command(options, path, console);
  return device_login(options, path, console);
}

}  // namespace sshrelay::cli
