import type { Env } from "../config";
import { ApiError } from "../errors";
import { deleteBlobs, putBlob } from "../store/blobs";
import type { Database } from "../store/db";
import { forgetReleasedBlobs, publishBlob, type NewBlob, type ObjectMeta, type PublishAlong, type PublishResult, type WriteMode } from "../store/objects";
import { readBounded } from "../body";
import { etagFromBlocks, hashingStream, UFileHasher } from "./etag";
import type { CustomerKey } from "./sse-c";

/**
 * The upload pipeline every front uses (UFile data plane, S3): a body of known length streams
 * into a new R2 blob while it is hashed (UFile ETag windows; R2 reports the MD5 that is the S3
 * ETag), then the blob is published under a key with one atomic row swap, and blobs no row
 * references any more are released after the response. Arguments are plain values, so a front
 * adapts its request to these calls and nothing here knows a protocol.
 */

/** What a write needs from its request: bindings, the index, the request's lifetime, its time. */
export interface WriteScope {
  env: Env;
  ctx: ExecutionContext;
  db: Database;
  /** Unix seconds. */
  now: number;
}

/**
 * Releases blobs nothing references any more, after the response: R2 bytes first, then the
 * rows. If this never runs, the scheduled sweeper finds the refcount-0 rows.
 */
export function releaseBlobs(w: WriteScope, ids: string[]): void {
  if (ids.length === 0) return;
  w.ctx.waitUntil(
    deleteBlobs(w.env, ids)
      .then(() => forgetReleasedBlobs(w.db, ids))
      .catch((err) => console.error("blob release failed; the sweeper will retry", String(err))),
  );
}

/**
 * Publishes a complete blob under (bucket, key) and releases what it replaced. `written` is false
 * when the bucket vanished meanwhile, or (`mode.ifAbsent`) the key was taken: the front says which.
 * `along`: another change in the same transaction (a multipart Finish's claim of its upload).
 */
export async function publishObject(
  w: WriteScope,
  bucketId: string,
  key: string,
  blob: NewBlob,
  meta: ObjectMeta,
  mode: WriteMode = {},
  along?: PublishAlong,
): Promise<PublishResult> {
  const result = await publishBlob(w.db, bucketId, key, blob, meta, w.now, mode, along);
  releaseBlobs(w, result.released);
  return result;
}

/**
 * Bytes read per BYOB read on the upload path. Each read, write and hash step leaves a few KiB of
 * runtime objects that only a major GC reclaims, so the read size sets how fast garbage builds up
 * during a long upload: fewer, larger reads leave less of it (bench/results.md, "Memory").
 */
const READ_CHUNK = 1024 * 1024;

/**
 * Copies `length` bytes from `body` into `writable`, hashing them on the way. A BYOB reader
 * fills one reused buffer, so JS sees a few large chunks instead of thousands of small ones and
 * allocates no buffer per chunk, which is faster and holds far less heap than a TransformStream
 * pipe (bench/results.md). The buffer is reused only
 * after both the hasher and the writer have resolved, i.e. are done with its bytes. A body that
 * is not a byte stream (PostFile's file part, a decoded or verified S3 body) takes the
 * TransformStream pipe, which closes the writable only once the source has ended cleanly: a
 * verifying source that errors at its end (a checksum, a chunk signature) aborts the write.
 */
async function pumpHashed(body: ReadableStream<Uint8Array>, length: number, hasher: UFileHasher, writable: WritableStream<Uint8Array>) {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = body.getReader({ mode: "byob" });
  } catch {
    return body.pipeThrough(hashingStream(hasher)).pipeTo(writable);
  }
  const writer = writable.getWriter();
  try {
    let buffer = new ArrayBuffer(Math.max(1, Math.min(READ_CHUNK, length)));
    for (let got = 0; got < length; ) {
      const want = Math.min(buffer.byteLength, length - got);
      const { value, done } = await reader.readAtLeast(want, new Uint8Array(buffer, 0, want));
      if (value && value.byteLength > 0) {
        got += value.byteLength;
        await Promise.all([hasher.update(value), writer.write(value)]);
        buffer = value.buffer;
      }
      if (done) break; // a short body: the FixedLengthStream refuses to close, and the write fails
    }
    await writer.close();
  } catch (err) {
    await Promise.all([writer.abort(err).catch(() => undefined), reader.cancel(err).catch(() => undefined)]);
    throw err;
  }
}

/**
 * Streams exactly `length` bytes of `body` through `hasher` into `sink`, an R2 write that needs
 * a stream of known length (put, uploadPart). Both ends are awaited, so neither fails unseen.
 */
async function streamHashed<T>(
  body: ReadableStream<Uint8Array>,
  length: number,
  hasher: UFileHasher,
  sink: (readable: ReadableStream<Uint8Array>) => Promise<T>,
): Promise<T> {
  const { readable, writable } = new FixedLengthStream(length);
  const [stored, pumped] = await Promise.allSettled([sink(readable), pumpHashed(body, length, hasher, writable)]);
  // The source's own error (a bad checksum, say) explains an R2 failure better than R2's "stream errored".
  if (pumped.status === "rejected" && pumped.reason instanceof ApiError) throw pumped.reason;
  if (stored.status === "rejected") throw stored.reason;
  if (pumped.status === "rejected") throw pumped.reason;
  return stored.value;
}

/** An upload body: its size, and either its bytes (buffered) or the stream holding exactly `size` bytes. */
export interface UploadBody {
  size: number;
  buffered?: Uint8Array;
  stream?: ReadableStream<Uint8Array> | null;
}

/**
 * A request body as R2 needs it, with a known length: declared by Content-Length (streamed
 * later), or, for a chunked body, buffered up to `bufferLimit` bytes. Null when a chunked body
 * is longer than that.
 */
export async function requestBody(request: Pick<Request, "headers" | "body">, bufferLimit: number): Promise<UploadBody | null> {
  const declared = request.headers.get("Content-Length");
  if (declared !== null) {
    if (!/^\d+$/.test(declared)) throw new ApiError("InvalidRequest", "bad Content-Length");
    const size = Number(declared);
    return size === 0 || !request.body ? { size: 0, buffered: new Uint8Array(0) } : { size, stream: request.body };
  }
  const buffered = await readBounded(request.body, bufferLimit);
  return buffered && { size: buffered.byteLength, buffered };
}

/** Writes the body to R2 (`write`: a put or an uploadPart) while `hasher` hashes it. */
export async function writeHashed<T>(
  body: UploadBody,
  hasher: UFileHasher,
  write: (data: ReadableStream<Uint8Array> | Uint8Array) => Promise<T>,
): Promise<T> {
  if (body.buffered) {
    await hasher.update(body.buffered);
    return write(body.buffered);
  }
  if (!body.stream) throw new Error("writeHashed: a body needs its bytes or its stream");
  return streamHashed(body.stream, body.size, hasher, write);
}

/** R2 refuses a put whose bytes do not match the `md5` option; nothing is stored then. */
const isMd5Mismatch = (err: unknown) => /md5|digest|checksum/i.test(String(err));

/**
 * Stores a body as blob `blobId`: streamed to R2 while hashed. Returns what publishing needs:
 * size, UFile ETag, and R2's ETag of the put (the MD5, i.e. the S3 ETag). A Content-MD5 that
 * does not match makes R2 store nothing (ContentMd5Mismatch).
 */
export async function storeBlob(env: Env, blobId: string, body: UploadBody, opts: { storageClass: string; md5?: Uint8Array; ssec?: CustomerKey }): Promise<NewBlob> {
  const hasher = new UFileHasher();
  let s3Etag: string;
  try {
    s3Etag = await writeHashed(body, hasher, (data) => putBlob(env, blobId, data, { ...opts, ssecKey: opts.ssec?.key }));
  } catch (err) {
    if (opts.md5 && !(err instanceof ApiError) && isMd5Mismatch(err)) throw new ApiError("ContentMd5Mismatch");
    throw err;
  }
  const hashed = await hasher.finish();
  return { id: blobId, size: hashed.size, etag: await etagFromBlocks(hashed.blockSha1s), s3Etag, ssecKeyMd5: opts.ssec?.md5 ?? "" };
}
