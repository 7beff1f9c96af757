#include "core/rendezvous/rendezvous_registry.hpp"

#include <algorithm>

#include "core/common/base64.hpp"
#include "core/common/take_front.hpp"

namespace sshrelay::rendezvous {
namespace {

constexpr std::size_t kIdBytes = 16;

// Digests compared without an early exit, so the time taken says nothing about how much matched.
bool same_digest(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string seconds_text(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

}  // namespace

const char* slot_name(Slot slot) { return slot == Slot::initiator ? "initiator" : "responder"; }

const char* state_name(State state) {
  switch (state) {
    case State::pending: return "pending";
    case State::half_open: return "half_open";
    case State::open: return "open";
  }
  return "pending";
}

Registry::Registry(RegistryLimits limits) : limits_(limits) {}

std::size_t Registry::sessions_of(const std::string& principal) const {
  return static_cast<std::size_t>(std::count_if(sessions_.begin(), sessions_.end(), [&](const auto& entry) {
    return entry.second.status.principal == principal;
  }));
}

Result<Created> Registry::create(TimePoint now, const std::string& principal, std::optional<Duration> ttl,
                                 std::span<const std::uint8_t> random, const TokenDigester& digester) {
  if (random.size() < kRandomBytesPerSession) {
    return local_error("a rendezvous session needs " + std::to_string(kRandomBytesPerSession) + " random bytes, got " +
                       std::to_string(random.size()));
  }
  const Duration lifetime = ttl.value_or(limits_.default_ttl);
  if (lifetime <= Duration::zero()) return local_error("the TTL must be positive");
  if (lifetime > limits_.max_ttl) {
    return local_error("a TTL of " + seconds_text(lifetime) + " is over this relay's maximum of " +
                       seconds_text(limits_.max_ttl));
  }
  if (sessions_.size() >= limits_.max_sessions) {
    return local_error("this relay already holds " + std::to_string(sessions_.size()) +
                       " rendezvous sessions, the most it allows");
  }
  if (!principal.empty() && limits_.max_sessions_per_principal > 0 &&
      sessions_of(principal) >= limits_.max_sessions_per_principal) {
    return local_error(principal + " already has " + std::to_string(limits_.max_sessions_per_principal) +
                       " rendezvous sessions, the most one principal may hold");
  }
  Created created;
  created.id = base64url_encode(random.subspan(0, kIdBytes));
  created.initiator_token = base64url_encode(random.subspan(kIdBytes, kIdBytes));
  created.responder_token = base64url_encode(random.subspan(2 * kIdBytes, kIdBytes));
  created.created_at = now;
  created.expires_at = now + lifetime;
  if (sessions_.contains(created.id)) return local_error("a rendezvous id came out twice: the random bytes repeat");

  Session s;
  s.status.id = created.id;
  s.status.principal = principal;
  s.status.created_at = now;
  s.status.expires_at = created.expires_at;
  s.status.last_activity = now;
  s.digests = {digester.digest(created.initiator_token), digester.digest(created.responder_token)};
  sessions_.emplace(created.id, std::move(s));
  return created;
}

Registry::Session* Registry::find(const std::string& id) {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : &it->second;
}

void Registry::remove(std::map<std::string, Session>::iterator it, std::string why, TimePoint now) {
  if (tombstones_.size() >= limits_.max_sessions) tombstones_.erase(tombstones_.begin());
  tombstones_[it->first] = Tombstone{why, now + kTombstoneTime};
  events_.push_back(Removed{it->first, std::move(why)});
  sessions_.erase(it);
}

bool Registry::revoke(const std::string& id, TimePoint now) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  for (const Slot slot : {Slot::initiator, Slot::responder}) {
    if (it->second.slots[slot_index(slot)] != SlotState::free) events_.push_back(CloseLeg{id, slot, 1008, "session revoked"});
  }
  remove(it, "revoked", now);
  return true;
}

std::variant<Slot, Refusal> Registry::attach(const std::string& id, std::string_view token, TimePoint now,
                                             const TokenDigester& digester) {
  Session* s = find(id);
  if (s == nullptr) {
    const auto gone = tombstones_.find(id);
    if (gone != tombstones_.end() && now < gone->second.until) {
      return Refusal{410, gone->second.why == "revoked" ? "session revoked" : "session expired"};
    }
    return Refusal{404, "no such rendezvous session"};
  }
  if (token.empty()) return Refusal{401, "missing session token"};
  const std::string digest = digester.digest(token);
  // Both compared, whichever matches, so the time taken does not say which slot a token belongs to.
  const bool initiator = same_digest(digest, s->digests[0]);
  const bool responder = same_digest(digest, s->digests[1]);
  if (!initiator && !responder) return Refusal{401, "wrong token for this session"};
  const Slot slot = initiator ? Slot::initiator : Slot::responder;
  if (now >= s->status.expires_at) return Refusal{410, "session expired"};
  if (s->slots[slot_index(slot)] != SlotState::free) return Refusal{409, "slot already connected"};
  s->slots[slot_index(slot)] = SlotState::attached;
  s->status.last_activity = now;
  refresh_state(*s, now);
  return slot;
}

std::optional<Slot> Registry::slot_of(const std::string& id, std::string_view token, const TokenDigester& digester) const {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || token.empty()) return std::nullopt;
  const std::string digest = digester.digest(token);
  const bool initiator = same_digest(digest, it->second.digests[0]);
  const bool responder = same_digest(digest, it->second.digests[1]);
  if (initiator) return Slot::initiator;
  if (responder) return Slot::responder;
  return std::nullopt;
}

void Registry::refresh_state(Session& s, TimePoint now) {
  const bool a = s.slots[0] != SlotState::free;
  const bool b = s.slots[1] != SlotState::free;
  const State before = s.status.state;
  s.status.state = a && b ? State::open : a || b ? State::half_open : State::pending;
  s.status.initiator_connected = s.slots[0] == SlotState::attached;
  s.status.responder_connected = s.slots[1] == SlotState::attached;
  if (s.status.state == State::open) {
    s.peer_wait_until.reset();
    if (before != State::open) {
      ++s.status.pairings;
      events_.push_back(Paired{s.status.id});
    }
  } else if (s.status.state == State::half_open) {
    if (!s.peer_wait_until) s.peer_wait_until = now + limits_.peer_wait;
  } else {
    s.peer_wait_until.reset();
  }
}

void Registry::leg_detached(const std::string& id, Slot slot, TimePoint now) {
  Session* s = find(id);
  if (s == nullptr || s->slots[slot_index(slot)] != SlotState::attached) return;
  s->slots[slot_index(slot)] = SlotState::detached;
  s->status.last_activity = now;
  refresh_state(*s, now);
}

void Registry::leg_resumed(const std::string& id, Slot slot, TimePoint now) {
  Session* s = find(id);
  if (s == nullptr || s->slots[slot_index(slot)] != SlotState::detached) return;
  s->slots[slot_index(slot)] = SlotState::attached;
  s->status.last_activity = now;
  refresh_state(*s, now);
}

void Registry::leg_ended(const std::string& id, Slot slot, TimePoint now) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session& s = it->second;
  if (s.slots[slot_index(slot)] == SlotState::free) return;
  s.slots[slot_index(slot)] = SlotState::free;
  s.status.last_activity = now;
  const Slot peer = other(slot);
  if (s.slots[slot_index(peer)] != SlotState::free) events_.push_back(CloseLeg{id, peer, 1000, "peer disconnected"});
  refresh_state(s, now);
  if (s.status.state == State::pending && now >= s.status.expires_at) remove(it, "expired", now);
}

void Registry::count_bytes(const std::string& id, Slot from, std::uint64_t n, TimePoint now) {
  Session* s = find(id);
  if (s == nullptr) return;
  (from == Slot::initiator ? s->status.bytes_in : s->status.bytes_out) += n;
  s->status.last_activity = now;
}

std::optional<TimePoint> Registry::next_deadline() const {
  std::optional<TimePoint> next;
  auto consider = [&](TimePoint t) { if (!next || t < *next) next = t; };
  for (const auto& [id, s] : sessions_) {
    if (s.peer_wait_until) consider(*s.peer_wait_until);
    if (s.status.state == State::pending) consider(s.status.expires_at);
  }
  return next;
}

void Registry::on_timeout(TimePoint now) {
  std::erase_if(tombstones_, [now](const auto& entry) { return entry.second.until <= now; });
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    Session& s = it->second;
    if (s.peer_wait_until && *s.peer_wait_until <= now && s.status.state == State::half_open) {
      s.peer_wait_until.reset();
      for (const Slot slot : {Slot::initiator, Slot::responder}) {
        if (s.slots[slot_index(slot)] != SlotState::free) {
          events_.push_back(CloseLeg{it->first, slot, 1001, "peer did not connect in time"});
        }
      }
    }
    if (s.status.state == State::pending && now >= s.status.expires_at) {
      auto gone = it++;
      remove(gone, "expired", now);
      continue;
    }
    ++it;
  }
}

std::optional<Event> Registry::next_event() { return take_front(events_); }

std::optional<Status> Registry::status(const std::string& id) const {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  return it->second.status;
}

std::vector<Status> Registry::list() const {
  std::vector<Status> out;
  out.reserve(sessions_.size());
  for (const auto& [id, s] : sessions_) out.push_back(s.status);
  std::stable_sort(out.begin(), out.end(), [](const Status& a, const Status& b) { return a.created_at < b.created_at; });
  return out;
}

bool Registry::paired(const std::string& id) const {
  auto it = sessions_.find(id);
  return it != sessions_.end() && it->second.status.state == State::open;
}

}  // namespace sshrelay::rendezvous
