#pragma once
// Who may run what on one site, shared by all its connections (thread-safe): the tier a key earns from
// the `authorized-keys` file (re-read when it changes; a file that turns bad keeps the last good
// contents, with a warning), the tiers' command lists, and one token bucket per tier (core's buckets).
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "core/common/result.hpp"
#include "core/policy/token_bucket.hpp"
#include "core/sshweb/authorized_keys.hpp"
#include "core/sshweb/site_config.hpp"

namespace sshrelay::sshweb {

// A client as the site knows it after authentication.
struct ClientIdentity {
  Tier tier = Tier::anonymous;
  std::string fingerprint;  // "SHA256:…" of the key; empty for anonymous
  std::string public_key;   // "<type> <base64>[ <comment from authorized-keys>]", for the backend
  std::string user;         // the SSH user name (logged, otherwise ignored)
  std::string address;      // the client's IP
};

class SiteAccess {
 public:
  // Reads the authorized-keys file (an error names it and the line) when the site has one.
  static Result<std::unique_ptr<SiteAccess>> open(const SiteConfig& site);

  // The tier of a presented key, and its display name (the file's comment) if it is listed.
  Tier tier_of(const std::string& type, const std::string& base64, std::string* display_name = nullptr);

  enum class Refusal { none, rate_limited, denied };
  // Takes one token of the tier's bucket (every command costs one, capabilities too), then checks the
  // tier's list (capabilities always passes).
  Refusal admit(Tier tier, const std::vector<std::string>& words, std::chrono::steady_clock::time_point now);

 private:
  explicit SiteAccess(const SiteConfig& site);
  void reload_if_changed();

  const SiteConfig& site_;
  std::mutex mutex_;
  AuthorizedKeys keys_;
  std::filesystem::file_time_type keys_mtime_{};
  std::uintmax_t keys_size_ = 0;
  std::array<std::optional<TokenBuckets>, 3> buckets_;
};

}  // namespace sshrelay::sshweb
