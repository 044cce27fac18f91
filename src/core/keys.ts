import { ApiError } from "../errors";

/**
 * The one rule for object keys that a write may create, on every front (UFile PutFile, PostFile,
 * UploadHit, Copy, Rename, InitiateMultipartUpload and Finish's `newKey`; S3 PutObject, PostObject,
 * CopyObject and CreateMultipartUpload). docs/protocol.md §1.3, docs/s3.md "Keys".
 *
 * - Not empty, and at most 1024 bytes of UTF-8, as S3 (KeyTooLong: UFile -91022, S3 KeyTooLongError).
 * - No `.` or `..` segment: URL parsing drops them, so such a key (sent as `%2F..%2F`) could be
 *   written but never addressed again, and a form's `${filename}` could climb out of its prefix.
 * - No control character (U+0000–U+001F, U+007F–U+009F): they cannot travel in an HTTP header
 *   (Content-Disposition, Location), XML 1.0 cannot carry most of them in a listing, and a
 *   terminal that shows a listing would run them.
 *
 * Keys only ever read (GET, HEAD, DELETE, listings) are not checked: refusing them would only hide
 * objects written before a rule existed.
 */
export const MAX_KEY_BYTES = 1024;

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const encoder = new TextEncoder();

export function assertValidKey(key: string): void {
  if (key === "") throw new ApiError("InvalidRequest", "an object key is required");
  // A UTF-16 code unit is at most 3 bytes of UTF-8: only long strings need encoding.
  if (key.length * 3 > MAX_KEY_BYTES && encoder.encode(key).byteLength > MAX_KEY_BYTES) {
    throw new ApiError("KeyTooLong", `keys are at most ${MAX_KEY_BYTES} bytes of UTF-8`);
  }
  if (key.split("/").some((segment) => segment === "." || segment === "..")) {
    throw new ApiError("InvalidRequest", "keys may not contain '.' or '..' path segments");
  }
  if (CONTROL.test(key)) throw new ApiError("InvalidRequest", "keys may not contain control characters");
}
