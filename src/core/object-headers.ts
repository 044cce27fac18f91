import { utf8 } from "../crypto";
import { httpDate } from "../dates";
import { ApiError } from "../errors";
import { decodedWords } from "./encoded-words";
import { metaValueFromHeader } from "./metadata";
import type { ObjectRow } from "../store/objects";

/**
 * Object metadata on the wire (docs/protocol.md §5.6-5.7, §6): storage classes, user metadata,
 * restore state, and the response headers of GET and HEAD.
 */

/** Accepted spellings → canonical class. STANDARD_IA is spec 003's name for IA. */
const STORAGE_CLASSES: Record<string, string> = {
  STANDARD: "STANDARD",
  IA: "IA",
  STANDARD_IA: "IA",
  ARCHIVE: "ARCHIVE",
  COLD: "COLD",
};
/** Canonical class → spec 003's spelling, for `x-bce-storage-class`. */
const BCE_CLASS: Record<string, string> = { STANDARD: "STANDARD", IA: "STANDARD_IA", ARCHIVE: "ARCHIVE", COLD: "COLD" };

export const isArchival = (storageClass: string): boolean => storageClass === "ARCHIVE" || storageClass === "COLD";

export function canonicalStorageClass(value: string): string {
  const canonical = STORAGE_CLASSES[value.trim().toUpperCase()];
  if (!canonical) throw new ApiError("InvalidStorageClass", `${value} (use STANDARD, IA, ARCHIVE or COLD)`);
  return canonical;
}

/** `X-Ufile-Storage-Class` or `x-bce-storage-class`, else `fallback`. */
export function requestedStorageClass(headers: Headers, fallback: string): string {
  const value = headers.get("X-Ufile-Storage-Class") ?? headers.get("x-bce-storage-class");
  return value === null || value.trim() === "" ? fallback : canonicalStorageClass(value);
}

const META_PREFIXES = ["x-ufile-meta-", "x-bce-meta-"];
export const USER_META_LIMIT = 2048;
/**
 * What keys and values may take as sent (and stored): encoded-words take more bytes than the text
 * they stand for, and the whole 2 KiB as `B` encoded-words (base64, 4/3 of the text, plus 12 bytes
 * and a space a word) fits in this.
 */
const USER_META_SENT_LIMIT = 4096;

/**
 * User metadata from `X-Ufile-Meta-*` / `x-bce-meta-*` (the S3 front passes `x-amz-meta-`): keys
 * lowercased, ≤ 2048 bytes of keys + values, counted as AWS counts them: the UTF-8 bytes of each key
 * and value, a value of RFC 2047 encoded-words by the text it stands for (AWS decodes such a value
 * before storing it). Values are kept as sent (core/metadata.ts: UTF-8 and RFC 2047 encoded-words read
 * back byte for byte; bytes that are not UTF-8 are refused), at most USER_META_SENT_LIMIT bytes.
 */
export function requestedUserMeta(headers: Headers, prefixes: readonly string[] = META_PREFIXES): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [name, value] of headers) {
    const prefix = prefixes.find((p) => name.toLowerCase().startsWith(p));
    if (prefix) {
      const key = name.slice(prefix.length).toLowerCase();
      if (key) meta[key] = metaValueFromHeader(name, value);
    }
  }
  let counted = 0;
  let sent = 0;
  for (const [k, v] of Object.entries(meta)) {
    const keyBytes = utf8(k).byteLength;
    counted += keyBytes + utf8(decodedWords(v)).byteLength;
    sent += keyBytes + utf8(v).byteLength;
  }
  if (counted > USER_META_LIMIT) throw new ApiError("UserMetaTooLarge", `${counted} bytes`);
  if (sent > USER_META_SENT_LIMIT) throw new ApiError("UserMetaTooLarge", `${sent} bytes as sent (encoded-words included), more than ${USER_META_SENT_LIMIT}`);
  return meta;
}

/** A stored JSON object of header values; the common empty one is not parsed (every GET and HEAD reads two). */
export const parseUserMeta = (json: string): Record<string, string> => (json === "{}" ? {} : (JSON.parse(json) as Record<string, string>));

/** Restore state of an ARCHIVE/COLD object (docs/protocol.md §5.11, §6.3). */
export type RestoreState = "none" | "restoring" | "restored";

export function restoreState(row: Pick<ObjectRow, "restoreReadyAt" | "restoreExpiresAt">, now: number): RestoreState {
  if (row.restoreReadyAt == null || row.restoreExpiresAt == null || now >= row.restoreExpiresAt) return "none";
  return now < row.restoreReadyAt ? "restoring" : "restored";
}

/** Whether the object's bytes may be read now (ARCHIVE/COLD only while restored). */
export const isReadable = (row: ObjectRow, now: number): boolean =>
  !isArchival(row.storageClass) || restoreState(row, now) === "restored";

/** A response's headers while they are being gathered: a plain object (one construction), or a Headers. */
export type ObjectHeaders = Record<string, string> | Headers;

/** Sets one header of `headers`, a name no other entry has in another casing when `headers` is a plain object. */
export function setHeader(headers: ObjectHeaders, name: string, value: string): void {
  if (headers instanceof Headers) headers.set(name, value);
  else headers[name] = value;
}

/**
 * The headers GET and HEAD share, with HEAD's `contentLength` (the object's size) when given. Canonical casing matters to
 * the C and Java SDKs (§6.2). An object with no stored HTTP headers, no user metadata and no restore
 * state (nearly every one) gets them as one plain object, from which the response builds its headers
 * in one construction; any other gets a Headers, so that a stored header replaces a fixed one of the
 * same name in any casing. Each `set` is a call into the runtime, and a Headers handed to a Response
 * is copied (bench/results.md).
 */
export function objectHeaders(row: ObjectRow, now: number, contentLength?: number): ObjectHeaders {
  const fixed: Record<string, string> = {
    ETag: row.etag,
    "Content-Type": row.mime,
    "Last-Modified": httpDate(row.modifiedAt),
    "Accept-Ranges": "bytes",
    "X-Ufile-Create-Time": String(row.createdAt),
    "X-Ufile-Storage-Class": row.storageClass,
    "x-bce-storage-class": BCE_CLASS[row.storageClass] ?? row.storageClass,
  };
  if (contentLength !== undefined) fixed["Content-Length"] = String(contentLength);
  const archival = isArchival(row.storageClass);
  if (row.httpHeaders === "{}" && row.userMeta === "{}" && !archival) return fixed;
  const h = new Headers(fixed);
  // Content-Disposition etc., set by an S3 write.
  for (const [k, v] of Object.entries(parseUserMeta(row.httpHeaders))) h.set(k, v);
  for (const [k, v] of Object.entries(parseUserMeta(row.userMeta))) {
    h.set(`X-Ufile-Meta-${k}`, v);
    h.set(`x-bce-meta-${k}`, v);
  }
  if (archival) {
    const state = restoreState(row, now);
    const value =
      state === "restoring"
        ? 'ongoing-request="true"'
        : state === "restored"
          ? `ongoing-request="false", expiry-date="${httpDate(row.restoreExpiresAt!)}"`
          : null;
    if (value) {
      h.set("X-Ufile-Restore", value);
      h.set("x-bce-restore", value);
    }
  }
  return h;
}

/** PrefixFileList's RestoreStatus: Frozen / Restored for ARCHIVE and COLD, "" otherwise. */
export function restoreStatus(row: ObjectRow, now: number): string {
  if (!isArchival(row.storageClass)) return "";
  return restoreState(row, now) === "restored" ? "Restored" : "Frozen";
}
