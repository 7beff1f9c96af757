#pragma once
// HTTPS requests to the identity provider for `sshrelay auth` and for renewing its saved login: its
// discovery document, the device authorization and token endpoints. The same trust as the relay
// connection (--ca-file added to the system store; --insecure), no credentials of the relay's sent.
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/common/result.hpp"
#include "core/identity/cached_credentials.hpp"
#include "native/client/relay_http.hpp"

namespace sshrelay::cli {

struct ProxyOptions;

class OAuthClient {
 public:
  // Throws UsageError when --ca-file cannot be loaded.
  explicit OAuthClient(const ProxyOptions& options);

  Result<client::HttpReply> get(const std::string& url) const;
  Result<client::HttpReply> post_form(const std::string& url, const std::string& form) const;

  // A refresh_token grant for `saved` at its token_endpoint. Errors say whether a new login is needed.
  Result<CachedCredentials> refresh(const CachedCredentials& saved, std::int64_t now_unix) const;

 private:
  Result<client::HttpReply> request(const std::string& url, bool post, const std::string& form) const;

  std::shared_ptr<boost::asio::ssl::context> tls_;
  bool insecure_ = false;
  std::chrono::seconds timeout_{10};
};

}  // namespace sshrelay::cli
