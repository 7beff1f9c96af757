#pragma once
// The data path of a paired rendezvous session, sans-I/O: each leg is a V4ServerSession (so each resumes
// on its own, with its own replay) whose target is the other leg. What one leg's client sends is the
// other leg's target data. The daemon hands each leg's client payload to on_payload() where a relay
// session would write it to TCP, and calls pump() after anything that may have made room (an ACK from
// a client, a reconnect). The bridge feeds the other leg as far as its replay cap allows and reports
// each payload written to its sender only once all of it was taken, so the sender's client is
// acknowledged only for what the other leg holds: a slow side holds the other back.
//
// Unlike a TCP target, the other leg only makes room when *its* client's ACKs are read. If each leg's
// driver stopped reading its client while a payload waited (as it does for TCP), two legs pushing at
// each other would wait for each other's ACKs for ever (the rendezvous pair simulation found exactly
// that). So a driver keeps reading while payloads queue here, and stops only once `saturated()`: more
// queued than an honest client sends without acknowledgement (its own replay cap), which only a
// misbehaving client reaches.
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <vector>

#include "core/common/time.hpp"
#include "core/rendezvous/rendezvous_registry.hpp"
#include "core/session/v4_server_session.hpp"

namespace sshrelay::rendezvous {

class LegBridge {
 public:
  // Bytes queued per direction before a driver stops reading that leg's client: above the largest replay
  // cap a client of ours uses (the page 1 MiB, the CLI 4 MiB), since at exactly a client's cap a stop
  // could still meet the other direction's. What a misbehaving client can make the relay hold per pair is
  // twice this (the daemon's memory budget must count it).
  static constexpr std::size_t kDefaultQueueCap = 8 << 20;

  LegBridge(V4ServerSession& initiator, V4ServerSession& responder, std::size_t queue_cap = kDefaultQueueCap);

  // A payload `from`'s on_client_message() returned. `more_waiting`: the client's next message has
  // already arrived (an upload burst: ACKs are then batched, as for a TCP target).
  void on_payload(Slot from, std::span<const std::uint8_t> payload, bool more_waiting, TimePoint now);
  // Moves what waits as far as the receiving legs take it.
  void pump(TimePoint now);
  // `from` ended for good: the other leg's target has ended, so it sends what it holds, then closes.
  void on_leg_ended(Slot from, const std::string& why, TimePoint now);

  // The driver should not read `from`'s client until this is false again (after a pump()).
  bool saturated(Slot from) const { return pending_[slot_index(from)].queued >= queue_cap_; }
  std::size_t queued(Slot from) const { return pending_[slot_index(from)].queued; }
  std::uint64_t bridged(Slot from) const { return pending_[slot_index(from)].total; }

 private:
  struct Payload {
    std::vector<std::uint8_t> bytes;
    bool more_waiting = false;
  };
  struct Pending {
    std::deque<Payload> payloads;  // oldest first; the front is partly taken
    std::size_t taken = 0;         // of the front payload
    std::size_t queued = 0;        // bytes not yet taken, all payloads
    std::uint64_t total = 0;       // bytes handed to the other leg, ever
  };
  V4ServerSession& leg(Slot slot) { return slot == Slot::initiator ? initiator_ : responder_; }
  bool move(Slot from, TimePoint now);

  V4ServerSession& initiator_;
  V4ServerSession& responder_;
  std::size_t queue_cap_;
  std::array<Pending, 2> pending_;
};

}  // namespace sshrelay::rendezvous
