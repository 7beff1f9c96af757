#include "native/cli/create_session.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

#include "core/policy/origin_policy.hpp"
#include "core/rendezvous/rendezvous_api.hpp"
#include "native/cli/client_setup.hpp"
#include "native/cli/exit_status.hpp"
#include "native/client/relay_http.hpp"

namespace sshrelay::cli {
namespace {

// The relay's web page: its URL with http(s) for ws(s).
std::string page_url(const client::RelayUrl& relay) {
  return origin_of(relay.tls ? "https" : "http", relay.host, relay.port) + relay.path_prefix;
}

std::string text_output(const nlohmann::json& created, const ProxyOptions& options) {
  const std::string relay = options.relay.to_string();
  const std::string id = created.value("id", "");
  std::string out = "rendezvous session " + id + " (expires " + created.value("expires_at", "") + ")\n\n" +
                    "On the machine to reach (it dials out; nothing listens there):\n" +
                    "  sshrelay tcp-dial --relay " + relay + " --session " + id + " --token " +
                    created.value("responder_token", "") + " --target 127.0.0.1:22\n\n" +
                    "Where you connect from:\n" +
                    "  sshrelay tcp-listen --relay " + relay + " --session " + id + " --token " +
                    created.value("initiator_token", "") + " --listen 127.0.0.1:2222\n" +
                    "  ssh -p 2222 USER@127.0.0.1\n\n" +
                    "Or in a browser, through the relay's web page:\n  " +
                    rendezvous::invitation_link(page_url(options.relay), id, created.value("initiator_token", "")) + "\n";
  return out;
}

}  // namespace

int run_create(const ProxyOptions& options, Console& console) {
  ClientSetup setup = make_client_setup(options, console);
  auto headers = credential_headers(setup);
  if (setup.tokens) setup.tokens->shutdown();
  if (!headers) {
    console.error(headers.error().message);
    return kExitRelayError;
  }
  if (!options.bearer_token.empty()) headers->emplace_back("Authorization", "Bearer " + options.bearer_token);
  nlohmann::json body = nlohmann::json::object();
  if (!options.ttl.empty()) body["ttl"] = options.ttl;
  auto reply = client::relay_http_request(setup.connection.transport, boost::beast::http::verb::post,
                                          options.relay.path_prefix + "/admin/sessions", body.dump(), *headers);
  if (!reply) {
    console.error("cannot create a rendezvous session: " + reply.error().message);
    return kExitRelayError;
  }
  if (reply->status != 201) {
    std::string why = reply->body;
    while (!why.empty() && (why.back() == '\n' || why.back() == '\r')) why.pop_back();
    console.error("the relay refused to create a rendezvous session (HTTP " + std::to_string(reply->status) +
                  (why.empty() ? ")" : "): " + why));
    return kExitRelayError;
  }
  auto created = nlohmann::json::parse(reply->body, nullptr, false);
  if (created.is_discarded() || !created.is_object() || !created.contains("id")) {
    console.error("the relay's answer is not a rendezvous session: " + reply->body.substr(0, 200));
    return kExitRelayError;
  }
  if (options.output == "json") {
    std::cout << created.dump(2) << "\n";
  } else if (options.output == "env") {
    // swsrs's three lines, then ours (the peer commands read either). Ids and tokens are base64url: no
    // quoting needed.
    const auto id = created.value("id", "");
    const auto initiator = created.value("initiator_token", "");
    const auto responder = created.value("responder_token", "");
    std::cout << "SWSRS_SESSION=" << id << "\nSWSRS_INITIATOR_TOKEN=" << initiator << "\nSWSRS_RESPONDER_TOKEN=" << responder
              << "\nSSHRELAY_SESSION=" << id << "\nSSHRELAY_INITIATOR_TOKEN=" << initiator
              << "\nSSHRELAY_RESPONDER_TOKEN=" << responder << "\n";
  } else {
    std::cout << text_output(created, options);
  }
  return kExitOk;
}

}  // namespace sshrelay::cli
