#pragma once
// One rendezvous session's data path in the daemon: its strand (both legs' drivers run on it, so the
// bridge between them needs no locking), core's LegBridge, and each slot's driver to wake when bytes
// move. Made by the hub at the first leg, kept while the session exists: legs come and go (a pairing
// ends, the same tokens pair again), the pair stays.
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/rendezvous/leg_bridge.hpp"
#include "native/daemon/relay_context.hpp"
#include "native/daemon/rendezvous/leg_link.hpp"

namespace sshrelay::daemon {

class RendezvousHub;

class RendezvousPair : public std::enable_shared_from_this<RendezvousPair> {
 public:
  RendezvousPair(RelayContext& ctx, RendezvousHub& hub, std::string id, Strand strand);

  const std::string& id() const { return id_; }
  const Strand& strand() const { return strand_; }

  // The link for a new leg in `slot` (made by admission, before the leg's driver exists).
  std::shared_ptr<LegLink> link(rendezvous::Slot slot, std::string principal);
  // The leg's driver: woken when the other leg moved bytes, shut down when the hub says so.
  void set_leg(rendezvous::Slot slot, std::shared_ptr<Session> session, std::function<void()> wake);
  // The hub's word (peer-wait over, revoked, the other leg ended): close that slot's leg. Any thread.
  void close_leg(rendezvous::Slot slot, std::uint16_t code, std::string reason);
  // Audits rendezvous.pair with both legs' principals. Any thread.
  void audit_paired();

 private:
  friend class PairLeg;
  struct Leg {
    std::weak_ptr<Session> session;
    std::function<void()> wake;
    std::string principal;
    bool told_to_flush = false;  // the other leg ended: this one sends what it holds, then closes
  };
  void on_attached(rendezvous::Slot slot, rendezvous::BridgedLeg& leg, bool resumed);
  void on_payload(rendezvous::Slot slot, std::span<const std::uint8_t> payload, bool more_waiting, TimePoint now);
  void pump(TimePoint now);
  void on_ended(rendezvous::Slot slot, std::uint16_t code, const std::string& reason);
  void report_bytes();
  void wake_both();
  AuditEvent event(AuditEventType type, rendezvous::Slot slot) const;

  RelayContext& ctx_;
  RendezvousHub& hub_;
  std::string id_;
  Strand strand_;
  rendezvous::LegBridge bridge_;
  std::array<Leg, 2> legs_;
  std::array<std::uint64_t, 2> reported_{0, 0};  // bytes bridged that the hub's status counts
};

}  // namespace sshrelay::daemon
