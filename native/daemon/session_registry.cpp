#include "native/daemon/session_registry.hpp"

#include <utility>

namespace sshrelay::daemon {
namespace {

constexpr std::size_t kMaxRememberedEndings = 100000;

}  // namespace

SessionSlot::SessionSlot(SessionSlot&& other) noexcept
    : registry_(std::exchange(other.registry_, nullptr)),
      principal_(std::move(other.principal_)),
      source_(std::move(other.source_)) {}

SessionSlot& SessionSlot::operator=(SessionSlot&& other) noexcept {
  if (this != &other) {
    if (registry_) registry_->release_slot(principal_, source_);
    registry_ = std::exchange(other.registry_, nullptr);
    principal_ = std::move(other.principal_);
    source_ = std::move(other.source_);
  }
  return *this;
}

SessionSlot::~SessionSlot() {
  if (registry_) registry_->release_slot(principal_, source_);
}

void SessionRegistry::decrement(std::unordered_map<std::string, std::size_t>& counts, const std::string& key) {
  auto it = counts.find(key);
  if (it != counts.end() && --it->second == 0) counts.erase(it);
}

SessionSlot SessionRegistry::reserve(const std::string& principal, const std::string& source, Refusal& refusal) {
  std::lock_guard lock(mutex_);
  refusal = Refusal::none;
  if (sessions_.size() + reserved_ + elsewhere_.total >= limits_.total) {
    refusal = Refusal::total_full;
    return {};
  }
  const auto principal_count =
      (per_principal_.count(principal) ? per_principal_.at(principal) : 0) + (principal.empty() ? 0 : elsewhere_.of(principal));
  if (limits_.per_principal != 0 && !principal.empty() && principal_count >= limits_.per_principal) {
    refusal = Refusal::principal_full;
    return {};
  }
  const auto source_count = per_source_.count(source) ? per_source_.at(source) : 0;
  if (limits_.per_source != 0 && source_count >= limits_.per_source) {
    refusal = Refusal::source_full;
    return {};
  }
  ++per_principal_[principal];
  ++per_source_[source];
  ++reserved_;
  return SessionSlot(this, principal, source);
}

void SessionRegistry::release(const std::string& principal, const std::string& source) {
  decrement(per_principal_, principal);
  decrement(per_source_, source);
}

void SessionRegistry::release_slot(const std::string& principal, const std::string& source) {
  std::lock_guard lock(mutex_);
  --reserved_;
  release(principal, source);
}

void SessionRegistry::add(SessionSlot slot, std::shared_ptr<Session> session) {
  {
    std::lock_guard lock(mutex_);
    --reserved_;
    const std::string sid = session->sid();
    sessions_.emplace(sid, Entry{session, std::move(slot.principal_), std::move(slot.source_)});
    slot.registry_ = nullptr;  // its counts now belong to the entry
  }
  if (observer_) observer_->session_added(session);
}

void SessionRegistry::adopt(std::shared_ptr<Session> session, const std::string& principal, const std::string& source) {
  {
    std::lock_guard lock(mutex_);
    ++per_principal_[principal];
    ++per_source_[source];
    sessions_.emplace(session->sid(), Entry{session, principal, source});
  }
  if (observer_) observer_->session_added(session);
}

std::shared_ptr<Session> SessionRegistry::find(const std::string& sid) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(sid);
  return it == sessions_.end() ? nullptr : it->second.session;
}

void SessionRegistry::remove(const std::string& sid, std::optional<SessionEnding> ending,
                             std::chrono::steady_clock::time_point remember_until) {
  {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(sid);
    if (it == sessions_.end()) return;
    release(it->second.principal, it->second.source);
    sessions_.erase(it);
    if (ending) remember(sid, *ending, remember_until);
  }
  if (observer_) observer_->session_removed(sid, ending);
}

void SessionRegistry::remember(const std::string& sid, const SessionEnding& ending,
                               std::chrono::steady_clock::time_point remember_until) {
  if (endings_.size() >= kMaxRememberedEndings) {  // drop the expired ones; if none, forget the oldest guess
    const auto now = std::chrono::steady_clock::now();
    std::erase_if(endings_, [&](const auto& e) { return e.second.until <= now; });
    if (endings_.size() >= kMaxRememberedEndings) endings_.erase(endings_.begin());
  }
  endings_[sid] = Remembered{ending, remember_until};
}

void SessionRegistry::forget(const std::string& sid) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(sid);
  if (it == sessions_.end()) return;
  release(it->second.principal, it->second.source);
  sessions_.erase(it);
}

std::optional<SessionEnding> SessionRegistry::ending_of(const std::string& sid, std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = endings_.find(sid);
  if (it == endings_.end()) return std::nullopt;
  if (it->second.until <= now) {
    endings_.erase(it);
    return std::nullopt;
  }
  return it->second.ending;
}

std::vector<std::shared_ptr<Session>> SessionRegistry::all() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<Session>> out;
  out.reserve(sessions_.size());
  for (const auto& [sid, entry] : sessions_) out.push_back(entry.session);
  return out;
}

std::map<std::string, std::uint64_t> SessionRegistry::principal_counts() const {
  std::lock_guard lock(mutex_);
  std::map<std::string, std::uint64_t> out;
  for (const auto& [principal, count] : per_principal_) {
    if (!principal.empty()) out[principal] = count;
  }
  return out;
}

void SessionRegistry::set_elsewhere(cluster::ClusterLoad load) {
  std::lock_guard lock(mutex_);
  elsewhere_ = std::move(load);
}

std::size_t SessionRegistry::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace sshrelay::daemon
