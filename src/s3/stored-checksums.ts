import { fromBase64, toBase64 } from "../crypto";
import { ApiError } from "../errors";
import { CHECKSUM_ALGORITHMS, checksumHeader, isCrc, newChecksum, type ChecksumAlgorithm } from "./checksums";

/**
 * Checksums kept with an object (the index's `objects.checksum`) and a multipart upload
 * (`uploads.checksum`, `upload_parts.checksum`), as S3 keeps them:
 *
 * - a single-part write keeps the checksum it sent and that was verified (`FULL_OBJECT`);
 * - a multipart upload names its algorithm and type on CreateMultipartUpload
 *   (`x-amz-checksum-algorithm`, `x-amz-checksum-type`); every part must then carry that
 *   checksum, and the completed object gets either the `COMPOSITE` checksum, the checksum of the
 *   concatenated part digests with `-<parts>` appended, or, for the CRCs, the `FULL_OBJECT` CRC of
 *   the whole object, combined from the parts' CRCs and sizes without reading a byte.
 *
 * GET and HEAD answer them only when asked (`x-amz-checksum-mode: ENABLED`), as S3.
 */

export type ChecksumType = "FULL_OBJECT" | "COMPOSITE";

export interface StoredChecksum {
  algorithm: ChecksumAlgorithm;
  type: ChecksumType;
  /** Base64; a composite one ends in `-<parts>`. */
  value: string;
}

/** The stored form, `<algorithm>:<type>:<value>` ("" for none). */
export const formatStoredChecksum = (c: StoredChecksum | undefined): string => (c ? `${c.algorithm}:${c.type}:${c.value}` : "");

export function parseStoredChecksum(stored: string): StoredChecksum | undefined {
  const [algorithm, type, value] = stored.split(":");
  if (!value || !(CHECKSUM_ALGORITHMS as readonly string[]).includes(algorithm)) return undefined;
  return { algorithm: algorithm as ChecksumAlgorithm, type: type === "COMPOSITE" ? "COMPOSITE" : "FULL_OBJECT", value };
}

/** The response headers of a stored checksum: `x-amz-checksum-<alg>` and `x-amz-checksum-type`. */
export function storedChecksumHeaders(headers: Headers, c: StoredChecksum | undefined): void {
  if (!c) return;
  headers.set(checksumHeader(c.algorithm), c.value);
  headers.set("x-amz-checksum-type", c.type);
}

/** `x-amz-checksum-mode: ENABLED` (case-insensitive), the request's ask for the stored checksum. */
export const checksumModeEnabled = (headers: Headers): boolean => (headers.get("x-amz-checksum-mode") ?? "").trim().toUpperCase() === "ENABLED";

/** S3's XML element name of an algorithm's checksum (`ChecksumSHA256`, `ChecksumCRC64NVME`). */
export const checksumElement = (a: ChecksumAlgorithm): string => `Checksum${a.toUpperCase()}`;

// ───────────────────────── Multipart ─────────────────────────

/** What CreateMultipartUpload asked for, stored as `<algorithm>:<type>` ("" for none). */
export interface UploadChecksum {
  algorithm: ChecksumAlgorithm;
  type: ChecksumType;
}

export const formatUploadChecksum = (u: UploadChecksum | undefined): string => (u ? `${u.algorithm}:${u.type}` : "");

export function parseUploadChecksum(stored: string): UploadChecksum | undefined {
  const [algorithm, type] = stored.split(":");
  if (!(CHECKSUM_ALGORITHMS as readonly string[]).includes(algorithm)) return undefined;
  return { algorithm: algorithm as ChecksumAlgorithm, type: type === "FULL_OBJECT" ? "FULL_OBJECT" : "COMPOSITE" };
}

/**
 * `x-amz-checksum-algorithm` and `x-amz-checksum-type` of CreateMultipartUpload, with S3's
 * rules: CRC64NVME is full-object only, SHA-1 and SHA-256 composite only, CRC32 and CRC32C
 * either (composite by default). A type without an algorithm is refused.
 */
export function requestedUploadChecksum(headers: Headers): UploadChecksum | undefined {
  const rawAlgorithm = headers.get("x-amz-checksum-algorithm");
  const rawType = headers.get("x-amz-checksum-type");
  if (rawAlgorithm === null || rawAlgorithm.trim() === "") {
    if (rawType !== null) throw new ApiError("InvalidRequest", "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.");
    return undefined;
  }
  const algorithm = rawAlgorithm.trim().toLowerCase() as ChecksumAlgorithm;
  if (!CHECKSUM_ALGORITHMS.includes(algorithm)) throw new ApiError("InvalidRequest", `Checksum algorithm provided is unsupported: ${rawAlgorithm}`);
  const type = rawType === null || rawType.trim() === "" ? (algorithm === "crc64nvme" ? "FULL_OBJECT" : "COMPOSITE") : rawType.trim().toUpperCase();
  if (type !== "FULL_OBJECT" && type !== "COMPOSITE") throw new ApiError("InvalidRequest", `Value for x-amz-checksum-type header is invalid: ${rawType}`);
  if ((type === "FULL_OBJECT" && !isCrc(algorithm)) || (type === "COMPOSITE" && algorithm === "crc64nvme")) {
    throw new ApiError("InvalidRequest", `The ${algorithm.toUpperCase()} checksum algorithm does not support the ${type} checksum type.`);
  }
  return { algorithm, type };
}

/** Width and reflected polynomial of each CRC, for combining. */
const CRC_PARAMS: Partial<Record<ChecksumAlgorithm, { width: number; poly: bigint }>> = {
  crc32: { width: 32, poly: 0xedb88320n },
  crc32c: { width: 32, poly: 0x82f63b78n },
  crc64nvme: { width: 64, poly: 0x9a6c9329ac4bc9b5n },
};

/**
 * CRC(A‖B) from CRC(A), CRC(B) and |B| (zlib's crc32_combine, for any reflected CRC whose
 * initial and final XOR are all ones): CRC(A) times x^(8|B|) modulo the polynomial, XOR CRC(B).
 * GF(2) polynomials are kept reflected in BigInts; this runs once per part at completion.
 */
function crcCombiner(width: number, poly: bigint): (crc1: bigint, crc2: bigint, len2: number) => bigint {
  const top = 1n << BigInt(width - 1);
  const multiply = (a: bigint, b: bigint): bigint => {
    let p = 0n;
    for (let m = top; m > 0n; m >>= 1n) {
      if (a & m) {
        p ^= b;
        if ((a & (m - 1n)) === 0n) break;
      }
      b = b & 1n ? (b >> 1n) ^ poly : b >> 1n;
    }
    return p;
  };
  // x^(2^k) modulo the polynomial, k = 0 … 63 (enough for any length below 2^60 bytes).
  const powers: bigint[] = [top >> 1n];
  for (let k = 1; k < 64; k++) powers.push(multiply(powers[k - 1], powers[k - 1]));
  /** x^(n·2^k) modulo the polynomial. */
  const xPower = (n: bigint, k: number): bigint => {
    let p = top;
    for (; n > 0n; n >>= 1n, k++) if (n & 1n) p = multiply(powers[k], p);
    return p;
  };
  return (crc1, crc2, len2) => multiply(xPower(BigInt(len2), 3), crc1) ^ crc2;
}

const bigintOf = (bytes: Uint8Array): bigint => bytes.reduce((n, b) => (n << 8n) | BigInt(b), 0n);
function bytesOf(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

/** The CRC of a whole object from its parts' CRCs (base64) and sizes, in part order. */
export function combineCrc(algorithm: ChecksumAlgorithm, parts: readonly { checksum: string; size: number }[]): string {
  const params = CRC_PARAMS[algorithm];
  if (!params) throw new Error(`${algorithm} is not a CRC`);
  const combine = crcCombiner(params.width, params.poly);
  const bytes = params.width / 8;
  let crc = 0n; // the CRC of no bytes
  for (const p of parts) crc = combine(crc, bigintOf(fromBase64(p.checksum) ?? new Uint8Array(bytes)), p.size);
  return toBase64(bytesOf(crc, bytes));
}

/** S3's composite checksum: the checksum of the parts' raw digests, concatenated, then `-<parts>`. */
export async function compositeChecksum(algorithm: ChecksumAlgorithm, partChecksums: readonly string[]): Promise<string> {
  const c = newChecksum(algorithm);
  for (const v of partChecksums) await c.update(fromBase64(v) ?? new Uint8Array(0));
  return `${toBase64(await c.digest())}-${partChecksums.length}`;
}

/** The completed object's checksum from its parts (in order), as the upload's type says. */
export async function completedChecksum(u: UploadChecksum, parts: readonly { checksum: string; size: number }[]): Promise<StoredChecksum> {
  const value = u.type === "FULL_OBJECT" ? combineCrc(u.algorithm, parts) : await compositeChecksum(u.algorithm, parts.map((p) => p.checksum));
  return { algorithm: u.algorithm, type: u.type, value };
}
