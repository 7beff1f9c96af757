#pragma once
// "Did you mean …?" for a name nobody knows (a misspelt setting): the known name closest to it by
// edit distance (insertions, deletions, substitutions and swaps of neighbours, case-insensitive),
// if it is close enough to be a typo rather than a different name.
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sshrelay {

// The closest of `known` to `name` when at most max(1, size / 4) edits (and at most 3) apart; ties go
// to the first in `known`.
std::optional<std::string> nearest_name(std::string_view name, std::span<const std::string> known);

// Optimal-string-alignment distance (a swap of neighbours counts once), case-insensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace sshrelay
