import type { SignatureForm } from "../auth/forms";
import { safeEqual, toHex, utf8 } from "../crypto";
import { s3Error } from "./errors";

/**
 * AWS Signature Version 4 verification for S3, in both forms:
 *
 * - header: `Authorization: AWS4-HMAC-SHA256 Credential=<akid>/<date>/<region>/s3/aws4_request,
 *   SignedHeaders=<a;b;c>, Signature=<hex>` with `X-Amz-Date` and `x-amz-content-sha256`;
 * - presigned query: `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`
 *   (1 s .. 7 days), `X-Amz-SignedHeaders`, `X-Amz-Signature`; the payload is unsigned.
 *
 * The canonical request follows the AWS specification for S3: the path is encoded once (S3 does
 * not double-encode and keeps `/`), the query is sorted by encoded name then value, header values
 * are trimmed with inner whitespace runs collapsed. Any region in the credential scope is
 * accepted (clients default to us-east-1 or "auto"); the service must be `s3`.
 *
 * The result carries what the aws-chunked decoder needs to verify chunk signatures (signing key,
 * scope, timestamp, seed signature). The derived signing key is cached per (secret, date,
 * region), bounded.
 */

export const ALGORITHM = "AWS4-HMAC-SHA256";
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
/** ±15 minutes, as S3. */
export const MAX_SKEW_SECONDS = 15 * 60;
/** Presigned URLs live at most 7 days. */
export const MAX_EXPIRES_SECONDS = 7 * 24 * 3600;


/** The parsed (not yet verified) credentials of a SigV4 request. */
export interface SigV4Credentials {
  form: SignatureForm;
  accessKeyId: string;
  /** `YYYYMMDD` of the scope. */
  date: string;
  region: string;
  service: string;
  /** `YYYYMMDDTHHMMSSZ`. */
  amzDate: string;
  signedHeaders: string[];
  signature: string;
  /** Presigned only: seconds of validity. */
  expires?: number;
  /** What the canonical request carries as payload hash. */
  payloadHash: string;
}

/** A verified request: the credentials plus what chunk verification needs. */
export interface VerifiedSigV4<P> extends SigV4Credentials {
  principal: P;
  signingKey: CryptoKey;
  /** `<date>/<region>/s3/aws4_request`. */
  scope: string;
}

/** Resolves an access key id to its secret and whatever the caller calls a principal; null when unknown. */
export type SecretLookup<P> = (accessKeyId: string) => Promise<{ privateKey: string; principal: P } | null>;

const has = (url: URL, name: string) => url.searchParams.has(name);

/** The credential form a request uses, or null when it carries no SigV4 credentials. */
export function sigV4Form(request: Request, url: URL, auth = request.headers.get("Authorization")): SignatureForm | null {
  if (auth !== null && auth.trimStart().startsWith(ALGORITHM)) return "header";
  if (url.search === "") return null; // most requests: no query, so no presigned parameters to look up
  if (has(url, "X-Amz-Signature") || has(url, "X-Amz-Credential") || has(url, "X-Amz-Algorithm")) return "query";
  return null;
}

/** `AKID/20130524/us-east-1/s3/aws4_request` → its parts; the access key id may itself contain `/`? No: S3 ids do not. */
function parseCredential(value: string, malformed: (why: string) => never) {
  const parts = value.split("/");
  if (parts.length < 5 || parts[parts.length - 1] !== "aws4_request") malformed(`the Credential "${value}" is not <key>/<date>/<region>/s3/aws4_request`);
  const [service, region, date] = [parts[parts.length - 2], parts[parts.length - 3], parts[parts.length - 4]];
  const accessKeyId = parts.slice(0, parts.length - 4).join("/");
  if (!/^\d{8}$/.test(date)) malformed(`the credential date "${date}" is not YYYYMMDD`);
  if (service !== "s3") malformed(`the credential service is "${service}", expected "s3"`);
  if (accessKeyId === "" || region === "") malformed("the credential names no access key or region");
  return { accessKeyId, date, region, service };
}

const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** `20130524T000000Z` → Unix seconds, or null. */
export function parseAmzDate(value: string): number | null {
  const m = AMZ_DATE.exec(value);
  if (!m) return null;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Number.isFinite(ms) ? ms / 1000 : null;
}

/** `X-Amz-Date`, else an RFC 1123 `Date` header converted to the basic ISO form. */
function headerAmzDate(headers: Headers): string | null {
  const amz = headers.get("X-Amz-Date");
  if (amz !== null) return amz.trim();
  const date = headers.get("Date");
  if (date === null) return null;
  const ms = Date.parse(date);
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "") : null;
}

/** Parses the header or query credentials (no crypto yet). Malformed input → the S3 error for it. */
export function parseSigV4(request: Request, url: URL, form: SignatureForm): SigV4Credentials {
  if (form === "header") {
    const malformed = (why: string): never => {
      throw s3Error("AuthorizationHeaderMalformed", why);
    };
    const auth = request.headers.get("Authorization")!.trim();
    const fields = new Map<string, string>();
    for (const part of auth.slice(ALGORITHM.length).split(",")) {
      const eq = part.indexOf("=");
      if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
    }
    const credential = fields.get("Credential");
    const signedHeaders = fields.get("SignedHeaders");
    const signature = fields.get("Signature");
    if (!credential || !signedHeaders || !signature) malformed("the Authorization header needs Credential, SignedHeaders and Signature");
    const amzDate = headerAmzDate(request.headers);
    if (amzDate === null) throw s3Error("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
    const payloadHash = request.headers.get("x-amz-content-sha256");
    if (payloadHash === null) throw s3Error("InvalidRequest", "Missing required header for this request: x-amz-content-sha256");
    return {
      form,
      ...parseCredential(credential!, malformed),
      amzDate,
      signedHeaders: signedHeaders!.split(";").map((h) => h.trim().toLowerCase()),
      signature: signature!.toLowerCase(),
      payloadHash: payloadHash.trim(),
    };
  }
  const malformed = (why: string): never => {
    throw s3Error("AuthorizationQueryParametersError", why);
  };
  const q = url.searchParams;
  const required = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"];
  const missing = required.filter((n) => !q.has(n));
  if (missing.length > 0) malformed(`Query-string authentication version 4 requires the ${required.join(", ")} parameters (missing: ${missing.join(", ")})`);
  if (q.get("X-Amz-Algorithm") !== ALGORITHM) malformed(`X-Amz-Algorithm only supports "${ALGORITHM}"`);
  const expiresText = q.get("X-Amz-Expires")!;
  if (!/^-?\d{1,12}$/.test(expiresText)) malformed("X-Amz-Expires must be a whole number of seconds");
  // Out of range is refused as AWS does: 403 AccessDenied, not a malformed request.
  const expires = Number(expiresText);
  if (expires < 1) throw s3Error("AccessDenied", "X-Amz-Expires must be non-negative and more than zero");
  if (expires > MAX_EXPIRES_SECONDS) throw s3Error("AccessDenied", "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds");
  return {
    form,
    ...parseCredential(q.get("X-Amz-Credential")!, malformed),
    amzDate: q.get("X-Amz-Date")!,
    signedHeaders: q.get("X-Amz-SignedHeaders")!.split(";").map((h) => h.trim().toLowerCase()),
    signature: q.get("X-Amz-Signature")!.toLowerCase(),
    expires,
    payloadHash: q.get("X-Amz-Content-Sha256") ?? request.headers.get("x-amz-content-sha256") ?? UNSIGNED_PAYLOAD,
  };
}

/** Freshness: header form within ±15 min; presigned from its date (−15 min) until date + expires. */
export function checkFreshness(creds: SigV4Credentials, now: number): void {
  const at = parseAmzDate(creds.amzDate);
  if (at === null) {
    const code = creds.form === "header" ? "AccessDenied" : "AuthorizationQueryParametersError";
    throw s3Error(code, `X-Amz-Date "${creds.amzDate}" must be in the ISO8601 basic format YYYYMMDD'T'HHMMSS'Z'`);
  }
  if (creds.amzDate.slice(0, 8) !== creds.date) {
    const code = creds.form === "header" ? "AuthorizationHeaderMalformed" : "AuthorizationQueryParametersError";
    throw s3Error(code, `the credential date ${creds.date} is not the date of X-Amz-Date ${creds.amzDate}`);
  }
  if (at - now > MAX_SKEW_SECONDS) {
    throw s3Error("RequestTimeSkewed", "The difference between the request time and the current time is too large.");
  }
  if (creds.form === "header" && now - at > MAX_SKEW_SECONDS) {
    throw s3Error("RequestTimeSkewed", "The difference between the request time and the current time is too large.");
  }
  if (creds.form === "query" && now > at + creds.expires!) throw s3Error("RequestExpired", "Request has expired");
}

// ───────────────────────── canonical request ─────────────────────────

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** RFC 3986 encoding as AWS specifies it: unreserved characters kept, everything else %XX (upper case). */
export function uriEncode(s: string, keepSlash: boolean): string {
  let out = "";
  for (const ch of s) {
    if (UNRESERVED.test(ch) || (keepSlash && ch === "/")) out += ch;
    else for (const b of utf8(ch)) out += "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

const safeDecode = (s: string): string | null => {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
};

/**
 * Canonical URI candidates: the path decoded then encoded the AWS way (covers every client that
 * encodes like the AWS SDKs, whatever case or subset of characters it escaped), and the path
 * exactly as sent (a client that kept `%2F` inside a key, for instance). Verification accepts
 * either; both are what the client could have signed for the same resource.
 */
export function canonicalUris(url: URL): string[] {
  const raw = url.pathname || "/";
  const decoded = safeDecode(raw);
  const normalized = decoded === null ? raw : uriEncode(decoded, true);
  return normalized === raw ? [raw] : [normalized, raw];
}

/** Sorted `name=value` pairs, each side decoded then AWS-encoded; the signature parameter left out when presigned. */
export function canonicalQuery(url: URL, form: SignatureForm): string {
  const pairs: [string, string][] = [];
  for (const part of url.search.slice(1).split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = safeDecode(eq < 0 ? part : part.slice(0, eq)) ?? part;
    const value = eq < 0 ? "" : (safeDecode(part.slice(eq + 1)) ?? part.slice(eq + 1));
    if (form === "query" && name === "X-Amz-Signature") continue;
    pairs.push([uriEncode(name, false), uriEncode(value, false)]);
  }
  pairs.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return pairs.map(([n, v]) => `${n}=${v}`).join("&");
}

/**
 * Values a client may have signed for `Accept-Encoding` when the runtime shows another: Cloudflare
 * (and wrangler's local proxy) rewrite that header before the Worker sees it, so a client that
 * signed it (rclone and other aws-sdk-go v1 clients sign `Accept-Encoding: gzip`) would never match.
 * The value is not security-relevant (it only asks for a compressed answer, which edgefile never
 * sends), so the usual client values are tried too.
 */
const ACCEPT_ENCODING_CANDIDATES = ["gzip", "identity", "gzip, deflate", "gzip, deflate, br", "br, gzip"];

/** The canonical header blocks to try: as received, then with each Accept-Encoding candidate when that header is signed. */
export function canonicalHeaderCandidates(request: Request, url: URL, signed: string[]): string[] {
  const received = canonicalHeaders(request, url, signed);
  if (!signed.includes("accept-encoding")) return [received];
  const actual = request.headers.get("accept-encoding");
  return [received, ...ACCEPT_ENCODING_CANDIDATES.filter((v) => v !== actual).map((v) => canonicalHeaders(request, url, signed, { "accept-encoding": v }))];
}

/**
 * `name:value\n` for each signed header; `host` falls back to the URL's host (some runtimes hide
 * it). A signed header that arrives without a value (`Content-Type:` — the HTTP layer drops empty
 * headers) is the empty value the client signed: the signature still has to match.
 */
export function canonicalHeaders(request: Request, url: URL, signed: string[], override: Record<string, string> = {}): string {
  let out = "";
  for (const name of signed) {
    const value = override[name] ?? request.headers.get(name) ?? (name === "host" ? url.host : "");
    out += `${name}:${value.trim().replace(/\s+/g, " ")}\n`;
  }
  return out;
}

export function canonicalRequest(method: string, uri: string, query: string, headers: string, signed: string[], payloadHash: string): string {
  return `${method}\n${uri}\n${query}\n${headers}\n${signed.join(";")}\n${payloadHash}`;
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", typeof data === "string" ? utf8(data) : data));
}

export const scopeOf = (c: Pick<SigV4Credentials, "date" | "region" | "service">): string => `${c.date}/${c.region}/${c.service}/aws4_request`;

export async function stringToSign(amzDate: string, scope: string, canonical: string): Promise<string> {
  return `${ALGORITHM}\n${amzDate}\n${scope}\n${await sha256Hex(canonical)}`;
}

// ───────────────────────── signing key ─────────────────────────

const hmacKey = (raw: Uint8Array) => crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);

export async function hmac(key: CryptoKey, message: string | Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, typeof message === "string" ? utf8(message) : message));
}

/** Derived keys (each valid for one day and region) kept per isolate; oldest evicted beyond the bound. */
const KEY_CACHE_MAX = 256;
const keyCache = new Map<string, Promise<CryptoKey>>();

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"). */
export function signingKey(secret: string, date: string, region: string, service: string): Promise<CryptoKey> {
  const id = `${secret}\n${date}\n${region}\n${service}`;
  let key = keyCache.get(id);
  if (!key) {
    key = (async () => {
      let k = await hmacKey(utf8("AWS4" + secret));
      for (const part of [date, region, service, "aws4_request"]) k = await hmacKey(await hmac(k, part));
      return k;
    })();
    key.catch(() => keyCache.delete(id));
    keyCache.set(id, key);
    if (keyCache.size > KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value!);
  }
  return key;
}

// ───────────────────────── verification ─────────────────────────

/**
 * Header-signed requests must sign every `x-amz-*` header they carry, and `Content-MD5` when
 * present, as AWS requires: an unsigned one could be added by whoever replays the request within
 * its 15 minutes (a copy source, a storage class, metadata). Presigned URLs have their own rule
 * (src/s3/access.ts: no unsigned operation header).
 */
export function unsignedHeaders(request: Request, signed: readonly string[]): string[] {
  const out: string[] = [];
  for (const [name] of request.headers) {
    if ((name.startsWith("x-amz-") || name === "content-md5") && !signed.includes(name)) out.push(name);
  }
  return out;
}

/**
 * Verifies a SigV4 request: parse, freshness, key lookup, signature (constant-time compare).
 * Unknown key → InvalidAccessKeyId; mismatch → SignatureDoesNotMatch.
 */
export async function verifySigV4<P>(
  request: Request,
  url: URL,
  form: SignatureForm,
  lookup: SecretLookup<P>,
  now: number,
): Promise<VerifiedSigV4<P>> {
  const creds = parseSigV4(request, url, form);
  if (!creds.signedHeaders.includes("host")) {
    throw s3Error(form === "header" ? "AuthorizationHeaderMalformed" : "AuthorizationQueryParametersError", "the host header must be signed");
  }
  if (form === "header" && unsignedHeaders(request, creds.signedHeaders).length > 0) {
    throw s3Error("AccessDenied", "There were headers present in the request which were not signed");
  }
  checkFreshness(creds, now);
  const found = await lookup(creds.accessKeyId);
  if (!found) throw s3Error("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
  const scope = scopeOf(creds);
  const key = await signingKey(found.privateKey, creds.date, creds.region, creds.service);
  const query = canonicalQuery(url, form);
  for (const headers of canonicalHeaderCandidates(request, url, creds.signedHeaders)) {
    for (const uri of canonicalUris(url)) {
      const canonical = canonicalRequest(request.method, uri, query, headers, creds.signedHeaders, creds.payloadHash);
      const expected = toHex(await hmac(key, await stringToSign(creds.amzDate, scope, canonical)));
      if (safeEqual(expected, creds.signature)) return { ...creds, principal: found.principal, signingKey: key, scope };
    }
  }
  throw s3Error("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.");
}

/** Presigns a URL (tests and the CLI): the query form, UNSIGNED-PAYLOAD, `host` signed. */
export async function presignUrl(
  method: string,
  url: string,
  keys: { accessKeyId: string; secret: string },
  opts: { region?: string; expires?: number; now?: Date } = {},
): Promise<string> {
  const u = new URL(url);
  const amzDate = (opts.now ?? new Date()).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const creds = { date: amzDate.slice(0, 8), region: opts.region ?? "us-east-1", service: "s3" };
  const scope = scopeOf(creds);
  u.searchParams.set("X-Amz-Algorithm", ALGORITHM);
  u.searchParams.set("X-Amz-Credential", `${keys.accessKeyId}/${scope}`);
  u.searchParams.set("X-Amz-Date", amzDate);
  u.searchParams.set("X-Amz-Expires", String(opts.expires ?? 900));
  u.searchParams.set("X-Amz-SignedHeaders", "host");
  const canonical = canonicalRequest(method, canonicalUris(u)[0], canonicalQuery(u, "query"), `host:${u.host}\n`, ["host"], UNSIGNED_PAYLOAD);
  const key = await signingKey(keys.secret, creds.date, creds.region, "s3");
  u.searchParams.set("X-Amz-Signature", toHex(await hmac(key, await stringToSign(amzDate, scope, canonical))));
  return u.toString();
}
