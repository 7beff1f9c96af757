#pragma once
// SSH-Web route patterns (`receive-pack /docs/{path*}`, `api-call POST /api/items/{id}`): literal
// segments, `{name}` for exactly one segment, and `{name*}` as the last segment for zero or more.
#include <string_view>

namespace sshrelay::sshweb {

// Whether `path` (its query string, if any, ignored) matches `pattern`.
bool route_matches(std::string_view pattern, std::string_view path);
// Whether `pattern` is well formed: starts with '/', braces only around a whole segment, `*` only in
// the last one. The message says what is wrong.
bool route_is_valid(std::string_view pattern, std::string* why = nullptr);

}  // namespace sshrelay::sshweb
