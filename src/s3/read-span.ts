import { ApiError } from "../errors";
import { partsOf, requestedPart } from "../core/object-parts";
import { parseRange } from "../core/range";
import type { ByteSpan } from "../core/read";
import type { ObjectRow } from "../store/objects";
import type { S3Context } from "./context";
import { checksumModeEnabled, parseStoredChecksum, storedChecksumHeaders } from "./stored-checksums";

/**
 * What a GetObject or HeadObject serves (null: the whole object): the `Range`, or the part that
 * `partNumber` names (not both, as S3), with the headers that go with it: `x-amz-mp-parts-count`
 * for a part of a multipart object, and, when `x-amz-checksum-mode: ENABLED` asks, the stored
 * checksum of what is served (the object's, or the part's; none for a byte range, as S3).
 */
export function readSpan(c: S3Context, row: ObjectRow, headers: Headers): ByteSpan | null {
  const partNumber = c.query.get("partNumber");
  const range = c.request.headers.get("Range");
  const checksum = checksumModeEnabled(c.request.headers) ? parseStoredChecksum(row.checksum) : undefined;
  if (partNumber === null) {
    const span = parseRange(range, row.size);
    if (!span) storedChecksumHeaders(headers, checksum);
    return span;
  }
  if (range !== null) throw new ApiError("InvalidRequest", "Cannot specify both Range header and partNumber query parameter");
  const { part, count } = requestedPart(row, partNumber);
  if (!partsOf(row).multipart) {
    storedChecksumHeaders(headers, checksum);
    return null;
  }
  headers.set("x-amz-mp-parts-count", String(count));
  if (checksum && part.checksum) storedChecksumHeaders(headers, { ...checksum, value: part.checksum });
  return part.size > 0 ? { start: part.start, end: part.end } : null;
}
