#include "core/common/base64.hpp"

#include <array>
#include <cstdio>

namespace sshrelay {
namespace {

struct Alphabet {
  std::string_view name;
  std::string_view chars;
  bool padded;
};
constexpr Alphabet kBase64Url{"base64url", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", false};
constexpr Alphabet kBase64{"base64", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", true};

// -1 marks bytes outside the alphabet; built once at compile time instead of searching the alphabet.
constexpr std::array<std::int8_t, 256> make_decode_table(std::string_view chars) {
  std::array<std::int8_t, 256> table{};
  for (auto& entry : table) entry = -1;
  for (std::size_t i = 0; i < chars.size(); ++i) table[static_cast<unsigned char>(chars[i])] = static_cast<std::int8_t>(i);
  return table;
}
constexpr auto kBase64UrlTable = make_decode_table(kBase64Url.chars);
constexpr auto kBase64Table = make_decode_table(kBase64.chars);

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

std::string encode(const Alphabet& alphabet, const std::uint8_t* data, std::size_t size) {
  const auto& a = alphabet.chars;
  std::string out;
  out.reserve((size + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const std::uint32_t group = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
    out.push_back(a[(group >> 18) & 0x3f]);
    out.push_back(a[(group >> 12) & 0x3f]);
    out.push_back(a[(group >> 6) & 0x3f]);
    out.push_back(a[group & 0x3f]);
  }
  const std::size_t rest = size - i;
  if (rest == 1) {
    const std::uint32_t group = std::uint32_t{data[i]} << 16;
    out.push_back(a[(group >> 18) & 0x3f]);
    out.push_back(a[(group >> 12) & 0x3f]);
    if (alphabet.padded) out += "==";
  } else if (rest == 2) {
    const std::uint32_t group = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out.push_back(a[(group >> 18) & 0x3f]);
    out.push_back(a[(group >> 12) & 0x3f]);
    out.push_back(a[(group >> 6) & 0x3f]);
    if (alphabet.padded) out += "=";
  }
  return out;
}

Result<std::vector<std::uint8_t>> decode(const Alphabet& alphabet, const std::array<std::int8_t, 256>& table,
                                         std::string_view text) {
  const std::string name(alphabet.name);
  if (alphabet.padded) {
    if (text.size() % 4 != 0) {
      return protocol_error(name + " text has length " + std::to_string(text.size()) + ", not a multiple of 4 (padding is required)");
    }
    // At most two '=' and only at the end.
    std::size_t pad = 0;
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
    text.remove_suffix(pad);
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '=') {
      return protocol_error(alphabet.padded ? name + " text has '=' inside it at offset " + std::to_string(i)
                                            : name + " text has '=' padding at offset " + std::to_string(i) +
                                                  "; only unpadded base64url is accepted");
    }
    if (table[static_cast<unsigned char>(text[i])] < 0) {
      return protocol_error(name + " text has invalid character " + describe_char(text[i]) + " at offset " + std::to_string(i));
    }
  }
  // A lone trailing character carries only 6 bits: no byte string encodes to that length.
  if (text.size() % 4 == 1) {
    return protocol_error(name + " text has impossible length " + std::to_string(text.size()) + " (length % 4 == 1)");
  }

  std::vector<std::uint8_t> out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t accumulator = 0;
  int bits = 0;
  for (const char c : text) {
    accumulator = (accumulator << 6) | static_cast<std::uint32_t>(table[static_cast<unsigned char>(c)]);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((accumulator >> bits) & 0xff));
    }
  }
  // The leftover (2 or 4) bits are padding inside the last character; requiring zeros keeps one canonical
  // encoding per byte string.
  if (bits > 0 && (accumulator & ((1u << bits) - 1)) != 0) {
    return protocol_error(name + " text has non-zero trailing bits in its last character " + describe_char(text.back()));
  }
  return out;
}

}  // namespace

bool is_base64url_char(char c) { return kBase64UrlTable[static_cast<unsigned char>(c)] >= 0; }

std::string base64url_encode(std::span<const std::uint8_t> bytes) { return encode(kBase64Url, bytes.data(), bytes.size()); }
std::string base64url_encode(std::string_view bytes) {
  return encode(kBase64Url, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}
Result<std::vector<std::uint8_t>> base64url_decode(std::string_view text) { return decode(kBase64Url, kBase64UrlTable, text); }

std::string base64_encode(std::span<const std::uint8_t> bytes) { return encode(kBase64, bytes.data(), bytes.size()); }
std::string base64_encode(std::string_view bytes) {
  return encode(kBase64, reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}
Result<std::vector<std::uint8_t>> base64_decode(std::string_view text) { return decode(kBase64, kBase64Table, text); }

}  // namespace sshrelay
