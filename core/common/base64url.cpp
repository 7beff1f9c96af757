#include "core/common/base64url.hpp"

#include <array>
#include <cstdio>

namespace sshrelay {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// -1 marks bytes outside the alphabet; built once at compile time instead of searching kAlphabet.
constexpr std::array<std::int8_t, 256> make_decode_table() {
  std::array<std::int8_t, 256> table{};
  for (auto& entry : table) entry = -1;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return table;
}
constexpr auto kDecodeTable = make_decode_table();

std::string describe_char(char c) {
  const auto byte = static_cast<unsigned char>(c);
  char buffer[16];
  if (byte >= 0x21 && byte < 0x7f) {
    std::snprintf(buffer, sizeof buffer, "'%c'", c);
  } else {
    std::snprintf(buffer, sizeof buffer, "byte 0x%02x", byte);
  }
  return buffer;
}

std::string encode(const std::uint8_t* data, std::size_t size) {
  std::string out;
  out.reserve((size * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const std::uint32_t group = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out.push_back(kAlphabet[(group >> 18) & 0x3f]);
    out.push_back(kAlphabet[(group >> 12) & 0x3f]);
    out.push_back(kAlphabet[(group >> 6) & 0x3f]);
    out.push_back(kAlphabet[group & 0x3f]);
  }
  const std::size_t rest = size - i;
  if (rest == 1) {
    const std::uint32_t group = std::uint32_t{data[i]} << 16;
    out.push_back(kAlphabet[(group >> 18) & 0x3f]);
    out.push_back(kAlphabet[(group >> 12) & 0x3f]);
  } else if (rest == 2) {
    const std::uint32_t group = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out.push_back(kAlphabet[(group >> 18) & 0x3f]);
    out.push_back(kAlphabet[(group >> 12) & 0x3f]);
    out.push_back(kAlphabet[(group >> 6) & 0x3f]);
  }
  return out;
}

}  // namespace

bool is_base64url_char(char c) { return kDecodeTable[static_cast<unsigned char>(c)] >= 0; }

std::string base64url_encode(std::span<const std::uint8_t> bytes) { return encode(bytes.data(), bytes.size()); }

std::string base64url_encode(std::string_view bytes) {
  return encode(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

Result<std::vector<std::uint8_t>> base64url_decode(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '=') {
      return protocol_error("base64url text has '=' padding at offset " + std::to_string(i) +
                            "; only unpadded base64url is accepted");
    }
    if (!is_base64url_char(text[i])) {
      return protocol_error("base64url text has invalid character " + describe_char(text[i]) + " at offset " +
                            std::to_string(i));
    }
  }
  // A lone trailing character carries only 6 bits: no byte string encodes to that length.
  if (text.size() % 4 == 1) {
    return protocol_error("base64url text has impossible length " + std::to_string(text.size()) + " (length % 4 == 1)");
  }

  std::vector<std::uint8_t> out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t accumulator = 0;
  int bits = 0;
  for (const char c : text) {
    accumulator = (accumulator << 6) | static_cast<std::uint32_t>(kDecodeTable[static_cast<unsigned char>(c)]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((accumulator >> bits) & 0xff));
    }
  }
  // The leftover (2 or 4) bits are padding inside the last character; requiring zeros keeps one canonical
  // encoding per byte string.
  if (bits > 0 && (accumulator & ((1u << bits) - 1)) != 0) {
    return protocol_error("base64url text has non-zero trailing bits in its last character " +
                          describe_char(text.back()));
  }
  return out;
}

}  // namespace sshrelay
