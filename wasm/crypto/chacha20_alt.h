/* The ChaCha20 context mbedTLS uses when MBEDTLS_CHACHA20_ALT is set (mbedtls/chacha20.h includes this
 * file by that name). The functions are mbedTLS's own API, implemented in chacha20_simd.cpp. Plain C. */
#ifndef SSHRELAY_WASM_CHACHA20_ALT_H
#define SSHRELAY_WASM_CHACHA20_ALT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Keystream is made four blocks (256 bytes) at a time; what one update() does not use waits in
 * `keystream` for the next, so any split of a message gives the bytes one call would. */
typedef struct mbedtls_chacha20_context {
    uint32_t state[16];          /* constants, key, block counter (word 12), nonce */
    uint8_t keystream[256];      /* made but not yet used: keystream[used..256) */
    size_t keystream_used;       /* 256 when nothing is waiting */
} mbedtls_chacha20_context;

#ifdef __cplusplus
}
#endif

#endif
