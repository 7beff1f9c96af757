#pragma once
// Small text rules used across the core and the daemons: one definition each, locale-independent (a
// setting or header compared under a Turkish locale must not change meaning).
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sshrelay {

// A-Z to a-z; every other byte as it is.
std::string ascii_lower(std::string_view text);
std::string ascii_upper(std::string_view text);

// The results of the trims are views into `text` (an all-blank text gives the empty view at its end).

// Without leading and trailing spaces and tabs: HTTP's optional whitespace around a header value.
std::string_view trim_ows(std::string_view text);

// Without leading and trailing spaces, tabs, CR and LF: a line of configuration.
std::string_view trim_space(std::string_view text);

// The boolean words of every setting: 1/0, true/false, yes/no, on/off (any case, blanks around).
std::optional<bool> parse_bool_word(std::string_view text);

// `text` as a whole unsigned or signed decimal number of type T (no sign for unsigned, no spaces); false
// when it is not one or does not fit.
template <class T>
bool parse_decimal(std::string_view text, T& value) {
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return !text.empty() && ec == std::errc() && ptr == end;
}

// RFC 9110 token characters only, at least one: a header field name, a cookie name, a method.
bool is_http_token(std::string_view text);

// "a, b,,c" -> {"a", "b", "c"}: comma-separated items, trimmed (trim_space), empty ones dropped.
std::vector<std::string> split_list(std::string_view text);

}  // namespace sshrelay
