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
const words = new Int32Array(80);
const digestBytes = new Uint8Array(20);
const encoder = new TextEncoder();
let message = new Uint8Array(1024);

/** Hashes the 64-byte blocks of `bytes[from, to)` into `state`. */
function compress(state: Int32Array, bytes: Uint8Array, from: number, to: number): void {
  const w = words;
  for (let offset = from; offset < to; offset += BLOCK) {
    for (let i = 0; i < 16; i++) {
      const j = offset + i * 4;
      w[i] = (bytes[j] << 24) | (bytes[j + 1] << 16) | (bytes[j + 2] << 8) | bytes[j + 3];
    }
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
      w[i] = (x << 1) | (x >>> 31);
    }
    let a = state[0];
    let b = state[1];
    let c = state[2];
    let d = state[3];
    let e = state[4];
    for (let i = 0; i < 80; i++) {
      let f: number;
      let k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
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
  let end = length + 1;
  bytes[length] = 0x80;
  while (end % BLOCK !== 56) bytes[end++] = 0;
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
