#include "tests/support/sha256.hpp"

#include <openssl/evp.h>

#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

namespace sshrelay::testing {
namespace {

constexpr std::size_t kChunk = 1 << 20;

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

struct DigestCtx {
  DigestCtx() : ctx(EVP_MD_CTX_new()) {
    if (ctx == nullptr || EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) != 1)
      throw std::runtime_error("EVP_DigestInit_ex(sha256) failed");
  }
  ~DigestCtx() { EVP_MD_CTX_free(ctx); }
  DigestCtx(const DigestCtx&) = delete;
  DigestCtx& operator=(const DigestCtx&) = delete;

  void update(const void* data, std::size_t size) {
    if (EVP_DigestUpdate(ctx, data, size) != 1) throw std::runtime_error("EVP_DigestUpdate failed");
  }

  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(ctx, digest, &length) != 1) throw std::runtime_error("EVP_DigestFinal_ex failed");
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
      out += kHex[digest[i] >> 4];
      out += kHex[digest[i] & 0xf];
    }
    return out;
  }

  EVP_MD_CTX* ctx;
};

}  // namespace

std::string sha256_hex(std::span<const std::uint8_t> data) {
  DigestCtx ctx;
  ctx.update(data.data(), data.size());
  return ctx.hex();
}

std::string sha256_hex(std::string_view data) {
  DigestCtx ctx;
  ctx.update(data.data(), data.size());
  return ctx.hex();
}

std::string sha256_file_hex(const std::string& path) {
  FilePtr f(std::fopen(path.c_str(), "rbe"));
  if (!f) throw std::runtime_error("sha256_file_hex: cannot open " + path + ": " + std::strerror(errno));
  DigestCtx ctx;
  std::vector<char> buffer(kChunk);
  for (;;) {
    const std::size_t n = std::fread(buffer.data(), 1, buffer.size(), f.get());
    if (n > 0) ctx.update(buffer.data(), n);
    if (n < buffer.size()) break;
  }
  if (std::ferror(f.get())) throw std::runtime_error("sha256_file_hex: read error on " + path);
  return ctx.hex();
}

void write_random_file(const std::string& path, std::uint64_t size, std::uint64_t seed) {
  FilePtr f(std::fopen(path.c_str(), "wbe"));
  if (!f) throw std::runtime_error("write_random_file: cannot create " + path + ": " + std::strerror(errno));
  std::mt19937_64 engine(seed);
  // Whole 64-bit words, stored little-endian explicitly so the bytes (and digests in test expectations)
  // do not depend on the host's byte order.
  std::vector<std::uint8_t> buffer(kChunk);
  std::uint64_t left = size;
  while (left > 0) {
    const std::size_t n = left < kChunk ? static_cast<std::size_t>(left) : kChunk;
    std::size_t i = 0;
    if constexpr (std::endian::native == std::endian::little) {
      // Fast path (memcpy of whole words) for the common host; same bytes as the loop below.
      for (; i + 8 <= n; i += 8) {
        const std::uint64_t word = engine();
        std::memcpy(buffer.data() + i, &word, 8);
      }
    }
    for (; i < n; i += 8) {
      std::uint64_t word = engine();
      for (std::size_t b = 0; b < 8 && i + b < n; ++b, word >>= 8) buffer[i + b] = static_cast<std::uint8_t>(word);
    }
    if (std::fwrite(buffer.data(), 1, n, f.get()) != n)
      throw std::runtime_error("write_random_file: write error on " + path + ": " + std::strerror(errno));
    left -= n;
  }
  if (std::fflush(f.get()) != 0)
    throw std::runtime_error("write_random_file: flush failed on " + path + ": " + std::strerror(errno));
}

}  // namespace sshrelay::testing
