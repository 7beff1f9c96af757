#include "core/rendezvous/leg_bridge.hpp"

#include <algorithm>

namespace sshrelay::rendezvous {

LegBridge::LegBridge(V4ServerSession& initiator, V4ServerSession& responder)
    : initiator_(initiator), responder_(responder) {}

void LegBridge::on_payload(Slot from, std::span<const std::uint8_t> payload, bool more_waiting, TimePoint now) {
  Pending& p = pending_[index(from)];
  if (payload.empty() && p.bytes.empty()) {
    leg(from).on_target_written(0, more_waiting, now);
    return;
  }
  // The sender's driver reads its next message only after on_target_written: one payload at a time.
  p.bytes.insert(p.bytes.end(), payload.begin(), payload.end());
  p.more_waiting = more_waiting;
  move(from, now);
}

bool LegBridge::move(Slot from, TimePoint now) {
  Pending& p = pending_[index(from)];
  if (p.bytes.empty()) return false;
  V4ServerSession& to = leg(other(from));
  if (to.ended()) return false;  // on_leg_ended decides what happens to the sender
  bool moved = false;
  while (p.taken < p.bytes.size() && to.wants_target_data()) {
    const std::size_t n = std::min(p.bytes.size() - p.taken, to.target_read_room());
    if (n == 0) break;
    to.on_target_data(std::span<const std::uint8_t>(p.bytes).subspan(p.taken, n), now);
    p.taken += n;
    p.total += n;
    moved = true;
  }
  if (p.taken == p.bytes.size()) {
    const std::size_t n = p.bytes.size();
    p.bytes.clear();
    p.taken = 0;
    leg(from).on_target_written(n, p.more_waiting, now);
  }
  return moved;
}

void LegBridge::pump(TimePoint now) {
  // Each move can only open room on the other side's sender (an ACK it then sends), never close any.
  for (int round = 0; round < 4; ++round) {
    const bool a = move(Slot::initiator, now);
    const bool b = move(Slot::responder, now);
    if (!a && !b) break;
  }
}

void LegBridge::on_leg_ended(Slot from, const std::string& why, TimePoint now) {
  leg(other(from)).on_target_eof(why, now);
  pending_[index(from)] = Pending{{}, 0, false, pending_[index(from)].total};
}

}  // namespace sshrelay::rendezvous
