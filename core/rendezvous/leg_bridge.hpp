#pragma once
// The data path of a rendezvous session, sans-I/O: each leg is a server session machine (a resumable
// V4ServerSession, or a plain RawRelaySession for swsrs's protocol) whose target is the other leg. What
// one leg's client sends is the other leg's target data. The daemon hands each leg's client payload to
// on_payload() where a relay session would write it to TCP, and calls pump() after anything that may have
// made room (an ACK from a client, a reconnect, the other leg joining). The bridge feeds the other leg as
// far as its own cap allows and reports each payload written to its sender only once all of it was taken,
// so the sender's client is acknowledged only for what the other leg holds: a slow side holds the other
// back. Payloads sent before the other leg joins wait here (swsrs's first peer: its bytes flow once paired).
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
#include <span>
#include <string>
#include <vector>

#include "core/common/fifo.hpp"
#include "core/common/time.hpp"
#include "core/rendezvous/rendezvous_registry.hpp"

namespace sshrelay::rendezvous {

// The part of a server session machine the bridge drives, whichever machine it is.
class BridgedLeg {
 public:
  virtual ~BridgedLeg() = default;
  virtual bool ended() const = 0;
  virtual bool wants_target_data() const = 0;
  virtual std::size_t target_read_room() const = 0;
  virtual void on_target_data(std::span<const std::uint8_t> bytes, TimePoint now) = 0;
  virtual void on_target_written(std::size_t n, bool more_waiting, TimePoint now) = 0;
  virtual void on_target_eof(const std::string& why, TimePoint now) = 0;
};

// A machine as a BridgedLeg (it must outlive the adapter).
template <class Machine>
class MachineLeg final : public BridgedLeg {
 public:
  explicit MachineLeg(Machine& machine) : m_(machine) {}
  bool ended() const override { return m_.ended(); }
  bool wants_target_data() const override { return m_.wants_target_data(); }
  std::size_t target_read_room() const override { return m_.target_read_room(); }
  void on_target_data(std::span<const std::uint8_t> bytes, TimePoint now) override { m_.on_target_data(bytes, now); }
  void on_target_written(std::size_t n, bool more, TimePoint now) override { m_.on_target_written(n, more, now); }
  void on_target_eof(const std::string& why, TimePoint now) override { m_.on_target_eof(why, now); }

 private:
  Machine& m_;
};

class LegBridge {
 public:
  // Bytes queued per direction before a driver stops reading that leg's client: above the largest replay
  // cap a client of ours uses (the page 1 MiB, the CLI 4 MiB), since at exactly a client's cap a stop
  // could still meet the other direction's. What a misbehaving client can make the relay hold per pair is
  // twice this (the daemon's memory budget must count it).
  static constexpr std::size_t kDefaultQueueCap = 8 << 20;

  explicit LegBridge(std::size_t queue_cap = kDefaultQueueCap) : queue_cap_(queue_cap) {}

  // A leg takes its slot (the pair's first, or the second: then what the first sent starts to flow on
  // the next pump()). A slot holds one leg at a time.
  void join(Slot slot, BridgedLeg& leg) { legs_[slot_index(slot)] = &leg; }
  bool joined(Slot slot) const { return legs_[slot_index(slot)] != nullptr; }

  // A payload `from`'s machine returned from on_client_message(). `more_waiting`: the client's next
  // message has already arrived (an upload burst: ACKs are then batched, as for a TCP target).
  void on_payload(Slot from, std::span<const std::uint8_t> payload, bool more_waiting, TimePoint now);
  // Moves what waits as far as the receiving legs take it.
  void pump(TimePoint now);
  // `from` ended for good and leaves its slot: the other leg's target has ended, so it sends what it holds,
  // then closes. What `from` sent and the other did not take is dropped.
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
    Fifo<Payload> payloads;  // oldest first; the front is partly taken
    std::size_t taken = 0;         // of the front payload
    std::size_t queued = 0;        // bytes not yet taken, all payloads
    std::uint64_t total = 0;       // bytes handed to the other leg, ever
  };
  bool move(Slot from, TimePoint now);

  std::size_t queue_cap_;
  std::array<BridgedLeg*, 2> legs_{nullptr, nullptr};
  std::array<Pending, 2> pending_;
};

}  // namespace sshrelay::rendezvous
