#include "core/rendezvous/leg_bridge.hpp"

#include <algorithm>

namespace sshrelay::rendezvous {

void LegBridge::on_payload(Slot from, std::span<const std::uint8_t> payload, bool more_waiting, TimePoint now) {
  Pending& p = pending_[slot_index(from)];
  BridgedLeg* sender = legs_[slot_index(from)];
  if (payload.empty() && p.payloads.empty()) {
    if (sender) sender->on_target_written(0, more_waiting, now);
    return;
  }
  p.payloads.push_back({{payload.begin(), payload.end()}, more_waiting});
  p.queued += payload.size();
  move(from, now);
}

bool LegBridge::move(Slot from, TimePoint now) {
  Pending& p = pending_[slot_index(from)];
  BridgedLeg* sender = legs_[slot_index(from)];
  BridgedLeg* to = legs_[slot_index(other(from))];
  bool moved = false;
  // No receiver yet (or an ended one: on_leg_ended decides): the payloads wait.
  while (sender && to && !p.payloads.empty() && !to->ended()) {
    const Payload& front = p.payloads.front();
    while (p.taken < front.bytes.size() && to->wants_target_data()) {
      const std::size_t n = std::min(front.bytes.size() - p.taken, to->target_read_room());
      if (n == 0) break;
      to->on_target_data(std::span<const std::uint8_t>(front.bytes).subspan(p.taken, n), now);
      p.taken += n;
      p.queued -= n;
      p.total += n;
      moved = true;
    }
    if (p.taken < front.bytes.size()) break;
    const std::size_t n = front.bytes.size();
    const bool more = front.more_waiting || p.payloads.size() > 1;
    p.payloads.pop_front();
    p.taken = 0;
    sender->on_target_written(n, more, now);
  }
  return moved;
}

void LegBridge::pump(TimePoint now) {
  // A move can only open room on the other side's sender (the ACK it then sends), never close any.
  for (int round = 0; round < 4; ++round) {
    const bool a = move(Slot::initiator, now);
    const bool b = move(Slot::responder, now);
    if (!a && !b) break;
  }
}

void LegBridge::on_leg_ended(Slot from, const std::string& why, TimePoint now) {
  if (BridgedLeg* to = legs_[slot_index(other(from))]; to && !to->ended()) to->on_target_eof(why, now);
  legs_[slot_index(from)] = nullptr;
  // Neither direction's waiting bytes belong to a later pairing: the other leg is closing.
  for (Pending& p : pending_) {
    p.payloads.clear();
    p.taken = 0;
    p.queued = 0;
  }
}

}  // namespace sshrelay::rendezvous
