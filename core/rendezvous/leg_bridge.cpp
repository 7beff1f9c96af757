#include "core/rendezvous/leg_bridge.hpp"

#include <algorithm>

namespace sshrelay::rendezvous {

LegBridge::LegBridge(V4ServerSession& initiator, V4ServerSession& responder, std::size_t queue_cap)
    : initiator_(initiator), responder_(responder), queue_cap_(queue_cap) {}

void LegBridge::on_payload(Slot from, std::span<const std::uint8_t> payload, bool more_waiting, TimePoint now) {
  Pending& p = pending_[slot_index(from)];
  if (payload.empty() && p.payloads.empty()) {
    leg(from).on_target_written(0, more_waiting, now);
    return;
  }
  p.payloads.push_back({{payload.begin(), payload.end()}, more_waiting});
  p.queued += payload.size();
  move(from, now);
}

bool LegBridge::move(Slot from, TimePoint now) {
  Pending& p = pending_[slot_index(from)];
  V4ServerSession& to = leg(other(from));
  bool moved = false;
  while (!p.payloads.empty() && !to.ended()) {  // an ended receiver: on_leg_ended decides
    const Payload& front = p.payloads.front();
    while (p.taken < front.bytes.size() && to.wants_target_data()) {
      const std::size_t n = std::min(front.bytes.size() - p.taken, to.target_read_room());
      if (n == 0) break;
      to.on_target_data(std::span<const std::uint8_t>(front.bytes).subspan(p.taken, n), now);
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
    leg(from).on_target_written(n, more, now);
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
  leg(other(from)).on_target_eof(why, now);
  Pending& p = pending_[slot_index(from)];
  p.payloads.clear();
  p.taken = 0;
  p.queued = 0;
}

}  // namespace sshrelay::rendezvous
