// The /relay session kind: core's RawRelaySession run by the SessionDriver.
#include "core/session/raw_relay_session.hpp"
#include "native/daemon/endpoint.hpp"
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

}  // namespace sshrelay::daemon
