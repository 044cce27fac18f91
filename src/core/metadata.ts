import { ApiError } from "../errors";
import { asHeaderText } from "./encoded-words";

/**
 * Bounds, in UTF-8 bytes, on the standard headers a write stores with an object and every GET, HEAD
 * or listing answers again (docs/security.md "Keys, stored metadata and open uploads"). S3 limits a
 * PUT's request headers to 8 KB, of which user metadata may take 2 KB (src/core/object-headers.ts
 * `USER_META_LIMIT`); these bounds keep the rest well inside that: together with a 1024-byte key
 * (src/core/keys.ts) and user metadata of at most 4 KiB as sent, one object holds at most about
 * 10 KiB of metadata, so a 1000-key listing stays a few MiB at worst.
 */
export const STORED_HEADER_LIMITS = {
  "Content-Type": 1024,
  "Content-Disposition": 2048,
  "Cache-Control": 1024,
  "Content-Encoding": 256,
  "Content-Language": 256,
  Expires: 256,
} as const;

export type StoredHeader = keyof typeof STORED_HEADER_LIMITS;

/** What a header value a browser can send may hold (RFC 9110 field-value as `fetch` sends it): tab, visible Latin-1, space. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** What the runtime gives for request header bytes that are not UTF-8 (below): the bytes are lost. */
const REPLACEMENT = "\uFFFD";
/** Control characters no header value may hold (tab allowed). */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

const utf8 = new TextEncoder();

/**
 * Checks one header value a write is about to store as `name`; returns it unchanged. A value over
 * its bound is refused with HeaderTooLarge (UFile -90020, S3 InvalidArgument); one that could not be
 * sent back as a header (a control character), or whose bytes were not UTF-8 (U+FFFD, as for
 * `metaValueFromHeader`), with InvalidRequest. Otherwise the value is kept as the runtime gives it:
 * UTF-8 bytes (a `Content-Disposition` naming `报告.pdf`) are answered as the same bytes, which is what
 * AWS does (it keeps a header's bytes as ISO-8859-1 characters, one per byte, and answers them as sent).
 */
export function storedHeader(name: StoredHeader, value: string): string {
  const limit = STORED_HEADER_LIMITS[name];
  // A UTF-16 unit is at most 3 UTF-8 bytes: a short value needs no encoding to be within its bound.
  if (value.length * 3 > limit) {
    const bytes = utf8.encode(value).byteLength;
    if (bytes > limit) throw new ApiError("HeaderTooLarge", `${name} is at most ${limit} bytes, this one has ${bytes}`);
  }
  if (CONTROL.test(value)) throw new ApiError("InvalidRequest", `${name} holds a character that an HTTP header cannot carry`);
  if (value.includes(REPLACEMENT)) throw new ApiError("InvalidRequest", `${name} holds bytes that are not UTF-8; send it as UTF-8`);
  return value;
}

/**
 * Whether a form field's value may be stored as a standard header (PostObject). A form field is text,
 * not header bytes: it may hold what a browser could send as that header (tab, space, visible
 * Latin-1); other text is refused (user metadata fields are stored as encoded-words instead,
 * `metaValueFromText`).
 */
export const isHeaderValue = (value: string): boolean => FIELD_VALUE.test(value);

/**
 * `storedHeader` for a value sent as text, not as header bytes (a form's Content-Type field, a file
 * part's type, OpMeta's JSON `metav`): it must also be what a browser could send as a header (`isHeaderValue`).
 */
export function storedTextHeader(name: StoredHeader, value: string): string {
  if (!isHeaderValue(value)) throw new ApiError("InvalidRequest", `${name} holds a character that an HTTP header cannot carry`);
  return storedHeader(name, value);
}

// User metadata values (`x-amz-meta-*`, `X-Ufile-Meta-*`, `x-bce-meta-*`) are stored in the form a
// response header carries them back, so that what a client sent reads back byte for byte
// (docs/s3.md §3 "Non-ASCII metadata", docs/protocol.md §6.3). The two functions below are the two
// ways a value arrives.

/**
 * A user metadata value from the request header `name`, kept as the runtime gives it. workerd decodes
 * header bytes as UTF-8 and writes a header value out as UTF-8, so UTF-8 bytes come back as sent, and
 * an RFC 2047 encoded-word (`=?UTF-8?B?...?=`, ASCII) comes back as the same encoded-word. Bytes that
 * are not UTF-8 (a Latin-1 `é` as the single byte E9) reach the Worker as U+FFFD and are lost before
 * any code runs: such a value is refused (InvalidRequest) rather than stored damaged.
 */
export function metaValueFromHeader(name: string, value: string): string {
  if (value.includes(REPLACEMENT)) {
    throw new ApiError("InvalidRequest", `${name} holds bytes that are not UTF-8; send the value as UTF-8 or as an RFC 2047 encoded-word (=?UTF-8?B?...?=)`);
  }
  return value;
}

/**
 * A user metadata value from a form field (`name`, S3 POST): the value is text, not header bytes, so
 * ASCII is stored as is and other text as the RFC 2047 encoded-words AWS answers for it, which every
 * client can read back; a control character is refused (InvalidArgument).
 */
export function metaValueFromText(name: string, value: string): string {
  if (CONTROL.test(value)) throw new ApiError("InvalidArgument", `the form field ${name} cannot be stored as an HTTP header`);
  return asHeaderText(value);
}

