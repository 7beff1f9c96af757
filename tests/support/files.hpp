#pragma once
// Small whole-file helpers shared by the fixtures: their error messages quote log tails, and configs are
// written in one call.

#include <cstddef>
#include <string>
#include <string_view>

namespace sshrelay::testing {

// Whole file as bytes. Throws std::runtime_error naming the path if it cannot be opened.
std::string read_file(const std::string& path);

// The last `max_bytes` of a file, prefixed with "[...]" when cut, or a note saying the file is missing:
// meant for failure messages, so it never throws.
std::string file_tail(const std::string& path, std::size_t max_bytes = 4000);

// Creates or truncates `path` with `content`, then sets `mode` (sshd refuses group-readable keys, so the
// mode is explicit rather than left to the umask). Throws std::runtime_error on failure.
void write_file(const std::string& path, std::string_view content, unsigned mode = 0644);

}  // namespace sshrelay::testing
