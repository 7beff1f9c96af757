// A probe module for tests/wasm/chacha20_test.mjs: wasm/crypto/chacha20_simd.cpp behind mbedTLS's API,
// linked with the same mbedTLS the client links, so the test checks what the page runs.
#include <emscripten/emscripten.h>
#include <mbedtls/chacha20.h>
#include <mbedtls/chachapoly.h>
#include <mbedtls/poly1305.h>

#include <cstddef>
#include <cstdint>

extern "C" {

// ChaCha20 of `size` bytes fed to mbedtls_chacha20_update in pieces of the given sizes (repeated;
// `piece_count` 0 means one call), so the test can split a message every way the page might.
EMSCRIPTEN_KEEPALIVE int probe_chacha20(const unsigned char* key, const unsigned char* nonce, std::uint32_t counter,
                                        std::size_t size, const unsigned char* input, unsigned char* output,
                                        const std::uint32_t* pieces, std::size_t piece_count) {
  mbedtls_chacha20_context ctx;
  mbedtls_chacha20_init(&ctx);
  int rc = mbedtls_chacha20_setkey(&ctx, key);
  if (rc == 0) rc = mbedtls_chacha20_starts(&ctx, nonce, counter);
  for (std::size_t done = 0, next = 0; rc == 0 && done < size; ++next) {
    std::size_t piece = piece_count == 0 ? size : pieces[next % piece_count];
    if (piece > size - done) piece = size - done;
    rc = mbedtls_chacha20_update(&ctx, piece, input + done, output + done);
    done += piece;
  }
  mbedtls_chacha20_free(&ctx);
  return rc;
}

// mbedTLS's own known-answer tests (RFC 8439 vectors): ChaCha20, and the AEAD built on it.
EMSCRIPTEN_KEEPALIVE int probe_self_tests() {
  return mbedtls_chacha20_self_test(0) | mbedtls_chachapoly_self_test(0) | mbedtls_poly1305_self_test(0);
}
}
