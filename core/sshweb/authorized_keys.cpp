#include "core/sshweb/authorized_keys.hpp"

#include "core/common/base64.hpp"
#include "core/common/text.hpp"

namespace sshrelay::sshweb {
namespace {

// Key types OpenSSH writes in authorized_keys.
bool is_key_type(std::string_view word) {
  return word.starts_with("ssh-") || word.starts_with("ecdsa-sha2-") || word.starts_with("sk-ssh-") ||
         word.starts_with("sk-ecdsa-");
}

// The next word of `rest`, advancing it; an options word keeps its "quoted, parts" together.
std::string_view next_word(std::string_view& rest) {
  std::size_t i = 0;
  while (i < rest.size() && (rest[i] == ' ' || rest[i] == '\t')) ++i;
  rest.remove_prefix(i);
  bool quoted = false;
  std::size_t end = 0;
  while (end < rest.size() && (quoted || (rest[end] != ' ' && rest[end] != '\t'))) {
    if (rest[end] == '"') quoted = !quoted;
    ++end;
  }
  const auto word = rest.substr(0, end);
  rest.remove_prefix(end);
  return word;
}

}  // namespace

Result<AuthorizedKeys> AuthorizedKeys::parse(std::string_view text, std::string_view file) {
  AuthorizedKeys out;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const auto newline = text.find('\n');
    auto line = trim_space(text.substr(0, newline));
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    const auto fail = [&](const std::string& what) {
      return local_error(std::string(file) + ":" + std::to_string(line_number) + ": " + what);
    };
    AuthorizedKey key;
    key.line = line_number;
    auto rest = line;
    auto word = next_word(rest);
    if (word.starts_with("tier=")) {
      const auto tier = parse_tier(word.substr(5));
      if (!tier || *tier == Tier::anonymous) {
        return fail("'" + std::string(word) + "': a listed key is tier=identified or tier=trusted");
      }
      key.tier = *tier;
      word = next_word(rest);
    }
    if (!is_key_type(word)) {  // options first
      word = next_word(rest);
      if (!is_key_type(word)) return fail("no key type (ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, …) where one belongs");
    }
    key.type = std::string(word);
    key.base64 = std::string(next_word(rest));
    if (key.base64.empty() || !base64_decode(key.base64)) return fail("the " + key.type + " key is not base64");
    key.comment = std::string(trim_space(rest));
    out.keys_.push_back(std::move(key));
  }
  return out;
}

const AuthorizedKey* AuthorizedKeys::find(std::string_view type, std::string_view base64) const {
  for (const auto& key : keys_) {
    if (key.type == type && key.base64 == base64) return &key;
  }
  return nullptr;
}

Tier AuthorizedKeys::tier_of(std::string_view type, std::string_view base64) const {
  const auto* key = find(type, base64);
  return key ? key->tier : Tier::identified;
}

}  // namespace sshrelay::sshweb
