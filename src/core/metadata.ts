import { ApiError } from "../errors";

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

/** Whether a form field's value could be sent as an HTTP header (user metadata from a form). */
export const isHeaderValue = (value: string): boolean => FIELD_VALUE.test(value);
