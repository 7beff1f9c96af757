#include "native/cli/oauth_client.hpp"

#include <boost/system/system_error.hpp>

#include "core/identity/device_login.hpp"
#include "native/cli/client_setup.hpp"
#include "native/cli/proxy_options.hpp"
#include "native/client/tls_context.hpp"

namespace sshrelay::cli {

OAuthClient::OAuthClient(const ProxyOptions& options) : insecure_(options.insecure), timeout_(options.connect_timeout) {
  try {
    tls_ = client::make_client_tls_context(client::TlsOptions{options.insecure, options.ca_file});
  } catch (const boost::system::system_error& e) {
    throw UsageError("--ca-file '" + options.ca_file + "': cannot load it: " + e.code().message());
  }
}

Result<client::HttpReply> OAuthClient::get(const std::string& url) const { return request(url, false, {}); }

Result<client::HttpReply> OAuthClient::post_form(const std::string& url, const std::string& form) const {
  return request(url, true, form);
}

Result<client::HttpReply> OAuthClient::request(const std::string& url, bool post, const std::string& form) const {
  auto where = client::parse_web_url(url);
  if (!where) return where.error();
  client::TransportOptions transport;
  transport.relay = where->server;
  transport.tls = tls_;
  transport.insecure = insecure_;
  transport.user_agent = cli_user_agent();
  transport.connect_timeout = timeout_;
  transport.handshake_timeout = timeout_;
  return client::relay_http_request(transport, post ? boost::beast::http::verb::post : boost::beast::http::verb::get,
                                    where->target, form, {{"Accept", "application/json"}},
                                    "application/x-www-form-urlencoded");
}

Result<CachedCredentials> OAuthClient::refresh(const CachedCredentials& saved,
                                                         std::int64_t now_unix) const {
  if (!saved.can_refresh()) return local_error("the saved login has expired and cannot be renewed; run 'sshrelay auth'");
  auto reply = post_form(saved.token_endpoint, refresh_token_body(saved.client_id, saved.refresh_token));
  if (!reply) return local_error("cannot renew the saved login: " + reply.error().message);
  auto answer = parse_token_answer(reply->status, reply->body);
  if (!answer.grant) {
    return local_error("the identity provider would not renew the saved login (" + answer.error.describe() +
                       "); run 'sshrelay auth'");
  }
  LoginEndpoints endpoints;
  endpoints.issuer = saved.issuer;
  endpoints.token_endpoint = saved.token_endpoint;
  endpoints.client_id = saved.client_id;
  return credentials_from_grant(*answer.grant, now_unix, endpoints, saved.relay, saved.refresh_token);
}

}  // namespace sshrelay::cli
