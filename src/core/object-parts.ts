import { ApiError } from "../errors";
import type { ObjectRow } from "../store/objects";

/**
 * The parts of a multipart object, kept on its index row (`objects.parts`) at completion so that
 * `?partNumber=N` reads and S3's GetObjectAttributes can answer without the upload's rows (gone
 * by then). R2 stores multipart objects whose parts all have one size except a smaller last one,
 * so a count, that size and the last part's size place every part; the parts' checksums
 * (in the upload's algorithm) are kept when the upload had one.
 *
 * Stored as JSON `{"n": count, "size": every part but the last, "last": the last part, "sums"?: [base64…]}`;
 * "" for a single-part object, which reads as one part: the whole object.
 */
export interface ObjectParts {
  count: number;
  size: number;
  last: number;
  /** Each part's checksum, in part order (absent when the upload had none). */
  checksums?: string[];
}

/** The stored form of a multipart object's parts, from their sizes (equal but the last) and checksums. */
export function formatParts(sizes: readonly number[], checksums?: readonly string[]): string {
  const parts = { n: sizes.length, size: sizes[0] ?? 0, last: sizes[sizes.length - 1] ?? 0, ...(checksums && checksums.every((c) => c !== "") ? { sums: checksums } : {}) };
  return JSON.stringify(parts);
}

/** The parts of an object: its stored ones, or one part, the whole object. */
export function partsOf(row: Pick<ObjectRow, "parts" | "size">): ObjectParts & { multipart: boolean } {
  if (row.parts) {
    const p = JSON.parse(row.parts) as { n: number; size: number; last: number; sums?: string[] };
    return { count: p.n, size: p.size, last: p.last, checksums: p.sums, multipart: true };
  }
  return { count: 1, size: row.size, last: row.size, multipart: false };
}

/** One part of an object: its 1-based number, where its bytes are, its checksum if kept. */
export interface ObjectPart {
  number: number;
  start: number;
  /** Inclusive. */
  end: number;
  size: number;
  checksum?: string;
}

/** Part `n` (1-based) of `parts`; null when there is no such part. */
export function partAt(parts: ObjectParts, n: number): ObjectPart | null {
  if (!Number.isInteger(n) || n < 1 || n > parts.count) return null;
  const start = (n - 1) * parts.size;
  const size = n === parts.count ? parts.last : parts.size;
  return { number: n, start, end: start + size - 1, size, checksum: parts.checksums?.[n - 1] };
}

/** Parts after part `marker` (0: from the first), at most `max`, and whether more follow. */
export function partsPage(parts: ObjectParts, marker: number, max: number): { page: ObjectPart[]; truncated: boolean } {
  const page: ObjectPart[] = [];
  for (let n = marker + 1; n <= parts.count && page.length < max; n++) page.push(partAt(parts, n)!);
  const last = page.length > 0 ? page[page.length - 1].number : marker;
  return { page, truncated: last < parts.count };
}

/** `partNumber` of a read (1 … 10000), or InvalidArgument. */
export function parsePartNumber(raw: string): number {
  const n = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= 10_000)) throw new ApiError("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive");
  return n;
}

/**
 * The part a `partNumber=N` read asks for: S3's rule is that a single-part object has one part,
 * the whole object, and a number beyond the object's parts is 416 InvalidPartNumber.
 */
export function requestedPart(row: Pick<ObjectRow, "parts" | "size">, raw: string): { part: ObjectPart; count: number } {
  const parts = partsOf(row);
  const part = partAt(parts, parsePartNumber(raw));
  if (!part) throw new ApiError("InvalidPartNumber", "The requested partnumber is not satisfiable");
  return { part, count: parts.count };
}
