#include "native/daemon/session_registry.hpp"

namespace sshrelay::daemon {

SessionRegistry::Reservation SessionRegistry::try_reserve(const std::string& principal) {
  std::lock_guard lock(mutex_);
  if (sessions_.size() + reserved_ >= max_total_) return Reservation::total_full;
  auto& count = per_principal_[principal];
  if (max_per_principal_ != 0 && count >= max_per_principal_) {
    if (count == 0) per_principal_.erase(principal);
    return Reservation::principal_full;
  }
  ++count;
  ++reserved_;
  return Reservation::granted;
}

void SessionRegistry::release_principal(const std::string& principal) {
  auto it = per_principal_.find(principal);
  if (it != per_principal_.end() && --it->second == 0) per_principal_.erase(it);
}

void SessionRegistry::cancel_reservation(const std::string& principal) {
  std::lock_guard lock(mutex_);
  --reserved_;
  release_principal(principal);
}

void SessionRegistry::add(const std::string& sid, const std::string& principal, std::shared_ptr<RelaySession> session) {
  std::lock_guard lock(mutex_);
  --reserved_;
  sessions_.emplace(sid, Entry{std::move(session), principal});
}

std::shared_ptr<RelaySession> SessionRegistry::find(const std::string& sid) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(sid);
  return it == sessions_.end() ? nullptr : it->second.session;
}

void SessionRegistry::remove(const std::string& sid) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(sid);
  if (it == sessions_.end()) return;
  release_principal(it->second.principal);
  sessions_.erase(it);
}

std::vector<std::shared_ptr<RelaySession>> SessionRegistry::all() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<RelaySession>> out;
  out.reserve(sessions_.size());
  for (const auto& [sid, entry] : sessions_) out.push_back(entry.session);
  return out;
}

std::size_t SessionRegistry::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace sshrelay::daemon
