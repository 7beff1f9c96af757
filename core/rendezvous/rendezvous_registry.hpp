#pragma once
// Two-party rendezvous, the pairing rules (sans-I/O, time passed in): a session has two slots, initiator
// and responder, each opened by its own 128-bit token (only a digest of it is kept); the first leg to
// attach waits at most `peer_wait` for the other; once both are attached the relay copies bytes
// between them. A leg that drops (a v4-style leg, which resumes by its own leg id) keeps its slot until
// the leg ends; a second party presenting a token whose slot is held is refused. When one leg ends the
// other is told to go (swsrs's "peer disconnected") and the slots are free again: the same tokens may
// pair again until the session's TTL. Expiry refuses new attaches; a pair already running goes on.
// Revoking ends the session and its legs.
//
// The registry decides; the daemon acts. Its outputs are events (close this leg, audit that), pulled
// with next_event(), and next_deadline()/on_timeout(now) for peer-wait and expiry. Randomness and the
// token digest (SHA-256 natively) are passed in, so this runs under test in virtual time.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/common/fifo.hpp"
#include "core/common/result.hpp"
#include "core/common/time.hpp"

namespace sshrelay::rendezvous {

enum class Slot { initiator, responder };
const char* slot_name(Slot slot);
inline Slot other(Slot slot) { return slot == Slot::initiator ? Slot::responder : Slot::initiator; }
// 0 for the initiator, 1 for the responder: the index of a slot in per-slot arrays.
inline std::size_t slot_index(Slot slot) { return slot == Slot::initiator ? 0 : 1; }

// What the caller uses to keep tokens only as digests (SHA-256 in the daemon).
class TokenDigester {
 public:
  virtual ~TokenDigester() = default;
  virtual std::string digest(std::string_view token) const = 0;
};

struct RegistryLimits {
  Duration default_ttl = std::chrono::hours(1);
  Duration max_ttl = std::chrono::hours(24);
  Duration peer_wait = std::chrono::minutes(2);
  std::size_t max_sessions = 10000;
  std::size_t max_sessions_per_principal = 100;  // 0: no cap; sessions without a principal are not capped
};

// 16 random bytes for the id and 16 for each token.
inline constexpr std::size_t kRandomBytesPerSession = 48;

struct Created {
  std::string id;               // 22 characters of base64url, like the tokens
  std::string initiator_token;  // returned once, here; never again
  std::string responder_token;
  TimePoint created_at;
  TimePoint expires_at;
};

enum class State { pending, half_open, open };  // no leg, one leg, both legs
const char* state_name(State state);

struct Status {
  std::string id;
  std::string principal;  // who created it ("" when nobody was authenticated)
  State state = State::pending;
  TimePoint created_at;
  TimePoint expires_at;
  TimePoint last_activity;
  bool initiator_connected = false;
  bool responder_connected = false;
  std::uint64_t bytes_in = 0;   // initiator -> responder
  std::uint64_t bytes_out = 0;  // responder -> initiator
  std::uint64_t pairings = 0;
};

// Why an attach was refused: an HTTP status before the upgrade, and the words for the body (or for a
// close reason, when the daemon refuses after upgrading).
struct Refusal {
  int http_status = 0;
  std::string reason;
};

// A leg the daemon must close (the other party went, the peer never came, the session was revoked).
struct CloseLeg {
  std::string id;
  Slot slot;
  std::uint16_t code;  // WebSocket close code
  std::string reason;
};
// Both slots hold a leg: bytes may flow.
struct Paired {
  std::string id;
};
// The session is gone from the registry (expired with no leg, revoked, or ended after expiry).
struct Removed {
  std::string id;
  std::string why;  // "expired", "revoked"
};
using Event = std::variant<CloseLeg, Paired, Removed>;

class Registry {
 public:
  explicit Registry(RegistryLimits limits = {});

  // Mints a session: `random` must hold kRandomBytesPerSession bytes from a CSPRNG. A local error names
  // what is wrong (a TTL over the maximum, a cap reached, too few random bytes).
  Result<Created> create(TimePoint now, const std::string& principal, std::optional<Duration> ttl,
                         std::span<const std::uint8_t> random, const TokenDigester& digester);
  // Ends a session and asks for its legs to be closed. False if there is no such session.
  bool revoke(const std::string& id, TimePoint now);

  // A leg presents `token` for session `id`: the slot it may take, or why not. On success the slot is
  // held until leg_ended().
  std::variant<Slot, Refusal> attach(const std::string& id, std::string_view token, TimePoint now,
                                     const TokenDigester& digester);
  // Which slot `token` opens in session `id`, if any: for a leg resuming, whose slot attach() would find
  // held. Compared like attach() does.
  std::optional<Slot> slot_of(const std::string& id, std::string_view token, const TokenDigester& digester) const;
  // The leg lost its transport but may resume (a v4 leg within its grace period): the slot stays held.
  void leg_detached(const std::string& id, Slot slot, TimePoint now);
  void leg_resumed(const std::string& id, Slot slot, TimePoint now);
  // The leg is over for good: its slot is free, and the other leg (if any) is asked to close.
  void leg_ended(const std::string& id, Slot slot, TimePoint now);
  // Payload bytes the relay copied from `from` to the other leg.
  void count_bytes(const std::string& id, Slot from, std::uint64_t n, TimePoint now);

  std::optional<TimePoint> next_deadline() const;
  void on_timeout(TimePoint now);
  std::optional<Event> next_event();

  std::optional<Status> status(const std::string& id) const;
  std::vector<Status> list() const;  // oldest first
  std::size_t size() const { return sessions_.size(); }
  bool paired(const std::string& id) const;

 private:
  enum class SlotState { free, attached, detached };
  struct Session {
    Status status;
    std::array<std::string, 2> digests;
    std::array<SlotState, 2> slots{SlotState::free, SlotState::free};
    std::optional<TimePoint> peer_wait_until;  // a lone leg waits until then
  };
  // A session gone for a while: a late leg learns it expired or was revoked, not "no such session".
  struct Tombstone {
    std::string why;
    TimePoint until;
  };
  static constexpr Duration kTombstoneTime = std::chrono::hours(1);

  Session* find(const std::string& id);
  void refresh_state(Session& s, TimePoint now);
  void remove(std::map<std::string, Session>::iterator it, std::string why, TimePoint now);
  std::size_t sessions_of(const std::string& principal) const;

  RegistryLimits limits_;
  std::map<std::string, Session> sessions_;
  std::map<std::string, Tombstone> tombstones_;  // at most max_sessions, each for kTombstoneTime
  Fifo<Event> events_;
};

}  // namespace sshrelay::rendezvous
