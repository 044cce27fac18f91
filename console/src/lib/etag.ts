import { ETAG_BLOCK, etagFromWindows } from "../../../src/signing.mjs";

/**
 * The UFile ETag (docs/protocol.md §4.1) of a Blob, without holding it in memory: the SHA1 of each
 * 4 MiB window, combined by the signing module the Worker uses (src/signing.mjs).
 * Runs in a worker thread (etag.worker.ts) so hashing a large file never blocks the page.
 */
export async function ufileEtag(blob: Blob, onProgress?: (hashed: number) => void): Promise<string> {
  const windows: Uint8Array[] = [];
  for (let offset = 0; offset < blob.size; offset += ETAG_BLOCK) {
    const block = await blob.slice(offset, offset + ETAG_BLOCK).arrayBuffer();
    windows.push(new Uint8Array(await crypto.subtle.digest("SHA-1", block)));
    onProgress?.(Math.min(blob.size, offset + ETAG_BLOCK));
  }
  onProgress?.(blob.size);
  return etagFromWindows(windows);
}
