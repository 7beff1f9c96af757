#pragma once
// The data path of a paired rendezvous session, sans-I/O: each leg is a V4ServerSession (so each resumes
// on its own, with its own replay) whose target is the other leg. What one leg's client sends is the
// other leg's target data. The daemon hands each leg's client payload to on_payload() where a relay
// session would write it to TCP, and calls pump() after anything that may have made room (an ACK from
// a client, a reconnect). The bridge feeds the other leg as far as its replay cap allows and reports the
// payload written to its sender only once all of it was taken — the sender's driver reads its client's
// next message only then — so a slow side holds the other back, and nothing is buffered beyond one
// payload per direction.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/common/time.hpp"
#include "core/rendezvous/rendezvous_registry.hpp"
#include "core/session/v4_server_session.hpp"

namespace sshrelay::rendezvous {

class LegBridge {
 public:
  LegBridge(V4ServerSession& initiator, V4ServerSession& responder);

  // The payload `from`'s on_client_message() returned. `more_waiting`: the client's next message has
  // already arrived (an upload burst: ACKs are then batched, as for a TCP target).
  void on_payload(Slot from, std::span<const std::uint8_t> payload, bool more_waiting, TimePoint now);
  // Moves what waits as far as the receiving legs take it.
  void pump(TimePoint now);
  // `from` ended for good: the other leg's target has ended, so it sends what it holds, then closes.
  void on_leg_ended(Slot from, const std::string& why, TimePoint now);

  bool holding(Slot from) const { return !pending_[index(from)].bytes.empty(); }
  std::uint64_t bridged(Slot from) const { return pending_[index(from)].total; }

 private:
  struct Pending {
    std::vector<std::uint8_t> bytes;  // a payload not yet all taken by the other leg
    std::size_t taken = 0;
    bool more_waiting = false;
    std::uint64_t total = 0;  // bytes handed to the other leg, ever
  };
  static std::size_t index(Slot slot) { return slot == Slot::initiator ? 0 : 1; }
  V4ServerSession& leg(Slot slot) { return slot == Slot::initiator ? initiator_ : responder_; }
  bool move(Slot from, TimePoint now);

  V4ServerSession& initiator_;
  V4ServerSession& responder_;
  std::array<Pending, 2> pending_;
};

}  // namespace sshrelay::rendezvous
