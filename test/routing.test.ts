import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { settings } from "../src/config";
import { parseKey, parseQuery } from "../src/data/context";
import type { Operation } from "../src/data/operation-spec";
import { findOperation, OPERATIONS } from "../src/data/operations";
import { s3Address } from "../src/s3/address";
import type { S3Operation, Target } from "../src/s3/operation-spec";
import { findS3Operation, S3_OPERATIONS } from "../src/s3/operations";

/**
 * Routing matrices: for every row of both operation tables, a request as a client sends it, and the
 * row the front picks for it. The cases are records keyed by operation name, so an operation added to
 * a table (and so to its name list) without a case here does not type-check, and the tests below also
 * fail when a table row has no case.
 */

interface Case {
  method: "GET" | "HEAD" | "PUT" | "POST" | "DELETE";
  /** Path and query, e.g. `/photos/a.jpg?uploads`. */
  path: string;
  headers?: Record<string, string>;
}

const FORM = { "Content-Type": "multipart/form-data; boundary=x" };

const UFILE_CASES: Record<Operation, Case> = {
  PrefixFileList: { method: "GET", path: "/?list&prefix=a&limit=10" },
  ListObjects: { method: "GET", path: "/?listobjects&prefix=a&delimiter=/" },
  GetMultiUploadPart: { method: "GET", path: "/?muploadpart&uploadId=u" },
  GetMultiUploadId: { method: "GET", path: "/?muploadid&prefix=a" },
  PostFile: { method: "POST", path: "/", headers: FORM },
  UploadHit: { method: "POST", path: "/uploadhit?Hash=h&FileName=a&FileSize=1" },
  InitiateMultipartUpload: { method: "POST", path: "/big.bin?uploads" },
  FinishMultipartUpload: { method: "POST", path: "/big.bin?uploadId=u" },
  OpMeta: { method: "POST", path: "/a.txt?opmeta" },
  PutObjectTagging: { method: "PUT", path: "/a.txt?tagging" },
  GetObjectTagging: { method: "GET", path: "/a.txt?tagging" },
  DeleteObjectTagging: { method: "DELETE", path: "/a.txt?tagging" },
  PutObjectAcl: { method: "PUT", path: "/a.txt?acl" },
  GetObjectAcl: { method: "GET", path: "/a.txt?acl" },
  UploadPartCopy: { method: "PUT", path: "/big.bin?uploadId=u&partNumber=0", headers: { "X-Ufile-Copy-Source": "/b/src" } },
  UploadPart: { method: "PUT", path: "/big.bin?uploadId=u&partNumber=0" },
  Restore: { method: "PUT", path: "/cold.bin?restore" },
  ClassSwitch: { method: "PUT", path: "/a.txt?storageClass=IA" },
  Rename: { method: "PUT", path: "/a.txt?newFileName=b.txt" },
  Copy: { method: "PUT", path: "/copy.txt", headers: { "X-Ufile-Copy-Source": "/b/src" } },
  PutFile: { method: "PUT", path: "/dir/a%20b.txt" },
  GetFile: { method: "GET", path: "/dir/a.txt" },
  HeadFile: { method: "HEAD", path: "/dir/a.txt" },
  AbortMultipartUpload: { method: "DELETE", path: "/big.bin?uploadId=u" },
  DeleteFile: { method: "DELETE", path: "/dir/a.txt" },
};

/** Path-style S3 requests to the API host: `/` is the service, `/bucket` a bucket, `/bucket/key` an object. */
const S3_CASES: Record<S3Operation, Case> = {
  ListBuckets: { method: "GET", path: "/" },
  GetBucketLocation: { method: "GET", path: "/bkt?location" },
  GetBucketAcl: { method: "GET", path: "/bkt?acl" },
  PutBucketTagging: { method: "PUT", path: "/bkt?tagging" },
  GetBucketTagging: { method: "GET", path: "/bkt?tagging" },
  DeleteBucketTagging: { method: "DELETE", path: "/bkt?tagging" },
  PutBucketAcl: { method: "PUT", path: "/bkt?acl" },
  ListObjectVersions: { method: "GET", path: "/bkt?versions" },
  GetObjectAcl: { method: "GET", path: "/bkt/dir/a.txt?acl" },
  PutObjectAcl: { method: "PUT", path: "/bkt/dir/a.txt?acl" },
  GetObjectTagging: { method: "GET", path: "/bkt/dir/a.txt?tagging" },
  PutObjectTagging: { method: "PUT", path: "/bkt/dir/a.txt?tagging" },
  DeleteObjectTagging: { method: "DELETE", path: "/bkt/dir/a.txt?tagging" },
  GetObjectAttributes: { method: "GET", path: "/bkt/dir/a.txt?attributes" },
  PutBucketLifecycleConfiguration: { method: "PUT", path: "/bkt?lifecycle" },
  GetBucketLifecycleConfiguration: { method: "GET", path: "/bkt?lifecycle" },
  DeleteBucketLifecycle: { method: "DELETE", path: "/bkt?lifecycle" },
  PutBucketCors: { method: "PUT", path: "/bkt?cors" },
  GetBucketCors: { method: "GET", path: "/bkt?cors" },
  DeleteBucketCors: { method: "DELETE", path: "/bkt?cors" },
  PutBucketEncryption: { method: "PUT", path: "/bkt?encryption" },
  GetBucketEncryption: { method: "GET", path: "/bkt?encryption" },
  DeleteBucketEncryption: { method: "DELETE", path: "/bkt?encryption" },
  PutBucketOwnershipControls: { method: "PUT", path: "/bkt?ownershipControls" },
  GetBucketOwnershipControls: { method: "GET", path: "/bkt?ownershipControls" },
  DeleteBucketOwnershipControls: { method: "DELETE", path: "/bkt?ownershipControls" },
  ListMultipartUploads: { method: "GET", path: "/bkt?uploads" },
  ListObjectsV2: { method: "GET", path: "/bkt?list-type=2&prefix=a" },
  ListObjects: { method: "GET", path: "/bkt?prefix=a" },
  HeadBucket: { method: "HEAD", path: "/bkt" },
  CreateBucket: { method: "PUT", path: "/bkt" },
  DeleteBucket: { method: "DELETE", path: "/bkt" },
  DeleteObjects: { method: "POST", path: "/bkt?delete" },
  PostObject: { method: "POST", path: "/bkt", headers: FORM },
  CreateMultipartUpload: { method: "POST", path: "/bkt/big.bin?uploads" },
  CompleteMultipartUpload: { method: "POST", path: "/bkt/big.bin?uploadId=u" },
  UploadPartCopy: { method: "PUT", path: "/bkt/big.bin?uploadId=u&partNumber=1", headers: { "x-amz-copy-source": "/src/k" } },
  UploadPart: { method: "PUT", path: "/bkt/big.bin?uploadId=u&partNumber=1" },
  CopyObject: { method: "PUT", path: "/bkt/copy.txt", headers: { "x-amz-copy-source": "/src/k" } },
  PutObject: { method: "PUT", path: "/bkt/dir/a.txt" },
  ListParts: { method: "GET", path: "/bkt/big.bin?uploadId=u" },
  GetObject: { method: "GET", path: "/bkt/dir/a.txt" },
  HeadObject: { method: "HEAD", path: "/bkt/dir/a.txt" },
  AbortMultipartUpload: { method: "DELETE", path: "/bkt/big.bin?uploadId=u" },
  DeleteObject: { method: "DELETE", path: "/bkt/dir/a.txt" },
};

function ufileRoute(c: Case): string | undefined {
  const url = new URL(`http://bkt.localhost${c.path}`);
  const request = new Request(url, { method: c.method, headers: c.headers });
  return findOperation(request, parseQuery(url), parseKey(url))?.name;
}

function s3Route(c: Case): string | undefined {
  const url = new URL(`http://localhost${c.path}`);
  const address = s3Address(url, settings(env));
  const target: Target = address.bucket === null ? "service" : address.key === "" ? "bucket" : "object";
  return findS3Operation(new Request(url, { method: c.method, headers: c.headers }), url.searchParams, target)?.name;
}

/** Every row has a case and routes from it; `unrouted` requests match no row. */
function routingMatrix(title: string, rows: readonly { name: string }[], cases: Record<string, Case>, route: (c: Case) => string | undefined, unrouted: Case[]) {
  describe(title, () => {
    it("has a case for every row, and no case without a row", () => {
      expect(Object.keys(cases).sort()).toEqual(rows.map((op) => op.name).sort());
    });

    it.each(rows.map((op) => [op.name] as const))("%s: its case routes to it", (name) => {
      expect(route(cases[name])).toBe(name);
    });

    it.each(unrouted.map((c) => [`${c.method} ${c.path}`, c] as const))("%s routes to no row", (_, c) => {
      expect(route(c)).toBeUndefined();
    });
  });
}

routingMatrix("UFile data-plane routing (src/data/operations.ts)", OPERATIONS, UFILE_CASES, ufileRoute, [
  { method: "POST", path: "/a.txt?append&position=0" }, // a sub-resource some SDKs know and edgefile does not serve
  { method: "PUT", path: "/" },
]);

routingMatrix("S3 routing (src/s3/operations.ts)", S3_OPERATIONS, S3_CASES, s3Route, [
  { method: "PUT", path: "/" },
  { method: "POST", path: "/bkt/key" },
  // A bucket's sub-resources on an object key, and a sub-resource with a method it does not take, are
  // refused (MethodNotAllowed), never served by the path's plain row (GetObject, PutObject, DeleteObject…).
  ...["cors", "lifecycle", "location", "uploads", "versions", "delete", "encryption", "ownershipControls"].flatMap((sub) =>
    (["GET", "HEAD", "PUT", "DELETE"] as const).map((method) => ({ method, path: `/bkt/key?${sub}` })),
  ),
  { method: "POST", path: "/bkt/key?cors" },
  { method: "HEAD", path: "/bkt/key?acl" },
  { method: "HEAD", path: "/bkt/key?tagging" },
  { method: "HEAD", path: "/bkt?location" },
  { method: "HEAD", path: "/bkt?cors" },
  { method: "PUT", path: "/bkt?uploads" },
  { method: "DELETE", path: "/bkt?location" },
]);
