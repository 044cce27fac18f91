import { checkPreconditions } from "../core/conditional";
import { ApiError } from "../errors";
import { storedHeader } from "../core/metadata";
import { httpDate, isoTimeMs } from "../dates";
import { isArchival, parseUserMeta, requestedUserMeta, restoreState } from "../core/object-headers";
import type { ObjectMeta, ObjectRow } from "../store/objects";
import { tagCountHeader } from "./tagging";
import { customerKeyHeaders } from "../core/sse-c";
import { expirationOf, type LifecycleSubject } from "../core/lifecycle-match";
import { DAY_SECONDS } from "../metering/units";
import type { BucketRow } from "../store/buckets";
import { bucketRules } from "../store/rules";

/**
 * Object metadata as S3 carries it: storage classes mapped onto the UFile ones, `x-amz-meta-*`,
 * the standard headers a write may set, and the headers GET and HEAD answer.
 */

/** S3 class → UFile class. Classes S3 has and UFile lacks map onto the nearest one (docs/s3.md). */
const FROM_S3_CLASS: Record<string, string> = {
  STANDARD: "STANDARD",
  REDUCED_REDUNDANCY: "STANDARD",
  STANDARD_IA: "IA",
  ONEZONE_IA: "IA",
  INTELLIGENT_TIERING: "IA",
  GLACIER_IR: "IA",
  GLACIER: "ARCHIVE",
  DEEP_ARCHIVE: "COLD",
};
/** UFile class → the S3 name clients show. */
const TO_S3_CLASS: Record<string, string> = { STANDARD: "STANDARD", IA: "STANDARD_IA", ARCHIVE: "GLACIER", COLD: "DEEP_ARCHIVE" };

export const s3StorageClass = (ufileClass: string): string => TO_S3_CLASS[ufileClass] ?? "STANDARD";

export function requestedS3StorageClass(headers: Headers, fallback: string): string {
  const raw = headers.get("x-amz-storage-class");
  if (raw === null || raw.trim() === "") return fallback;
  const mapped = FROM_S3_CLASS[raw.trim().toUpperCase()];
  if (!mapped) throw new ApiError("InvalidStorageClass", `The storage class you specified is not valid: ${raw}`);
  return mapped;
}

/** Standard headers a write stores and reads return, with S3's names. */
export const STORED_HEADERS = ["Content-Disposition", "Content-Encoding", "Content-Language", "Cache-Control", "Expires"] as const;

export function requestedHttpHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of STORED_HEADERS) {
    let v = headers.get(name);
    // aws-chunked is transport framing, not the object's encoding.
    if (name === "Content-Encoding" && v !== null) v = v.split(",").map((s) => s.trim()).filter((s) => s !== "" && s !== "aws-chunked").join(", ");
    if (v) out[name] = storedHeader(name, v);
  }
  return out;
}

/** The metadata of an S3 write (PutObject, CreateMultipartUpload, CopyObject with REPLACE). */
export function requestedS3Meta(headers: Headers, fallbackClass = "STANDARD"): ObjectMeta & { httpHeaders: Record<string, string> } {
  return {
    mime: storedHeader("Content-Type", headers.get("Content-Type") || "binary/octet-stream"),
    storageClass: requestedS3StorageClass(headers, fallbackClass),
    userMeta: requestedUserMeta(headers, ["x-amz-meta-"]),
    httpHeaders: requestedHttpHeaders(headers),
  };
}

/** The S3 ETag of a row, quoted; rows written before the index kept one answer their UFile ETag. */
export const s3Etag = (row: Pick<ObjectRow, "s3Etag" | "etag">): string => `"${row.s3Etag || row.etag}"`;

/** ISO 8601 with milliseconds, as S3 lists times. */
export const isoTime = (seconds: number): string => isoTimeMs(seconds * 1000);

/** The headers GetObject and HeadObject share. */
export function s3ObjectHeaders(row: ObjectRow, now: number): Headers {
  const h = new Headers({ ETag: s3Etag(row), "Content-Type": row.mime, "Last-Modified": httpDate(row.modifiedAt), "Accept-Ranges": "bytes" });
  for (const [k, v] of Object.entries(parseUserMeta(row.httpHeaders))) h.set(k, v);
  for (const [k, v] of Object.entries(parseUserMeta(row.userMeta))) h.set(`x-amz-meta-${k}`, v);
  if (row.storageClass !== "STANDARD") h.set("x-amz-storage-class", s3StorageClass(row.storageClass));
  tagCountHeader(h, row.tags);
  customerKeyHeaders(h, row.ssecKeyMd5);
  if (isArchival(row.storageClass)) {
    const state = restoreState(row, now);
    if (state === "restoring") h.set("x-amz-restore", 'ongoing-request="true"');
    if (state === "restored") h.set("x-amz-restore", `ongoing-request="false", expiry-date="${httpDate(row.restoreExpiresAt!)}"`);
  }
  return h;
}

/** A rule ID in a header value: characters a header cannot carry, `"`, `%` and `\\` percent-encoded. */
const headerSafe = (id: string): string => id.replace(/[^\x20-\x7e]|["%\\]/gu, (ch) => encodeURIComponent(ch));

/**
 * `x-amz-expiration` (PutObject, CopyObject, CompleteMultipartUpload, GetObject, HeadObject): when a lifecycle rule of the bucket will
 * expire this object and which rule, as S3 announces it, in real days (a development
 * LIFECYCLE_DEBUG_DAY_SECONDS shortens only the cron's days).
 */
export function expirationHeader(headers: Headers, bucket: BucketRow, object: LifecycleSubject & { modifiedAt: number }): void {
  const expiry = expirationOf(bucketRules(bucket).lifecycle, object, DAY_SECONDS);
  if (expiry) headers.set("x-amz-expiration", `expiry-date="${httpDate(expiry.at)}", rule-id="${headerSafe(expiry.ruleId)}"`);
}

/** `response-*` query overrides of GetObject (signed requests only, as S3). */
const RESPONSE_OVERRIDES: Record<string, string> = {
  "response-content-type": "Content-Type",
  "response-content-language": "Content-Language",
  "response-expires": "Expires",
  "response-cache-control": "Cache-Control",
  "response-content-disposition": "Content-Disposition",
  "response-content-encoding": "Content-Encoding",
};

export function applyResponseOverrides(headers: Headers, query: URLSearchParams, anonymous: boolean): void {
  for (const [param, header] of Object.entries(RESPONSE_OVERRIDES)) {
    const v = query.get(param);
    if (v === null) continue;
    if (anonymous) throw new ApiError("InvalidRequest", "Request specific response headers cannot be used for anonymous GET requests.");
    headers.set(header, v);
  }
}

/** S3 read preconditions (core/conditional.ts) against the row's S3 ETag. */
export const checkS3Preconditions = (headers: Headers, row: ObjectRow, prefix = ""): "ok" | "notModified" =>
  checkPreconditions(headers, { etag: s3Etag(row), modifiedAt: row.modifiedAt }, prefix);
