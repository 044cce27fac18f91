/**
 * The access log's byte counts (docs/operations.md "Access log"): the bytes of a request body the
 * Worker read, and of a response body it handed to the client.
 *
 * A body of a declared length (a request or a response with Content-Length: nearly every upload,
 * every GET of an object, whole or ranged, and every JSON or XML answer) counts that length and
 * passes untouched, as the runtime streams it. Any stream put in its way, even a pipe the runtime
 * runs without JavaScript, costs a large transfer a good part of its CPU, and pumping an upload
 * through one kept tens of MiB of garbage in the isolate during a 1 GiB PutFile (docs/performance.md,
 * "The access log's byte counts"). So the count is what the request declared and what the Worker
 * answered with: an upload refused before it was read, and a download the client left before its
 * end, count their whole length.
 *
 * A body of no declared length (a chunked upload, a streamed answer) is pumped chunk by chunk into
 * the writable side of an IdentityTransformStream, and a chunk counts once its write resolved, i.e.
 * once the reader on the other side took it: a chunked upload counts what the front read, and a
 * refused one what was read before the refusal. The readable side is a native byte stream: BYOB
 * readers (the upload pump in core/upload.ts) work on it as before.
 */

/** A byte count that grows while a body passes. */
export interface ByteCount {
  bytes: number;
}

/** A declared Content-Length, or null when absent or not a length. */
function declared(headers: Headers): number | null {
  const value = headers.get("Content-Length");
  if (value === null || !/^\d+$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

/** The pump's read size: few chunks per body, so few promise hops per byte. */
const CHUNK = 64 * 1024;

/**
 * Moves `source` into `writable`, adding each chunk to `count` once the reader took it. Resolves
 * when the body ended, or when either side gave up (the client left, the source failed, nobody
 * reads): the count then says how far it got. Never rejects. A byte stream (a request body, an R2
 * body) is read CHUNK bytes at a time into one buffer, reused once the reader took its bytes.
 */
async function pump(source: ReadableStream<Uint8Array>, writable: WritableStream<Uint8Array>, count: ByteCount): Promise<void> {
  let byob: ReadableStreamBYOBReader | null = null;
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  try {
    byob = source.getReader({ mode: "byob" });
  } catch {
    reader = source.getReader();
  }
  const writer = writable.getWriter();
  try {
    let buffer = new ArrayBuffer(CHUNK);
    for (;;) {
      const { done, value } = byob ? await byob.readAtLeast(CHUNK, new Uint8Array(buffer)) : await reader!.read();
      if (value && value.byteLength > 0) {
        await writer.write(value);
        count.bytes += value.byteLength;
        if (byob) buffer = value.buffer as ArrayBuffer;
      }
      if (done) break;
    }
    await writer.close();
  } catch (err) {
    await Promise.all([writer.abort(err).catch(() => undefined), (byob ?? reader)!.cancel(err).catch(() => undefined)]);
  }
}

/**
 * The one skeleton of both counters: a body of a declared length counts that length and passes
 * untouched (null: nothing to wait for); any other body is pumped into an IdentityTransformStream
 * whose readable side `wrap` puts in a new request or response, made before the pump takes `body`.
 */
function counted<T>(body: ReadableStream<Uint8Array>, headers: Headers, count: ByteCount, wrap: (readable: ReadableStream<Uint8Array>) => T): { wrapped: T; pumped: Promise<void> } | null {
  const length = declared(headers);
  if (length !== null) {
    count.bytes = length;
    return null;
  }
  const { readable, writable } = new IdentityTransformStream();
  const wrapped = wrap(readable);
  return { wrapped, pumped: pump(body, writable, count) };
}

/**
 * The request the fronts read, with its body counted into `count`. A request without a body, or
 * with a declared length (counted whole), is returned as it is; a body of no declared length is
 * counted as the fronts read it. Nobody awaits the pump: a body no front reads (a refusal) stays
 * where it is, and counts what was read of it.
 */
export function countedRequest(request: Request, count: ByteCount): Request {
  if (!request.body) return request;
  // The runtime's request facts (cf: the client's Accept-Encoding, …) go along with the new body.
  const c = counted(request.body, request.headers, count, (body) => new Request(request, { body, cf: request.cf }));
  if (!c) return request;
  void c.pumped;
  return c.wrapped;
}

/**
 * The response with its body counted into `count`, and a promise that settles once a body of no
 * declared length was sent or abandoned; null when the count is final already (no body: a HEAD, a
 * 204; or a declared length, counted whole), so the caller need not wait for anything.
 */
export function countedResponse(response: Response, method: string, count: ByteCount): { response: Response; sent: Promise<void> | null } {
  if (method === "HEAD" || !response.body) return { response, sent: null };
  const c = counted(response.body, response.headers, count, (body) => new Response(body, response));
  return c ? { response: c.wrapped, sent: c.pumped } : { response, sent: null };
}
