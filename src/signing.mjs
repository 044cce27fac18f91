// @ts-check
/**
 * The UFile signatures and the UFile ETag arithmetic, in one dependency-free ES module shared by the
 * Worker (src/), the CLI (cli/, plain Node), the web console (console/src) and the benchmarks (bench/).
 * It uses only Web Crypto (`globalThis.crypto`: workerd, browsers, Node ≥ 20), so every caller signs
 * and hashes exactly as the Worker verifies.
 *
 * - Data plane (docs/protocol.md §2): base64 HMAC-SHA1 of
 *   `VERB \n Content-MD5 \n Content-Type \n Date \n <x-ucloud-* headers> /bucket/key <suffix>`,
 *   sent as `Authorization: UCloud <PublicKey>:<Signature>`, or in the query of a presigned URL
 *   with `Expires` in the Date slot (§2.5).
 * - Control plane (§3.2): lowercase hex SHA1 of the parameters sorted by name in byte order, each as
 *   `name + value`, with the private key appended.
 * - Object ETag (§4): base64url(uint32_le(n) ‖ digest) without padding, n = number of 4 MiB windows,
 *   digest = the one window's SHA1 for n ≤ 1, else SHA1 of the window SHA1s; a part ETag is
 *   base64url(SHA1(part)) with padding.
 *
 * A data-plane secret is the private key as a string, a Web Crypto HMAC-SHA1 key made from it (which
 * may be non-extractable: a browser can keep the key material out of reach of scripts), or an async
 * function that returns the base64 HMAC-SHA1 of a text.
 */

/**
 * Web Crypto's key type, named through `crypto` so the module type-checks with the Workers', the DOM's
 * and Node's declarations alike.
 * @typedef {Awaited<ReturnType<typeof crypto.subtle.importKey>>} WebCryptoKey
 */

/** @typedef {string | WebCryptoKey | ((text: string) => Promise<string>)} HmacSecret */

/**
 * What the data-plane string to sign is made of. Absent fields are empty.
 * @typedef {object} DataSignInput
 * @property {string} method
 * @property {string} bucket
 * @property {string} key the decoded key; "" for bucket-level requests (`/bucket/`)
 * @property {string} [contentMd5]
 * @property {string} [contentType]
 * @property {string} [date] the Date header, or Expires for a presigned URL
 * @property {string} [canonicalHeaders] `name:value\n` lines of the signed x-ucloud-* headers
 * @property {string} [suffix] appended after the resource (the listobjects query, a put policy)
 */

const encoder = new TextEncoder();

/** @param {string} s */
export const utf8 = (s) => encoder.encode(s);

/** @param {ArrayBuffer | Uint8Array} bytes */
export function toHex(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = "";
  for (const b of u8) out += b.toString(16).padStart(2, "0");
  return out;
}

/** @param {ArrayBuffer | Uint8Array} bytes */
export function toBase64(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let bin = "";
  for (const b of u8) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** URL-safe base64 (`-`/`_`), padding kept. @param {ArrayBuffer | Uint8Array} bytes */
export const toBase64Url = (bytes) => toBase64(bytes).replace(/\+/g, "-").replace(/\//g, "_");

/** @param {Uint8Array | string} data */
export async function sha1(data) {
  const bytes = /** @type {Parameters<typeof crypto.subtle.digest>[1]} */ (typeof data === "string" ? utf8(data) : data);
  return new Uint8Array(await crypto.subtle.digest("SHA-1", bytes));
}

// ───────────────────────── HMAC ─────────────────────────

/**
 * A non-extractable Web Crypto HMAC-SHA1 key for signing with `privateKey`.
 * @param {string} privateKey
 * @returns {Promise<WebCryptoKey>}
 */
export function hmacKey(privateKey) {
  return crypto.subtle.importKey("raw", utf8(privateKey), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
}

/**
 * Base64 HMAC-SHA1 of `text` under `secret`.
 * @param {HmacSecret} secret
 * @param {string} text
 * @returns {Promise<string>}
 */
export async function hmacSha1Base64(secret, text) {
  if (typeof secret === "function") return secret(text);
  const key = typeof secret === "string" ? await hmacKey(secret) : secret;
  return toBase64(await crypto.subtle.sign("HMAC", key, utf8(text)));
}

// ───────────────────────── data plane ─────────────────────────

/** @param {DataSignInput} p */
export const dataStringToSign = (p) =>
  `${p.method}\n${p.contentMd5 ?? ""}\n${p.contentType ?? ""}\n${p.date ?? ""}\n${p.canonicalHeaders ?? ""}/${p.bucket}/${p.key}${p.suffix ?? ""}`;

/**
 * `UCloud <PublicKey>:<Signature>` for an `Authorization` header.
 * @param {string} publicKey
 * @param {HmacSecret} secret
 * @param {DataSignInput} input
 */
export async function authorization(publicKey, secret, input) {
  return `UCloud ${publicKey}:${await hmacSha1Base64(secret, dataStringToSign(input))}`;
}

/**
 * The query of a presigned URL (§2.5): `UCloudPublicKey=…&Expires=…&Signature=…`, valid until
 * `expires` (Unix seconds). It signs the method, the bucket, the decoded key and Expires only.
 * @param {string} publicKey
 * @param {HmacSecret} secret
 * @param {{ method?: string, bucket: string, key: string, expires: number, contentType?: string }} p
 */
export async function presignedQuery(publicKey, secret, p) {
  const date = String(p.expires);
  const signature = await hmacSha1Base64(secret, dataStringToSign({ method: p.method ?? "GET", bucket: p.bucket, key: p.key, contentType: p.contentType, date }));
  return `UCloudPublicKey=${encodeURIComponent(publicKey)}&Expires=${date}&Signature=${encodeURIComponent(signature)}`;
}

/** A key as a URL path, without the leading `/`: every segment percent-encoded, `/` kept (as the Go and Java SDKs send it). @param {string} key */
export const keyPath = (key) => key.split("/").map(encodeURIComponent).join("/");

// ───────────────────────── control plane ─────────────────────────

/** Plain byte order of UTF-16 strings (equal to UTF-8 byte order for the ASCII parameter names). @param {string} a @param {string} b */
export const byteOrder = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

/** Orders `[name, value]` pairs by name in byte order. @param {readonly [string, unknown]} a @param {readonly [string, unknown]} b */
const byName = (a, b) => byteOrder(a[0], b[0]);

/**
 * What the control-plane signature hashes: every parameter but `Signature` itself (`PublicKey`
 * included, values as sent) as `name + value` in byte order of the names, then the private key.
 * Synchronous callers (the bench's load generator) hash it themselves. `valueText` says how a value
 * is sent when the values are not the strings themselves (the Worker's JSON-typed parameters).
 * @template [V=string]
 * @param {Iterable<readonly [string, V]>} params
 * @param {string} privateKey
 * @param {(value: V) => string} [valueText]
 */
export function controlSigningText(params, privateKey, valueText) {
  /** @type {(readonly [string, V])[]} */
  const signed = [];
  for (const pair of params) if (pair[0] !== "Signature") signed.push(pair);
  signed.sort(byName);
  let text = "";
  for (let i = 0; i < signed.length; i++) {
    const pair = signed[i];
    text += pair[0] + (valueText ? valueText(pair[1]) : pair[1]);
  }
  return text + privateKey;
}

/**
 * The control-plane `Signature`: lowercase hex SHA1 of `controlSigningText`.
 * @template [V=string]
 * @param {Iterable<readonly [string, V]>} params
 * @param {string} privateKey
 * @param {(value: V) => string} [valueText]
 * @returns {Promise<string>}
 */
export async function controlSignature(params, privateKey, valueText) {
  return toHex(await sha1(controlSigningText(params, privateKey, valueText)));
}

// ───────────────────────── UFile ETag ─────────────────────────

/** ETag window size: fixed by the format, independent of the multipart BlkSize. */
export const ETAG_BLOCK = 4 * 1024 * 1024;

const SHA1_BYTES = 20;

/**
 * Object ETag from the ordered 4 MiB window SHA1s (of one body, or of all parts concatenated).
 * No window (an empty object) gives SHA1("") as digest: `AAAAANo5o-5ea0sNMlW_75VgGJCv2AcJ`.
 * @param {readonly Uint8Array[]} windowSha1s
 * @returns {Promise<string>}
 */
export async function etagFromWindows(windowSha1s) {
  const n = windowSha1s.length;
  const joined = new Uint8Array(n * SHA1_BYTES);
  windowSha1s.forEach((d, i) => {
    if (d.byteLength !== SHA1_BYTES) throw new Error(`window digest ${i} has ${d.byteLength} bytes, not ${SHA1_BYTES}`);
    joined.set(d, i * SHA1_BYTES);
  });
  const digest = n === 1 ? joined : await sha1(joined);
  const out = new Uint8Array(4 + SHA1_BYTES);
  new DataView(out.buffer).setUint32(0, n, true);
  out.set(digest, 4);
  return toBase64Url(out).replace(/=+$/, ""); // 24 bytes encode without padding anyway
}

/** Part ETag from the part's SHA1: URL-safe base64, padding kept (28 characters ending in `=`). @param {Uint8Array} sha1Digest */
export const partEtag = (sha1Digest) => toBase64Url(sha1Digest);

/** An ETag as a client sent it (Finish body entry, UploadHit `Hash`): trimmed, surrounding quotes removed. @param {string} s */
export function normalizeEtag(s) {
  const t = s.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).trim() : t;
}

/** Empty-file ETags as the SDKs compute them (§4.4): Go/Java/this service, Node v1, Python. */
export const EMPTY_FILE_ETAGS = /** @type {ReadonlySet<string>} */ (
  new Set(["AAAAANo5o-5ea0sNMlW_75VgGJCv2AcJ", "AQAAANo5o-5ea0sNMlW_75VgGJCv2AcJ", "AAAAAA=="])
);

/** True when `etag` (quotes tolerated) is one of the empty-file ETags the SDKs produce. @param {string} etag */
export const isEmptyFileEtag = (etag) => EMPTY_FILE_ETAGS.has(normalizeEtag(etag));

/** Whether two UFile ETags name the same bytes (the SDKs disagree only on empty files). @param {string} a @param {string} b */
export const sameEtag = (a, b) => normalizeEtag(a) === normalizeEtag(b) || (isEmptyFileEtag(a) && isEmptyFileEtag(b));
