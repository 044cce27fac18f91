import { ApiError } from "../errors";
import { fromBase64, fromHex } from "../crypto";
import { deleteBlobs, getBlob, newBlobId, putBlob } from "../store/blobs";
import { database } from "../store/db";
import { deleteObject, forgetReleasedBlobs, getObject, publishBlob, type ObjectMeta, type ObjectRow, type WriteMode, type WriteResult } from "../store/objects";
import { mayReplace } from "../auth/scope";
import { assertNotOwing } from "../metering/quotas";
import { assertWritableKey, requestedObject, type DataContext } from "./context";
import { etagFromBlocks, hashingStream, UFileHasher } from "./etag";
import { isReadable, objectHeaders, requestedStorageClass, requestedUserMeta } from "./object-headers";
import { parseRange } from "./range";
import { requestedAcl } from "./object-acl";
import { uploadCallback } from "./callback";
import { readBounded } from "../body";

/** PutFile, GetFile, HEAD and DeleteFile (spec 000 §6, §9-11; PROTOCOL.md §5.3, §5.6-5.8). */

/** `Content-MD5` as 32 hex or 24 base64 characters (SDKs send hex, spec 003 base64). */
export function parseContentMd5(value: string | null): Uint8Array | undefined {
  if (value === null || value.trim() === "") return undefined;
  const v = value.trim();
  const bytes = /^[0-9a-fA-F]{32}$/.test(v) ? fromHex(v) : /^[A-Za-z0-9+/]{22}==$/.test(v) ? fromBase64(v) : null;
  if (!bytes || bytes.byteLength !== 16) throw new ApiError("InvalidRequest", "Content-MD5 must be 32 hex or 24 base64 characters");
  return bytes;
}

/** The metadata a write records, from the request headers. */
export function requestedMeta(headers: Headers, fallbackMime = "application/octet-stream"): ObjectMeta {
  return {
    mime: headers.get("Content-Type") || fallbackMime,
    storageClass: requestedStorageClass(headers, "STANDARD"),
    userMeta: requestedUserMeta(headers),
    acl: requestedAcl(headers),
  };
}

/**
 * Releases blobs nothing references any more, after the response: R2 bytes first, then the
 * rows. If this never runs, the scheduled sweeper finds the refcount-0 rows.
 */
export function releaseBlobs(c: DataContext, ids: string[]): void {
  if (ids.length === 0) return;
  c.ctx.waitUntil(
    deleteBlobs(c.env, ids)
      .then(() => forgetReleasedBlobs(c.db, ids))
      .catch((err) => console.error("blob release failed; the sweeper will retry", String(err))),
  );
}

/** How this request's writes treat an existing key: a TOKEN_DENY_UPDATE token may only create. */
export const writeMode = (c: DataContext): WriteMode => ({ ifAbsent: !mayReplace(c.principal) });

/**
 * After a write that wrote nothing: in create-only mode the key was taken (403 -90008, as the token
 * scope refuses the replacement); otherwise `otherwise` (the bucket or the source vanished).
 */
export async function explainUnwritten(c: DataContext, key: string, result: WriteResult, otherwise: () => ApiError): Promise<void> {
  if (result.written) return;
  if (writeMode(c).ifAbsent && (await getObject(c.db, c.bucket.id, key))) {
    throw new ApiError("TokenPermissionDenied", `${key} exists and this token has TOKEN_DENY_UPDATE: it may not replace objects`);
  }
  throw otherwise();
}

/** Publishes a complete blob under `key`, answering like PutFile. */
export async function publish(c: DataContext, key: string, blob: { id: string; size: number; etag: string }, meta: ObjectMeta) {
  const result = await publishBlob(c.db, c.bucket.id, key, blob, meta, c.now, writeMode(c));
  releaseBlobs(c, result.released);
  await explainUnwritten(c, key, result, () => new ApiError("BucketNotExist"));
  return new Response(null, { status: 200, headers: { ETag: blob.etag } });
}

/** Bytes read per BYOB read on the upload path. */
const READ_CHUNK = 256 * 1024;

/**
 * Copies `length` bytes from `body` into `writable`, hashing them on the way. A BYOB reader
 * fills one reused buffer, so JS sees a few large chunks instead of thousands of small ones and
 * allocates nothing per chunk: bench/results.md measured ~2.5× the PutFile throughput of a
 * TransformStream pipe and a ~2 MiB isolate heap instead of ~40 MiB. The buffer is reused only
 * after both the hasher and the writer have resolved, i.e. are done with its bytes. A body that
 * is not a byte stream (PostFile's file part) takes the TransformStream pipe.
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
  if (stored.status === "rejected") throw stored.reason;
  if (pumped.status === "rejected") throw pumped.reason;
  return stored.value;
}

/**
 * An upload body (PutFile, UploadPart, UploadPartCopy): its size, and its bytes when it had to be
 * buffered, or the stream it comes from when that is not the request's own body (a copy source).
 */
export interface RequestBody {
  size: number;
  buffered?: Uint8Array;
  stream?: ReadableStream<Uint8Array>;
}

/**
 * The request body as R2 needs it, with a known length: declared by Content-Length (streamed
 * later), or, for a chunked body, buffered up to `bufferLimit` bytes. Null when a chunked body
 * is longer than that.
 */
export async function requestBody(c: DataContext, bufferLimit: number): Promise<RequestBody | null> {
  const declared = c.request.headers.get("Content-Length");
  if (declared !== null) {
    if (!/^\d+$/.test(declared)) throw new ApiError("InvalidRequest", "bad Content-Length");
    const size = Number(declared);
    return size === 0 || !c.request.body ? { size: 0, buffered: new Uint8Array(0) } : { size };
  }
  const buffered = await readBounded(c.request.body, bufferLimit);
  return buffered && { size: buffered.byteLength, buffered };
}

/** Writes the body to R2 (`write`: a put or an uploadPart) while `hasher` hashes it. */
export async function writeHashed<T>(
  c: DataContext,
  body: RequestBody,
  hasher: UFileHasher,
  write: (data: ReadableStream<Uint8Array> | Uint8Array) => Promise<T>,
): Promise<T> {
  if (body.buffered) {
    await hasher.update(body.buffered);
    return write(body.buffered);
  }
  return streamHashed(body.stream ?? c.request.body!, body.size, hasher, write);
}

/** R2 refuses a put whose bytes do not match the `md5` option; nothing is stored then. */
const isMd5Mismatch = (err: unknown) => /md5|digest|checksum/i.test(String(err));

/**
 * Streams the request body into a new blob while hashing it. With Content-Length the body goes
 * straight to R2 through a FixedLengthStream; without, it is buffered up to a bound (R2 needs
 * a known length), else 411.
 */
async function storeBody(c: DataContext, blobId: string, storageClass: string, md5?: Uint8Array) {
  const body = await requestBody(c, c.settings.maxBufferedBodyBytes);
  if (!body) throw new ApiError("LengthRequired", `a body without Content-Length is limited to ${c.settings.maxBufferedBodyBytes} bytes`);
  const hasher = new UFileHasher();
  try {
    await writeHashed(c, body, hasher, (data) => putBlob(c.env, blobId, data, { storageClass, md5 }));
  } catch (err) {
    if (md5 && !(err instanceof ApiError) && isMd5Mismatch(err)) throw new ApiError("ContentMd5Mismatch");
    throw err;
  }
  const hashed = await hasher.finish();
  return { size: hashed.size, etag: await etagFromBlocks(hashed.blockSha1s) };
}

export async function putFile(c: DataContext): Promise<Response> {
  assertWritableKey(c.key);
  assertNotOwing(c.bucket);
  const meta = requestedMeta(c.request.headers);
  const md5 = parseContentMd5(c.request.headers.get("Content-MD5"));
  const callback = uploadCallback(c); // a bad upload policy is refused before a byte is stored
  const blobId = newBlobId();
  const { size, etag } = await storeBody(c, blobId, meta.storageClass, md5);
  const published = await publish(c, c.key, { id: blobId, size, etag }, meta);
  return callback ? callback.answer({ key: c.key, etag, size, mime: meta.mime }, published) : published;
}

async function existing(c: DataContext): Promise<ObjectRow> {
  const row = await requestedObject(c);
  if (!row) throw new ApiError("FileNotExist");
  return row;
}

/** `If-Modified-Since` not exceeded (second precision, HTTP-date) → 304. */
function notModifiedSince(c: DataContext, row: ObjectRow): boolean {
  const since = Date.parse(c.request.headers.get("If-Modified-Since") ?? "");
  return Number.isFinite(since) && row.modifiedAt <= Math.floor(since / 1000);
}

function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export async function getFile(c: DataContext): Promise<Response> {
  const row = await existing(c);
  assertNotOwing(c.bucket);
  if (!isReadable(row, c.now)) throw new ApiError("NotRestored");
  const headers = objectHeaders(row, c.now);
  if (notModifiedSince(c, row)) return new Response(null, { status: 304, headers });
  const attachment = c.query.get("ufileattname");
  if (attachment) headers.set("Content-Disposition", contentDisposition(attachment));
  const range = parseRange(c.request.headers.get("Range"), row.size);
  const blob = await getBlob(c.env, row.blobId, range ? { offset: range.start, length: range.end - range.start + 1 } : undefined);
  if (!blob) {
    // A read replica may have answered with a row whose blob a newer version has already
    // released: the primary knows the current row (or that the object is gone).
    const primary = database(c.env.DB);
    if (c.db !== primary) return getFile({ ...c, db: primary });
    throw new Error(`blob ${row.blobId} of ${c.bucket.name}/${c.key} is missing from R2`);
  }
  if (range) {
    headers.set("Content-Range", `bytes ${range.start}-${range.end}/${row.size}`);
    headers.set("Content-Length", String(range.end - range.start + 1));
    return new Response(blob.body, { status: 206, headers });
  }
  headers.set("Content-Length", String(row.size));
  return new Response(blob.body, { status: 200, headers });
}

/** HEAD: the GET headers, no body, Content-Length the object size; never touches R2. */
export async function headFile(c: DataContext): Promise<Response> {
  const row = await existing(c);
  const headers = objectHeaders(row, c.now);
  headers.set("Content-Length", String(row.size));
  return new Response(null, { status: 200, headers });
}

export async function deleteFile(c: DataContext): Promise<Response> {
  const result = await deleteObject(c.db, c.bucket.id, c.key);
  if (!result.written) throw new ApiError("FileNotExist");
  releaseBlobs(c, result.released);
  return new Response(null, { status: 204 });
}

