/**
 * Signatures, computed in the browser with Web Crypto exactly as the SDKs compute them.
 * - Control plane (docs/protocol.md §3.2): SHA1 hex of the parameters sorted by name, each as
 *   `name + value`, with the private key appended.
 * - Data plane (§2.1): base64 HMAC-SHA1 of `VERB\nContent-MD5\nContent-Type\nDate\n/bucket/key`,
 *   sent as `Authorization: UCloud <PublicKey>:<Signature>`.
 * - Presigned URLs (§2.5): the same HMAC with `Expires` in the Date slot, in the query.
 */
export interface KeyPair {
  publicKey: string;
  /** The private key as a non-extractable HMAC-SHA1 key: data-plane signatures and presigned URLs. */
  signingKey: CryptoKey;
  /** The private key's text: only the control plane's signature needs it (root sessions; lib/session.ts). */
  privateKey?: string;
}

const utf8 = new TextEncoder();

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

export function base64(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = "";
  for (const b of view) s += String.fromCharCode(b);
  return btoa(s);
}

export type ParamValue = string | number | boolean;
/** Control-plane parameters; a list becomes `Name.0`, `Name.1`, … (§3.1). */
export type Params = Record<string, ParamValue | ParamValue[] | undefined>;

export function flattenParams(params: Params): [string, string][] {
  const out: [string, string][] = [];
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) value.forEach((v, i) => out.push([`${name}.${i}`, String(v)]));
    else out.push([name, String(value)]);
  }
  return out;
}

/** §3.2: `Signature` over every parameter but itself, `PublicKey` included. */
export async function controlSignature(flat: [string, string][], privateKey: string): Promise<string> {
  // Plain byte order: compare as UTF-8 bytes, not UTF-16 units (equal for the ASCII names used).
  const sorted = [...flat].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const text = sorted.map(([k, v]) => k + v).join("") + privateKey;
  return hex(await crypto.subtle.digest("SHA-1", utf8.encode(text)));
}

export async function hmacSha1Base64(key: CryptoKey, text: string): Promise<string> {
  return base64(await crypto.subtle.sign("HMAC", key, utf8.encode(text)));
}

export interface DataSignInput {
  method: string;
  bucket: string;
  /** The decoded key; `""` for listings (`/bucket/`). */
  key: string;
  contentType?: string;
  contentMd5?: string;
  /** The Date header, or Expires for a presigned URL. */
  date?: string;
}

export function dataStringToSign(s: DataSignInput): string {
  return `${s.method}\n${s.contentMd5 ?? ""}\n${s.contentType ?? ""}\n${s.date ?? ""}\n/${s.bucket}/${s.key}`;
}

export async function authorizationHeader(keys: KeyPair, s: DataSignInput): Promise<string> {
  return `UCloud ${keys.publicKey}:${await hmacSha1Base64(keys.signingKey, dataStringToSign(s))}`;
}

/** A key as a URL path: every segment percent-encoded, `/` kept (as the Go and Java SDKs send it). */
export const keyPath = (key: string) => "/" + key.split("/").map(encodeURIComponent).join("/");

/** A query-signed URL (§2.5) valid until `expires` (Unix seconds). */
export async function presignedUrl(
  keys: KeyPair,
  origin: string,
  bucket: string,
  key: string,
  expires: number,
  method = "GET",
  extraQuery = "",
): Promise<string> {
  const signature = await hmacSha1Base64(keys.signingKey, dataStringToSign({ method, bucket, key, date: String(expires) }));
  const q = `UCloudPublicKey=${encodeURIComponent(keys.publicKey)}&Expires=${expires}&Signature=${encodeURIComponent(signature)}`;
  return `${origin}${keyPath(key)}?${q}${extraQuery ? "&" + extraQuery : ""}`;
}
