import { isFormUpload } from "../core/form";
import { createBucket, deleteBucket, getBucketLocation, headBucket, listAllBuckets } from "./buckets";
import type { S3Operation, S3OperationSpec, Target } from "./operation-spec";
import { listObjectVersions, listObjectsV1, listObjectsV2 } from "./listing";
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listMultipartUploads,
  listPartsOp,
  uploadPart,
  uploadPartCopy,
} from "./multipart";
import { copyObjectOp, deleteObjectOp, deleteObjects, getObjectOp, headObject, putObject } from "./objects";
import { postObject } from "./post-object";
import { deleteBucketCors, getBucketCors, putBucketCors } from "./bucket-cors";
import { deleteBucketLifecycle, getBucketLifecycle, putBucketLifecycle } from "./lifecycle";
import { getBucketAcl, getObjectAclOp, putBucketAcl, putObjectAclOp } from "./acl";
import { deleteObjectTaggingOp, getObjectTaggingOp, putObjectTaggingOp } from "./tagging";
import { getObjectAttributes } from "./object-attributes";
import { deleteBucketTagging, getBucketTagging, putBucketTagging } from "./bucket-tagging";
import { deleteBucketEncryption, getBucketEncryption, putBucketEncryption } from "./bucket-encryption";
import { deleteBucketOwnershipControls, getBucketOwnershipControls, putBucketOwnershipControls } from "./ownership";

const has = (...names: string[]) => (q: URLSearchParams) => names.every((n) => q.has(n));
const copying = (_q: URLSearchParams, r: Request) => r.headers.has("x-amz-copy-source");
const isForm = (_q: URLSearchParams, r: Request) => isFormUpload(r);

const SIGNED = ["header", "query"] as const;
/** Anonymous too: reads of what is publicly readable, writes and deletes in a public-read-write bucket (access.ts `anonymousMay`). */
const SIGNED_OR_ANONYMOUS = ["header", "query", "anonymous"] as const;
const HEADER = ["header"] as const;
const READ_KEY = [["READ", "key"]] as const;
const WRITE_KEY = [["WRITE", "key"]] as const;
/** Writes that take a canned ACL: making the key publicly readable needs READ on it too. */
const WRITE_KEY_ACL = [["WRITE", "key"], ["READ", "published"]] as const;
const LIST = [["LIST", "prefix"]] as const;

export const S3_OPERATIONS = [
  { name: "ListBuckets", method: "GET", target: "service", run: listAllBuckets, rights: [["LIST", "service"]], credentials: HEADER },

  // Bucket configuration (issue 22; default encryption and object ownership, issue 23): the root key only, as bucket creation and deletion.
  { name: "PutBucketLifecycleConfiguration", sub: "lifecycle", method: "PUT", target: "bucket", run: putBucketLifecycle, rootOnly: true, rights: [], credentials: HEADER },
  { name: "GetBucketLifecycleConfiguration", sub: "lifecycle", method: "GET", target: "bucket", run: getBucketLifecycle, rootOnly: true, rights: [], credentials: HEADER },
  { name: "DeleteBucketLifecycle", sub: "lifecycle", method: "DELETE", target: "bucket", run: deleteBucketLifecycle, rootOnly: true, rights: [], credentials: HEADER },
  { name: "PutBucketCors", sub: "cors", method: "PUT", target: "bucket", run: putBucketCors, rootOnly: true, rights: [], credentials: HEADER },
  { name: "GetBucketCors", sub: "cors", method: "GET", target: "bucket", run: getBucketCors, rootOnly: true, rights: [], credentials: HEADER },
  { name: "DeleteBucketCors", sub: "cors", method: "DELETE", target: "bucket", run: deleteBucketCors, rootOnly: true, rights: [], credentials: HEADER },
  { name: "PutBucketEncryption", sub: "encryption", method: "PUT", target: "bucket", run: putBucketEncryption, rootOnly: true, rights: [], credentials: HEADER },
  { name: "GetBucketEncryption", sub: "encryption", method: "GET", target: "bucket", run: getBucketEncryption, rootOnly: true, rights: [], credentials: HEADER },
  { name: "DeleteBucketEncryption", sub: "encryption", method: "DELETE", target: "bucket", run: deleteBucketEncryption, rootOnly: true, rights: [], credentials: HEADER },
  { name: "PutBucketOwnershipControls", sub: "ownershipControls", method: "PUT", target: "bucket", run: putBucketOwnershipControls, rootOnly: true, rights: [], credentials: HEADER },
  { name: "GetBucketOwnershipControls", sub: "ownershipControls", method: "GET", target: "bucket", run: getBucketOwnershipControls, rootOnly: true, rights: [], credentials: HEADER },
  { name: "DeleteBucketOwnershipControls", sub: "ownershipControls", method: "DELETE", target: "bucket", run: deleteBucketOwnershipControls, rootOnly: true, rights: [], credentials: HEADER },

  // Bucket tags: read with the right to list the bucket, written by the root key only (bucket configuration).
  { name: "PutBucketTagging", sub: "tagging", method: "PUT", target: "bucket", run: putBucketTagging, rootOnly: true, rights: [], credentials: HEADER },
  { name: "GetBucketTagging", sub: "tagging", method: "GET", target: "bucket", run: getBucketTagging, rights: [["LIST", "bucket"]], credentials: SIGNED },
  { name: "DeleteBucketTagging", sub: "tagging", method: "DELETE", target: "bucket", run: deleteBucketTagging, rootOnly: true, rights: [], credentials: HEADER },
  { name: "GetBucketAcl", sub: "acl", method: "GET", target: "bucket", run: getBucketAcl, rights: [["LIST", "bucket"]], credentials: SIGNED },
  { name: "PutBucketAcl", sub: "acl", method: "PUT", target: "bucket", run: putBucketAcl, rootOnly: true, rights: [], credentials: HEADER },
  { name: "GetBucketLocation", sub: "location", method: "GET", target: "bucket", run: getBucketLocation, rights: [["LIST", "bucket"]], credentials: SIGNED },
  { name: "ListMultipartUploads", sub: "uploads", method: "GET", target: "bucket", run: listMultipartUploads, rights: LIST, credentials: SIGNED },
  { name: "ListObjectVersions", sub: "versions", method: "GET", target: "bucket", run: listObjectVersions, rights: LIST, credentials: SIGNED },
  { name: "ListObjectsV2", method: "GET", target: "bucket", when: (q) => q.get("list-type") === "2", run: listObjectsV2, rights: LIST, credentials: SIGNED },
  { name: "ListObjects", method: "GET", target: "bucket", run: listObjectsV1, rights: LIST, credentials: SIGNED },
  { name: "HeadBucket", method: "HEAD", target: "bucket", run: headBucket, rights: [["LIST", "bucket"]], credentials: SIGNED },
  { name: "CreateBucket", method: "PUT", target: "bucket", run: createBucket, rootOnly: true, rights: [], credentials: HEADER },
  { name: "DeleteBucket", method: "DELETE", target: "bucket", run: deleteBucket, rootOnly: true, rights: [], credentials: HEADER },
  { name: "DeleteObjects", sub: "delete", method: "POST", target: "bucket", run: deleteObjects, rights: [["DELETE", "key"]], credentials: HEADER, bodyKeys: true },
  { name: "PostObject", method: "POST", target: "bucket", when: isForm, run: postObject, rights: WRITE_KEY_ACL, credentials: ["form"], bodyKeys: true },

  { name: "GetObjectAcl", sub: "acl", method: "GET", target: "object", run: getObjectAclOp, rights: READ_KEY, credentials: SIGNED },
  { name: "PutObjectAcl", sub: "acl", method: "PUT", target: "object", run: putObjectAclOp, rights: [["UPDATE", "key"], ["READ", "published"]], credentials: SIGNED },
  { name: "GetObjectTagging", sub: "tagging", method: "GET", target: "object", run: getObjectTaggingOp, rights: READ_KEY, credentials: SIGNED },
  { name: "PutObjectTagging", sub: "tagging", method: "PUT", target: "object", run: putObjectTaggingOp, rights: [["UPDATE", "key"]], credentials: SIGNED },
  { name: "DeleteObjectTagging", sub: "tagging", method: "DELETE", target: "object", run: deleteObjectTaggingOp, rights: [["UPDATE", "key"]], credentials: SIGNED },
  { name: "GetObjectAttributes", sub: "attributes", method: "GET", target: "object", run: getObjectAttributes, rights: READ_KEY, credentials: SIGNED },

  { name: "CreateMultipartUpload", sub: "uploads", method: "POST", target: "object", run: createMultipartUpload, rights: WRITE_KEY, credentials: SIGNED },
  { name: "CompleteMultipartUpload", method: "POST", target: "object", when: has("uploadId"), run: completeMultipartUpload, rights: WRITE_KEY, credentials: SIGNED },
  { name: "UploadPartCopy", method: "PUT", target: "object", when: (q, r) => q.has("uploadId") && copying(q, r), run: uploadPartCopy, rights: [["WRITE", "key"], ["READ", "source"]], credentials: HEADER },
  { name: "UploadPart", method: "PUT", target: "object", when: has("uploadId"), run: uploadPart, rights: WRITE_KEY, credentials: SIGNED },
  { name: "CopyObject", method: "PUT", target: "object", when: copying, run: copyObjectOp, rights: [["WRITE", "key"], ["READ", "source"], ["READ", "published"]], credentials: HEADER },
  { name: "PutObject", method: "PUT", target: "object", run: putObject, rights: WRITE_KEY_ACL, credentials: SIGNED_OR_ANONYMOUS },
  { name: "ListParts", method: "GET", target: "object", when: has("uploadId"), run: listPartsOp, rights: [["LIST", "key"]], credentials: SIGNED },
  { name: "GetObject", method: "GET", target: "object", run: getObjectOp, rights: READ_KEY, credentials: SIGNED_OR_ANONYMOUS },
  { name: "HeadObject", method: "HEAD", target: "object", run: headObject, rights: READ_KEY, credentials: SIGNED_OR_ANONYMOUS },
  { name: "AbortMultipartUpload", method: "DELETE", target: "object", when: has("uploadId"), run: abortMultipartUpload, rights: WRITE_KEY, credentials: SIGNED },
  { name: "DeleteObject", method: "DELETE", target: "object", run: deleteObjectOp, rights: [["DELETE", "key"]], credentials: SIGNED_OR_ANONYMOUS },
] as const satisfies readonly S3OperationSpec[];

/** Compile-time check that every operation has a row (and so its rights, credential forms and handler). */
type Unrouted = Exclude<S3Operation, (typeof S3_OPERATIONS)[number]["name"]>;
const everyOperationRouted: [Unrouted] extends [never] ? true : Unrouted = true;
void everyOperationRouted;

/**
 * Sub-resources of features edgefile does not have (versioning, policies, object lock,
 * website, …): any request naming one answers NotImplemented, never a false success, unless a row
 * of the table serves it on that target (its `sub`).
 */
export const NOT_IMPLEMENTED_SUBRESOURCES = [
  "accelerate", "acl", "analytics", "attributes", "encryption", "intelligent-tiering", "inventory",
  "legal-hold", "logging", "metrics", "notification", "object-lock", "ownershipControls", "policy",
  "policyStatus", "publicAccessBlock", "replication", "requestPayment", "restore", "retention", "select", "tagging",
  "torrent", "versioning", "website",
] as const;

/** Request headers of features edgefile does not have (the `x-amz-grant-*` ACL headers are read with `x-amz-acl`: acl-headers.ts). */
export const NOT_IMPLEMENTED_HEADERS = [
  "x-amz-object-lock-mode",
  "x-amz-object-lock-retain-until-date",
  "x-amz-object-lock-legal-hold",
  "x-amz-website-redirect-location",
] as const;


/**
 * Every sub-resource a row serves (`?cors`, `?lifecycle`, `?uploads`, `?acl`, …). A query naming one
 * selects among the rows serving it only: where none serves it for this method and target (a bucket's
 * `?cors` or `?lifecycle` on an object key, a HEAD of `?location`), the request is refused
 * (MethodNotAllowed, `namedSubresource`), never answered by the plain row of the path (GetObject's bytes).
 */
const SERVED_SUBRESOURCES: readonly string[] = [...new Set((S3_OPERATIONS as readonly S3OperationSpec[]).flatMap((op) => (op.sub ? [op.sub] : [])))];

/** The first sub-resource of the query that some row serves, if any. */
export const namedSubresource = (query: URLSearchParams): string | undefined => SERVED_SUBRESOURCES.find((n) => query.has(n));

export function findS3Operation(request: Request, query: URLSearchParams, target: Target): S3OperationSpec | undefined {
  const named = namedSubresource(query) !== undefined;
  return (S3_OPERATIONS as readonly S3OperationSpec[]).find(
    (op) =>
      op.method === request.method && op.target === target && (op.sub ? query.has(op.sub) : !named) && (op.when ? op.when(query, request) : true),
  );
}

/** A sub-resource of the query that no row serves on this target. */
export function unimplementedSubresource(query: URLSearchParams, target: Target): string | undefined {
  return NOT_IMPLEMENTED_SUBRESOURCES.find(
    (n) => query.has(n) && !(S3_OPERATIONS as readonly S3OperationSpec[]).some((op) => op.sub === n && op.target === target),
  );
}
