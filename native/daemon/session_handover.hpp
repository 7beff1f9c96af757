#pragma once
// A v4 session taken over from a predecessor process (native/daemon/cluster/handover.hpp): made from
// what Session::hand_over gave there, then started once registered.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>

#include "native/daemon/client_connection.hpp"
#include "native/daemon/relay_context.hpp"
#include "native/daemon/session.hpp"

namespace sshrelay::daemon {

// Throws nlohmann::json::exception when `state` lacks a field.
std::shared_ptr<Session> adopt_v4_session(RelayContext& ctx, Strand strand, const nlohmann::json& state,
                                          std::span<const std::uint8_t> unacked, tcp::socket target);
// `client`: its moved socket (null when it did not move: the client reconnects).
void start_adopted_v4_session(const std::shared_ptr<Session>& session, std::uint32_t reconnects,
                              std::shared_ptr<ClientConnection> client, ClientPeer peer);

}  // namespace sshrelay::daemon
