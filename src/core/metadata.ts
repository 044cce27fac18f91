import { ApiError } from "../errors";
import { asHeaderText } from "./encoded-words";

/**
 * Bounds on the standard headers a write stores with an object and every GET, HEAD or listing
 * answers again (docs/security.md "Bounded metadata"). S3 limits a PUT's request headers to 8 KB,
 * of which user metadata may take 2 KB (src/core/object-headers.ts `USER_META_LIMIT`); these bounds
 * keep the rest well inside that: together with a 1024-byte key (src/core/keys.ts) one object
 * holds at most about 8 KiB of metadata, so a 1000-key listing stays a few MiB at worst.
 *
 * A value over its bound is refused with HeaderTooLarge (UFile -90020, S3 InvalidArgument). A value
 * that could not be sent back as a header (a control character or a character above U+00FF, which a
 * form field may carry but an HTTP header may not) is refused with InvalidRequest.
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

/** What a header value may hold (RFC 9110 field-value as a Headers object accepts it): tab, visible Latin-1, space. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Checks one value a write is about to store as `name`; returns it unchanged. */
export function storedHeader(name: StoredHeader, value: string): string {
  const limit = STORED_HEADER_LIMITS[name];
  // Latin-1 only (checked below): one character is one byte on the wire.
  if (value.length > limit) throw new ApiError("HeaderTooLarge", `${name} is at most ${limit} bytes, this one has ${value.length}`);
  if (!FIELD_VALUE.test(value)) throw new ApiError("InvalidRequest", `${name} holds a character that an HTTP header cannot carry`);
  return value;
}

/** Whether a form field's value could be sent as an HTTP header (the standard headers a form sets). */
export const isHeaderValue = (value: string): boolean => FIELD_VALUE.test(value);

/**
 * User metadata values (`x-amz-meta-*`, `X-Ufile-Meta-*`, `x-bce-meta-*`) are stored in the form a
 * response header carries them back, so that what a client sent reads back byte for byte
 * (docs/s3.md §3 "Non-ASCII metadata", docs/protocol.md §6.3):
 *
 * - From a request header, the value is kept as the runtime gives it. workerd decodes header bytes
 *   as UTF-8 and writes a header value out as UTF-8, so UTF-8 bytes come back as sent, and an RFC
 *   2047 encoded-word (`=?UTF-8?B?...?=`, ASCII) comes back as the same encoded-word. Bytes that are
 *   not UTF-8 (a Latin-1 `é` as the single byte E9) reach the Worker as U+FFFD and are lost before
 *   any code runs: such a value is refused rather than stored damaged.
 * - From a form field (S3 POST), the value is text, not header bytes: a non-ASCII one is stored as
 *   the RFC 2047 encoded-word AWS answers for it, which every client can read back.
 */
const REPLACEMENT = "\uFFFD";
/** Control characters no header value may hold (tab allowed). */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** A metadata value from the request header `name`; refuses one whose bytes the runtime could not decode. */
export function metaValueFromHeader(name: string, value: string): string {
  if (value.includes(REPLACEMENT)) {
    throw new ApiError("InvalidRequest", `${name} holds bytes that are not UTF-8; send the value as UTF-8 or as an RFC 2047 encoded-word (=?UTF-8?B?...?=)`);
  }
  return value;
}

/** A metadata value from a form field (`name`): ASCII as is, other text as RFC 2047 encoded-words. */
export function metaValueFromText(name: string, value: string): string {
  if (CONTROL.test(value)) throw new ApiError("InvalidArgument", `the form field ${name} cannot be stored as an HTTP header`);
  return asHeaderText(value);
}

