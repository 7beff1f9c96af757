#include "native/sshweb/site_access.hpp"

#include <fstream>
#include <sstream>

#include "native/daemon/log.hpp"

namespace sshrelay::sshweb {
namespace {

using daemon::log;
using daemon::LogLevel;

Result<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return local_error("authorized-keys " + path + ": cannot be read");
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

SiteAccess::SiteAccess(const SiteConfig& site) : site_(site) {
  for (const auto tier : kTiers) {
    const auto& limit = site.limits[static_cast<std::size_t>(tier)];
    if (limit) buckets_[static_cast<std::size_t>(tier)].emplace(limit->per_second(), static_cast<double>(limit->count), 1);
  }
}

Result<std::unique_ptr<SiteAccess>> SiteAccess::open(const SiteConfig& site) {
  std::unique_ptr<SiteAccess> access(new SiteAccess(site));
  if (!site.authorized_keys.empty()) {
    auto text = read_text(site.authorized_keys);
    if (!text) return text.error();
    auto keys = AuthorizedKeys::parse(*text, site.authorized_keys);
    if (!keys) return keys.error();
    access->keys_ = std::move(*keys);
    std::error_code ec;
    access->keys_mtime_ = std::filesystem::last_write_time(site.authorized_keys, ec);
    access->keys_size_ = std::filesystem::file_size(site.authorized_keys, ec);
  }
  return access;
}

void SiteAccess::reload_if_changed() {
  if (site_.authorized_keys.empty()) return;
  std::error_code ec;
  const auto mtime = std::filesystem::last_write_time(site_.authorized_keys, ec);
  const auto size = ec ? 0 : std::filesystem::file_size(site_.authorized_keys, ec);
  if (ec || (mtime == keys_mtime_ && size == keys_size_)) return;
  auto text = read_text(site_.authorized_keys);
  auto keys = text ? AuthorizedKeys::parse(*text, site_.authorized_keys) : Result<AuthorizedKeys>(text.error());
  keys_mtime_ = mtime;
  keys_size_ = size;
  if (!keys) {
    log(LogLevel::warn, "site " + site_.host + ": keeping the previous authorized keys: " + keys.error().message);
    return;
  }
  keys_ = std::move(*keys);
  log(LogLevel::info, "site " + site_.host + ": authorized keys reloaded (" + std::to_string(keys_.keys().size()) + " keys)");
}

Tier SiteAccess::tier_of(const std::string& type, const std::string& base64, std::string* display_name) {
  std::lock_guard lock(mutex_);
  reload_if_changed();
  const auto* key = keys_.find(type, base64);
  if (key && display_name) *display_name = key->comment;
  return key ? key->tier : Tier::identified;
}

SiteAccess::Refusal SiteAccess::admit(Tier tier, const std::vector<std::string>& words, std::chrono::steady_clock::time_point now) {
  {
    std::lock_guard lock(mutex_);
    auto& bucket = buckets_[static_cast<std::size_t>(tier)];
    if (bucket && !bucket->try_take(std::string(tier_name(tier)), now)) return Refusal::rate_limited;
  }
  if (!words.empty() && words[0] == "capabilities") return Refusal::none;
  return site_.allowed.allows(tier, words) ? Refusal::none : Refusal::denied;
}

}  // namespace sshrelay::sshweb
