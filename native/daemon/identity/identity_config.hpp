#pragma once
// The identity settings (--identity-*), apart from the Authenticator so that the daemon's configuration
// can hold them without pulling in Beast. validate() is defined with the Authenticator, which resolves
// the same settings.
#include <chrono>
#include <string>
#include <vector>

#include "core/common/result.hpp"

namespace sshrelay::daemon::identity {

// Settings, one per flag (flag names in brackets; see docs/identity.md).
struct IdentityConfig {
  std::string provider;                // --identity-provider: none | cloudflare-access | gcp-iap | oidc
  std::string team_domain;             // --identity-team-domain: cloudflare-access, "<team>" or
                                       //   "<team>.cloudflareaccess.com"
  std::string jwks_url;                // --identity-jwks-url: overrides the provider's (oidc: optional,
                                       //   discovered from the issuer when empty)
  std::string issuer;                  // --identity-issuer: oidc (required); overrides the others' default
  std::string client_id;               // --identity-client-id: oidc, the device login's OAuth client
                                       //   (published at /.well-known/swsrs-config)
  std::vector<std::string> audiences;  // --identity-audience (repeatable): required by every JWT provider
  std::string cookie_name;             // --identity-cookie: cloudflare-access default CF_Authorization;
                                       //   oidc: off unless set
  std::string query_param;             // --identity-query-param: e.g. "token"; off unless set
  std::string ca_file;                 // --identity-ca-file: extra trust anchors for the JWKS fetch
  std::chrono::seconds leeway{60};     // --identity-leeway-seconds: 0..600
  std::chrono::seconds refresh_min_interval{30};  // --identity-jwks-min-refresh-seconds: 1..3600
  std::chrono::seconds refresh_interval{600};     // --identity-jwks-refresh-seconds: 1..86400
  bool upstream_enforces_auth = false;  // --identity-upstream-enforces-auth: required for provider none
  std::string user_header;              // --identity-user-header: provider none only; the principal is
                                        //   this header's value (e.g. X-Forwarded-Email), required on
                                        //   every request; empty: "anonymous"

  // Ok, or an error naming the first bad setting as config.cpp does: "--identity-provider
  // (RELAY_IDENTITY_PROVIDER): ...". Also checks that ca_file is readable.
  Status validate() const;
};

}  // namespace sshrelay::daemon::identity
