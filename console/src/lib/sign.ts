import { authorization, controlSignature as signControl, keyPath as encodedKey, presignedQuery, type DataSignInput } from "../../../src/signing.mjs";

/**
 * The console's requests, signed by the signing module the Worker verifies with (src/signing.mjs):
 * control plane (docs/protocol.md §3.2), data plane `Authorization` (§2.1) and presigned URLs (§2.5).
 */
export interface KeyPair {
  publicKey: string;
  /** The private key as a non-extractable HMAC-SHA1 key: data-plane signatures and presigned URLs. */
  signingKey: CryptoKey;
  /** The private key's text: only the control plane's signature needs it (root sessions; lib/session.ts). */
  privateKey?: string;
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
export const controlSignature = (flat: [string, string][], privateKey: string): Promise<string> => signControl(flat, privateKey);

export const authorizationHeader = (keys: KeyPair, s: DataSignInput): Promise<string> => authorization(keys.publicKey, keys.signingKey, s);

/** A key as a URL path: every segment percent-encoded, `/` kept (as the Go and Java SDKs send it). */
export const keyPath = (key: string) => "/" + encodedKey(key);

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
  const q = await presignedQuery(keys.publicKey, keys.signingKey, { method, bucket, key, expires });
  return `${origin}${keyPath(key)}?${q}${extraQuery ? "&" + extraQuery : ""}`;
}
