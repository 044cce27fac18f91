import { fromBase64 } from "../crypto";
import { ApiError } from "../errors";

/** `Content-MD5` on S3 requests: PutObject and UploadPart check the bytes they store against it, every XML body (xml.ts) is checked here. */

/** `Content-MD5` (base64 of 16 bytes), or InvalidDigest. */
export function contentMd5(headers: Headers): Uint8Array | undefined {
  const raw = headers.get("Content-MD5");
  if (raw === null) return undefined;
  const bytes = fromBase64(raw.trim());
  if (!bytes || bytes.byteLength !== 16) throw new ApiError("InvalidDigest");
  return bytes;
}

/**
 * A buffered body (an XML document) against its `Content-MD5`, when sent: malformed → 400
 * InvalidDigest, another digest → 400 BadDigest. Every S3 XML body is checked here (xml.ts).
 */
export async function verifyContentMd5(headers: Headers, raw: Uint8Array): Promise<void> {
  const md5 = contentMd5(headers);
  if (!md5) return;
  const got = new Uint8Array(await crypto.subtle.digest("MD5", raw));
  if (!crypto.subtle.timingSafeEqual(got, md5)) throw new ApiError("BadDigest", "The Content-MD5 you specified did not match what we received.");
}
