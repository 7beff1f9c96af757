#pragma once
// The daemon's rendezvous service: core's Registry (the pairing rules) behind a mutex, with what it
// needs from the platform — SHA-256 for token digests, OpenSSL's randomness for ids and tokens, a timer
// for peer-wait and expiry — and the pairs (one per session, rendezvous_pair.hpp) whose legs it closes
// when the registry says so. The admin API (rendezvous_admin.hpp) and admission's rendezvous path call
// it from any thread.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/rendezvous/rendezvous_api.hpp"
#include "core/rendezvous/rendezvous_registry.hpp"
#include "native/common/deadline_timer.hpp"
#include "native/daemon/relay_context.hpp"

namespace sshrelay::daemon {

class RendezvousPair;

class RendezvousHub {
 public:
  RendezvousHub(RelayContext& ctx, rendezvous::RegistryLimits limits);
  ~RendezvousHub();

  // --- the admin API ---
  // `who` is audited as the creator; its name counts against the per-principal cap.
  Result<rendezvous::Created> create(const std::string& principal, std::optional<Duration> ttl, const AuditEvent& who);
  bool revoke(const std::string& id, const AuditEvent& who);
  std::optional<rendezvous::Status> status(const std::string& id) const;
  std::vector<rendezvous::Status> list() const;
  rendezvous::WallClock clock() const;

  // --- legs ---
  struct Joined {
    rendezvous::Slot slot;
    std::shared_ptr<RendezvousPair> pair;
  };
  // A new leg presenting `token`: its slot (now held) and the pair it joins, or why not. `home`: the
  // strand to run the pair on if this is its first leg.
  std::variant<Joined, rendezvous::Refusal> join(const std::string& id, std::string_view token, const Strand& home);
  // The pair of session `id`, if a leg ever joined it (a resuming leg moves to its context).
  std::shared_ptr<RendezvousPair> pair_of(const std::string& id) const;
  // The slot `token` opens (a resuming leg's check), or nothing.
  std::optional<rendezvous::Slot> slot_of(const std::string& id, std::string_view token) const;

  // From the pairs (any thread).
  void leg_detached(const std::string& id, rendezvous::Slot slot);
  void leg_resumed(const std::string& id, rendezvous::Slot slot);
  void leg_ended(const std::string& id, rendezvous::Slot slot);
  void count_bytes(const std::string& id, rendezvous::Slot from, std::uint64_t n);

  void stop();

 private:
  // Acts on what the registry decided (close legs, audit, forget pairs) and re-arms the timer. Call
  // without the mutex held.
  void after_change();
  void on_timer();

  RelayContext& ctx_;
  mutable std::mutex mutex_;
  rendezvous::Registry registry_;
  std::map<std::string, std::shared_ptr<RendezvousPair>> pairs_;
  Strand strand_;  // the timer's
  native::DeadlineTimer timer_;
  bool stopped_ = false;
};

}  // namespace sshrelay::daemon
