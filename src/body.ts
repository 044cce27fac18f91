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

/**
 * Reads and drops up to `limit` bytes of a body nobody needs (a refused request whose client is still
 * sending), then cancels the rest. A BYOB reader fills one reused buffer, so discarding allocates
 * nothing per chunk; a stream that is not a byte stream is read chunk by chunk.
 */
export async function discardBody(body: ReadableStream<Uint8Array>, limit: number): Promise<void> {
  let reader: ReadableStreamBYOBReader | ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = body.getReader({ mode: "byob" });
  } catch {
    reader = body.getReader();
  }
  let buffer = new ArrayBuffer(64 * 1024);
  try {
    for (let n = 0; n <= limit; ) {
      const { value, done } = "readAtLeast" in reader ? await reader.read(new Uint8Array(buffer)) : await reader.read();
      if (done || !value) return;
      n += value.byteLength;
      if ("readAtLeast" in reader) buffer = value.buffer as ArrayBuffer;
    }
    await reader.cancel();
  } catch {
    // the body is already broken: nothing to discard
  }
}
