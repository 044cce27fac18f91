/**
 * The UFile ETag (docs/protocol.md §4), computed while a body streams past.
 *
 * - Object ETag: base64url(uint32_le(n) ‖ digest), no padding, where n = number of 4 MiB windows and
 *   digest = SHA1(data) for n ≤ 1, else SHA1(SHA1(window 0) ‖ SHA1(window 1) ‖ …).
 * - Part ETag: base64url(SHA1(part)), padding kept.
 *
 * Because the object ETag depends only on the per-window SHA-1s, every writer (PutFile, PostFile,
 * UploadPart) records those window digests and `etagFromBlocks` turns any ordered list of them into the
 * ETag: a multipart object's ETag is derived at Finish from its parts' windows without re-reading a byte.
 */
import { RunningDigest } from "../crypto";
import { ETAG_BLOCK, etagFromWindows } from "../signing.mjs";

export { ETAG_BLOCK };

export interface HashResult {
  /** Bytes hashed. */
  size: number;
  /** SHA-1 of each 4 MiB window, in order; `ceil(size / ETAG_BLOCK)` entries (none for an empty body). */
  blockSha1s: Uint8Array[];
  /** SHA-1 of the whole body, when asked for (the part ETag of UploadPart). */
  wholeSha1?: Uint8Array;
  /** MD5 of the whole body, when asked for (Content-MD5 checks). */
  md5?: Uint8Array;
}

/**
 * Streaming hasher: one SHA-1 `DigestStream` per 4 MiB window (created when the window's first byte
 * arrives, closed when it is full), plus optional whole-body SHA-1 and MD5. No window is buffered:
 * DigestStream consumes each write immediately, so the chunks are only viewed (`subarray`), never copied.
 *
 * Await each `update` before the next one and before `finish` (as `hashingStream` does).
 */
export class UFileHasher {
  private size = 0;
  private window: RunningDigest | null = null;
  private windowFill = 0;
  private readonly blocks: Promise<Uint8Array>[] = [];
  private readonly whole: RunningDigest | null;
  private readonly md5: RunningDigest | null;
  private finished = false;

  constructor(opts: { wholeSha1?: boolean; md5?: boolean } = {}) {
    this.whole = opts.wholeSha1 ? new RunningDigest("SHA-1") : null;
    this.md5 = opts.md5 ? new RunningDigest("MD5") : null;
  }

  /** Hashes `chunk`, splitting it at window boundaries. One await per call, whatever the chunk size. */
  async update(chunk: Uint8Array): Promise<void> {
    if (this.finished) throw new Error("UFileHasher.update called after finish");
    const len = chunk.byteLength;
    if (len === 0) return;
    const pending: Promise<unknown>[] = [];
    if (this.whole) pending.push(this.whole.update(chunk));
    if (this.md5) pending.push(this.md5.update(chunk));
    for (let off = 0; off < len; ) {
      this.window ??= new RunningDigest("SHA-1");
      const take = Math.min(ETAG_BLOCK - this.windowFill, len - off);
      pending.push(this.window.update(take === len ? chunk : chunk.subarray(off, off + take)));
      off += take;
      this.windowFill += take;
      if (this.windowFill === ETAG_BLOCK) {
        const done = this.window.digest();
        this.blocks.push(done);
        pending.push(done); // awaited here too, so a failure surfaces in this update, not as an unhandled rejection
        this.window = null;
        this.windowFill = 0;
      }
    }
    this.size += len;
    await Promise.all(pending);
  }

  /** Closes every digest. The hasher cannot be used afterwards. */
  async finish(): Promise<HashResult> {
    if (this.finished) throw new Error("UFileHasher.finish called twice");
    this.finished = true;
    if (this.window) this.blocks.push(this.window.digest());
    const [blockSha1s, wholeSha1, md5] = await Promise.all([
      Promise.all(this.blocks),
      this.whole?.digest(),
      this.md5?.digest(),
    ]);
    const result: HashResult = { size: this.size, blockSha1s };
    if (wholeSha1) result.wholeSha1 = wholeSha1;
    if (md5) result.md5 = md5;
    return result;
  }
}

/**
 * Passes bytes through unchanged while feeding `hasher`. A chunk is enqueued only once it is hashed, so
 * the downstream consumer's pace (backpressure) paces the hashing too. Call `hasher.finish()` after the
 * stream has been fully consumed.
 */
export function hashingStream(hasher: UFileHasher): TransformStream<Uint8Array, Uint8Array> {
  return new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      await hasher.update(chunk);
      controller.enqueue(chunk);
    },
  });
}

/** The ETag arithmetic over window digests is the signing module's (shared with the CLI and the console). */
export { etagFromWindows as etagFromBlocks, isEmptyFileEtag, normalizeEtag, partEtag } from "../signing.mjs";

/** Object ETag of an in-memory buffer (small bodies, tests). */
export async function ufileEtagOf(bytes: Uint8Array): Promise<string> {
  const hasher = new UFileHasher();
  await hasher.update(bytes);
  return etagFromWindows((await hasher.finish()).blockSha1s);
}
