#pragma once
// Bytes as lower-case hex digits: tunnel subdomains, random ids and nonces, MACs in text.
#include <cstdint>
#include <span>
#include <string>

namespace sshrelay {

std::string lower_hex(std::span<const std::uint8_t> bytes);

}  // namespace sshrelay
