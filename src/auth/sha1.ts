/**
 * SHA-1 and HMAC-SHA1 for checking signatures, in plain JavaScript: the UFile data plane's HMAC-SHA1
 * (src/data/auth.ts) and the control plane's SHA-1 (src/control/signature.ts).
 *
 * Every signed request is checked against one or more strings to sign. Through Web Crypto each
 * check encodes the string into a new buffer, calls into the runtime, waits for a promise and
 * encodes the answer as text; through HTTP that weighed several times its micro-benchmark cost on a
 * HEAD (docs/performance.md, "The access check"). Here a key's two padded blocks are hashed once
 * (`hmacSha1Key`, cached by the caller), a check hashes only the string (and the inner digest), it
 * runs synchronously, and the encoded answer is compared character by character in constant time
 * against the signature sent, without building a string. test/sha1.test.ts holds the results equal
 * to Web Crypto's on the RFC vectors and on random keys and texts.
 *
 * Signing (the CLI, the console, the SDK tests) keeps using src/signing.mjs and Web Crypto.
 */

/** A key's HMAC state: SHA-1 after its inner (key ⊕ ipad) and outer (key ⊕ opad) blocks. */
export interface HmacSha1Key {
  readonly inner: Int32Array;
  readonly outer: Int32Array;
}

const INITIAL = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0];
const BLOCK = 64;

/** Scratch space of the one thread an isolate runs on; nothing in here outlives a call. */
const digestBytes = new Uint8Array(20);
const encoder = new TextEncoder();
let message = new Uint8Array(1024);

/** SHA-1's round constants, one per 20 rounds, as int32. */
const K1 = 0x5a827999 | 0;
const K2 = 0x6ed9eba1 | 0;
const K3 = 0x8f1bbcdc | 0;
const K4 = 0xca62c1d6 | 0;

/**
 * Hashes the 64-byte blocks of `bytes[from, to)` into `state`: FIPS 180-4 §6.1.2, unrolled, the
 * message schedule kept in sixteen variables (`w<t mod 16>` is W[t]; from round 16 on each is
 * replaced by the next word as it is used) and the working variables renamed from round to round
 * instead of moved. workerd runs this in V8's mid tier (Maglev) for thousands of requests before
 * TurboFan takes it over (under the bench's callgrind count, throughout), and Maglev checks and
 * loads every element of a typed array one by one: the loop form (rounds over an 80-word array) took
 * 31.6k instructions per control-plane signature there, unrolled 9.5k (docs/performance.md).
 * test/sha1.test.ts holds it equal to Web Crypto's SHA-1.
 */
function compress(state: Int32Array, bytes: Uint8Array, from: number, to: number): void {
  for (let offset = from; offset < to; offset += BLOCK) {
    let w0 = (bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3];
    let w1 = (bytes[offset + 4] << 24) | (bytes[offset + 5] << 16) | (bytes[offset + 6] << 8) | bytes[offset + 7];
    let w2 = (bytes[offset + 8] << 24) | (bytes[offset + 9] << 16) | (bytes[offset + 10] << 8) | bytes[offset + 11];
    let w3 = (bytes[offset + 12] << 24) | (bytes[offset + 13] << 16) | (bytes[offset + 14] << 8) | bytes[offset + 15];
    let w4 = (bytes[offset + 16] << 24) | (bytes[offset + 17] << 16) | (bytes[offset + 18] << 8) | bytes[offset + 19];
    let w5 = (bytes[offset + 20] << 24) | (bytes[offset + 21] << 16) | (bytes[offset + 22] << 8) | bytes[offset + 23];
    let w6 = (bytes[offset + 24] << 24) | (bytes[offset + 25] << 16) | (bytes[offset + 26] << 8) | bytes[offset + 27];
    let w7 = (bytes[offset + 28] << 24) | (bytes[offset + 29] << 16) | (bytes[offset + 30] << 8) | bytes[offset + 31];
    let w8 = (bytes[offset + 32] << 24) | (bytes[offset + 33] << 16) | (bytes[offset + 34] << 8) | bytes[offset + 35];
    let w9 = (bytes[offset + 36] << 24) | (bytes[offset + 37] << 16) | (bytes[offset + 38] << 8) | bytes[offset + 39];
    let w10 = (bytes[offset + 40] << 24) | (bytes[offset + 41] << 16) | (bytes[offset + 42] << 8) | bytes[offset + 43];
    let w11 = (bytes[offset + 44] << 24) | (bytes[offset + 45] << 16) | (bytes[offset + 46] << 8) | bytes[offset + 47];
    let w12 = (bytes[offset + 48] << 24) | (bytes[offset + 49] << 16) | (bytes[offset + 50] << 8) | bytes[offset + 51];
    let w13 = (bytes[offset + 52] << 24) | (bytes[offset + 53] << 16) | (bytes[offset + 54] << 8) | bytes[offset + 55];
    let w14 = (bytes[offset + 56] << 24) | (bytes[offset + 57] << 16) | (bytes[offset + 58] << 8) | bytes[offset + 59];
    let w15 = (bytes[offset + 60] << 24) | (bytes[offset + 61] << 16) | (bytes[offset + 62] << 8) | bytes[offset + 63];
    let a = state[0];
    let b = state[1];
    let c = state[2];
    let d = state[3];
    let e = state[4];
    let x = 0;
    e = (((a << 5) | (a >>> 27)) + (d ^ (b & (c ^ d))) + e + K1 + w0) | 0; b = (b << 30) | (b >>> 2);
    d = (((e << 5) | (e >>> 27)) + (c ^ (a & (b ^ c))) + d + K1 + w1) | 0; a = (a << 30) | (a >>> 2);
    c = (((d << 5) | (d >>> 27)) + (b ^ (e & (a ^ b))) + c + K1 + w2) | 0; e = (e << 30) | (e >>> 2);
    b = (((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + b + K1 + w3) | 0; d = (d << 30) | (d >>> 2);
    a = (((b << 5) | (b >>> 27)) + (e ^ (c & (d ^ e))) + a + K1 + w4) | 0; c = (c << 30) | (c >>> 2);
    e = (((a << 5) | (a >>> 27)) + (d ^ (b & (c ^ d))) + e + K1 + w5) | 0; b = (b << 30) | (b >>> 2);
    d = (((e << 5) | (e >>> 27)) + (c ^ (a & (b ^ c))) + d + K1 + w6) | 0; a = (a << 30) | (a >>> 2);
    c = (((d << 5) | (d >>> 27)) + (b ^ (e & (a ^ b))) + c + K1 + w7) | 0; e = (e << 30) | (e >>> 2);
    b = (((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + b + K1 + w8) | 0; d = (d << 30) | (d >>> 2);
    a = (((b << 5) | (b >>> 27)) + (e ^ (c & (d ^ e))) + a + K1 + w9) | 0; c = (c << 30) | (c >>> 2);
    e = (((a << 5) | (a >>> 27)) + (d ^ (b & (c ^ d))) + e + K1 + w10) | 0; b = (b << 30) | (b >>> 2);
    d = (((e << 5) | (e >>> 27)) + (c ^ (a & (b ^ c))) + d + K1 + w11) | 0; a = (a << 30) | (a >>> 2);
    c = (((d << 5) | (d >>> 27)) + (b ^ (e & (a ^ b))) + c + K1 + w12) | 0; e = (e << 30) | (e >>> 2);
    b = (((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + b + K1 + w13) | 0; d = (d << 30) | (d >>> 2);
    a = (((b << 5) | (b >>> 27)) + (e ^ (c & (d ^ e))) + a + K1 + w14) | 0; c = (c << 30) | (c >>> 2);
    e = (((a << 5) | (a >>> 27)) + (d ^ (b & (c ^ d))) + e + K1 + w15) | 0; b = (b << 30) | (b >>> 2);
    x = w13 ^ w8 ^ w2 ^ w0; w0 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (c ^ (a & (b ^ c))) + d + K1 + w0) | 0; a = (a << 30) | (a >>> 2);
    x = w14 ^ w9 ^ w3 ^ w1; w1 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (b ^ (e & (a ^ b))) + c + K1 + w1) | 0; e = (e << 30) | (e >>> 2);
    x = w15 ^ w10 ^ w4 ^ w2; w2 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (a ^ (d & (e ^ a))) + b + K1 + w2) | 0; d = (d << 30) | (d >>> 2);
    x = w0 ^ w11 ^ w5 ^ w3; w3 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (e ^ (c & (d ^ e))) + a + K1 + w3) | 0; c = (c << 30) | (c >>> 2);
    x = w1 ^ w12 ^ w6 ^ w4; w4 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + K2 + w4) | 0; b = (b << 30) | (b >>> 2);
    x = w2 ^ w13 ^ w7 ^ w5; w5 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + K2 + w5) | 0; a = (a << 30) | (a >>> 2);
    x = w3 ^ w14 ^ w8 ^ w6; w6 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + K2 + w6) | 0; e = (e << 30) | (e >>> 2);
    x = w4 ^ w15 ^ w9 ^ w7; w7 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + K2 + w7) | 0; d = (d << 30) | (d >>> 2);
    x = w5 ^ w0 ^ w10 ^ w8; w8 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + K2 + w8) | 0; c = (c << 30) | (c >>> 2);
    x = w6 ^ w1 ^ w11 ^ w9; w9 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + K2 + w9) | 0; b = (b << 30) | (b >>> 2);
    x = w7 ^ w2 ^ w12 ^ w10; w10 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + K2 + w10) | 0; a = (a << 30) | (a >>> 2);
    x = w8 ^ w3 ^ w13 ^ w11; w11 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + K2 + w11) | 0; e = (e << 30) | (e >>> 2);
    x = w9 ^ w4 ^ w14 ^ w12; w12 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + K2 + w12) | 0; d = (d << 30) | (d >>> 2);
    x = w10 ^ w5 ^ w15 ^ w13; w13 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + K2 + w13) | 0; c = (c << 30) | (c >>> 2);
    x = w11 ^ w6 ^ w0 ^ w14; w14 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + K2 + w14) | 0; b = (b << 30) | (b >>> 2);
    x = w12 ^ w7 ^ w1 ^ w15; w15 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + K2 + w15) | 0; a = (a << 30) | (a >>> 2);
    x = w13 ^ w8 ^ w2 ^ w0; w0 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + K2 + w0) | 0; e = (e << 30) | (e >>> 2);
    x = w14 ^ w9 ^ w3 ^ w1; w1 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + K2 + w1) | 0; d = (d << 30) | (d >>> 2);
    x = w15 ^ w10 ^ w4 ^ w2; w2 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + K2 + w2) | 0; c = (c << 30) | (c >>> 2);
    x = w0 ^ w11 ^ w5 ^ w3; w3 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + K2 + w3) | 0; b = (b << 30) | (b >>> 2);
    x = w1 ^ w12 ^ w6 ^ w4; w4 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + K2 + w4) | 0; a = (a << 30) | (a >>> 2);
    x = w2 ^ w13 ^ w7 ^ w5; w5 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + K2 + w5) | 0; e = (e << 30) | (e >>> 2);
    x = w3 ^ w14 ^ w8 ^ w6; w6 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + K2 + w6) | 0; d = (d << 30) | (d >>> 2);
    x = w4 ^ w15 ^ w9 ^ w7; w7 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + K2 + w7) | 0; c = (c << 30) | (c >>> 2);
    x = w5 ^ w0 ^ w10 ^ w8; w8 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + ((b & c) | (d & (b | c))) + e + K3 + w8) | 0; b = (b << 30) | (b >>> 2);
    x = w6 ^ w1 ^ w11 ^ w9; w9 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + ((a & b) | (c & (a | b))) + d + K3 + w9) | 0; a = (a << 30) | (a >>> 2);
    x = w7 ^ w2 ^ w12 ^ w10; w10 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + ((e & a) | (b & (e | a))) + c + K3 + w10) | 0; e = (e << 30) | (e >>> 2);
    x = w8 ^ w3 ^ w13 ^ w11; w11 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + b + K3 + w11) | 0; d = (d << 30) | (d >>> 2);
    x = w9 ^ w4 ^ w14 ^ w12; w12 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + ((c & d) | (e & (c | d))) + a + K3 + w12) | 0; c = (c << 30) | (c >>> 2);
    x = w10 ^ w5 ^ w15 ^ w13; w13 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + ((b & c) | (d & (b | c))) + e + K3 + w13) | 0; b = (b << 30) | (b >>> 2);
    x = w11 ^ w6 ^ w0 ^ w14; w14 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + ((a & b) | (c & (a | b))) + d + K3 + w14) | 0; a = (a << 30) | (a >>> 2);
    x = w12 ^ w7 ^ w1 ^ w15; w15 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + ((e & a) | (b & (e | a))) + c + K3 + w15) | 0; e = (e << 30) | (e >>> 2);
    x = w13 ^ w8 ^ w2 ^ w0; w0 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + b + K3 + w0) | 0; d = (d << 30) | (d >>> 2);
    x = w14 ^ w9 ^ w3 ^ w1; w1 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + ((c & d) | (e & (c | d))) + a + K3 + w1) | 0; c = (c << 30) | (c >>> 2);
    x = w15 ^ w10 ^ w4 ^ w2; w2 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + ((b & c) | (d & (b | c))) + e + K3 + w2) | 0; b = (b << 30) | (b >>> 2);
    x = w0 ^ w11 ^ w5 ^ w3; w3 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + ((a & b) | (c & (a | b))) + d + K3 + w3) | 0; a = (a << 30) | (a >>> 2);
    x = w1 ^ w12 ^ w6 ^ w4; w4 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + ((e & a) | (b & (e | a))) + c + K3 + w4) | 0; e = (e << 30) | (e >>> 2);
    x = w2 ^ w13 ^ w7 ^ w5; w5 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + b + K3 + w5) | 0; d = (d << 30) | (d >>> 2);
    x = w3 ^ w14 ^ w8 ^ w6; w6 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + ((c & d) | (e & (c | d))) + a + K3 + w6) | 0; c = (c << 30) | (c >>> 2);
    x = w4 ^ w15 ^ w9 ^ w7; w7 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + ((b & c) | (d & (b | c))) + e + K3 + w7) | 0; b = (b << 30) | (b >>> 2);
    x = w5 ^ w0 ^ w10 ^ w8; w8 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + ((a & b) | (c & (a | b))) + d + K3 + w8) | 0; a = (a << 30) | (a >>> 2);
    x = w6 ^ w1 ^ w11 ^ w9; w9 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + ((e & a) | (b & (e | a))) + c + K3 + w9) | 0; e = (e << 30) | (e >>> 2);
    x = w7 ^ w2 ^ w12 ^ w10; w10 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + ((d & e) | (a & (d | e))) + b + K3 + w10) | 0; d = (d << 30) | (d >>> 2);
    x = w8 ^ w3 ^ w13 ^ w11; w11 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + ((c & d) | (e & (c | d))) + a + K3 + w11) | 0; c = (c << 30) | (c >>> 2);
    x = w9 ^ w4 ^ w14 ^ w12; w12 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + K4 + w12) | 0; b = (b << 30) | (b >>> 2);
    x = w10 ^ w5 ^ w15 ^ w13; w13 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + K4 + w13) | 0; a = (a << 30) | (a >>> 2);
    x = w11 ^ w6 ^ w0 ^ w14; w14 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + K4 + w14) | 0; e = (e << 30) | (e >>> 2);
    x = w12 ^ w7 ^ w1 ^ w15; w15 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + K4 + w15) | 0; d = (d << 30) | (d >>> 2);
    x = w13 ^ w8 ^ w2 ^ w0; w0 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + K4 + w0) | 0; c = (c << 30) | (c >>> 2);
    x = w14 ^ w9 ^ w3 ^ w1; w1 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + K4 + w1) | 0; b = (b << 30) | (b >>> 2);
    x = w15 ^ w10 ^ w4 ^ w2; w2 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + K4 + w2) | 0; a = (a << 30) | (a >>> 2);
    x = w0 ^ w11 ^ w5 ^ w3; w3 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + K4 + w3) | 0; e = (e << 30) | (e >>> 2);
    x = w1 ^ w12 ^ w6 ^ w4; w4 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + K4 + w4) | 0; d = (d << 30) | (d >>> 2);
    x = w2 ^ w13 ^ w7 ^ w5; w5 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + K4 + w5) | 0; c = (c << 30) | (c >>> 2);
    x = w3 ^ w14 ^ w8 ^ w6; w6 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + K4 + w6) | 0; b = (b << 30) | (b >>> 2);
    x = w4 ^ w15 ^ w9 ^ w7; w7 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + K4 + w7) | 0; a = (a << 30) | (a >>> 2);
    x = w5 ^ w0 ^ w10 ^ w8; w8 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + K4 + w8) | 0; e = (e << 30) | (e >>> 2);
    x = w6 ^ w1 ^ w11 ^ w9; w9 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + K4 + w9) | 0; d = (d << 30) | (d >>> 2);
    x = w7 ^ w2 ^ w12 ^ w10; w10 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + K4 + w10) | 0; c = (c << 30) | (c >>> 2);
    x = w8 ^ w3 ^ w13 ^ w11; w11 = (x << 1) | (x >>> 31); e = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + K4 + w11) | 0; b = (b << 30) | (b >>> 2);
    x = w9 ^ w4 ^ w14 ^ w12; w12 = (x << 1) | (x >>> 31); d = (((e << 5) | (e >>> 27)) + (a ^ b ^ c) + d + K4 + w12) | 0; a = (a << 30) | (a >>> 2);
    x = w10 ^ w5 ^ w15 ^ w13; w13 = (x << 1) | (x >>> 31); c = (((d << 5) | (d >>> 27)) + (e ^ a ^ b) + c + K4 + w13) | 0; e = (e << 30) | (e >>> 2);
    x = w11 ^ w6 ^ w0 ^ w14; w14 = (x << 1) | (x >>> 31); b = (((c << 5) | (c >>> 27)) + (d ^ e ^ a) + b + K4 + w14) | 0; d = (d << 30) | (d >>> 2);
    x = w12 ^ w7 ^ w1 ^ w15; w15 = (x << 1) | (x >>> 31); a = (((b << 5) | (b >>> 27)) + (c ^ d ^ e) + a + K4 + w15) | 0; c = (c << 30) | (c >>> 2);
    state[0] = (state[0] + a) | 0;
    state[1] = (state[1] + b) | 0;
    state[2] = (state[2] + c) | 0;
    state[3] = (state[3] + d) | 0;
    state[4] = (state[4] + e) | 0;
  }
}

/**
 * Finishes a hash whose state has already taken `prefixBytes` bytes (whole blocks) and whose
 * remaining `length` bytes are `bytes[0, length)`: pads them in place (`bytes` has room for it)
 * and writes the digest into `digestBytes`.
 */
function finish(state: Int32Array, bytes: Uint8Array, length: number, prefixBytes: number): void {
  const full = length - (length % BLOCK);
  compress(state, bytes, 0, full);
  bytes[length] = 0x80;
  // Zeros up to the length field, the last 8 bytes of this block or, when they are taken, of the next one.
  const end = full + (length - full < 56 ? 56 : BLOCK + 56);
  bytes.fill(0, length + 1, end);
  const bits = (prefixBytes + length) * 8;
  const high = Math.floor(bits / 0x100000000);
  for (let i = 0; i < 4; i++) bytes[end + i] = (high >>> (24 - 8 * i)) & 0xff;
  for (let i = 0; i < 4; i++) bytes[end + 4 + i] = (bits >>> (24 - 8 * i)) & 0xff;
  compress(state, bytes, full, end + 8);
  for (let i = 0; i < 5; i++) {
    digestBytes[i * 4] = state[i] >>> 24;
    digestBytes[i * 4 + 1] = (state[i] >>> 16) & 0xff;
    digestBytes[i * 4 + 2] = (state[i] >>> 8) & 0xff;
    digestBytes[i * 4 + 3] = state[i] & 0xff;
  }
}

/** `bytes` with room for a message of `length` bytes and its padding (two blocks more). */
function roomFor(length: number): Uint8Array {
  if (message.length < length + 2 * BLOCK) message = new Uint8Array(length + 2 * BLOCK);
  return message;
}

/** UTF-8 of `text` into the shared message buffer; its length. */
function encode(text: string): number {
  const buffer = roomFor(text.length * 3); // a UTF-16 code unit is at most 3 UTF-8 bytes
  return encoder.encodeInto(text, buffer).written;
}

const state = new Int32Array(5);

/** SHA-1 of `text`'s UTF-8, left in `digestBytes`. */
function sha1(text: string): void {
  const length = encode(text);
  state.set(INITIAL);
  finish(state, message, length, 0);
}

/** The HMAC state of `secret` (its UTF-8 bytes; a key longer than a block is hashed first, as RFC 2104 says). */
export function hmacSha1Key(secret: string): HmacSha1Key {
  let length = encode(secret);
  if (length > BLOCK) {
    sha1(secret);
    message.set(digestBytes);
    length = digestBytes.length;
  }
  const key = new Uint8Array(BLOCK);
  key.set(message.subarray(0, length));
  const padded = new Uint8Array(BLOCK);
  const stateAfter = (pad: number): Int32Array => {
    for (let i = 0; i < BLOCK; i++) padded[i] = key[i] ^ pad;
    const state = Int32Array.from(INITIAL);
    compress(state, padded, 0, BLOCK);
    return state;
  };
  return { inner: stateAfter(0x36), outer: stateAfter(0x5c) };
}

const innerDigest = new Uint8Array(BLOCK * 2);

/** HMAC-SHA1 of `text`'s UTF-8 under `key`, left in `digestBytes`. */
function hmac(key: HmacSha1Key, text: string): void {
  const length = encode(text); // first: it may replace `message` with a larger buffer
  state.set(key.inner);
  finish(state, message, length, BLOCK);
  innerDigest.set(digestBytes);
  state.set(key.outer);
  finish(state, innerDigest, digestBytes.length, BLOCK);
}

/** The characters the digest should be sent as (base64 or hex), as character codes; `expectedLength` of them. */
const expected = new Uint8Array(40);
let expectedLength = 0;

const BASE64_CODES = Uint8Array.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", (c) => c.charCodeAt(0));
const HEX_CODES = Uint8Array.from("0123456789abcdef", (c) => c.charCodeAt(0));

/** `digestBytes` as padded base64 (what `btoa` writes) into `expected`. */
function base64Digest(): void {
  let at = 0;
  for (let i = 0; i < 18; i += 3) {
    const n = (digestBytes[i] << 16) | (digestBytes[i + 1] << 8) | digestBytes[i + 2];
    expected[at++] = BASE64_CODES[n >>> 18];
    expected[at++] = BASE64_CODES[(n >>> 12) & 63];
    expected[at++] = BASE64_CODES[(n >>> 6) & 63];
    expected[at++] = BASE64_CODES[n & 63];
  }
  const n = (digestBytes[18] << 8) | digestBytes[19];
  expected[at++] = BASE64_CODES[n >>> 10];
  expected[at++] = BASE64_CODES[(n >>> 4) & 63];
  expected[at++] = BASE64_CODES[(n << 2) & 63];
  expected[at++] = "=".charCodeAt(0);
  expectedLength = at;
}

/** `digestBytes` as lowercase hex into `expected`. */
function hexDigest(): void {
  for (let i = 0; i < 20; i++) {
    expected[2 * i] = HEX_CODES[digestBytes[i] >>> 4];
    expected[2 * i + 1] = HEX_CODES[digestBytes[i] & 15];
  }
  expectedLength = 40;
}

/** Whether `signature` is `expected`: every character is read whatever differs, so the time depends on the lengths only. */
function sentAsExpected(signature: string): boolean {
  if (signature.length !== expectedLength) return false;
  let diff = 0;
  for (let i = 0; i < expectedLength; i++) diff |= expected[i] ^ signature.charCodeAt(i);
  return diff === 0;
}

/** Whether `signature` is the base64 HMAC-SHA1 (padded, as `btoa` writes it) of `text` under `key`, in constant time. */
export function hmacSha1Matches(key: HmacSha1Key, text: string, signature: string): boolean {
  if (signature.length !== 28) return false;
  hmac(key, text);
  base64Digest();
  return sentAsExpected(signature);
}

/** Whether `signature` is the lowercase hex SHA-1 of `text`'s UTF-8, in constant time. */
export function sha1HexMatches(text: string, signature: string): boolean {
  if (signature.length !== 40) return false;
  sha1(text);
  hexDigest();
  return sentAsExpected(signature);
}
