#include "native/gateway/client_auth.hpp"

#include <chrono>
#include <fstream>
#include <sstream>

#include "core/gateway/authorized_key_match.hpp"
#include "native/daemon/log.hpp"

namespace sshrelay::gateway {

using daemon::log;

namespace {

// The peer's remote command, exit status ignored: a user without the file has no keys.
constexpr const char* kFetchCommand = "cat ~/.ssh/authorized_keys";
constexpr std::chrono::seconds kFetchDeadline{10};

// Compares every byte whatever the first difference (the length alone may show).
bool same_text(const std::string& given, const std::string& expected) {
  if (expected.empty() || given.size() != expected.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < given.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ expected[i]);
  return diff == 0;
}

}  // namespace

ClientAuth::ClientAuth(const GatewayConfig& config, RemoteHost remote)
    : config_(config), remote_(std::move(remote)), cache_(config.authorized_keys_cache_ttl()) {}

bool ClientAuth::key_accepted(const std::string& user, const std::string& key_type, const std::string& key_base64) {
  if (config_.accept_any_key) return true;
  if (!config_.authorized_keys_content.empty()) return authorized_keys_list(config_.authorized_keys_content, key_type, key_base64);
  if (!config_.authorized_keys_path.empty()) {
    std::ifstream file(config_.authorized_keys_path);
    if (!file) {
      log(daemon::LogLevel::warn, "gateway: cannot read " + config_.authorized_keys_path + ": every key is refused");
      return false;
    }
    std::stringstream text;
    text << file.rdbuf();
    return authorized_keys_list(text.str(), key_type, key_base64);
  }
  auto keys = remote_authorized_keys(user);
  if (!keys) {
    log(daemon::LogLevel::warn, "gateway: cannot fetch " + user + "'s authorized_keys from " + remote_.host + ": " + keys.error().message);
    return false;
  }
  return authorized_keys_list(*keys, key_type, key_base64);
}

bool ClientAuth::password_accepted(const std::string& user, const std::string& password) const {
  if (!config_.password_auth) return false;
  const auto it = config_.passwords.find(user);
  return it != config_.passwords.end() && same_text(password, it->second);
}

Result<std::string> ClientAuth::remote_authorized_keys(const std::string& user) {
  std::lock_guard lock(mutex_);  // one fetch per user at a time; the others then find it cached
  const auto now = std::chrono::steady_clock::now();
  if (auto kept = cache_.lookup(user, now)) return *kept;
  auto fetched = run_on_remote(remote_, user, kFetchCommand, kFetchDeadline);
  if (!fetched) return fetched.error();
  ++remote_fetches_;
  log(daemon::LogLevel::info, "gateway: fetched " + user + "'s authorized_keys from " + remote_.host + " (fetch " +
                          std::to_string(remote_fetches_) + ")");
  cache_.store(user, fetched->out, now);
  return fetched->out;
}

}  // namespace sshrelay::gateway
