#include "native/daemon/cluster/forward_mac.hpp"

#include "core/common/hex.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>

namespace sshrelay::daemon {
namespace {

std::optional<std::string> mac_hex(const std::string& secret, std::string_view encoded_body) {
  const auto input = cluster::forward_mac_input(encoded_body);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(input.data()),
           input.size(), mac.data(), &length) == nullptr) {
    return std::nullopt;
  }
  return lower_hex(std::span(mac.data(), length));
}

}  // namespace

std::optional<std::string> signed_forward_line(const std::string& secret, const cluster::ForwardPreamble& preamble) {
  const auto body = cluster::encode_forward_body(preamble);
  auto mac = mac_hex(secret, body);
  if (!mac) return std::nullopt;
  return cluster::forward_line(body, *mac);
}

bool forward_mac_matches(const std::string& secret, std::string_view encoded_body, std::string_view mac_hex_given) {
  const auto expected = mac_hex(secret, encoded_body);
  return expected && expected->size() == mac_hex_given.size() &&
         CRYPTO_memcmp(expected->data(), mac_hex_given.data(), expected->size()) == 0;
}

std::optional<std::string> random_nonce() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return std::nullopt;
  return lower_hex(bytes);
}

}  // namespace sshrelay::daemon
