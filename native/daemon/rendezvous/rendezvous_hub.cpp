#include "native/daemon/rendezvous/rendezvous_hub.hpp"

#include <boost/asio/post.hpp>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>

#include "native/daemon/log.hpp"
#include "native/daemon/rendezvous/rendezvous_pair.hpp"

namespace sshrelay::daemon {
namespace {

using rendezvous::Slot;

// Slot tokens are kept only as their SHA-256: the registry never holds a usable token.
class Sha256Digester final : public rendezvous::TokenDigester {
 public:
  std::string digest(std::string_view token) const override {
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    unsigned int n = 0;
    if (EVP_Digest(token.data(), token.size(), out.data(), &n, EVP_sha256(), nullptr) != 1) return {};
    return std::string(reinterpret_cast<const char*>(out.data()), n);
  }
};
const Sha256Digester kDigester;

TimePoint steady_now() { return std::chrono::steady_clock::now(); }

}  // namespace

RendezvousHub::RendezvousHub(RelayContext& ctx, rendezvous::RegistryLimits limits)
    : ctx_(ctx), registry_(limits), strand_(net::make_strand(ctx.ioc)), timer_(strand_) {}

RendezvousHub::~RendezvousHub() = default;

Result<rendezvous::Created> RendezvousHub::create(const std::string& principal, std::optional<Duration> ttl,
                                                  const AuditEvent& who) {
  std::array<std::uint8_t, rendezvous::kRandomBytesPerSession> random{};
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
    return local_error("the relay has no randomness for a session");
  }
  Result<rendezvous::Created> created = local_error("");
  {
    std::lock_guard lock(mutex_);
    created = registry_.create(steady_now(), principal, ttl, random, kDigester);
  }
  AuditEvent event = who;
  event.type = AuditEventType::rendezvous_create;
  event.endpoint = "rendezvous";
  if (created) {
    event.rendezvous_id = created->id;
    log(LogLevel::info, "rendezvous " + created->id + " created by " + (principal.empty() ? "(nobody)" : principal));
  } else {
    event.type = AuditEventType::policy_denied;
    event.reason = "rendezvous create refused: " + created.error().message;
  }
  ctx_.audit(std::move(event));
  after_change();
  return created;
}

bool RendezvousHub::revoke(const std::string& id, const AuditEvent& who) {
  bool revoked = false;
  {
    std::lock_guard lock(mutex_);
    revoked = registry_.revoke(id, steady_now());
  }
  if (revoked) {
    AuditEvent event = who;
    event.type = AuditEventType::rendezvous_close;
    event.endpoint = "rendezvous";
    event.rendezvous_id = id;
    event.reason = "revoked";
    ctx_.audit(std::move(event));
    log(LogLevel::info, "rendezvous " + id + " revoked by " + (who.principal.empty() ? "(nobody)" : who.principal));
  }
  after_change();
  return revoked;
}

std::optional<rendezvous::Status> RendezvousHub::status(const std::string& id) const {
  std::lock_guard lock(mutex_);
  return registry_.status(id);
}

std::vector<rendezvous::Status> RendezvousHub::list() const {
  std::lock_guard lock(mutex_);
  return registry_.list();
}

rendezvous::WallClock RendezvousHub::clock() const { return {steady_now(), std::chrono::system_clock::now()}; }

std::variant<RendezvousHub::Joined, rendezvous::Refusal> RendezvousHub::join(const std::string& id, std::string_view token,
                                                                            const Strand& home) {
  std::variant<Joined, rendezvous::Refusal> out = rendezvous::Refusal{};
  {
    std::lock_guard lock(mutex_);
    auto attached = registry_.attach(id, token, steady_now(), kDigester);
    if (auto* refusal = std::get_if<rendezvous::Refusal>(&attached)) {
      out = std::move(*refusal);
    } else {
      auto& pair = pairs_[id];
      if (!pair) pair = std::make_shared<RendezvousPair>(ctx_, *this, id, home);
      out = Joined{std::get<Slot>(attached), pair};
    }
  }
  after_change();
  return out;
}

std::shared_ptr<RendezvousPair> RendezvousHub::pair_of(const std::string& id) const {
  std::lock_guard lock(mutex_);
  const auto it = pairs_.find(id);
  return it == pairs_.end() ? nullptr : it->second;
}

std::optional<Slot> RendezvousHub::slot_of(const std::string& id, std::string_view token) const {
  std::lock_guard lock(mutex_);
  return registry_.slot_of(id, token, kDigester);
}

void RendezvousHub::leg_detached(const std::string& id, Slot slot) {
  {
    std::lock_guard lock(mutex_);
    registry_.leg_detached(id, slot, steady_now());
  }
  after_change();
}

void RendezvousHub::leg_resumed(const std::string& id, Slot slot) {
  {
    std::lock_guard lock(mutex_);
    registry_.leg_resumed(id, slot, steady_now());
  }
  after_change();
}

void RendezvousHub::leg_ended(const std::string& id, Slot slot) {
  {
    std::lock_guard lock(mutex_);
    registry_.leg_ended(id, slot, steady_now());
  }
  after_change();
}

void RendezvousHub::count_bytes(const std::string& id, Slot from, std::uint64_t n) {
  std::lock_guard lock(mutex_);
  registry_.count_bytes(id, from, n, steady_now());
}

void RendezvousHub::stop() {
  net::post(strand_, [this] {
    stopped_ = true;
    timer_.cancel();
  });
}

void RendezvousHub::after_change() {
  std::vector<rendezvous::Event> events;
  std::vector<std::pair<std::shared_ptr<RendezvousPair>, rendezvous::Event>> actions;
  std::optional<TimePoint> deadline;
  {
    std::lock_guard lock(mutex_);
    while (auto event = registry_.next_event()) {
      const std::string& id = std::visit([](const auto& e) -> const std::string& { return e.id; }, *event);
      auto it = pairs_.find(id);
      std::shared_ptr<RendezvousPair> pair = it == pairs_.end() ? nullptr : it->second;
      if (std::holds_alternative<rendezvous::Removed>(*event) && it != pairs_.end()) pairs_.erase(it);
      actions.emplace_back(std::move(pair), std::move(*event));
    }
    deadline = registry_.next_deadline();
  }
  for (auto& [pair, event] : actions) {
    if (auto* close = std::get_if<rendezvous::CloseLeg>(&event)) {
      if (pair) pair->close_leg(close->slot, close->code, close->reason);
    } else if (std::holds_alternative<rendezvous::Paired>(event)) {
      if (pair) pair->audit_paired();
    } else {
      const auto& removed = std::get<rendezvous::Removed>(event);
      if (removed.why != "revoked") {  // a revoke is audited with who did it
        AuditEvent gone;
        gone.type = AuditEventType::rendezvous_close;
        gone.endpoint = "rendezvous";
        gone.rendezvous_id = removed.id;
        gone.reason = removed.why;
        ctx_.audit(std::move(gone));
        log(LogLevel::info, "rendezvous " + removed.id + " " + removed.why);
      }
    }
  }
  net::post(strand_, [this, deadline] {
    if (stopped_) return;
    timer_.keep_at(deadline, [this] { on_timer(); });
  });
}

void RendezvousHub::on_timer() {
  {
    std::lock_guard lock(mutex_);
    registry_.on_timeout(steady_now());
  }
  after_change();
}

}  // namespace sshrelay::daemon
