// ChaCha20 (RFC 8439) for the browser client, four blocks per pass in wasm SIMD.
//
// Each of the 16 state words is one v128 holding that word of four consecutive blocks, so a quarter
// round is lane-wise adds, xors and rotates with no shuffles between rounds (clang's auto-vectoriser,
// given mbedTLS's one-block loop, shuffles inside every round and ran 2.6x slower than plain wasm:
// docs/wasm.md). The lanes are transposed back into blocks once, at the end of a pass.
//
// It stands in for mbedTLS's chacha20.c through MBEDTLS_CHACHA20_ALT (mbedtls_user_config.h) and keeps
// mbedTLS's API and its semantics: a 32-bit block counter that wraps, any split of a message into
// update() calls giving the same bytes as one call, input == output allowed. libssh's
// chacha20-poly1305@openssh.com and mbedTLS's own ChaCha20-Poly1305 call it unchanged.
#include <mbedtls/chacha20.h>
#include <mbedtls/platform_util.h>
#include <wasm_simd128.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace {

constexpr std::size_t kPassBytes = 4 * 64;  // four 64-byte blocks
static_assert(sizeof(mbedtls_chacha20_context::keystream) == kPassBytes);

std::uint32_t load_le32(const unsigned char* bytes) {
  std::uint32_t word;
  std::memcpy(&word, bytes, sizeof word);  // wasm is little-endian, as ChaCha20's words are
  return word;
}

template <int N>
v128_t rotate_left(v128_t x) {
  return wasm_v128_or(wasm_i32x4_shl(x, N), wasm_u32x4_shr(x, 32 - N));
}
// Rotations by whole bytes are one byte shuffle each (pshufb on x86) instead of two shifts and an or.
template <>
v128_t rotate_left<16>(v128_t x) {
  return wasm_i8x16_shuffle(x, x, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
}
template <>
v128_t rotate_left<8>(v128_t x) {
  return wasm_i8x16_shuffle(x, x, 3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14);
}

void quarter_round(v128_t& a, v128_t& b, v128_t& c, v128_t& d) {
  a = wasm_i32x4_add(a, b);
  d = rotate_left<16>(wasm_v128_xor(d, a));
  c = wasm_i32x4_add(c, d);
  b = rotate_left<12>(wasm_v128_xor(b, c));
  a = wasm_i32x4_add(a, b);
  d = rotate_left<8>(wasm_v128_xor(d, a));
  c = wasm_i32x4_add(c, d);
  b = rotate_left<7>(wasm_v128_xor(b, c));
}

// Blocks state[12] .. state[12]+3 (the counter wrapping at 2^32, as mbedTLS's does): with kXorInput,
// out = in ^ keystream over 256 bytes; without, out = the keystream and `in` is not read.
template <bool kXorInput>
void four_blocks(const std::uint32_t state[16], const unsigned char* in, unsigned char* out) {
  v128_t initial[16];
  for (int i = 0; i < 16; ++i) initial[i] = wasm_i32x4_splat(static_cast<int>(state[i]));
  initial[12] = wasm_i32x4_add(initial[12], wasm_i32x4_make(0, 1, 2, 3));

  v128_t x[16];
  for (int i = 0; i < 16; ++i) x[i] = initial[i];
  for (int double_round = 0; double_round < 10; ++double_round) {
    quarter_round(x[0], x[4], x[8], x[12]);
    quarter_round(x[1], x[5], x[9], x[13]);
    quarter_round(x[2], x[6], x[10], x[14]);
    quarter_round(x[3], x[7], x[11], x[15]);
    quarter_round(x[0], x[5], x[10], x[15]);
    quarter_round(x[1], x[6], x[11], x[12]);
    quarter_round(x[2], x[7], x[8], x[13]);
    quarter_round(x[3], x[4], x[9], x[14]);
  }
  for (int i = 0; i < 16; ++i) x[i] = wasm_i32x4_add(x[i], initial[i]);

  // Words 4g..4g+3 of the four blocks are a 4x4 matrix (vector = word, lane = block): transpose it so
  // each vector is 16 contiguous bytes of one block.
  for (int group = 0; group < 4; ++group) {
    const v128_t a = x[4 * group], b = x[4 * group + 1], c = x[4 * group + 2], d = x[4 * group + 3];
    const v128_t ab_low = wasm_i32x4_shuffle(a, b, 0, 4, 1, 5);
    const v128_t cd_low = wasm_i32x4_shuffle(c, d, 0, 4, 1, 5);
    const v128_t ab_high = wasm_i32x4_shuffle(a, b, 2, 6, 3, 7);
    const v128_t cd_high = wasm_i32x4_shuffle(c, d, 2, 6, 3, 7);
    const v128_t rows[4] = {
        wasm_i32x4_shuffle(ab_low, cd_low, 0, 1, 4, 5), wasm_i32x4_shuffle(ab_low, cd_low, 2, 3, 6, 7),
        wasm_i32x4_shuffle(ab_high, cd_high, 0, 1, 4, 5), wasm_i32x4_shuffle(ab_high, cd_high, 2, 3, 6, 7)};
    for (int block = 0; block < 4; ++block) {
      const std::size_t offset = 64 * block + 16 * group;
      v128_t bytes = rows[block];
      if constexpr (kXorInput) bytes = wasm_v128_xor(bytes, wasm_v128_load(in + offset));
      wasm_v128_store(out + offset, bytes);
    }
  }
}

// Xors the keystream made earlier but not yet used into the message; returns how many bytes it took.
std::size_t use_waiting_keystream(mbedtls_chacha20_context* ctx, std::size_t size, const unsigned char* in,
                                  unsigned char* out) {
  std::size_t done = 0;
  while (done < size && ctx->keystream_used < kPassBytes) {
    out[done] = static_cast<unsigned char>(in[done] ^ ctx->keystream[ctx->keystream_used++]);
    ++done;
  }
  return done;
}

}  // namespace

void mbedtls_chacha20_init(mbedtls_chacha20_context* ctx) {
  std::memset(ctx, 0, sizeof *ctx);
  ctx->keystream_used = kPassBytes;
}

void mbedtls_chacha20_free(mbedtls_chacha20_context* ctx) {
  if (ctx != nullptr) mbedtls_platform_zeroize(ctx, sizeof *ctx);
}

int mbedtls_chacha20_setkey(mbedtls_chacha20_context* ctx, const unsigned char key[32]) {
  ctx->state[0] = 0x61707865;  // "expand 32-byte k"
  ctx->state[1] = 0x3320646e;
  ctx->state[2] = 0x79622d32;
  ctx->state[3] = 0x6b206574;
  for (int i = 0; i < 8; ++i) ctx->state[4 + i] = load_le32(key + 4 * i);
  return 0;
}

int mbedtls_chacha20_starts(mbedtls_chacha20_context* ctx, const unsigned char nonce[12], std::uint32_t counter) {
  ctx->state[12] = counter;
  for (int i = 0; i < 3; ++i) ctx->state[13 + i] = load_le32(nonce + 4 * i);
  mbedtls_platform_zeroize(ctx->keystream, sizeof ctx->keystream);
  ctx->keystream_used = kPassBytes;
  return 0;
}

int mbedtls_chacha20_update(mbedtls_chacha20_context* ctx, std::size_t size, const unsigned char* input,
                            unsigned char* output) {
  std::size_t done = use_waiting_keystream(ctx, size, input, output);
  for (; size - done >= kPassBytes; done += kPassBytes) {
    four_blocks<true>(ctx->state, input + done, output + done);
    ctx->state[12] += 4;
  }
  if (done < size) {  // a tail shorter than a pass: make a pass of keystream and keep what it leaves
    four_blocks<false>(ctx->state, nullptr, ctx->keystream);
    ctx->state[12] += 4;
    ctx->keystream_used = 0;
    done += use_waiting_keystream(ctx, size - done, input + done, output + done);
  }
  return 0;
}

int mbedtls_chacha20_crypt(const unsigned char key[32], const unsigned char nonce[12], std::uint32_t counter,
                           std::size_t size, const unsigned char* input, unsigned char* output) {
  mbedtls_chacha20_context ctx;
  mbedtls_chacha20_init(&ctx);
  mbedtls_chacha20_setkey(&ctx, key);
  mbedtls_chacha20_starts(&ctx, nonce, counter);
  mbedtls_chacha20_update(&ctx, size, input, output);
  mbedtls_chacha20_free(&ctx);
  return 0;
}
