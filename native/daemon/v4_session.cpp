// The v4 session kind: core's V4ServerSession run by the SessionDriver.
#include "core/session/v4_server_session.hpp"
#include "native/daemon/endpoint.hpp"
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
