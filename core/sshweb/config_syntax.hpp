#pragma once
// The shape of an sshttpd configuration file, before meaning: statements of words, one per line, some
// with a `{ … }` block of statements (a brace standing alone as a word opens or closes one). Words are separated by blanks; `#` at the start of a word comments
// out the rest of the line; "double quotes" make one word (backslash escapes the next character); a
// `[a, b, c]` list (comma-separated, items trimmed and unquoted, may span lines) is one word, or the
// tail of one (`allow=[…]`). core/sshweb/site_config.hpp gives the statements their meaning.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/common/result.hpp"

namespace sshrelay::sshweb {

struct ConfigWord {
  std::string text;                               // for `allow=[…]`, "allow="
  std::optional<std::vector<std::string>> list;   // the bracket list, if the word has one
  bool quoted = false;
};

struct ConfigStatement {
  std::size_t line = 0;
  std::vector<ConfigWord> words;
  std::optional<std::vector<ConfigStatement>> block;
};

// Errors read "<file>:<line>: <what is wrong>".
Result<std::vector<ConfigStatement>> parse_config_syntax(std::string_view text, std::string_view file);

}  // namespace sshrelay::sshweb
