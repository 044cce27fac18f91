import { fromBase64, safeEqual, toBase64 } from "../crypto";
import { ApiError } from "../errors";

/**
 * SSE-C, server-side encryption with a customer-provided key (docs/s3.md "Encryption"): a write
 * names a 256-bit AES key in its request; R2 encrypts the blob with it (the binding's `ssecKey`)
 * and needs the same key to read it back. The key is used for the one request and dropped: the
 * index keeps only its MD5 (base64, `ssec_key_md5`), which is how a read with the wrong key, or
 * none, is refused before R2 is asked, with S3's errors:
 *
 * - no key for an SSE-C object: 400 InvalidRequest;
 * - a key for an object stored without one: 400 InvalidRequest;
 * - another key than the object's: 403 AccessDenied.
 *
 * The key's MD5 is compared with the stored one in constant time (`safeEqual`), once per request.
 *
 * The key never reaches a log, an error message or the index.
 */

/** A request's customer key, validated: the raw 32 bytes (for R2) and their MD5 (base64). */
export interface CustomerKey {
  key: ArrayBuffer;
  md5: string;
}

/** S3's header names, for the object itself and, on copies, for the copy source. */
export const SSEC_HEADERS = "x-amz-server-side-encryption-customer-";
export const SSEC_COPY_SOURCE_HEADERS = "x-amz-copy-source-server-side-encryption-customer-";

const invalid = (why: string) => new ApiError("InvalidArgument", why);

/**
 * The customer key of `headers` under `prefix` (`…algorithm`, `…key`, `…key-MD5`), or undefined
 * when none of the three is present. Any partial or inconsistent set is refused, as S3 does.
 */
export async function customerKeyOf(headers: Headers, prefix = SSEC_HEADERS): Promise<CustomerKey | undefined> {
  const algorithm = headers.get(`${prefix}algorithm`);
  const key = headers.get(`${prefix}key`);
  const md5 = headers.get(`${prefix}key-MD5`);
  if (algorithm === null && key === null && md5 === null) return undefined;
  if (prefix === SSEC_HEADERS && headers.has("x-amz-server-side-encryption")) {
    throw invalid("Server Side Encryption with Customer provided key is incompatible with the encryption method specified");
  }
  if (algorithm === null) throw invalid("Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.");
  if (algorithm.trim() !== "AES256") throw new ApiError("InvalidEncryptionAlgorithm", "The encryption request you specified is not valid. The valid value is AES256.");
  if (key === null) throw invalid("Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.");
  if (md5 === null) throw invalid("Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.");
  const bytes = fromBase64(key.trim());
  if (!bytes || bytes.byteLength !== 32) throw invalid("The secret key was invalid for the specified algorithm.");
  const digest = new Uint8Array(await crypto.subtle.digest("MD5", bytes));
  const sent = fromBase64(md5.trim());
  if (!sent || sent.byteLength !== digest.byteLength || !crypto.subtle.timingSafeEqual(sent, digest)) {
    throw invalid("The calculated MD5 hash of the key did not match the hash that was provided.");
  }
  return { key: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, md5: toBase64(digest) };
}

/**
 * The key a read of a blob stored with `storedMd5` ("" for none) must pass to R2: the request's
 * key when it is the object's, else S3's refusal. `source`: the copy source of a copy.
 */
export function keyForStored(storedMd5: string, given: CustomerKey | undefined, source = false): CustomerKey | undefined {
  const what = source ? "The source object" : "The object";
  if (storedMd5 === "") {
    if (given) throw new ApiError("InvalidRequest", `${what} was not stored using Server Side Encryption with a customer-provided key: the encryption parameters are not applicable to it.`);
    return undefined;
  }
  if (!given) {
    throw new ApiError("InvalidRequest", `${what} was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.`);
  }
  if (!safeEqual(given.md5, storedMd5)) throw new ApiError("AccessDenied", "The provided customer key does not match the object's.");
  return given;
}

/**
 * The key a part (UploadPart, UploadPartCopy's target) or the completion of a multipart upload
 * created with `storedMd5` must carry. As `keyForStored`, with S3's answers for an upload: its
 * key missing or another key is 400 InvalidRequest (a read with another key is 403).
 */
export function keyForUpload(storedMd5: string, given: CustomerKey | undefined): CustomerKey | undefined {
  if (storedMd5 === "") return keyForStored(storedMd5, given); // a key for an upload created without one is refused there
  if (!given) {
    throw new ApiError("InvalidRequest", "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.");
  }
  if (!safeEqual(given.md5, storedMd5)) throw new ApiError("InvalidRequest", "The provided encryption parameters did not match the ones used originally.");
  return given;
}

/** The response headers that say an answer concerns an SSE-C object (never the key). */
export function customerKeyHeaders(headers: Headers, md5: string): void {
  if (md5 === "") return;
  headers.set(`${SSEC_HEADERS}algorithm`, "AES256");
  headers.set(`${SSEC_HEADERS}key-MD5`, md5);
}

/**
 * A front that takes no customer key (the UFile data plane) serves no SSE-C object's bytes, nor
 * copies them into a new part: 400 InvalidRequest (docs/protocol.md).
 */
export function assertNotCustomerEncrypted(row: { ssecKeyMd5: string }): void {
  if (row.ssecKeyMd5 !== "") {
    throw new ApiError("InvalidRequest", "the object is encrypted with a customer-provided key (SSE-C): read it over S3, with its key");
  }
}
