import { fromBase64, RunningDigest, toBase64 } from "../crypto";
import { s3Error } from "./errors";

/**
 * The checksums S3 clients send (`x-amz-checksum-<alg>` as a header or an aws-chunked trailer,
 * base64 of the big-endian digest), computed while a body streams past. CRC32 and CRC32C are
 * table-driven (slicing-by-8: eight table lookups per 8 bytes), CRC64/NVME byte-wise on two
 * 32-bit halves; SHA-1 and SHA-256 use the runtime's native `crypto.DigestStream`.
 */

export type ChecksumAlgorithm = "crc32" | "crc32c" | "crc64nvme" | "sha1" | "sha256";
export const CHECKSUM_ALGORITHMS: readonly ChecksumAlgorithm[] = ["crc32", "crc32c", "crc64nvme", "sha1", "sha256"];

/** Digest length in bytes, to validate what a client sends before any byte is stored. */
const DIGEST_BYTES: Record<ChecksumAlgorithm, number> = { crc32: 4, crc32c: 4, crc64nvme: 8, sha1: 20, sha256: 32 };

/** The CRCs (their values combine: a whole object's CRC follows from its parts', `combineCrc`). */
export const isCrc = (a: ChecksumAlgorithm): boolean => a === "crc32" || a === "crc32c" || a === "crc64nvme";

/** A running checksum. `update` may be called with any chunk sizes; `digest` once at the end. */
export interface Checksum {
  update(bytes: Uint8Array): Promise<void> | void;
  digest(): Promise<Uint8Array>;
}

/** Eight 256-entry tables for the reflected polynomial `poly` (slicing-by-8). */
function crcTables(poly: number): Uint32Array[] {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >>> 1) : c >>> 1;
    tables[0][n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let t = 1; t < 8; t++) tables[t][n] = (tables[t - 1][n] >>> 8) ^ tables[0][tables[t - 1][n] & 0xff];
  }
  return tables;
}

const CRC32_TABLES = crcTables(0xedb88320);
const CRC32C_TABLES = crcTables(0x82f63b78);

class Crc implements Checksum {
  private crc = 0xffffffff;
  constructor(private readonly t: Uint32Array[]) {}

  update(bytes: Uint8Array): void {
    const [t0, t1, t2, t3, t4, t5, t6, t7] = this.t;
    let crc = this.crc;
    let i = 0;
    const n = bytes.byteLength;
    for (; i + 8 <= n; i += 8) {
      const a = crc ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
      crc =
        t7[a & 0xff] ^ t6[(a >>> 8) & 0xff] ^ t5[(a >>> 16) & 0xff] ^ t4[a >>> 24] ^
        t3[bytes[i + 4]] ^ t2[bytes[i + 5]] ^ t1[bytes[i + 6]] ^ t0[bytes[i + 7]];
    }
    for (; i < n; i++) crc = t0[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
    this.crc = crc;
  }

  async digest(): Promise<Uint8Array> {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, (this.crc ^ 0xffffffff) >>> 0, false);
    return out;
  }
}

/** CRC64/NVME's reflected polynomial, split into 32-bit halves. */
const CRC64NVME_POLY = 0x9a6c9329ac4bc9b5n;

function crc64Tables(poly: bigint): { lo: Uint32Array; hi: Uint32Array } {
  const lo = new Uint32Array(256);
  const hi = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = BigInt(n);
    for (let k = 0; k < 8; k++) c = c & 1n ? poly ^ (c >> 1n) : c >> 1n;
    lo[n] = Number(c & 0xffffffffn);
    hi[n] = Number(c >> 32n);
  }
  return { lo, hi };
}

const CRC64NVME_TABLES = crc64Tables(CRC64NVME_POLY);

/** A reflected 64-bit CRC (init and final XOR all ones), on two 32-bit halves to stay off BigInt per byte. */
class Crc64 implements Checksum {
  private lo = 0xffffffff;
  private hi = 0xffffffff;
  constructor(private readonly t: { lo: Uint32Array; hi: Uint32Array }) {}

  update(bytes: Uint8Array): void {
    const { lo: tl, hi: th } = this.t;
    let lo = this.lo;
    let hi = this.hi;
    for (let i = 0; i < bytes.byteLength; i++) {
      const idx = (lo ^ bytes[i]) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ tl[idx];
      hi = (hi >>> 8) ^ th[idx];
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  async digest(): Promise<Uint8Array> {
    const out = new Uint8Array(8);
    const view = new DataView(out.buffer);
    view.setUint32(0, (this.hi ^ 0xffffffff) >>> 0, false);
    view.setUint32(4, (this.lo ^ 0xffffffff) >>> 0, false);
    return out;
  }
}

export function newChecksum(algorithm: ChecksumAlgorithm): Checksum {
  switch (algorithm) {
    case "crc32":
      return new Crc(CRC32_TABLES);
    case "crc32c":
      return new Crc(CRC32C_TABLES);
    case "crc64nvme":
      return new Crc64(CRC64NVME_TABLES);
    case "sha1":
      return new RunningDigest("SHA-1");
    case "sha256":
      return new RunningDigest("SHA-256");
  }
}

/** The checksum of a buffer, base64 as S3 sends it (tests, small bodies). */
export async function checksumBase64(algorithm: ChecksumAlgorithm, bytes: Uint8Array): Promise<string> {
  const c = newChecksum(algorithm);
  await c.update(bytes);
  return toBase64(await c.digest());
}

/** A checksum the client announced: algorithm and expected digest (already validated). */
export interface ExpectedChecksum {
  algorithm: ChecksumAlgorithm;
  /** Base64, as sent. */
  value: string;
}

export const checksumHeader = (algorithm: ChecksumAlgorithm): string => `x-amz-checksum-${algorithm}`;

/** `x-amz-checksum-<alg>: <base64>` → the expectation; a malformed value is refused up front. */
export function parseChecksumValue(algorithm: ChecksumAlgorithm, value: string): ExpectedChecksum {
  const v = value.trim();
  const bytes = fromBase64(v);
  if (!bytes || bytes.byteLength !== DIGEST_BYTES[algorithm] || !/^[A-Za-z0-9+/]+=*$/.test(v)) {
    throw s3Error("InvalidRequest", `Value for ${checksumHeader(algorithm)} header is invalid.`);
  }
  return { algorithm, value: v };
}

/** The whole-body checksum header of a request, if any (at most one may be sent). */
export function checksumFromHeaders(headers: Headers): ExpectedChecksum | undefined {
  const found = CHECKSUM_ALGORITHMS.filter((a) => headers.has(checksumHeader(a)));
  if (found.length > 1) throw s3Error("InvalidRequest", "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.");
  return found.length === 1 ? parseChecksumValue(found[0], headers.get(checksumHeader(found[0]))!) : undefined;
}

/** `x-amz-trailer` / `x-amz-sdk-checksum-algorithm` name → algorithm (case-insensitive), or a 400. */
export function checksumAlgorithmOf(name: string): ChecksumAlgorithm {
  const n = name.trim().toLowerCase().replace(/^x-amz-checksum-/, "");
  if ((CHECKSUM_ALGORITHMS as readonly string[]).includes(n)) return n as ChecksumAlgorithm;
  throw s3Error("InvalidRequest", `Unsupported checksum algorithm: ${name}`);
}

/**
 * A pass-through stream that computes `algorithm` and, when the body ends, compares it with
 * `expected()` (known then: a trailer arrives after the data). A mismatch errors the stream in
 * its flush, i.e. before the consumer sees the end, so an R2 write fed from it never commits.
 * `onDigest` receives the computed value (to echo it in the response).
 */
export function verifyingStream(
  algorithm: ChecksumAlgorithm,
  expected: () => string | undefined,
  onDigest?: (base64: string) => void,
  mismatch: () => Error = () => s3Error("BadDigest", `The ${algorithm.toUpperCase()} you specified did not match the calculated checksum.`),
): TransformStream<Uint8Array, Uint8Array> {
  return digestStream(algorithm, (got) => {
    const want = expected();
    if (want === undefined) throw s3Error("InvalidRequest", `the ${checksumHeader(algorithm)} trailer is missing`);
    if (got !== want) throw mismatch();
    onDigest?.(got);
  });
}

/**
 * A pass-through stream that computes `algorithm` of what flows and hands the digest (base64) to
 * `onDigest` at the end; a throw from `onDigest` errors the stream in its flush.
 */
export function digestStream(algorithm: ChecksumAlgorithm, onDigest: (base64: string) => void): TransformStream<Uint8Array, Uint8Array> {
  const checksum = newChecksum(algorithm);
  return new TransformStream<Uint8Array, Uint8Array>({
    async transform(chunk, controller) {
      await checksum.update(chunk);
      controller.enqueue(chunk);
    },
    async flush() {
      onDigest(toBase64(await checksum.digest()));
    },
  });
}
