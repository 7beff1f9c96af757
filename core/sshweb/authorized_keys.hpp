#pragma once
// A site's `authorized-keys` file: which keys are identified and which trusted. OpenSSH's format with
// an optional first word `tier=identified|tier=trusted`; blank lines and `#` comments skipped. Options
// before the key type (`from=…,no-pty ssh-ed25519 …`) are read past and not enforced, as sshttpd does.
// A key not in the file is identified; a listed key without `tier=` is identified too.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/result.hpp"
#include "core/sshweb/tier.hpp"

namespace sshrelay::sshweb {

struct AuthorizedKey {
  std::string type;     // "ssh-ed25519"
  std::string base64;   // the key blob as written
  std::string comment;  // the display name (everything after the blob)
  Tier tier = Tier::identified;
  std::size_t line = 0;
};

class AuthorizedKeys {
 public:
  // Errors read "<file>:<line>: <what>".
  static Result<AuthorizedKeys> parse(std::string_view text, std::string_view file);

  // The entry for a presented key (its type and base64 blob), if listed.
  const AuthorizedKey* find(std::string_view type, std::string_view base64) const;
  // The tier a presented key earns: its entry's, else identified.
  Tier tier_of(std::string_view type, std::string_view base64) const;
  const std::vector<AuthorizedKey>& keys() const { return keys_; }

 private:
  std::vector<AuthorizedKey> keys_;
};

}  // namespace sshrelay::sshweb
