// @ts-check
// The UFile ETag, computed locally: SHA1 over 4 MiB blocks, base64url(uint32_le(blocks) ‖ digest),
// where the digest is SHA1(data) for one block and SHA1 of the block digests otherwise.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";

export const ETAG_BLOCK = 4 * 1024 * 1024;

/** Feeds bytes in any chunking; `digest()` gives the UFile ETag. */
export class UFileEtag {
  constructor() {
    /** @type {Buffer[]} */
    this.blockDigests = [];
    this.block = createHash("sha1");
    this.inBlock = 0;
  }

  /** @param {Buffer} chunk */
  update(chunk) {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(ETAG_BLOCK - this.inBlock, chunk.length - offset);
      this.block.update(chunk.subarray(offset, offset + take));
      this.inBlock += take;
      offset += take;
      if (this.inBlock === ETAG_BLOCK) {
        this.blockDigests.push(this.block.digest());
        this.block = createHash("sha1");
        this.inBlock = 0;
      }
    }
    return this;
  }

  digest() {
    if (this.inBlock > 0 || this.blockDigests.length === 0) {
      const last = this.block.digest();
      if (this.inBlock > 0) this.blockDigests.push(last);
      else return etag(0, last); // empty: n = 0, SHA1("")
    }
    const n = this.blockDigests.length;
    const digest = n === 1 ? this.blockDigests[0] : createHash("sha1").update(Buffer.concat(this.blockDigests)).digest();
    return etag(n, digest);
  }
}

/** @param {number} n @param {Buffer} digest */
function etag(n, digest) {
  const head = Buffer.alloc(4);
  head.writeUInt32LE(n);
  return Buffer.concat([head, digest]).toString("base64url");
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
export const partEtag = (data) => createHash("sha1").update(data).digest("base64").replace(/\+/g, "-").replace(/\//g, "_");

/** Empty files: the SDKs disagree (README); these all mean "no bytes". */
export const EMPTY_ETAGS = new Set(["AAAAANo5o-5ea0sNMlW_75VgGJCv2AcJ", "AQAAANo5o-5ea0sNMlW_75VgGJCv2AcJ", "AAAAAA=="]);

/** Whether two UFile ETags name the same bytes. @param {string} a @param {string} b */
export const sameEtag = (a, b) => a === b || (EMPTY_ETAGS.has(a) && EMPTY_ETAGS.has(b));
