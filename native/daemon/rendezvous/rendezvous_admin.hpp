#pragma once
// The rendezvous admin API (swsrs's routes, core/rendezvous/rendezvous_api.hpp): mint, list, show and
// revoke sessions. Who may: a principal the configured identity provider vouched for and the policy
// file's "rendezvous_admins" names (a name, *@domain, group:G or scope:S); with --dev, anyone. Every
// answer is audited: creations and revocations as rendezvous.*, refusals as auth.denied/policy.denied.
#include <boost/beast/http.hpp>

#include "core/common/result.hpp"
#include "native/daemon/identity/authenticator.hpp"
#include "native/daemon/relay_context.hpp"
#include "native/daemon/router.hpp"

namespace sshrelay::daemon {

// The answer to one /admin/sessions request, once the authenticator has said who sent it.
http::response<http::string_body> answer_rendezvous_admin(RelayContext& ctx, const Request& request,
                                                          const Result<identity::Principal>& who,
                                                          const ConnectionPeer& peer);

}  // namespace sshrelay::daemon
