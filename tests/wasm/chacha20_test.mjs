// wasm/crypto/chacha20_simd.cpp (ChaCha20 four blocks at a time in wasm SIMD, standing in for mbedTLS's)
// against node's OpenSSL ChaCha20 and mbedTLS's RFC 8439 self-tests: random keys, nonces, counters and
// lengths, every message split into update() calls of many shapes, in place and not.
// Run: node --no-experimental-fetch tests/wasm/chacha20_test.mjs (ctest: wasm_chacha20).
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';

const probePath = process.env.SSHRELAY_WASM_CHACHA20_PROBE;
assert.ok(probePath, 'SSHRELAY_WASM_CHACHA20_PROBE names the probe module (ctest sets it)');
const mod = await createRequire(import.meta.url)(path.resolve(probePath))();

// OpenSSL's IV is the 32-bit block counter (little-endian) followed by the 96-bit nonce.
function openssl(key, nonce, counter, input) {
  const iv = Buffer.alloc(16);
  iv.writeUInt32LE(counter, 0);
  Buffer.from(nonce).copy(iv, 4);
  const cipher = crypto.createCipheriv('chacha20', key, iv);
  return Buffer.concat([cipher.update(input), cipher.final()]);
}

// Runs the probe; `inPlace` passes the same buffer as input and output.
function probe(key, nonce, counter, input, pieces = [], inPlace = false) {
  const size = input.length;
  const heapBytes = 32 + 12 + 2 * size + 4 * pieces.length + 16;
  const base = mod._malloc(heapBytes);
  try {
    const keyAt = base, nonceAt = base + 32, inAt = base + 44, outAt = inPlace ? inAt : inAt + size;
    const piecesAt = (outAt + size + 3) & ~3;
    mod.HEAPU8.set(key, keyAt);
    mod.HEAPU8.set(nonce, nonceAt);
    mod.HEAPU8.set(input, inAt);
    mod.HEAPU32.set(pieces, piecesAt / 4);
    const rc = mod._probe_chacha20(keyAt, nonceAt, counter, size, inAt, outAt, piecesAt, pieces.length);
    assert.equal(rc, 0);
    return Buffer.from(mod.HEAPU8.slice(outAt, outAt + size));
  } finally {
    mod._free(base);
  }
}

// A small deterministic generator, so a failure names a seed that reproduces it.
function generator(seed) {
  let state = seed >>> 0;
  return (limit) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % limit;
  };
}

test("mbedTLS's RFC 8439 self-tests pass with this ChaCha20 (ChaCha20, ChaCha20-Poly1305, Poly1305)", () => {
  assert.equal(mod._probe_self_tests(), 0);
});

test('the RFC 8439 §2.4.2 example, whole and byte by byte', () => {
  const key = Buffer.from([...Array(32).keys()]);
  const nonce = Buffer.from('000000000000004a00000000', 'hex');
  const text = Buffer.from("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the " +
                           'future, sunscreen would be it.');
  const expected = Buffer.from(
    '6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e6' +
    '5152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8e' +
    'edf2785e42874d', 'hex');
  assert.deepEqual(probe(key, nonce, 1, text), expected);
  assert.deepEqual(probe(key, nonce, 1, text, [1]), expected);
});

test('random messages match OpenSSL whatever the split (300 seeds)', () => {
  // Piece shapes: the page's (a 64-byte Poly1305 key block, then a packet), byte-sized, around a
  // four-block pass (256), and random.
  const shapes = [[], [1], [64, 32768], [3, 250, 7], [255, 257], [256], [4], [63, 65, 1000]];
  for (let seed = 1; seed <= 300; ++seed) {
    const next = generator(seed);
    const key = crypto.randomBytes(32), nonce = crypto.randomBytes(12);
    const size = seed <= 40 ? seed * 7 : next(70000);
    const counter = next(2) === 0 ? next(4) : next(0x7fffffff);
    const input = crypto.randomBytes(size);
    const shape = seed % shapes.length === 0 ? [1 + next(600), 1 + next(600)] : shapes[seed % shapes.length];
    const expected = openssl(key, nonce, counter, input);
    assert.deepEqual(probe(key, nonce, counter, input, shape, seed % 2 === 0), expected,
                     `seed ${seed}: ${size} bytes from counter ${counter}, pieces [${shape}]`);
  }
});

test('the block counter wraps at 2^32 within the same nonce, as mbedTLS specifies', () => {
  // OpenSSL carries into the nonce instead, so compare per block: the block after 0xffffffff is block 0.
  const key = crypto.randomBytes(32), nonce = crypto.randomBytes(12);
  const zeros = Buffer.alloc(5 * 64);
  const out = probe(key, nonce, 0xfffffffe, zeros, [70]);
  assert.deepEqual(out.subarray(0, 128), openssl(key, nonce, 0xfffffffe, zeros.subarray(0, 128)));
  assert.deepEqual(out.subarray(128), openssl(key, nonce, 0, zeros.subarray(128)));
});
