// @ts-check
// The two UFile signatures (README "Command line" / docs): control plane = hex SHA1 over the sorted
// parameters, data plane = base64 HMAC-SHA1 over a string to sign, sent in a header or a query.
import { createHash, createHmac } from "node:crypto";

/**
 * Control plane: SHA1( concat(name + value, names in byte order) + privateKey ), lowercase hex.
 * @param {Record<string, string>} params every parameter except Signature, PublicKey included
 * @param {string} privateKey
 */
export function controlSignature(params, privateKey) {
  const names = Object.keys(params).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash("sha1").update(names.map((k) => k + params[k]).join("") + privateKey, "utf8").digest("hex");
}

/**
 * Data plane string to sign: VERB \n Content-MD5 \n Content-Type \n Date-or-Expires \n /bucket/key [suffix].
 * The key is the plain key, never URL-encoded. No X-UCloud-* headers are ever sent, so none are canonicalized.
 * @param {{ method: string, bucket: string, key: string, contentType?: string, date?: string, suffix?: string }} p
 */
export function stringToSign(p) {
  return `${p.method.toUpperCase()}\n\n${p.contentType ?? ""}\n${p.date ?? ""}\n/${p.bucket}/${p.key}${p.suffix ?? ""}`;
}

/** @param {string} privateKey @param {string} text */
export function hmacSha1(privateKey, text) {
  return createHmac("sha1", privateKey).update(text, "utf8").digest("base64");
}

/** Percent-encodes a key for a URL path, keeping "/" (as the Go and Java SDKs do). @param {string} key */
export function keyPath(key) {
  return key.split("/").map(encodeURIComponent).join("/");
}
