#include "native/daemon/session_registry.hpp"

namespace sshrelay::daemon {

bool SessionRegistry::try_reserve() {
  std::lock_guard lock(mutex_);
  if (sessions_.size() + reserved_ >= max_sessions_) return false;
  ++reserved_;
  return true;
}

void SessionRegistry::cancel_reservation() {
  std::lock_guard lock(mutex_);
  --reserved_;
}

void SessionRegistry::add(const std::string& sid, std::shared_ptr<RelaySession> session) {
  std::lock_guard lock(mutex_);
  --reserved_;
  sessions_.emplace(sid, std::move(session));
}

std::shared_ptr<RelaySession> SessionRegistry::find(const std::string& sid) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(sid);
  return it == sessions_.end() ? nullptr : it->second;
}

void SessionRegistry::remove(const std::string& sid) {
  std::lock_guard lock(mutex_);
  sessions_.erase(sid);
}

std::vector<std::shared_ptr<RelaySession>> SessionRegistry::all() const {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<RelaySession>> out;
  out.reserve(sessions_.size());
  for (const auto& [sid, session] : sessions_) out.push_back(session);
  return out;
}

std::size_t SessionRegistry::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace sshrelay::daemon
