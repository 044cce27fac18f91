import { describe, expect, it } from "vitest";
import { hmacSha1Key, hmacSha1Matches, sha1HexMatches } from "../src/auth/sha1";
import { hmacSha1Base64, sha1, toBase64, toHex } from "../src/signing.mjs";

/** Web Crypto's answer, the reference. */
const webCrypto = (key: string | Uint8Array, text: string | Uint8Array) => {
  const bytes = (v: string | Uint8Array) => (typeof v === "string" ? new TextEncoder().encode(v) : v);
  return crypto.subtle
    .importKey("raw", bytes(key), { name: "HMAC", hash: "SHA-1" }, false, ["sign"])
    .then((k) => crypto.subtle.sign("HMAC", k, bytes(text)))
    .then((mac) => toBase64(mac));
};

/** A string of `n` code units drawn from ASCII, Latin-1, CJK and astral (surrogate pair) characters. */
function randomText(n: number): string {
  const pieces = ["a", "Z", "0", "\n", ":", "/", "é", "ß", "中", "文", "😀", "\u0000"];
  let s = "";
  while (s.length < n) s += pieces[Math.floor(Math.random() * pieces.length)];
  return s;
}

describe("SHA-1 and HMAC-SHA1 for signature checks", () => {
  it("matches the RFC 2202 test cases", () => {
    // RFC 2202 §3: key, data, digest (hex). Keys and data given as bytes are written here as the
    // Latin-1 strings whose UTF-8 would differ, so only the ASCII-expressible cases are used.
    const cases: [string, string, string][] = [
      ["Jefe", "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"],
      ["\u000b".repeat(20), "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00"],
      ["\u000c".repeat(20), "Test With Truncation", "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"],
    ];
    for (const [key, data, hex] of cases) {
      const b64 = toBase64(Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16)));
      expect(hmacSha1Matches(hmacSha1Key(key), data, b64)).toBe(true);
    }
  });

  it("gives Web Crypto's answer for random keys and texts around every block boundary", async () => {
    const lengths = [0, 1, 19, 20, 54, 55, 56, 57, 63, 64, 65, 100, 119, 120, 127, 128, 129, 300, 1500];
    for (const keyLength of [1, 20, 40, 63, 64, 65, 100, 200]) {
      const secret = randomText(keyLength);
      const key = hmacSha1Key(secret);
      for (const length of lengths) {
        const text = randomText(length);
        const expected = await webCrypto(secret, text);
        expect(await hmacSha1Base64(secret, text)).toBe(expected);
        expect(hmacSha1Matches(key, text, expected), `key ${keyLength}, text ${length}`).toBe(true);
      }
    }
  });

  it("refuses any other signature: one changed character, another length, the unpadded form", async () => {
    const key = hmacSha1Key("the private key");
    const right = await webCrypto("the private key", "GET\n\n\n\n/bucket/key");
    expect(hmacSha1Matches(key, "GET\n\n\n\n/bucket/key", right)).toBe(true);
    for (let i = 0; i < right.length; i++) {
      const wrong = right.slice(0, i) + (right[i] === "A" ? "B" : "A") + right.slice(i + 1);
      expect(hmacSha1Matches(key, "GET\n\n\n\n/bucket/key", wrong)).toBe(false);
    }
    expect(hmacSha1Matches(key, "GET\n\n\n\n/bucket/key", right.slice(0, -1))).toBe(false);
    expect(hmacSha1Matches(key, "GET\n\n\n\n/bucket/key", `${right}=`)).toBe(false);
    expect(hmacSha1Matches(key, "GET\n\n\n\n/bucket/key", "")).toBe(false);
    expect(hmacSha1Matches(hmacSha1Key("another key"), "GET\n\n\n\n/bucket/key", right)).toBe(false);
    expect(hmacSha1Matches(key, "GET\n\n\n\n/bucket/other", right)).toBe(false);
  });

  it("keeps each key's state apart when checks interleave", async () => {
    const a = hmacSha1Key("key a");
    const b = hmacSha1Key("key b".repeat(30)); // longer than a block: hashed first
    const text = randomText(500);
    const [sigA, sigB] = await Promise.all([webCrypto("key a", text), webCrypto("key b".repeat(30), text)]);
    for (let i = 0; i < 3; i++) {
      expect(hmacSha1Matches(a, text, sigA)).toBe(true);
      expect(hmacSha1Matches(b, text, sigB)).toBe(true);
      expect(hmacSha1Matches(a, text, sigB)).toBe(false);
    }
  });

  it("gives Web Crypto's SHA-1 (lowercase hex) for texts around every block boundary, and refuses any other", async () => {
    expect(sha1HexMatches("abc", "a9993e364706816aba3e25717850c26c9cd0d89d")).toBe(true); // FIPS 180-2 appendix A
    expect(sha1HexMatches("", "da39a3ee5e6b4b0d3255bfef95601890afd80709")).toBe(true);
    for (const length of [1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 5000]) {
      const text = randomText(length);
      const hex = toHex(await sha1(text));
      expect(sha1HexMatches(text, hex), `text ${length}`).toBe(true);
      expect(sha1HexMatches(text, hex.toUpperCase())).toBe(false); // the caller lowercases what the client sent
      expect(sha1HexMatches(text, hex.slice(0, -1))).toBe(false);
      expect(sha1HexMatches(`${text}x`, hex)).toBe(false);
    }
  });
});
