import type { Env } from "../config";

/**
 * R2 blobs: immutable objects under opaque ids (`blobs/<id>`), never renamed or rewritten.
 * Which object rows reference a blob is the index's business (store/objects.ts); this module
 * only moves bytes.
 */
export const blobKey = (id: string): string => `blobs/${id}`;
export const BLOB_PREFIX = "blobs/";

export const newBlobId = (): string => crypto.randomUUID();

/** Logical storage class → R2's. ARCHIVE and COLD are infrequent-access bytes plus restore rules in the index. */
export function r2StorageClass(storageClass: string): "Standard" | "InfrequentAccess" {
  return storageClass === "STANDARD" ? "Standard" : "InfrequentAccess";
}

/**
 * Stores blob `id`; returns R2's ETag of it (the MD5 in hex: the S3 ETag of a single-part write).
 * `ssecKey`: a customer key (SSE-C, core/sse-c.ts) R2 encrypts the blob with; every read then needs it.
 */
export async function putBlob(
  env: Env,
  id: string,
  body: ReadableStream<Uint8Array> | Uint8Array | null,
  opts: { storageClass: string; md5?: Uint8Array; ssecKey?: ArrayBuffer },
): Promise<string> {
  const stored = await env.BLOBS.put(blobKey(id), body ?? new Uint8Array(0), {
    storageClass: r2StorageClass(opts.storageClass),
    ...(opts.md5 ? { md5: opts.md5.buffer.slice(opts.md5.byteOffset, opts.md5.byteOffset + opts.md5.byteLength) as ArrayBuffer } : {}),
    ...(opts.ssecKey ? { ssecKey: opts.ssecKey } : {}),
  });
  if (!stored) throw new Error(`R2 did not store blob ${id}`);
  return stored.etag;
}

/** Blob `id`'s bytes (a range of them); `ssecKey`: the customer key it was stored with, if any. */
export function getBlob(env: Env, id: string, range?: R2Range, ssecKey?: ArrayBuffer): Promise<R2ObjectBody | null> {
  return env.BLOBS.get(blobKey(id), range || ssecKey ? { ...(range ? { range } : {}), ...(ssecKey ? { ssecKey } : {}) } : undefined);
}

export async function deleteBlobs(env: Env, ids: string[]): Promise<void> {
  if (ids.length > 0) await env.BLOBS.delete(ids.map(blobKey));
}

/** An R2 multipart upload that becomes blob `id` when completed (the API's multipart uploads). */
export function createBlobUpload(env: Env, id: string, storageClass: string, ssecKey?: ArrayBuffer): Promise<R2MultipartUpload> {
  return env.BLOBS.createMultipartUpload(blobKey(id), { storageClass: r2StorageClass(storageClass), ...(ssecKey ? { ssecKey } : {}) });
}

export function resumeBlobUpload(env: Env, id: string, r2UploadId: string): R2MultipartUpload {
  return env.BLOBS.resumeMultipartUpload(blobKey(id), r2UploadId);
}

/**
 * Aborts R2 multipart uploads whose index rows are already gone. Failures are only logged: the
 * parts are unreachable either way, and R2 drops an incomplete upload after 7 days. Aborting an
 * upload that was completed leaves the completed object alone.
 */
export async function abortBlobUploads(env: Env, uploads: readonly { blobId: string; r2UploadId: string }[]): Promise<void> {
  const results = await Promise.allSettled(uploads.map((u) => resumeBlobUpload(env, u.blobId, u.r2UploadId).abort()));
  for (const r of results) if (r.status === "rejected") console.warn("R2 multipart abort failed; R2 expires it after 7 days", String(r.reason));
}

/** Part size when a stream of unknown length spills into an R2 multipart upload. */
export const SPILL_PART_SIZE = 8 * 1024 * 1024;

/** Collects a stream into fixed-size parts; holds at most one part plus one chunk. */
class PartCutter {
  private chunks: Uint8Array[] = [];
  private held = 0;

  add(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.held += chunk.byteLength;
  }

  get size(): number {
    return this.held;
  }

  /** The first `n` bytes held (or all of them), removed from the cutter. */
  take(n = this.held): Uint8Array {
    const out = new Uint8Array(Math.min(n, this.held));
    let at = 0;
    while (at < out.byteLength) {
      const chunk = this.chunks[0];
      const use = Math.min(chunk.byteLength, out.byteLength - at);
      out.set(chunk.subarray(0, use), at);
      at += use;
      if (use === chunk.byteLength) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(use);
    }
    this.held -= out.byteLength;
    return out;
  }
}

/**
 * Stores a stream whose length is not known in advance (a PostFile `file` part): R2's `put`
 * needs a known length, so a small body is buffered (≤ one part) and put at once, and a larger
 * one goes through an R2 multipart upload of equal 8 MiB parts. Never holds more than one part.
 * `ssecKey`: a customer key (SSE-C) R2 encrypts the blob with. Returns R2's ETag of the blob (the S3 ETag).
 */
export async function putBlobOfUnknownLength(
  env: Env,
  id: string,
  stream: ReadableStream<Uint8Array>,
  storageClass: string,
  ssecKey?: ArrayBuffer,
): Promise<string> {
  const cutter = new PartCutter();
  let upload: R2MultipartUpload | null = null;
  const parts: R2UploadedPart[] = [];
  const key = ssecKey ? { ssecKey } : {};
  try {
    for await (const chunk of stream) {
      cutter.add(chunk);
      while (cutter.size > SPILL_PART_SIZE) {
        upload ??= await createBlobUpload(env, id, storageClass, ssecKey);
        parts.push(await upload.uploadPart(parts.length + 1, cutter.take(SPILL_PART_SIZE), key));
      }
    }
    if (!upload) return await putBlob(env, id, cutter.take(), { storageClass, ssecKey });
    parts.push(await upload.uploadPart(parts.length + 1, cutter.take(), key));
    return (await upload.complete(parts)).etag;
  } catch (err) {
    await upload?.abort().catch(() => undefined);
    throw err;
  }
}
