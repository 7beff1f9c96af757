// The /relay session kind: core's RawRelaySession run by the SessionDriver.
#include "core/session/raw_relay_session.hpp"
#include "native/daemon/endpoint.hpp"
#include "native/daemon/rendezvous/rendezvous_pair.hpp"
#include "native/daemon/session_driver_impl.hpp"

namespace sshrelay::daemon {

template class SessionDriver<RawRelaySession>;

std::shared_ptr<Session> make_raw_relay_session(RelayContext& ctx, Strand strand, DialOutcome dialed,
                                                SessionDescription description) {
  // The same per-session memory bound as a v4 session's replay buffer.
  RawRelaySessionConfig config{ctx.config.max_replay_buffer, 64 * 1024,
                               std::chrono::duration_cast<Duration>(ctx.config.ping_interval)};
  return std::make_shared<SessionDriver<RawRelaySession>>(ctx, std::move(strand), std::move(dialed.socket),
                                                          std::move(dialed.source_port), std::move(description),
                                                          RawRelaySession(config));
}

// swsrs's plain leg: messages both ways, no resume (RawRelaySession's rules, the other leg as target).
std::shared_ptr<Session> make_plain_leg(RelayContext& ctx, const std::shared_ptr<RendezvousPair>& pair,
                                        rendezvous::Slot slot, SessionDescription description) {
  RawRelaySessionConfig config{ctx.config.max_replay_buffer, 64 * 1024,
                               std::chrono::duration_cast<Duration>(ctx.config.ping_interval)};
  auto link = pair->link(slot, description.principal);
  auto leg = std::make_shared<SessionDriver<RawRelaySession>>(ctx, pair->strand(), std::move(link),
                                                              std::move(description), RawRelaySession(config));
  pair->set_leg(slot, leg, [weak = std::weak_ptr(leg)] {
    if (auto l = weak.lock()) l->wake();
  });
  return leg;
}

}  // namespace sshrelay::daemon
