/**
 * Whether anyone may read an object without credentials, for every front (UFile and S3): the object's
 * ACL decides when it says so (`public-read` opens one object of a private bucket, `private` closes one
 * of a public bucket); `default` follows the bucket's type. Anonymous writes exist only on a `public-read-write` bucket,
 * over S3 (`anonymouslyWritable`).
 */
export function publiclyReadable(bucketType: string, objectAcl: string | undefined): boolean {
  if (objectAcl === "public-read") return true;
  if (objectAcl === "private") return false;
  return bucketType === "public" || bucketType === "public-read-write";
}

/**
 * Whether anyone may write and delete objects of a bucket without credentials: only a bucket its
 * owner made `public-read-write` (the S3 canned ACL; docs/security.md "Public buckets"). The writes
 * are the bucket's, so metered and billed to its project like any other.
 */
export const anonymouslyWritable = (bucketType: string): boolean => bucketType === "public-read-write";

/**
 * Whether a request that sets `acl` (explicitly: a write's ACL header, `?acl`, a form's `acl` field)
 * leaves the object readable by anyone. Publishing an object needs the right to read it: the
 * operation tables name that need on the `published` subject, which exists only when this holds.
 */
export const publishes = (bucketType: string, acl: string | undefined): boolean => acl !== undefined && publiclyReadable(bucketType, acl);
