// The v4 session kind: core's V4ServerSession run by the SessionDriver.
#include "core/session/v4_server_session.hpp"
#include "native/daemon/endpoint.hpp"
#include "native/daemon/session_handover.hpp"
#include "native/daemon/rendezvous/rendezvous_pair.hpp"
#include "native/daemon/session_driver_impl.hpp"

namespace sshrelay::daemon {

template class SessionDriver<V4ServerSession>;

std::shared_ptr<Session> make_v4_session(RelayContext& ctx, Strand strand, DialOutcome dialed,
                                         SessionDescription description) {
  V4ServerSessionConfig config{ctx.config.max_replay_buffer, std::chrono::duration_cast<Duration>(ctx.config.grace),
                               std::chrono::duration_cast<Duration>(ctx.config.ping_interval), 64 * 1024};
  V4ServerSession machine(config, description.sid);
  return std::make_shared<SessionDriver<V4ServerSession>>(ctx, std::move(strand), std::move(dialed.socket),
                                                          std::move(dialed.source_port), std::move(description),
                                                          std::move(machine));
}

std::shared_ptr<Session> adopt_v4_session(RelayContext& ctx, Strand strand, const nlohmann::json& state,
                                          std::span<const std::uint8_t> unacked, tcp::socket target) {
  V4ServerSessionConfig config{ctx.config.max_replay_buffer, std::chrono::duration_cast<Duration>(ctx.config.grace),
                               std::chrono::duration_cast<Duration>(ctx.config.ping_interval), 64 * 1024};
  V4ServerSnapshot snapshot;
  snapshot.stream.received = state.at("received").get<std::uint64_t>();
  snapshot.stream.ack_reported = state.at("ack_reported").get<std::uint64_t>();
  snapshot.stream.sent_high_water = state.at("sent_high_water").get<std::uint64_t>();
  snapshot.stream.acked = state.at("acked").get<std::uint64_t>();
  snapshot.stream.unacked.assign(unacked.begin(), unacked.end());
  snapshot.ack_flushed_at = state.at("ack_flushed_at").get<std::uint64_t>();
  if (state.contains("client")) snapshot.stream.written = state["client"].at("written").get<std::uint64_t>();
  SessionDescription description;
  description.sid = state.at("sid").get<std::string>();
  description.principal = state.at("principal").get<std::string>();
  description.target_user = state.value("target_user", "");
  if (auto parsed = parse_target(state.at("target").get<std::string>())) description.target = *parsed;
  description.kind = state.at("kind").get<std::string>();
  const auto& identity = state.at("identity");
  description.identity = {identity.value("provider", ""), identity.value("subject", ""), identity.value("email", "")};
  description.dial_ms = state.value("dial_ms", std::uint64_t{0});
  auto machine = V4ServerSession::restored(config, snapshot, std::chrono::steady_clock::now());
  auto session = std::make_shared<SessionDriver<V4ServerSession>>(ctx, std::move(strand), std::move(target), nullptr,
                                                                  std::move(description), std::move(machine));
  return session;
}

void start_adopted_v4_session(const std::shared_ptr<Session>& session, std::uint32_t reconnects,
                              std::shared_ptr<ClientConnection> client, ClientPeer peer) {
  std::static_pointer_cast<SessionDriver<V4ServerSession>>(session)->adopt(reconnects, std::move(client), std::move(peer));
}

std::shared_ptr<Session> make_v4_leg(RelayContext& ctx, const std::shared_ptr<RendezvousPair>& pair,
                                     rendezvous::Slot slot, SessionDescription description) {
  V4ServerSessionConfig config{ctx.config.max_replay_buffer, std::chrono::duration_cast<Duration>(ctx.config.grace),
                               std::chrono::duration_cast<Duration>(ctx.config.ping_interval), 64 * 1024};
  V4ServerSession machine(config, description.sid);
  auto link = pair->link(slot, description.principal);
  auto leg = std::make_shared<SessionDriver<V4ServerSession>>(ctx, pair->strand(), std::move(link),
                                                              std::move(description), std::move(machine));
  pair->set_leg(slot, leg, [weak = std::weak_ptr(leg)] {
    if (auto l = weak.lock()) l->wake();
  });
  return leg;
}

}  // namespace sshrelay::daemon
