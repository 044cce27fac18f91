import { safeEqual, toBase64, utf8 } from "../crypto";
import { s3Error } from "./errors";
import { MAX_EXPIRES_SECONDS, MAX_SKEW_SECONDS, type SecretLookup } from "./sigv4";

/**
 * AWS Signature Version 2 (the S3 REST authentication older clients use: s3cmd with
 * `signature_v2 = True`, boto3 with `signature_version="s3"`, POST forms with `AWSAccessKeyId`):
 *
 * - header: `Authorization: AWS <akid>:<base64 HMAC-SHA1(secret, StringToSign)>`, with `Date` or
 *   `x-amz-date` within ±15 minutes;
 * - presigned query: `AWSAccessKeyId`, `Expires` (Unix seconds, at most 7 days ahead), `Signature`.
 *
 * StringToSign = method, Content-MD5, Content-Type, date (the `Date` header; empty when
 * `x-amz-date` is sent; `Expires` when presigned), the `x-amz-*` headers (lower case, sorted,
 * values trimmed and joined by `,`), and the resource: `/<bucket>/<key>` as sent (encoded) plus
 * the sub-resources below, sorted. Everything it covers is authorized; the payload is not signed
 * (Content-MD5 still verifies it when sent).
 */

export type SigV2Form = "header" | "query";

/** What a SigV2 signature covers besides method, path and the x-amz-* headers. */
export interface VerifiedSigV2<P> {
  version: 2;
  form: SigV2Form;
  accessKeyId: string;
  principal: P;
}

/** Query parameters that are part of the signed resource (AWS's list). */
const SUBRESOURCES = new Set([
  "acl", "cors", "delete", "lifecycle", "location", "logging", "notification", "partNumber", "policy", "requestPayment",
  "response-cache-control", "response-content-disposition", "response-content-encoding", "response-content-language",
  "response-content-type", "response-expires", "restore", "tagging", "torrent", "uploadId", "uploads", "versionId",
  "versioning", "versions", "website", "attributes", "encryption", "object-lock", "retention", "legal-hold",
  "publicAccessBlock", "ownershipControls", "accelerate", "analytics", "inventory", "metrics", "replication",
]);

const V2_HEADER = /^AWS ([^:\s]+):(\S+)$/;

/** The SigV2 form of a request, or null when it carries no SigV2 credentials. */
export function sigV2Form(request: Request, url: URL, auth = request.headers.get("Authorization")): SigV2Form | null {
  if (auth !== null && /^AWS [^ ]/.test(auth.trim())) return "header";
  if (url.search !== "" && url.searchParams.has("AWSAccessKeyId")) return "query";
  return null;
}

/** `/<bucket>/<key>?<sub-resources>`: the path as sent (virtual-hosted: prefixed by the bucket). */
export function canonicalResource(url: URL, bucket: string | null, virtual: boolean): string {
  const path = virtual && bucket ? `/${bucket}${url.pathname}` : url.pathname || "/";
  const subs: [string, string | null][] = [];
  for (const part of url.search.slice(1).split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = decodeLoose(eq < 0 ? part : part.slice(0, eq));
    if (!SUBRESOURCES.has(name)) continue;
    subs.push([name, eq < 0 ? null : decodeLoose(part.slice(eq + 1))]);
  }
  subs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return subs.length === 0 ? path : `${path}?${subs.map(([n, v]) => (v === null ? n : `${n}=${v}`)).join("&")}`;
}

/**
 * The resources a SigV2 client may have signed for this request: the canonical one, and two forms
 * clients are known to sign instead, each naming the same resource and nothing else:
 * - a path-style bucket request `/<bucket>` signed as `/<bucket>/` (botocore);
 * - botocore's sub-resource operations (PutBucketCors, PutObjectTagging, …) signed with the
 *   operation's sub-resource twice, `/<bucket>?cors?cors`: its resource path is the operation's
 *   request URI, query included, and the request's sub-resources are appended once more
 *   (boto/botocore#2962). Accepted only when the query starts with that bare sub-resource. No
 *   canonical resource holds two `?` before a sub-resource name, so this form names no other request.
 */
export function resourceForms(url: URL, bucket: string | null, virtual: boolean): string[] {
  const canonical = canonicalResource(url, bucket, virtual);
  const forms = [canonical];
  const bucketOnly = !virtual && bucket !== null && /^\/[^/]+$/.test(url.pathname);
  if (bucketOnly) forms.push(canonical.replace(url.pathname, `${url.pathname}/`));
  const first = url.search.slice(1).split("&")[0];
  if (SUBRESOURCES.has(first)) {
    const path = canonical.slice(0, canonical.indexOf("?"));
    forms.push(`${path}?${first}${canonical.slice(path.length)}`);
  }
  return forms;
}

function decodeLoose(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s;
  }
}

/** The `x-amz-*` lines of the string to sign. */
function canonicalAmzHeaders(headers: Headers): string {
  const amz = new Map<string, string>();
  for (const [name, value] of headers) {
    if (name.startsWith("x-amz-")) amz.set(name, value.trim().replace(/\s*\n\s*/g, " "));
  }
  return [...amz.keys()]
    .sort()
    .map((n) => `${n}:${amz.get(n)}\n`)
    .join("");
}

export function stringToSignV2(request: Request, date: string, resource: string): string {
  const h = request.headers;
  return `${request.method}\n${h.get("Content-MD5") ?? ""}\n${h.get("Content-Type") ?? ""}\n${date}\n${canonicalAmzHeaders(h)}${resource}`;
}

export async function signV2(secret: string, stringToSign: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  return toBase64(new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(stringToSign))));
}

/**
 * Verifies a SigV2 request. Unknown key → InvalidAccessKeyId; a stale or missing date or an
 * expired URL → AccessDenied (as S3); mismatch → SignatureDoesNotMatch.
 */
export async function verifySigV2<P>(
  request: Request,
  url: URL,
  form: SigV2Form,
  resource: { bucket: string | null; virtual: boolean },
  lookup: SecretLookup<P>,
  now: number,
): Promise<VerifiedSigV2<P>> {
  let accessKeyId: string;
  let signature: string;
  const dates: string[] = [];
  if (form === "header") {
    const m = V2_HEADER.exec(request.headers.get("Authorization")!.trim());
    if (!m) throw s3Error("InvalidArgument", "the Authorization header is not AWS <AWSAccessKeyId>:<Signature>");
    [, accessKeyId, signature] = m;
    const amzDate = request.headers.get("x-amz-date");
    const date = request.headers.get("Date");
    const at = Date.parse(amzDate ?? date ?? "");
    if (!Number.isFinite(at)) throw s3Error("AccessDenied", "AWS authentication requires a valid Date or x-amz-date header");
    if (Math.abs(at / 1000 - now) > MAX_SKEW_SECONDS) {
      throw s3Error("RequestTimeSkewed", "The difference between the request time and the current time is too large.");
    }
    // With x-amz-date the Date position is empty (AWS); some clients put the Date header there anyway.
    if (amzDate !== null) dates.push("");
    if (date !== null) dates.push(date.trim());
  } else {
    const q = url.searchParams;
    accessKeyId = q.get("AWSAccessKeyId") ?? "";
    signature = q.get("Signature") ?? "";
    const expires = q.get("Expires") ?? "";
    if (accessKeyId === "" || signature === "" || !/^\d{1,12}$/.test(expires)) {
      throw s3Error("AccessDenied", "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters");
    }
    if (now > Number(expires)) throw s3Error("AccessDenied", "Request has expired");
    if (Number(expires) - now > MAX_EXPIRES_SECONDS) throw s3Error("AccessDenied", "Expires must be at most a week (604800 seconds) ahead");
    dates.push(expires);
  }
  const found = await lookup(accessKeyId);
  if (!found) throw s3Error("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
  const resources = resourceForms(url, resource.bucket, resource.virtual);
  for (const date of dates) {
    for (const r of resources) {
      const expected = await signV2(found.privateKey, stringToSignV2(request, date, r));
      if (safeEqual(expected, signature)) return { version: 2, form, accessKeyId, principal: found.principal };
    }
  }
  throw s3Error("SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method.");
}
