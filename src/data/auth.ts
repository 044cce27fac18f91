/**
 * UFile data-plane signatures (docs/protocol.md §2): request credentials → who signed, and how.
 *
 *   verifySignature(req: AuthRequest, env): Promise<SignedBy>
 *     Credentials come from the `Authorization` header, else the query (`UCloudPublicKey`,
 *     `Signature`, `Expires`), else the PostFile form field; none → anonymous (the caller decides
 *     whether anonymous access is acceptable). The key pair comes from the shared credentials
 *     module (src/auth/credentials.ts); an unknown key or no matching variant → 403 -148658.
 *   stringToSign(parts), canonicalHeaders(headers, variant), listObjectsSuffix(q)
 *                                      the pieces of the string-to-sign (exported for tests)
 *   rawQueryParam(url, name)           a query value percent-decoded only (`+` stays `+`)
 *
 * Which credential forms may run which operation, and what the principal may do, is decided by
 * the operation table (operations.ts) and src/data/access.ts.
 */
import type { CredentialForm } from "../auth/forms";
import type { Env } from "../config";
import { hmacSha1Key, hmacSha1Matches, type HmacSha1Key } from "../auth/sha1";
import { dataStringToSign, type DataSignInput } from "../signing.mjs";
import { ApiError } from "../errors";
import { lookupKey, type KeySource } from "../auth/credentials";
import type { Principal } from "../auth/principal";

/** How a request proved who it is: which credential form carried the signature. */

export interface SignedBy {
  principal: Principal;
  form: CredentialForm;
}

/** Decoded `GET /?listobjects` query values; missing ones as "". Enables variant D. */
export interface ListObjectsQuery {
  delimiter: string;
  marker: string;
  maxKeys: string;
  prefix: string;
}

/** The small PostFile form fields, null when the form does not have them (docs/protocol.md §5.4). */
export interface PostFileForm {
  authorization: string | null;
  /** The form field `Content-Type` (Go). */
  contentType: string | null;
  /** The `Content-Type` header of the `file` part (Python, Node). */
  fileContentType: string | null;
  /** The form field `Content-MD5`. */
  contentMd5: string | null;
}

export interface AuthRequest {
  method: string;
  headers: Headers;
  url: URL;
  bucket: string;
  /** Decoded keys whose `/bucket/key` may have been signed; "" for listings. A match on any is accepted. */
  resourceKeys: string[];
  listObjects?: ListObjectsQuery;
  /** PostFile only: the form supplies credentials and the Content-Type / Content-MD5 slots. */
  form?: PostFileForm;
  /** Unix seconds. */
  now: number;
}

/** Which headers a string-to-sign variant canonicalizes (§2.3). x-ucloud-* are always in. */
export type HeaderVariant = "A" | "B" | "C";

const COPY_SOURCE_HEADERS = new Set(["x-ufile-copy-source", "x-ufile-copy-source-range"]);

const VARIANT_EXTRA: Record<HeaderVariant, (name: string) => boolean> = {
  A: () => false,
  B: (name) => COPY_SOURCE_HEADERS.has(name), // Java UploadPartCopy
  C: (name) => name.startsWith("x-ufile-"), // Go SDK builds of 2019-08..12
};

type CredentialSource = Exclude<CredentialForm, "anonymous">;

/** Variants tried per credential source; D (the listobjects suffix) applies on top of A and C. */
const VARIANTS: Record<CredentialSource, { headers: readonly HeaderVariant[]; listSuffix: boolean }> = {
  header: { headers: ["A", "B", "C"], listSuffix: true },
  form: { headers: ["A", "B", "C"], listSuffix: false },
  query: { headers: ["A", "C"], listSuffix: false },
};
const LIST_SUFFIX_VARIANTS: readonly HeaderVariant[] = ["A", "C"];

interface Credentials {
  source: CredentialSource;
  publicKey: string;
  signature: string;
  /** Optional put-policy (third header field), appended after everything else. */
  policy: string;
  /** Query form: the `Expires` value, which takes the Date slot. */
  expires?: string;
}

// ───────────────────────── string-to-sign ─────────────────────────

/** The parts of a data-plane string to sign, every one present (src/signing.mjs builds the string). */
export type SignedParts = Required<Omit<DataSignInput, "suffix">> & Pick<DataSignInput, "suffix">;

/** The string a client signed (src/signing.mjs, shared with the CLI, the console and the bench). */
export const stringToSign = (p: SignedParts): string => dataStringToSign(p);

/** Sorted `[name, value]` of every x-ucloud-* / x-ufile-* header, values normalized (§2.2). */
function signableHeaders(headers: Headers): [string, string][] {
  const out: [string, string][] = [];
  // Names only: most requests carry none of these, and their other values need not be copied out.
  // Iteration yields lowercased names (Fetch: "sort and combine").
  for (const name of headers.keys()) {
    if (!name.startsWith("x-ucloud-") && !name.startsWith("x-ufile-")) continue;
    // headers.get() and iteration join repeated headers with ", ": the SDKs sign "v1,v2".
    const value = headers.get(name)!;
    out.push([name, value.includes(",") ? value.split(",").map((v) => v.trim()).join(",") : value]);
  }
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function canonicalFrom(entries: [string, string][], variant: HeaderVariant): string {
  if (entries.length === 0) return ""; // most requests sign no x-ucloud-* / x-ufile-* header
  return entries
    .filter(([name]) => name.startsWith("x-ucloud-") || VARIANT_EXTRA[variant](name))
    .map(([name, value]) => `${name}:${value}\n`)
    .join("");
}

export const canonicalHeaders = (headers: Headers, variant: HeaderVariant): string =>
  canonicalFrom(signableHeaders(headers), variant);

/** Python ListObjects signs its query after the resource (variant D). */
export const listObjectsSuffix = (q: ListObjectsQuery): string =>
  `\nlistobjects\ndelimiter:${q.delimiter}\nmarker:${q.marker}\nmax-keys:${q.maxKeys}\nprefix:${q.prefix}`;

/**
 * Every distinct string the client may have signed, in a likely-first order. Lazy: a request
 * whose signature matches the first string (nearly all) builds no other.
 */
function* candidates(req: AuthRequest, cred: Credentials, date = signedDate(req, cred)): Generator<string> {
  const { headers, form } = req;
  // One object, its key, headers and suffix filled in per string.
  const parts: SignedParts = {
    method: req.method,
    // PostFile signs the file's MIME, never the multipart/form-data of the request (§5.4).
    contentType: form ? (form.contentType ?? form.fileContentType ?? "") : (headers.get("Content-Type") ?? ""),
    contentMd5: headers.get("Content-MD5") ?? form?.contentMd5 ?? "",
    date,
    bucket: req.bucket,
    key: "",
    canonicalHeaders: "",
    suffix: "",
  };
  const entries = signableHeaders(headers);
  const plan = VARIANTS[cred.source];
  const forms: { variants: readonly HeaderVariant[]; suffix: string }[] = [{ variants: plan.headers, suffix: "" }];
  if (plan.listSuffix && req.listObjects) forms.push({ variants: LIST_SUFFIX_VARIANTS, suffix: listObjectsSuffix(req.listObjects) });

  const seen = new Set<string>();
  for (const key of req.resourceKeys) {
    for (const { variants, suffix } of forms) {
      for (const variant of variants) {
        parts.key = key;
        parts.canonicalHeaders = canonicalFrom(entries, variant);
        parts.suffix = suffix + cred.policy;
        const s = stringToSign(parts);
        if (seen.has(s)) continue; // e.g. C == A without x-ufile-* headers: no second HMAC
        seen.add(s);
        yield s;
      }
    }
  }
}

/** What takes the Date slot of the string to sign: a presigned URL's `Expires`, else the `Date` header. */
const signedDate = (req: AuthRequest, cred: Credentials): string => cred.expires ?? req.headers.get("Date") ?? "";

/** The distinct strings a request's signature is checked against, in order (none for an anonymous one). */
export function stringsToSign(req: AuthRequest): string[] {
  const cred = credentialsOf(req);
  return cred ? [...candidates(req, cred)] : [];
}

/**
 * HMAC states by private key (src/auth/sha1.ts): preparing one hashes two blocks, which every
 * request of a busy key would repeat. Bounded; the oldest entry goes first.
 */
const hmacKeys = new Map<string, HmacSha1Key>();
const HMAC_KEY_CACHE_SIZE = 256;

function cachedHmacKey(privateKey: string): HmacSha1Key {
  let key = hmacKeys.get(privateKey);
  if (!key) {
    key = hmacSha1Key(privateKey);
    if (hmacKeys.size >= HMAC_KEY_CACHE_SIZE) hmacKeys.delete(hmacKeys.keys().next().value!);
    hmacKeys.set(privateKey, key);
  }
  return key;
}

function matchesAny(privateKey: string, signature: string, strings: Iterable<string>): boolean {
  const key = cachedHmacKey(privateKey);
  for (const s of strings) if (hmacSha1Matches(key, s, signature)) return true;
  return false;
}

/** Allowed distance between a signed `Date` and the server clock. */
export const MAX_CLOCK_SKEW_SECONDS = 15 * 60;

/**
 * A signed `Date`, as Unix seconds with the range of instants it may stand for, or null when it
 * does not parse (PROTOCOL: an empty or unparsable Date is accepted). HTTP-dates carry their zone.
 * The Java SDK sends `yyyyMMddHHmmss` in the JVM's default time zone, which the value does not name:
 * it may be any instant from 14 hours before to 12 hours after the same digits read as UTC (the
 * zone offsets in use run from UTC-12 to UTC+14).
 */
export function signedDateRange(date: string): { earliest: number; latest: number } | null {
  const d = date.trim();
  const compact = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(d);
  if (compact) {
    const [y, mo, da, h, mi, se] = compact.slice(1).map(Number);
    const asUtc = Date.UTC(y, mo - 1, da, h, mi, se) / 1000;
    if (!Number.isFinite(asUtc)) return null;
    return { earliest: asUtc - 14 * 3600, latest: asUtc + 12 * 3600 };
  }
  if (!/[a-z]/i.test(d)) return null; // bare numbers and the like are not HTTP-dates
  const ms = Date.parse(d);
  return Number.isFinite(ms) ? { earliest: Math.floor(ms / 1000), latest: Math.floor(ms / 1000) } : null;
}

/** Refuses a header-signed request whose signed `Date` lies more than 15 minutes from now. */
function assertFresh(date: string, now: number): void {
  const range = date === "" ? null : signedDateRange(date);
  if (range && (now < range.earliest - MAX_CLOCK_SKEW_SECONDS || now > range.latest + MAX_CLOCK_SKEW_SECONDS)) {
    throw new ApiError("RequestTimeSkewed", `the signed Date header is more than ${MAX_CLOCK_SKEW_SECONDS / 60} minutes from the server clock`);
  }
}

// ───────────────────────── credentials ─────────────────────────

/**
 * A query value from the raw query string: split on `&` and the first `=`, then
 * percent-decode only. `URLSearchParams` would turn the `+` of an unencoded base64
 * signature (Python, C) into a space. A bare name gives "", an absent one null.
 */
export function rawQueryParam(url: URL, name: string): string | null {
  for (const pair of url.search.slice(1).split("&")) {
    const eq = pair.indexOf("=");
    const [k, v] = eq < 0 ? [pair, ""] : [pair.slice(0, eq), pair.slice(eq + 1)];
    if (k !== name) continue;
    try {
      return decodeURIComponent(v);
    } catch {
      throw new ApiError("InvalidRequest", `malformed percent-encoding in query parameter ${name}`);
    }
  }
  return null;
}

const AUTH_PREFIX = /^(?:ucloud|inspur)\s+(\S+)\s*$/i;

/** `UCloud|Inspur <pub>:<sig>[:<policy>]` (§2.1). */
function parseAuthorization(value: string, source: CredentialSource): Credentials {
  const fields = AUTH_PREFIX.exec(value.trim())?.[1].split(":");
  if (!fields || fields.length < 2 || fields.length > 3 || fields.some((f) => f === "")) {
    throw new ApiError("InvalidSignature", "Authorization must be `UCloud <PublicKey>:<Signature>`");
  }
  return { source, publicKey: fields[0], signature: fields[1], policy: fields[2] ?? "" };
}

function queryCredentials(url: URL): Credentials | null {
  const publicKey = rawQueryParam(url, "UCloudPublicKey");
  const signature = rawQueryParam(url, "Signature");
  if (publicKey === null && signature === null) return null;
  const expires = rawQueryParam(url, "Expires");
  if (!publicKey || !signature || !expires || !/^\d+$/.test(expires)) {
    throw new ApiError("InvalidSignature", "a signed URL needs UCloudPublicKey, Signature and Expires (unix seconds)");
  }
  return { source: "query", publicKey, signature, policy: "", expires };
}

const present = (v: string | null | undefined): v is string => v != null && v.trim() !== "";

/** §2.6 step 2: header, else query, else PostFile form field; null = anonymous. */
function credentialsOf(req: AuthRequest): Credentials | null {
  const header = req.headers.get("Authorization");
  if (present(header)) return parseAuthorization(header, "header");
  const query = queryCredentials(req.url);
  if (query) return query;
  const field = req.form?.authorization;
  return present(field) ? parseAuthorization(field, "form") : null;
}

/**
 * The put-policy (third field of `Authorization: UCloud <pub>:<sig>:<policy>`) of a header-signed
 * request, "" when there is none. verifySignature has checked that the signature covers it.
 */
export function putPolicyField(headers: Headers): string {
  const header = headers.get("Authorization");
  return present(header) ? parseAuthorization(header, "header").policy : "";
}

// ───────────────────────── the entry point ─────────────────────────

/** `sources` defaults to the shared root-then-tokens order; tests pass their own. */
export async function verifySignature(req: AuthRequest, env: Env, sources?: readonly KeySource[]): Promise<SignedBy> {
  const cred = credentialsOf(req);
  if (!cred) return { principal: { kind: "anonymous" }, form: "anonymous" };
  if (cred.expires !== undefined && req.now > Number(cred.expires)) throw new ApiError("TokenExpires");

  const found = await lookupKey(cred.publicKey, env, sources);
  const date = signedDate(req, cred);
  // Unknown key and wrong signature look the same to the client.
  if (!found || !matchesAny(found.privateKey, cred.signature, candidates(req, cred, date))) {
    throw new ApiError("InvalidSignature");
  }
  if (cred.expires === undefined) assertFresh(date, req.now);
  return { principal: found.principal, form: cred.source };
}
