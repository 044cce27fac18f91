/**
 * Bounded body reads. Every body the Worker reads into memory goes through here, so that no client
 * can make it hold more than the caller's limit: bytes are counted as they arrive (Content-Length is
 * never trusted), and the read stops, cancelling the stream, as soon as the limit is passed.
 */

/** Reads a body of unknown length, up to `limit` bytes; null (and the stream cancelled) when it is longer. */
export async function readBounded(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array | null> {
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > limit) return null; // leaving the loop cancels the stream
    chunks.push(chunk);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
