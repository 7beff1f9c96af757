/* mbedTLS settings for the browser client's build (scripts/build-wasm-deps passes this file as
 * MBEDTLS_USER_CONFIG_FILE to mbedTLS, to libssh and to the code below, so all three see one
 * mbedtls_chacha20_context). Plain C: mbedTLS and libssh are C. */
#ifndef SSHRELAY_WASM_MBEDTLS_USER_CONFIG_H
#define SSHRELAY_WASM_MBEDTLS_USER_CONFIG_H

/* ChaCha20 comes from wasm/crypto/chacha20_simd.cpp (four blocks at once in wasm SIMD) instead of
 * mbedTLS's one-block-at-a-time C: chacha20-poly1305@openssh.com is libssh's first cipher, and the
 * stream cipher was the largest item in the page's download profile (docs/wasm.md, "Throughput"). */
#define MBEDTLS_CHACHA20_ALT

#endif
