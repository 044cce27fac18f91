import type { Env } from "../config";
import { parseRange } from "./range";
import { getBlob } from "../store/blobs";
import type { ObjectRow } from "../store/objects";

/**
 * An object's bytes as every front's GET answers them: the whole blob (200) or the one range the
 * `Range` header asks for (206 with `Content-Range`), `Content-Length` exact, the body streamed from R2.
 * An unsatisfiable range throws 416 (core/range.ts). Null when the blob is missing from R2: a read
 * replica may have answered with a row whose blob a newer version already released, and the caller
 * decides whether to ask the primary.
 */
export async function blobResponse(env: Env, row: ObjectRow, rangeHeader: string | null, headers: Headers): Promise<Response | null> {
  const range = parseRange(rangeHeader, row.size);
  const blob = await getBlob(env, row.blobId, range ? { offset: range.start, length: range.end - range.start + 1 } : undefined);
  if (!blob) return null;
  if (range) {
    headers.set("Content-Range", `bytes ${range.start}-${range.end}/${row.size}`);
    headers.set("Content-Length", String(range.end - range.start + 1));
    return new Response(blob.body, { status: 206, headers });
  }
  headers.set("Content-Length", String(row.size));
  return new Response(blob.body, { status: 200, headers });
}
