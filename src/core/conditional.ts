import { ApiError } from "../errors";

/** Conditional requests (RFC 9110 §13): the ETag lists and HTTP dates of `If-*` headers. */

/** `"a", W/"b", *` → does it list this ETag (quoted)? */
function etagListMatches(list: string, etag: string): boolean {
  return list.split(",").some((raw) => {
    const t = raw.trim().replace(/^W\//, "");
    return t === "*" || t === etag || `"${t}"` === etag;
  });
}

/** An HTTP date in whole seconds; null when absent or unparseable (the header is then ignored, as RFC 9110 says). */
const parseHttpDate = (v: string | null): number | null => {
  if (v === null) return null;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
};

/** `If-Modified-Since` not exceeded (second precision) → the client's copy is current. */
export function notModifiedSince(header: string | null, modifiedAt: number): boolean {
  const since = parseHttpDate(header);
  return since !== null && modifiedAt <= since;
}

/** What a precondition check is made against: the ETag the front shows (quoted) and the write time. */
export interface Validators {
  etag: string;
  modifiedAt: number;
}

/**
 * Read preconditions in RFC 9110 order: If-Match, else If-Unmodified-Since → 412; If-None-Match,
 * else If-Modified-Since → 304. `prefix` reads another family of the same headers
 * (S3's `x-amz-copy-source-if-*`).
 */
export function checkPreconditions(headers: Headers, v: Validators, prefix = ""): "ok" | "notModified" {
  const h = (name: string) => headers.get(prefix + name);
  const ifMatch = h("If-Match");
  if (ifMatch !== null) {
    if (!etagListMatches(ifMatch, v.etag)) throw new ApiError("PreconditionFailed", `${prefix}If-Match`);
  } else {
    const since = parseHttpDate(h("If-Unmodified-Since"));
    if (since !== null && v.modifiedAt > since) throw new ApiError("PreconditionFailed", `${prefix}If-Unmodified-Since`);
  }
  const ifNoneMatch = h("If-None-Match");
  if (ifNoneMatch !== null) {
    if (etagListMatches(ifNoneMatch, v.etag)) return "notModified";
  } else if (notModifiedSince(h("If-Modified-Since"), v.modifiedAt)) {
    return "notModified";
  }
  return "ok";
}
