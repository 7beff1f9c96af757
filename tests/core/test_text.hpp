#pragma once
// Text and byte helpers several core tests use. Defined once here, so that test files compiled in one
// unity batch do not each bring their own.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sshrelay::testing {

inline bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

inline std::vector<std::uint8_t> bytes(std::string_view text) { return {text.begin(), text.end()}; }

inline std::string text(const std::vector<std::uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

}  // namespace sshrelay::testing
