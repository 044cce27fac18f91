/**
 * The access log's byte counts (docs/operations.md "Access log"): the bytes of a request body the
 * Worker really read, and of a response body it really handed to the client, counted as they pass.
 *
 * Each body is pumped chunk by chunk into the writable side of a native stream (a FixedLengthStream
 * when the length is declared, so the runtime still knows it: R2 writes and Content-Length need it;
 * else an IdentityTransformStream), and a chunk counts once its write resolved, i.e. once the reader
 * on the other side took it. So a chunked upload counts what the front read, a ranged download the
 * range, and a download the client abandoned what was sent before it left. The readable side is a
 * native byte stream: BYOB readers (the upload pump in core/upload.ts) work on it as before.
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

/** A native stream of `length` bytes when known, else of any length. */
function passage(length: number | null): ReadableWritablePair<Uint8Array, Uint8Array> {
  return length === null ? new IdentityTransformStream() : new FixedLengthStream(length);
}

/**
 * Moves `source` into `writable`, adding each chunk to `count` once the reader took it. Resolves
 * when the body ended, or when either side gave up (the client left, the source failed, nobody
 * reads): the count then says how far it got. Never rejects.
 */
async function pump(source: ReadableStream<Uint8Array>, writable: WritableStream<Uint8Array>, count: ByteCount): Promise<void> {
  const reader = source.getReader();
  const writer = writable.getWriter();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      await writer.write(value);
      count.bytes += value.byteLength;
    }
    await writer.close();
  } catch (err) {
    await Promise.all([writer.abort(err).catch(() => undefined), reader.cancel(err).catch(() => undefined)]);
  }
}

/**
 * The request the fronts read, with its body counted into `count` as they read it. A request
 * without a body is returned as it is (count 0). Nobody awaits the pump: a body no front reads
 * (a refusal) stays where it is, and counts 0.
 */
export function countedRequest(request: Request, count: ByteCount): Request {
  if (!request.body) return request;
  const source = request.body;
  const { readable, writable } = passage(declared(request.headers));
  const counted = new Request(request, { body: readable });
  void pump(source, writable, count);
  return counted;
}

/**
 * The response with its body counted into `count` as the client takes it, and a promise that
 * settles once the body was sent or abandoned (immediately when there is none: a HEAD, a 204).
 */
export function countedResponse(response: Response, method: string, count: ByteCount): { response: Response; sent: Promise<void> } {
  if (!response.body || method === "HEAD") return { response, sent: Promise.resolve() };
  const { readable, writable } = passage(declared(response.headers));
  const sent = pump(response.body, writable, count);
  return { response: new Response(readable, response), sent };
}
