import { ApiError } from "../errors";
import { etagList } from "../core/write-checks";
import type { DeleteCondition } from "../store/objects";

/**
 * S3's conditional deletes: DeleteObject's `If-Match`, `x-amz-if-match-size`
 * and `x-amz-if-match-last-modified-time` headers, and DeleteObjects' per-object `<ETag>`, `<Size>`
 * and `<LastModifiedTime>` elements. The object is deleted only if it meets every one given; an
 * existing object that does not is kept (412 PreconditionFailed, or a `PreconditionFailed` entry
 * of the DeleteObjects answer). A missing key still answers as deleted, as for an unconditional delete.
 */

/** A write time to compare with Last-Modified (whole seconds): an HTTP date or ISO 8601; anything else is InvalidArgument. */
function timeOf(value: string, field: string): number {
  const ms = Date.parse(value.trim());
  if (!Number.isFinite(ms)) throw new ApiError("InvalidArgument", `${field} is not a date: ${value.slice(0, 64)}`);
  return Math.floor(ms / 1000);
}

/** A size in bytes: decimal digits; anything else is InvalidArgument. */
function sizeOf(value: string, field: string): number {
  const v = value.trim();
  if (!/^\d{1,15}$/.test(v)) throw new ApiError("InvalidArgument", `${field} is not a size in bytes: ${v.slice(0, 64)}`);
  return Number(v);
}

/** The fields given, as a condition (absent ones are not checked). */
function conditionOf(etag: string | undefined, modified: string | undefined, size: string | undefined, names: [string, string, string]): DeleteCondition {
  const c: DeleteCondition = {};
  if (etag !== undefined) c.etags = etagList(etag, names[0]);
  if (modified !== undefined) c.modifiedAt = timeOf(modified, names[1]);
  if (size !== undefined) c.size = sizeOf(size, names[2]);
  return c;
}

/** DeleteObject's conditions, from its headers. */
export function deleteObjectCondition(headers: Headers): DeleteCondition {
  const names: [string, string, string] = ["If-Match", "x-amz-if-match-last-modified-time", "x-amz-if-match-size"];
  const [etag, modified, size] = names.map((n) => headers.get(n) ?? undefined);
  return conditionOf(etag, modified, size, names);
}

/** One `<Object>` of a DeleteObjects body: its optional `<ETag>`, `<LastModifiedTime>` and `<Size>`. */
export function deleteEntryCondition(text: (name: string) => string | undefined): DeleteCondition {
  return conditionOf(text("ETag"), text("LastModifiedTime"), text("Size"), ["ETag", "LastModifiedTime", "Size"]);
}
