/**
 * The UFile ETag (docs/protocol.md §4.1), computed from a Blob without holding it in memory: SHA1 of
 * each 4 MiB block (the whole file when it fits in one), `base64url(uint32_le(n) ‖ digest)`.
 * Runs in a worker thread (etag.worker.ts) so hashing a large file never blocks the page.
 */
export const ETAG_BLOCK = 4 * 1024 * 1024;

const base64url = (bytes: Uint8Array) => {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

export async function ufileEtag(blob: Blob, onProgress?: (hashed: number) => void): Promise<string> {
  const n = Math.ceil(blob.size / ETAG_BLOCK);
  let digest: ArrayBuffer;
  if (n <= 1) {
    digest = await crypto.subtle.digest("SHA-1", await blob.arrayBuffer());
  } else {
    const blocks = new Uint8Array(20 * n);
    for (let i = 0; i < n; i++) {
      const block = await blob.slice(i * ETAG_BLOCK, (i + 1) * ETAG_BLOCK).arrayBuffer();
      blocks.set(new Uint8Array(await crypto.subtle.digest("SHA-1", block)), 20 * i);
      onProgress?.(Math.min(blob.size, (i + 1) * ETAG_BLOCK));
    }
    digest = await crypto.subtle.digest("SHA-1", blocks);
  }
  onProgress?.(blob.size);
  const out = new Uint8Array(24);
  new DataView(out.buffer).setUint32(0, n, true);
  out.set(new Uint8Array(digest), 4);
  return base64url(out);
}
