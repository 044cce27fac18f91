import { ApiError } from "../errors";
import type { BucketRow } from "../store/buckets";

/** What the public-access rules read of a bucket: its type, and its S3 object ownership. */
type AccessBucket = Pick<BucketRow, "type" | "objectOwnership">;

/**
 * Whether a bucket's object ACLs are disabled: its S3 Object Ownership is `BucketOwnerEnforced`. As on
 * AWS, an ACL stored on one of its objects before the setting is kept but opens and closes nothing,
 * and requests that name one are refused by each front (docs/s3.md "Object ownership").
 */
export const aclsDisabled = (bucket: Pick<BucketRow, "objectOwnership">): boolean => bucket.objectOwnership === "BucketOwnerEnforced";

/**
 * An ACL a request sets where the bucket disables ACLs: refused (AccessControlListNotSupported, on
 * both fronts) unless it grants only the owner (`ownerOnly`: S3's bucket-owner-full-control, UFile's
 * `default`). `what`: the ACL as the request named it, for the message.
 */
export function assertAclAllowed(bucket: Pick<BucketRow, "objectOwnership">, ownerOnly: boolean, what = "an ACL"): void {
  if (!ownerOnly && aclsDisabled(bucket)) {
    throw new ApiError("AccessControlListNotSupported", `${what} is refused: the bucket does not allow ACLs (its object ownership is BucketOwnerEnforced)`);
  }
}

/**
 * Whether anyone may read an object without credentials, for every front (UFile and S3): the object's
 * ACL decides when it says so (`public-read` opens one object of a private bucket, `private` closes one
 * of a public bucket) and the bucket's ACLs are not disabled; else the bucket's type does. Anonymous
 * writes exist only on a `public-read-write` bucket, over S3 (`anonymouslyWritable`).
 */
export function publiclyReadable(bucket: AccessBucket, objectAcl: string | undefined): boolean {
  if (!aclsDisabled(bucket)) {
    if (objectAcl === "public-read") return true;
    if (objectAcl === "private") return false;
  }
  return bucket.type === "public" || bucket.type === "public-read-write";
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
export const publishes = (bucket: AccessBucket, acl: string | undefined): boolean => acl !== undefined && publiclyReadable(bucket, acl);
