import type { Env } from "../config";
import { setHeader, type ObjectHeaders } from "./object-headers";
import { parseRange } from "./range";
import { getBlob } from "../store/blobs";
import type { ObjectRow } from "../store/objects";

/** Inclusive byte offsets of an object to serve. */
export interface ByteSpan {
  start: number;
  end: number;
}

/**
 * An object's bytes as every front's GET answers them: the whole blob (200) or the one range the
 * `Range` header asks for (206 with `Content-Range`), `Content-Length` exact, the body streamed from R2.
 * An unsatisfiable range throws 416 (core/range.ts). Null when the blob is missing from R2: a read
 * replica may have answered with a row whose blob a newer version already released, and the caller
 * decides whether to ask the primary.
 */
export function blobResponse(env: Env, row: ObjectRow, rangeHeader: string | null, headers: ObjectHeaders): Promise<Response | null> {
  return spanResponse(env, row, parseRange(rangeHeader, row.size), headers);
}

/**
 * `blobResponse` for a span already chosen (a range, a part of a multipart object; null:
 * everything; a span holds at least one byte). `ssecKey`: the object's customer key (core/sse-c.ts).
 */
export async function spanResponse(env: Env, row: ObjectRow, span: ByteSpan | null, headers: ObjectHeaders, ssecKey?: ArrayBuffer): Promise<Response | null> {
  const length = span ? span.end - span.start + 1 : row.size;
  const blob = await getBlob(env, row.blobId, span ? { offset: span.start, length } : undefined, ssecKey);
  if (!blob) return null;
  if (span) {
    setHeader(headers, "Content-Range", `bytes ${span.start}-${span.end}/${row.size}`);
    setHeader(headers, "Content-Length", String(length));
    return new Response(blob.body, { status: 206, headers });
  }
  setHeader(headers, "Content-Length", String(row.size));
  return new Response(blob.body, { status: 200, headers });
}
