#pragma once
// Content checks for bulk transfers: a test writes a large deterministic file, pushes it through the
// relay, and compares digests instead of holding 64 MiB twice in memory.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace sshrelay::testing {

// Lowercase hex SHA-256 (64 characters), via OpenSSL EVP.
std::string sha256_hex(std::span<const std::uint8_t> data);
std::string sha256_hex(std::string_view data);

// Digest of a file's contents, streamed in 1 MiB chunks. Throws std::runtime_error naming the path.
std::string sha256_file_hex(const std::string& path);

// Writes `size` pseudo-random bytes from std::mt19937_64 seeded with `seed`: the same (size, seed) gives
// the same file on every machine, so a failing transfer can be reproduced. Throws std::runtime_error.
void write_random_file(const std::string& path, std::uint64_t size, std::uint64_t seed);

}  // namespace sshrelay::testing
