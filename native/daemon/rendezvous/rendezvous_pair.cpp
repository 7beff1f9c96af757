#include "native/daemon/rendezvous/rendezvous_pair.hpp"

#include <boost/asio/post.hpp>

#include "core/wire/close_code.hpp"
#include "native/daemon/log.hpp"
#include "native/daemon/rendezvous/rendezvous_hub.hpp"

namespace sshrelay::daemon {

using rendezvous::Slot;
using rendezvous::slot_index;

// One leg's end of the pair, as its driver sees it (leg_link.hpp).
class PairLeg final : public LegLink {
 public:
  PairLeg(std::shared_ptr<RendezvousPair> pair, Slot slot) : pair_(std::move(pair)), slot_(slot) {}

  void on_attached(rendezvous::BridgedLeg& leg, bool resumed) override { pair_->on_attached(slot_, leg, resumed); }
  void on_detached() override { pair_->hub_.leg_detached(pair_->id_, slot_); }
  void on_payload(std::span<const std::uint8_t> payload, bool more_waiting, TimePoint now) override {
    pair_->on_payload(slot_, payload, more_waiting, now);
  }
  bool saturated() const override { return pair_->bridge_.saturated(slot_) || pair_->ctx_.budget.full(); }
  std::size_t queued() const override { return pair_->bridge_.queued(slot_); }
  void pump(TimePoint now) override { pair_->pump(now); }
  void on_ended(std::uint16_t code, const std::string& reason) override { pair_->on_ended(slot_, code, reason); }
  void describe(AuditEvent& event) const override {
    event.rendezvous_id = pair_->id_;
    event.rendezvous_slot = rendezvous::slot_name(slot_);
  }

 private:
  std::shared_ptr<RendezvousPair> pair_;
  Slot slot_;
};

RendezvousPair::RendezvousPair(RelayContext& ctx, RendezvousHub& hub, std::string id, Strand strand)
    : ctx_(ctx), hub_(hub), id_(std::move(id)), strand_(std::move(strand)) {}

std::shared_ptr<LegLink> RendezvousPair::link(Slot slot, std::string principal) {
  net::post(strand_, [self = shared_from_this(), slot, principal = std::move(principal)]() mutable {
    Leg& leg = self->legs_[slot_index(slot)];
    leg.principal = std::move(principal);
    leg.told_to_flush = false;
  });
  return std::make_shared<PairLeg>(shared_from_this(), slot);
}

void RendezvousPair::set_leg(Slot slot, std::shared_ptr<Session> session, std::function<void()> wake) {
  net::post(strand_, [self = shared_from_this(), slot, weak = std::weak_ptr<Session>(session), wake = std::move(wake)]() mutable {
    Leg& leg = self->legs_[slot_index(slot)];
    leg.session = std::move(weak);
    leg.wake = std::move(wake);
  });
}

void RendezvousPair::close_leg(Slot slot, std::uint16_t code, std::string reason) {
  net::post(strand_, [self = shared_from_this(), slot, code, reason = std::move(reason)] {
    Leg& leg = self->legs_[slot_index(slot)];
    // The other leg's end already reached this one as the end of its target: it is sending what it holds
    // and closes by itself, with its client's bytes delivered.
    if (leg.told_to_flush && code == close_code::normal) return;
    if (auto session = leg.session.lock()) session->shutdown(code, reason);
  });
}

void RendezvousPair::audit_paired() {
  net::post(strand_, [self = shared_from_this()] {
    auto paired = self->event(AuditEventType::rendezvous_pair, Slot::initiator);
    paired.rendezvous_slot.clear();
    paired.principal = self->legs_[0].principal;
    paired.peer_principal = self->legs_[1].principal;
    self->ctx_.audit(std::move(paired));
    log(LogLevel::info, "rendezvous " + self->id_ + " paired");
  });
}

void RendezvousPair::on_attached(Slot slot, rendezvous::BridgedLeg& leg, bool resumed) {
  if (resumed) {
    hub_.leg_resumed(id_, slot);
    ctx_.audit(event(AuditEventType::rendezvous_resume, slot));
  } else {
    bridge_.join(slot, leg);
  }
  pump(std::chrono::steady_clock::now());
}

void RendezvousPair::on_payload(Slot slot, std::span<const std::uint8_t> payload, bool more_waiting, TimePoint now) {
  bridge_.on_payload(slot, payload, more_waiting, now);
  report_bytes();
  // The other leg has bytes to send its client (this leg's driver pumps after its read anyway).
  if (auto& wake = legs_[slot_index(rendezvous::other(slot))].wake) wake();
}

void RendezvousPair::pump(TimePoint now) {
  const auto before = std::array{bridge_.bridged(Slot::initiator), bridge_.bridged(Slot::responder)};
  const auto queued_before = std::array{bridge_.queued(Slot::initiator), bridge_.queued(Slot::responder)};
  bridge_.pump(now);
  const bool moved = before[0] != bridge_.bridged(Slot::initiator) || before[1] != bridge_.bridged(Slot::responder) ||
                     queued_before[0] != bridge_.queued(Slot::initiator) ||
                     queued_before[1] != bridge_.queued(Slot::responder);
  if (!moved) return;
  report_bytes();
  wake_both();
}

void RendezvousPair::on_ended(Slot slot, std::uint16_t code, const std::string& reason) {
  Leg& leg = legs_[slot_index(slot)];
  Leg& peer = legs_[slot_index(rendezvous::other(slot))];
  if (bridge_.joined(slot)) {
    peer.told_to_flush = bridge_.joined(rendezvous::other(slot));
    bridge_.on_leg_ended(slot, "peer disconnected", std::chrono::steady_clock::now());
  }
  auto closed = event(AuditEventType::rendezvous_close, slot);
  closed.close_code = code;
  closed.close_reason = reason;
  closed.peer_principal = peer.principal;
  closed.bytes_up = bridge_.bridged(slot);
  ctx_.audit(std::move(closed));
  leg.session.reset();
  leg.wake = nullptr;
  if (peer.wake) peer.wake();
  hub_.leg_ended(id_, slot);
}

void RendezvousPair::report_bytes() {
  for (const Slot slot : {Slot::initiator, Slot::responder}) {
    const std::uint64_t total = bridge_.bridged(slot);
    auto& reported = reported_[slot_index(slot)];
    // The bridge's counts run for the pair's whole life (pairings included): the hub hears what is new.
    if (total > reported) {
      hub_.count_bytes(id_, slot, total - reported);
      reported = total;
    }
  }
}

void RendezvousPair::wake_both() {
  for (auto& leg : legs_) {
    if (leg.wake) leg.wake();
  }
}

AuditEvent RendezvousPair::event(AuditEventType type, Slot slot) const {
  AuditEvent e;
  e.type = type;
  e.rendezvous_id = id_;
  e.rendezvous_slot = rendezvous::slot_name(slot);
  e.principal = legs_[slot_index(slot)].principal;
  e.endpoint = "rendezvous";
  return e;
}

}  // namespace sshrelay::daemon
