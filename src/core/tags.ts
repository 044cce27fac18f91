/**
 * Object tags, one set per object kept in its index row and shown by both fronts (UFile
 * `?tagging` JSON, S3 `?tagging` XML). The limits are US3's and S3's alike; each front words
 * its own refusals.
 */
export interface Tag {
  Key: string;
  Value: string;
}

export const TAG_LIMITS = { count: 10, keyChars: 128, valueChars: 256 } as const;

/** The characters S3 allows in a tag's key and value (an object's, a bucket's, a lifecycle filter's). */
export const TAG_CHARS = /^[\p{L}\p{N}\p{Zs}+\-=._:/@]*$/u;
