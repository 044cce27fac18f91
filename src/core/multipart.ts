import type { ObjectAcl } from "./object-acl";
import type { Env } from "../config";
import { fromHex } from "../crypto";
import { UFileHasher, type HashResult } from "./etag";
import { ApiError } from "../errors";
import { blobKey, createBlobUpload, newBlobId, resumeBlobUpload } from "../store/blobs";
import type { Database } from "../store/db";
import { NO_TAGS, type ObjectMeta } from "../store/objects";
import { claimUpload, insertUpload, type PartRow, type UploadRow } from "../store/uploads";
import { writeHashed, type UploadBody } from "./upload";
import type { CustomerKey } from "./sse-c";

/**
 * Multipart steps shared by the fronts (UFile multipart, S3 multipart): a part streams to R2
 * while hashed (its 4 MiB windows for the UFile ETag, plus what the front's part ETag needs),
 * the R2 upload is completed from the recorded parts, an upload is created, claimed and aborted.
 * Part numbers here are the index's, 0-based; R2's are one more.
 */

const SHA1_HEX = 40;

/** What a new upload records: where it publishes, its part size (0: fixed by the first part) and the object's metadata. */
export interface NewUpload {
  bucketId: string;
  bucketName: string;
  key: string;
  blkSize: number;
  meta: Pick<ObjectMeta, "mime" | "storageClass" | "userMeta">;
  /** Standard headers the object will answer with (S3's Content-Disposition & co.). */
  httpHeaders?: Record<string, string>;
  /** The front's checksum to keep with the upload, stored form (S3's, s3/stored-checksums.ts); none: "". */
  checksum?: string;
  /** SSE-C: the customer key R2 encrypts every part with (its MD5 is kept with the upload, never the key). */
  ssec?: CustomerKey;
  /** The object's tags once completed, stored form (JSON array); none: `[]`. */
  tags?: string;
  /** The object's ACL once completed; none: the object's default. */
  acl?: ObjectAcl;
  /** Unix seconds. */
  now: number;
  /** MULTIPART_MAX_OPEN_UPLOADS: the bucket's open uploads, this one included, are at most this many. */
  maxOpenUploads: number;
}

/**
 * Starts an R2 multipart upload for a new blob and records it in the index. When the bucket
 * vanished meanwhile, or already holds `maxOpenUploads` open uploads, the R2 upload is aborted and
 * BucketNotExist or TooManyUploads thrown.
 */
export async function createUpload(env: Env, db: Database, u: NewUpload): Promise<UploadRow> {
  const blobId = newBlobId();
  const r2 = await createBlobUpload(env, blobId, u.meta.storageClass, u.ssec?.key);
  const row: UploadRow = {
    // The upload id is the blob's id: once completed, the object row still names its upload, so a
    // repeated completion can be recognised and answered as the first was (docs/s3.md "Multipart").
    id: blobId,
    bucketId: u.bucketId,
    key: u.key,
    blobId,
    r2UploadId: r2.uploadId,
    blkSize: u.blkSize,
    mime: u.meta.mime,
    storageClass: u.meta.storageClass,
    userMeta: JSON.stringify(u.meta.userMeta),
    httpHeaders: JSON.stringify(u.httpHeaders ?? {}),
    checksum: u.checksum ?? "",
    ssecKeyMd5: u.ssec?.md5 ?? "",
    tags: u.tags ?? NO_TAGS,
    acl: u.acl ?? "",
    createdAt: u.now,
    touchedAt: u.now,
  };
  const outcome = await insertUpload(db, row, u.maxOpenUploads);
  if (outcome !== "inserted") {
    await r2.abort().catch(() => undefined);
    throw outcome === "bucketGone"
      ? new ApiError("BucketNotExist", u.bucketName)
      : new ApiError("TooManyUploads", `a bucket holds at most ${u.maxOpenUploads} multipart uploads in progress (MULTIPART_MAX_OPEN_UPLOADS): complete or abort some first`);
  }
  return row;
}

/** Sends part `partNumber` to R2 while hashing it (`ssec`: the upload's customer key); returns R2's part etag and the hashes. */
export async function storePart(
  env: Env,
  upload: UploadRow,
  partNumber: number,
  body: UploadBody,
  hashes: { wholeSha1?: boolean; md5?: boolean },
  ssec?: CustomerKey,
): Promise<{ r2Etag: string; hashed: HashResult }> {
  const r2 = resumeBlobUpload(env, upload.blobId, upload.r2UploadId);
  const hasher = new UFileHasher(hashes);
  const stored = await writeHashed(body, hasher, (data) => r2.uploadPart(partNumber + 1, data, ssec ? { ssecKey: ssec.key } : undefined));
  return { r2Etag: stored.etag, hashed: await hasher.finish() };
}

/** The window digests of the parts, in order: the windows of the whole object when every part but the last is a multiple of 4 MiB. */
export const windowsOf = (parts: PartRow[]): Uint8Array[] =>
  parts.flatMap((p) =>
    Array.from({ length: p.blockSha1s.length / SHA1_HEX }, (_, i) => fromHex(p.blockSha1s.slice(i * SHA1_HEX, (i + 1) * SHA1_HEX))!),
  );

/**
 * Completes the R2 upload from `parts`; returns R2's ETag of the blob (`md5(part MD5s)-N`, the
 * S3 ETag). If R2 says the upload no longer exists but the blob is there with the expected
 * size, an earlier completion succeeded and then failed in D1: go on publishing.
 */
export async function completeBlob(env: Env, upload: UploadRow, parts: PartRow[], size: number): Promise<string> {
  try {
    const done = await resumeBlobUpload(env, upload.blobId, upload.r2UploadId).complete(parts.map((p) => ({ partNumber: p.partNumber + 1, etag: p.r2Etag })));
    return done.etag;
  } catch (err) {
    const existing = await env.BLOBS.head(blobKey(upload.blobId));
    if (existing?.size !== size) throw err;
    return existing.etag;
  }
}

/** Removes an upload's rows, then aborts it in R2; false when the upload was not there (any more). */
export async function abortUpload(env: Env, db: Database, id: string, bucketId: string, key: string): Promise<boolean> {
  const upload = await claimUpload(db, id, bucketId, key);
  if (!upload) return false;
  try {
    await resumeBlobUpload(env, upload.blobId, upload.r2UploadId).abort();
  } catch (err) {
    console.warn("R2 multipart abort failed; R2 expires it after 7 days", String(err)); // the rows are gone: the id is dead
  }
  return true;
}
