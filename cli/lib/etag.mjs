// @ts-check
// The UFile ETag of local bytes: the SHA1 of each 4 MiB window, hashed here as the bytes stream past,
// combined by the signing module the Worker uses (src/signing.mjs, docs/protocol.md §4).
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { ETAG_BLOCK, etagFromWindows, partEtag as partEtagOfSha1 } from "../../src/signing.mjs";

export { sameEtag } from "../../src/signing.mjs";

/** Feeds bytes in any chunking; `digest()` gives the UFile ETag. */
export class UFileEtag {
  constructor() {
    /** @type {Uint8Array[]} */
    this.windowDigests = [];
    this.window = createHash("sha1");
    this.inWindow = 0;
  }

  /** @param {Buffer} chunk */
  update(chunk) {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(ETAG_BLOCK - this.inWindow, chunk.length - offset);
      this.window.update(chunk.subarray(offset, offset + take));
      this.inWindow += take;
      offset += take;
      if (this.inWindow === ETAG_BLOCK) {
        this.windowDigests.push(this.window.digest());
        this.window = createHash("sha1");
        this.inWindow = 0;
      }
    }
    return this;
  }

  /** @returns {Promise<string>} */
  digest() {
    if (this.inWindow > 0) this.windowDigests.push(this.window.digest());
    return etagFromWindows(this.windowDigests);
  }
}

/** @param {string} path @param {(bytes: number) => void} [progress] */
export async function fileEtag(path, progress) {
  const hash = new UFileEtag();
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    hash.update(chunk);
    progress?.(chunk.length);
  }
  return hash.digest();
}

/** The ETag of one multipart part: base64url(SHA1(part)), padding kept. @param {Buffer} data */
export const partEtag = (data) => partEtagOfSha1(createHash("sha1").update(data).digest());
