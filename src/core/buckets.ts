import type { Env, Settings } from "../config";
import { ApiError } from "../errors";
import { deleteBucketIfEmpty, type BucketRow, type BucketType } from "../store/buckets";
import type { Database } from "../store/db";
import type { ObjectOwnership } from "../store/rules";
import { abortBucketUploads } from "../store/uploads";

/** Bucket rules every front shares (docs/protocol.md §3.5, docs/s3.md): names, ownership and type, deletion. */

const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** 3-63 bytes of dot-separated labels of [a-z0-9-], alphanumeric at both ends, not an IP address. */
export function isValidBucketName(name: string): boolean {
  if (name.length < 3 || name.length > 63) return false;
  if (IPV4.test(name)) return false;
  return name.split(".").every((label) => LABEL.test(label));
}

/**
 * A bucket named so that its bucket host would be the console host (`console` with the default
 * CONSOLE_HOST) cannot be created: the console's origin must never serve bucket content.
 */
export function isReservedBucketName(name: string, s: Settings): boolean {
  return `${name}.${s.fileDomain}` === s.consoleHost || `${name}.${s.s3Host}` === s.consoleHost;
}

/**
 * A bucket whose object ownership is BucketOwnerEnforced has ACLs disabled, so it stays private (AWS
 * refuses the same): S3 PutBucketOwnershipControls on a public bucket, and a change of such a bucket's
 * type to public (S3 PutBucketAcl is refused before; UFile UpdateBucket here), are refused (S3
 * CreateBucket refuses any ACL but the owner's with the same error: s3/acl.ts `requestedBucketType`).
 * Each front renders the one error its own way (the control plane: `InvalidType`).
 */
export function assertOwnershipFits(ownership: ObjectOwnership | null, type: BucketType): void {
  if (ownership === "BucketOwnerEnforced" && type !== "private") {
    throw new ApiError(
      "InvalidBucketAclWithObjectOwnership",
      "a bucket whose object ownership is BucketOwnerEnforced stays private: make the bucket private, or remove its ownership controls first",
    );
  }
}

/**
 * Deletes an empty bucket old enough to go (BUCKET_MIN_AGE_SECONDS); its open multipart uploads die
 * with it, and any left over are swept by the cron.
 */
export async function removeBucket(env: Env, db: Database, bucket: BucketRow, minAgeSeconds: number, now: number): Promise<void> {
  if (now - bucket.createdAt < minAgeSeconds) {
    throw new ApiError("BucketTooYoung", `a bucket can be deleted ${minAgeSeconds} seconds after its creation (BUCKET_MIN_AGE_SECONDS)`);
  }
  const outcome = await deleteBucketIfEmpty(db, bucket);
  if (outcome === "not-empty") throw new ApiError("BucketNotEmpty", `bucket ${bucket.name} is not empty`);
  // The store is still moving part of the bucket's index (or removing its old copy): retry later.
  if (outcome === "moving") throw new ApiError("RangeMoving", `bucket ${bucket.name} has a key range move under way; retry later`);
  await abortBucketUploads(env, db, bucket);
}
