#pragma once
// SSH-Web's three tiers of identity (docs/sshweb.md): anonymous (no key), identified (a key), trusted (a
// key listed `tier=trusted` in the site's authorized-keys file). Each tier may run what the tiers below
// it may, plus its own list.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sshrelay::sshweb {

enum class Tier { anonymous = 0, identified = 1, trusted = 2 };
inline constexpr std::array<Tier, 3> kTiers{Tier::anonymous, Tier::identified, Tier::trusted};

std::string_view tier_name(Tier tier);
std::optional<Tier> parse_tier(std::string_view name);

// Go's strings.Fields: the words between runs of ASCII whitespace (no quoting: a command line as
// sshttpd splits it).
std::vector<std::string> split_fields(std::string_view text);

// The `auth { … }` block: the commands each tier adds.
struct CommandAllowList {
  std::array<std::vector<std::string>, 3> added;  // indexed by Tier

  // Whether `words` (a command line, split) may run at `tier`. An entry matches when it ends in `*`
  // and the verb starts with what precedes it; or it is one word equal to the verb (any arguments); or
  // it has several words, each equal to the command's word at its position.
  bool allows(Tier tier, const std::vector<std::string>& words) const;
  // The lowest tier that may run `words`, if any (the manifest's `auth` of a route).
  std::optional<Tier> lowest_tier(const std::vector<std::string>& words) const;
};

}  // namespace sshrelay::sshweb
