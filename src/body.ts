/**
 * Bounded body reads. Every body the Worker reads into memory goes through here, so that no client
 * can make it hold more than the caller's limit: bytes are counted as they arrive (Content-Length is
 * never trusted), and the read stops, cancelling the stream, as soon as the limit is passed.
 */

/** The first `limit` bytes of a body, and whether that was all of it (the stream is cancelled otherwise). */
export async function readPrefix(body: ReadableStream<Uint8Array> | null, limit: number): Promise<{ bytes: Uint8Array; complete: boolean }> {
  if (!body) return { bytes: new Uint8Array(0), complete: true };
  const chunks: Uint8Array[] = [];
  let total = 0;
  let complete = true;
  for await (const chunk of body) {
    if (total + chunk.byteLength > limit) {
      chunks.push(chunk.subarray(0, limit - total));
      total = limit;
      complete = false;
      break; // leaving the loop cancels the stream
    }
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { bytes, complete };
}

/** Reads a body of unknown length, up to `limit` bytes; null (and the stream cancelled) when it is longer. */
export async function readBounded(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array | null> {
  const { bytes, complete } = await readPrefix(body, limit);
  return complete ? bytes : null;
}
