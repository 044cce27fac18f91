/**
 * Data-plane authentication (PROTOCOL.md §2): request credentials → Principal.
 *
 *   authenticate(req: AuthRequest, env, sources: KeySource[]): Promise<Principal>
 *     Credentials come from the `Authorization` header, else the query (`UCloudPublicKey`,
 *     `Signature`, `Expires`), else the PostFile form field; none → anonymous if the caller
 *     allows it, else 403 -148643. The public key is resolved by the first `sources` entry that
 *     knows it (root, then tokens); unknown key or no matching variant → 403 -148658.
 *   rootKeySource: KeySource           the ROOT_PUBLIC_KEY / ROOT_PRIVATE_KEY pair
 *   stringToSign(parts), canonicalHeaders(headers, variant), listObjectsSuffix(q)
 *                                      the pieces of the string-to-sign (exported for tests)
 *   rawQueryParam(url, name)           a query value percent-decoded only (`+` stays `+`)
 *
 * Authorization (what the principal may do) is src/data/scope.ts.
 */
import type { Env } from "../config";
import { safeEqual, toBase64, utf8 } from "../crypto";
import { ApiError } from "../errors";
import type { KeySource, Principal } from "./principal";

/** Decoded `GET /?listobjects` query values; missing ones as "". Enables variant D. */
export interface ListObjectsQuery {
  delimiter: string;
  marker: string;
  maxKeys: string;
  prefix: string;
}

/** The small PostFile form fields, null when the form does not have them (PROTOCOL.md §5.4). */
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
  /** The caller says anonymous access is fine (GET/HEAD of an object in a public bucket). */
  anonymousAllowed: boolean;
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

type CredentialSource = "header" | "query" | "form";

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

export interface SignedParts {
  method: string;
  contentMd5: string;
  contentType: string;
  /** `Date` header, or `Expires` for query-signed URLs. */
  date: string;
  /** Canonicalized headers: `name:value\n` lines, or "". */
  canonicalHeaders: string;
  bucket: string;
  key: string;
  /** Appended after the resource: the listobjects suffix, then the put-policy. */
  suffix?: string;
}

export const stringToSign = (p: SignedParts): string =>
  `${p.method}\n${p.contentMd5}\n${p.contentType}\n${p.date}\n${p.canonicalHeaders}/${p.bucket}/${p.key}${p.suffix ?? ""}`;

/** Sorted `[name, value]` of every x-ucloud-* / x-ufile-* header, values normalized (§2.2). */
function signableHeaders(headers: Headers): [string, string][] {
  const out: [string, string][] = [];
  for (const [rawName, value] of headers) {
    const name = rawName.toLowerCase();
    if (!name.startsWith("x-ucloud-") && !name.startsWith("x-ufile-")) continue;
    // headers.get() and iteration join repeated headers with ", ": the SDKs sign "v1,v2".
    out.push([name, value.split(",").map((v) => v.trim()).join(",")]);
  }
  return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const canonicalFrom = (entries: [string, string][], variant: HeaderVariant): string =>
  entries
    .filter(([name]) => name.startsWith("x-ucloud-") || VARIANT_EXTRA[variant](name))
    .map(([name, value]) => `${name}:${value}\n`)
    .join("");

export const canonicalHeaders = (headers: Headers, variant: HeaderVariant): string =>
  canonicalFrom(signableHeaders(headers), variant);

/** Python ListObjects signs its query after the resource (variant D). */
export const listObjectsSuffix = (q: ListObjectsQuery): string =>
  `\nlistobjects\ndelimiter:${q.delimiter}\nmarker:${q.marker}\nmax-keys:${q.maxKeys}\nprefix:${q.prefix}`;

/** Every distinct string the client may have signed, in a likely-first order. */
function* candidates(req: AuthRequest, cred: Credentials): Generator<string> {
  const { headers, form } = req;
  const fixed = {
    method: req.method,
    // PostFile signs the file's MIME, never the multipart/form-data of the request (§5.4).
    contentType: form ? (form.contentType ?? form.fileContentType ?? "") : (headers.get("Content-Type") ?? ""),
    contentMd5: headers.get("Content-MD5") ?? form?.contentMd5 ?? "",
    date: cred.expires ?? headers.get("Date") ?? "",
    bucket: req.bucket,
  };
  const entries = signableHeaders(headers);
  const plan = VARIANTS[cred.source];
  const forms: { variants: readonly HeaderVariant[]; suffix: string }[] = [{ variants: plan.headers, suffix: "" }];
  if (plan.listSuffix && req.listObjects) forms.push({ variants: LIST_SUFFIX_VARIANTS, suffix: listObjectsSuffix(req.listObjects) });

  const seen = new Set<string>();
  for (const key of req.resourceKeys) {
    for (const { variants, suffix } of forms) {
      for (const variant of variants) {
        const s = stringToSign({ ...fixed, key, canonicalHeaders: canonicalFrom(entries, variant), suffix: suffix + cred.policy });
        if (seen.has(s)) continue; // e.g. C == A without x-ufile-* headers: no second HMAC
        seen.add(s);
        yield s;
      }
    }
  }
}

async function matchesAny(privateKey: string, signature: string, strings: Iterable<string>): Promise<boolean> {
  const key = await crypto.subtle.importKey("raw", utf8(privateKey), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  for (const s of strings) {
    const mac = toBase64(new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(s))));
    if (safeEqual(signature, mac)) return true;
  }
  return false;
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

// ───────────────────────── keys and the entry point ─────────────────────────

/** The root pair from the Worker secrets. Without them, signed requests are refused (DESIGN.md §6). */
export const rootKeySource: KeySource = {
  async lookup(publicKey, env) {
    if (!env.ROOT_PUBLIC_KEY || !env.ROOT_PRIVATE_KEY) throw new ApiError("NotConfigured");
    if (!safeEqual(publicKey, env.ROOT_PUBLIC_KEY)) return null;
    return { privateKey: env.ROOT_PRIVATE_KEY, principal: { kind: "root", publicKey: env.ROOT_PUBLIC_KEY } };
  },
};

export async function authenticate(req: AuthRequest, env: Env, sources: readonly KeySource[]): Promise<Principal> {
  const cred = credentialsOf(req);
  if (!cred) {
    if (req.anonymousAllowed) return { kind: "anonymous" };
    throw new ApiError("NoAuthorization");
  }
  if (cred.expires !== undefined && req.now > Number(cred.expires)) throw new ApiError("TokenExpires");

  let found: Awaited<ReturnType<KeySource["lookup"]>> = null;
  for (const source of sources) {
    found = await source.lookup(cred.publicKey, env);
    if (found) break;
  }
  // Unknown key and wrong signature look the same to the client.
  if (!found || !(await matchesAny(found.privateKey, cred.signature, candidates(req, cred)))) {
    throw new ApiError("InvalidSignature");
  }
  return found.principal;
}
