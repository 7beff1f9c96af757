#pragma once
// What a rendezvous leg's SessionDriver has in place of a TCP target: its end of the pair
// (rendezvous_pair.hpp). Every call is made on the pair's strand, which is the leg's strand too.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/audit/audit_event.hpp"
#include "core/common/time.hpp"
#include "core/rendezvous/leg_bridge.hpp"

namespace sshrelay::daemon {

class LegLink {
 public:
  virtual ~LegLink() = default;
  // The leg's machine takes its slot in the bridge (first attach) or came back (a resume).
  virtual void on_attached(rendezvous::BridgedLeg& leg, bool resumed) = 0;
  virtual void on_detached() = 0;
  // A payload from this leg's client (copied before this returns).
  virtual void on_payload(std::span<const std::uint8_t> payload, bool more_waiting, TimePoint now) = 0;
  // The driver must not read its client meanwhile (the bridge's queue or the relay's budget is full).
  virtual bool saturated() const = 0;
  // Bytes this leg's client sent that wait in the bridge (charged to the relay's budget).
  virtual std::size_t queued() const = 0;
  // Moves what waits both ways and wakes the other leg's driver if anything moved.
  virtual void pump(TimePoint now) = 0;
  // The leg is over: the other leg is told (it flushes, then closes), the slot is freed.
  virtual void on_ended(std::uint16_t code, const std::string& reason) = 0;
  // The rendezvous id and slot, for the leg's audit events.
  virtual void describe(AuditEvent& event) const = 0;
};

}  // namespace sshrelay::daemon
