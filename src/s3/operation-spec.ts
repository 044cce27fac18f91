import type { CredentialForm } from "../auth/forms";
import type { Principal, Right } from "../auth/principal";
import type { ServedRequest } from "../core/request";
import type { ServedBucket } from "../store/buckets";
import type { ObjectRow } from "../store/objects";
import type { VerifiedSigV4 } from "./sigv4";

/** The types of the S3 operation table and the context its handlers receive, in a leaf module the front's other files can name. */

/** The S3 operations, in no particular order (the table's order decides matching). */
export const S3_OPERATION_NAMES = [
  "ListBuckets",
  "GetBucketAcl",
  "PutBucketAcl",
  "GetBucketLocation",
  "PutBucketLifecycleConfiguration",
  "GetBucketLifecycleConfiguration",
  "DeleteBucketLifecycle",
  "PutBucketCors",
  "GetBucketCors",
  "DeleteBucketCors",
  "PutBucketTagging",
  "GetBucketTagging",
  "DeleteBucketTagging",
  "PutBucketEncryption",
  "GetBucketEncryption",
  "DeleteBucketEncryption",
  "PutBucketOwnershipControls",
  "GetBucketOwnershipControls",
  "DeleteBucketOwnershipControls",
  "ListObjectVersions",
  "ListMultipartUploads",
  "ListObjectsV2",
  "ListObjects",
  "HeadBucket",
  "CreateBucket",
  "DeleteBucket",
  "DeleteObjects",
  "PostObject",
  "GetObjectAcl",
  "PutObjectAcl",
  "GetObjectTagging",
  "PutObjectTagging",
  "DeleteObjectTagging",
  "GetObjectAttributes",
  "CreateMultipartUpload",
  "CompleteMultipartUpload",
  "UploadPartCopy",
  "UploadPart",
  "CopyObject",
  "PutObject",
  "ListParts",
  "GetObject",
  "HeadObject",
  "AbortMultipartUpload",
  "DeleteObject",
] as const;

/** Every S3 operation's name: the table (operations.ts) must have a row for each. */
export type S3Operation = (typeof S3_OPERATION_NAMES)[number];

/**
 * A row of the S3 operation table (operations.ts; docs/s3.md "Operations"): method + what the path addresses + query
 * sub-resources → operation. The first matching row wins, so specific rows come first. Each row
 * says which rights it needs on what, and which credential forms may authorize it (access.ts
 * applies both; no handler decides a right):
 *
 * - `header`: SigV4 `Authorization` header; `query`: a presigned URL, which authorizes only what
 *   its canonical request names (method, path, every query parameter, signed headers) and never
 *   an operation header it did not sign (`OPERATION_HEADERS`); `anonymous`: no credentials, reading
 *   a publicly readable object or writing in a public-read-write bucket (access.ts `anonymousMay`);
 *   `form`: the POST policy form carries its own (or none, in a public-read-write bucket).
 * - rights subjects: `key` the addressed key (or each key the body names, `bodyKeys`), `source`
 *   the copy source, `prefix` the listing's `prefix`, `bucket` the bucket itself (any key),
 *   `published` the written key when the request's canned ACL leaves it publicly readable (and
 *   nothing otherwise), `service` the service itself (ListBuckets: the right, expiry, IP lists).
 *   `rootOnly` rows (bucket lifecycle) need the root key.
 */
export type S3Subject = "key" | "source" | "prefix" | "bucket" | "published" | "service";
export type Target = "service" | "bucket" | "object";

export interface S3OperationSpec {
  name: S3Operation;
  method: "GET" | "HEAD" | "PUT" | "POST" | "DELETE";
  target: Target;
  /**
   * A sub-resource the row serves (`?tagging`, `?cors`): it must be in the query, and is then no longer
   * NotImplemented on this target. A query naming a sub-resource that any row serves matches only
   * rows serving it (operations.ts `findS3Operation`): a bucket's `?cors` on an object key is refused,
   * never answered by GetObject.
   */
  sub?: string;
  when?: (q: URLSearchParams, request: Request) => boolean;
  run: (c: S3Context) => Promise<Response>;
  /** Root only: creating and deleting buckets (tokens never, as on the control plane). */
  rootOnly?: boolean;
  rights: readonly (readonly [Right, S3Subject])[];
  credentials: readonly CredentialForm[];
  /** The keys come from the body: the handler applies `rights` to each once read (access.ts `authorizeBodyKey`). */
  bodyKeys?: boolean;
}

/** Where an S3 request points: path style `/<bucket>/<key>` or virtual-hosted `<bucket>.<S3 host>/<key>`. */
export interface S3Address {
  style: "path" | "virtual";
  /** null: the service itself (ListBuckets). */
  bucket: string | null;
  /** The object key, percent-decoded once; "" on bucket and service requests. */
  key: string;
}

/** What every S3 operation receives. */
export interface S3Context extends ServedRequest {
  address: S3Address;
  /** Shorthands of `address`. */
  bucketName: string;
  key: string;
  /** The addressed bucket, loaded before the handler runs (undefined on service requests and CreateBucket). */
  bucket?: ServedBucket;
  /** The operation's row. */
  operation: S3OperationSpec;
  principal: Principal;
  /** The verified signature (null for anonymous requests); the chunk decoder chains on it. */
  auth: VerifiedSigV4<Principal> | null;
  query: URLSearchParams;
  requestId: string;
  /** The addressed object's row, once read (`addressedObject`). */
  object?: Promise<ObjectRow | null>;
}
