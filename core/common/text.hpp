#pragma once
// Small text rules used across the core and the daemons: one definition each, locale-independent (a
// setting or header compared under a Turkish locale must not change meaning).
#include <string>
#include <string_view>

namespace sshrelay {

// A-Z to a-z; every other byte as it is.
std::string ascii_lower(std::string_view text);

// Without leading and trailing spaces and tabs: HTTP's optional whitespace around a header value.
std::string_view trim_ows(std::string_view text);

// Without leading and trailing spaces, tabs, CR and LF: a line of configuration.
std::string_view trim_space(std::string_view text);

}  // namespace sshrelay
