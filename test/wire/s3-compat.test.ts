// Issue 23: what ceph/s3-tests showed missing or wrong, checked the way clients see it over HTTP
// (the full suite runs with `npm run test:s3-compat`, docs/s3.md "Conformance").
import { createHash, createHmac } from "node:crypto";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  ListBucketsCommand,
  CreateMultipartUploadCommand,
  DeleteObjectTaggingCommand,
  GetBucketAclCommand,
  GetObjectAclCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListPartsCommand,
  PutBucketAclCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { beforeAll, describe, expect, it } from "vitest";
import { PRIVATE_KEY, PUBLIC_KEY, request } from "./client";
import { presignV4, s3BucketName, s3Client, s3Failure, s3Path, signV4 } from "./s3-helpers";

const s3 = s3Client();
const bucket = s3BucketName("compat");
const path = (u: string) => new URL(u).pathname + new URL(u).search;

/** A SigV2 `Authorization` header (the scheme s3cmd's `signature_v2 = True` and boto3's "s3" use). */
function sigV2(method: string, resource: string, headers: Record<string, string>): string {
  const amz = Object.keys(headers)
    .filter((h) => h.toLowerCase().startsWith("x-amz-"))
    .map((h) => h.toLowerCase())
    .sort()
    .map((h) => `${h}:${headers[Object.keys(headers).find((k) => k.toLowerCase() === h)!].trim()}\n`)
    .join("");
  const toSign = `${method}\n${headers["Content-MD5"] ?? ""}\n${headers["Content-Type"] ?? ""}\n${headers.Date ?? ""}\n${amz}${resource}`;
  return `AWS ${PUBLIC_KEY}:${createHmac("sha1", PRIVATE_KEY).update(toSign).digest("base64")}`;
}

describe("S3 conformance fixes (ceph/s3-tests)", () => {
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  it("ListObjectVersions lists every object as its one version, null; versionId=null addresses it", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "v/a", Body: "a" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "v/b", Body: "bb" }));
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: "v/", MaxKeys: 1 }));
    expect(page.Versions).toEqual([expect.objectContaining({ Key: "v/a", VersionId: "null", IsLatest: true, Size: 1 })]);
    expect(page.IsTruncated).toBe(true);
    const rest = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: "v/", KeyMarker: page.NextKeyMarker, VersionIdMarker: page.NextVersionIdMarker }));
    expect(rest.Versions!.map((v) => v.Key)).toEqual(["v/b"]);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "v/b", VersionId: "null" }));
    expect(await got.Body!.transformToString()).toBe("bb");
    expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "v/b", VersionId: "3HL4kqtJlcpXroDTDmJ" })))).toMatchObject({ status: 501 });
  });

  it("conditional writes: If-None-Match: * creates only, If-Match replaces only that ETag", async () => {
    const first = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "lock", Body: "one", IfNoneMatch: "*" }));
    expect(await s3Failure(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "lock", Body: "two", IfNoneMatch: "*" })))).toMatchObject({ name: "PreconditionFailed", status: 412 });
    expect(await s3Failure(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "lock", Body: "two", IfMatch: '"0123456789abcdef0123456789abcdef"' })))).toMatchObject({ status: 412 });
    expect(await s3Failure(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "absent", Body: "x", IfMatch: first.ETag })))).toMatchObject({ name: "NoSuchKey", status: 404 });
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "lock", Body: "three", IfMatch: first.ETag }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "lock" }))).Body!.transformToString()).toBe("three");
  });

  it("multipart: a repeated part in the list counts once; completing twice answers the same", async () => {
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "mp" }));
    const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "mp", UploadId: up.UploadId, PartNumber: 1, Body: "only part" }));
    const parts = { Parts: [{ PartNumber: 1, ETag: part.ETag }, { PartNumber: 1, ETag: part.ETag }] };
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "mp", UploadId: up.UploadId, MultipartUpload: parts }));
    const again = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "mp", UploadId: up.UploadId, MultipartUpload: parts }));
    expect(again.ETag).toBe(done.ETag);
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "mp" }))).Body!.transformToString()).toBe("only part");
  });

  it("a range of an empty object is unsatisfiable (416), bytes=0- reads it", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "empty", Body: "" }));
    expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "empty", Range: "bytes=40-50" })))).toMatchObject({ name: "InvalidRange", status: 416 });
    expect((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "empty", Range: "bytes=0-" }))).ContentLength).toBe(0);
  });

  it("object tagging: x-amz-tagging on PUT, Get/Put/DeleteObjectTagging, x-amz-tagging-count, S3's limits", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "t", Body: "x", Tagging: "a=1&b=" }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "t" }))).TagSet).toEqual([{ Key: "a", Value: "1" }, { Key: "b", Value: "" }]);
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "t" }))).TagCount).toBe(2);
    await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "t", Tagging: { TagSet: [{ Key: "k", Value: "v" }] } }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "t" }))).TagSet).toEqual([{ Key: "k", Value: "v" }]);
    const eleven = Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    expect(await s3Failure(s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "t", Tagging: { TagSet: eleven } })))).toMatchObject({ name: "InvalidTag", status: 400 });
    await s3.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: "t" }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "t" }))).TagSet).toEqual([]);
  });

  it("tags read back sorted by key; x-amz-tagging on CreateMultipartUpload is kept by the upload and applied at Complete", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "sorted", Body: "x", Tagging: "foo=bar&bar" }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "sorted" }))).TagSet).toEqual([{ Key: "bar", Value: "" }, { Key: "foo", Value: "bar" }]);
    const key = "tagged-multipart";
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, Tagging: "foo=bar&Hello=World" }));
    const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: "one part" }));
    // Not an object until completed: the tags wait with the upload.
    expect(await s3Failure(s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key })))).toMatchObject({ status: 404 });
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))).TagSet).toEqual([{ Key: "Hello", Value: "World" }, { Key: "foo", Value: "bar" }]);
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).TagCount).toBe(2);
    // The upload's tags are checked when it is created, as PutObject's.
    expect(await s3Failure(s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, Tagging: "a=1&a=2" })))).toMatchObject({ name: "InvalidTag", status: 400 });
  });

  it("x-amz-expected-bucket-owner: the bucket's project serves; another one is 403 AccessDenied, signed or anonymous, and nothing is written", async () => {
    const open = s3BucketName("owner");
    await s3.send(new CreateBucketCommand({ Bucket: open, ACL: "public-read-write" }));
    const owner = (await s3.send(new GetBucketAclCommand({ Bucket: open }))).Owner!.ID!;
    await s3.send(new PutObjectCommand({ Bucket: open, Key: "mine", Body: "x", ExpectedBucketOwner: owner }));
    expect(await s3Failure(s3.send(new PutObjectCommand({ Bucket: open, Key: "theirs", Body: "x", ExpectedBucketOwner: `${owner}foo` })))).toMatchObject({ name: "AccessDenied", status: 403 });
    const anonymous = await request({ method: "PUT", path: `/${open}/anon`, body: "coffee", headers: { "x-amz-expected-bucket-owner": `${owner}foo` } });
    expect(anonymous.status).toBe(403);
    expect(anonymous.text()).toContain("<Code>AccessDenied</Code>");
    expect((await request({ method: "PUT", path: `/${open}/anon`, body: "coffee" })).status).toBe(200);
    expect(await s3Failure(s3.send(new HeadObjectCommand({ Bucket: open, Key: "theirs" })))).toMatchObject({ status: 404 });
  });

  it("x-amz-source-expected-bucket-owner on CopyObject and UploadPartCopy: the source bucket's project copies; another one is 403 AccessDenied and nothing is written", async () => {
    const owner = (await s3.send(new GetBucketAclCommand({ Bucket: bucket }))).Owner!.ID!;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "src-owned", Body: "copy me" }));
    const CopySource = `${bucket}/src-owned`;
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "dst-owned", CopySource, ExpectedSourceBucketOwner: owner }));
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dst-owned" }))).Body!.transformToString()).toBe("copy me");
    const wrong = `${owner}0`;
    expect(await s3Failure(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "dst-other", CopySource, ExpectedSourceBucketOwner: wrong })))).toMatchObject({ name: "AccessDenied", status: 403 });
    expect(await s3Failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "dst-other" })))).toMatchObject({ status: 404 });
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "dst-part" }));
    await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: "dst-part", UploadId, PartNumber: 1, CopySource, ExpectedSourceBucketOwner: owner }));
    expect(await s3Failure(s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: "dst-part", UploadId, PartNumber: 2, CopySource, ExpectedSourceBucketOwner: wrong })))).toMatchObject({ name: "AccessDenied", status: 403 });
    expect((await s3.send(new ListPartsCommand({ Bucket: bucket, Key: "dst-part", UploadId }))).Parts!.map((p) => p.PartNumber)).toEqual([1]);
  });

  it("canned ACLs: an object made public-read is readable anonymously; buckets switch type", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "pub", Body: "open", ACL: "public-read" }));
    expect((await request({ path: `/${bucket}/pub` })).status).toBe(200);
    const grants = (await s3.send(new GetObjectAclCommand({ Bucket: bucket, Key: "pub" }))).Grants!;
    // AllUsers first, as S3 lists them (s3-tests compares in order when the first grant has no DisplayName).
    expect(grants.map((g) => [g.Grantee?.Type, g.Permission])).toEqual([["Group", "READ"], ["CanonicalUser", "FULL_CONTROL"]]);
    await s3.send(new PutObjectAclCommand({ Bucket: bucket, Key: "pub", ACL: "private" }));
    expect((await request({ path: `/${bucket}/pub` })).status).toBe(403);
    expect(await s3Failure(s3.send(new PutObjectAclCommand({ Bucket: bucket, Key: "pub", ACL: "public-read-write" })))).toMatchObject({ status: 501 });

    const other = s3BucketName("acl");
    await s3.send(new CreateBucketCommand({ Bucket: other, ACL: "public-read" }));
    await s3.send(new PutObjectCommand({ Bucket: other, Key: "k", Body: "x" }));
    expect((await request({ path: `/${other}/k` })).status).toBe(200);
    await s3.send(new PutBucketAclCommand({ Bucket: other, ACL: "private" }));
    expect((await s3.send(new GetBucketAclCommand({ Bucket: other }))).Grants).toHaveLength(1);
    expect((await request({ path: `/${other}/k` })).status).toBe(403);
  });

  it("SigV2: header and presigned requests verify; a wrong signature does not", async () => {
    const date = new Date().toUTCString();
    const put = { Date: date, "Content-Type": "text/plain", "x-amz-meta-who": "v2" };
    const res = await request({ method: "PUT", path: `/${bucket}/v2.txt`, headers: { ...put, Authorization: sigV2("PUT", `/${bucket}/v2.txt`, put) }, body: "signed v2" });
    expect(res.status).toBe(200);
    const expires = String(Math.floor(Date.now() / 1000) + 60);
    const sig = createHmac("sha1", PRIVATE_KEY).update(`GET\n\n\n${expires}\n/${bucket}/v2.txt`).digest("base64");
    const query = `AWSAccessKeyId=${encodeURIComponent(PUBLIC_KEY)}&Expires=${expires}&Signature=${encodeURIComponent(sig)}`;
    const got = await request({ path: `/${bucket}/v2.txt?${query}` });
    expect(got.status).toBe(200);
    expect(got.text()).toBe("signed v2");
    expect(got.headers["x-amz-meta-who"]).toBe("v2");
    const bad = await request({ path: `/${bucket}/v2.txt?${query.replace(/Expires=\d+/, `Expires=${Number(expires) + 1}`)}` });
    expect(bad.status).toBe(403);
    expect(bad.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
  });

  it("Content-Encoding: aws-chunked on a body signed by its SHA-256 is a label: stored without it; with UNSIGNED-PAYLOAD refused", async () => {
    for (const [sent, stored] of [["gzip, aws-chunked", "gzip"], ["aws-chunked, gzip", "gzip"], ["aws-chunked", undefined]] as const) {
      const put = await request(signV4({ method: "PUT", path: s3Path(bucket, "label.bin"), body: "plain bytes", headers: { "Content-Encoding": sent } }));
      expect(put.status, put.text()).toBe(200);
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "label.bin" }));
      expect(head.ContentEncoding, sent).toBe(stored);
      expect(head.ContentLength).toBe("plain bytes".length);
    }
    const presigned = await request({ ...presignV4({ method: "PUT", path: s3Path(bucket, "label3.bin") }), method: "PUT", body: "x", headers: { "Content-Encoding": "aws-chunked" } });
    expect(presigned.status).toBe(400);
    expect(presigned.text()).toContain("<Code>InvalidArgument</Code>");
  });

  it("If-None-Match with ETags on PutObject: 412 over an object that has one, a write otherwise", async () => {
    const key = "inm.txt";
    const first = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "bar" }));
    const put = (etags: string, body: string) => request(signV4({ method: "PUT", path: s3Path(bucket, key), body, headers: { "If-None-Match": etags } }));
    const refused = await put(`"nomatch", ${first.ETag}`, "zar");
    expect(refused.status).toBe(412);
    expect(refused.text()).toContain("<Code>PreconditionFailed</Code>");
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString()).toBe("bar");
    const written = await put('"ABCORZ"', "zar");
    expect(written.status, written.text()).toBe(200);
    expect(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToString()).toBe("zar");
    const fresh = await request(signV4({ method: "PUT", path: s3Path(bucket, "inm-new.txt"), body: "new", headers: { "If-None-Match": '"ABCORZ"' } }));
    expect(fresh.status).toBe(200);
  });

  it("ListBuckets pages with max-buckets and continuation-token, in creation order, and filters by prefix", async () => {
    const prefix = s3BucketName("pg");
    const names = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]; // created in name order: creation times are whole seconds
    for (const name of names) await s3.send(new CreateBucketCommand({ Bucket: name }));
    const first = await s3.send(new ListBucketsCommand({ Prefix: prefix, MaxBuckets: 2 }));
    expect(first.Buckets?.map((b) => b.Name)).toEqual(names.slice(0, 2));
    expect(first.Prefix).toBe(prefix);
    expect(first.ContinuationToken).toBeTruthy();
    const second = await s3.send(new ListBucketsCommand({ Prefix: prefix, MaxBuckets: 2, ContinuationToken: first.ContinuationToken }));
    expect(second.Buckets?.map((b) => b.Name)).toEqual(names.slice(2));
    expect(second.ContinuationToken).toBeUndefined();
    const all = await s3.send(new ListBucketsCommand({ Prefix: prefix }));
    expect(all.Buckets).toHaveLength(3);
    expect(all.ContinuationToken).toBeUndefined();
    expect((await s3Failure(s3.send(new ListBucketsCommand({ MaxBuckets: 0 }))))).toMatchObject({ name: "InvalidArgument", status: 400 });
    expect((await s3Failure(s3.send(new ListBucketsCommand({ ContinuationToken: "bm90LWEtdG9rZW4=" }))))).toMatchObject({ name: "InvalidArgument" });
  });

  it("SigV2: a path-style bucket request verifies signed as /<bucket> or /<bucket>/ (botocore signs the slash), not as another path", async () => {
    const fresh = s3BucketName("v2b");
    const date = { Date: new Date().toUTCString() };
    const created = await request({ method: "PUT", path: `/${fresh}`, headers: { ...date, Authorization: sigV2("PUT", `/${fresh}/`, date) } });
    expect(created.status, created.text()).toBe(200);
    const listed = await request({ path: `/${fresh}`, headers: { ...date, Authorization: sigV2("GET", `/${fresh}`, date) } });
    expect(listed.status, listed.text()).toBe(200);
    expect(listed.text()).toContain(`<Name>${fresh}</Name>`);
    // The slash is accepted only where the path is the bucket alone: a key's path must match exactly.
    const keyed = await request({ path: `/${fresh}/k`, headers: { ...date, Authorization: sigV2("GET", `/${fresh}/k/`, date) } });
    expect(keyed.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
    const other = await request({ path: `/${fresh}`, headers: { ...date, Authorization: sigV2("GET", `/${fresh}x/`, date) } });
    expect(other.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
  });

  it("presigned X-Amz-Expires out of range is 403 AccessDenied", async () => {
    const url = new URL(await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "lock" }), { expiresIn: 60 }));
    url.searchParams.set("X-Amz-Expires", "0");
    const res = await request({ path: path(url.toString()) });
    expect(res.status).toBe(403);
    expect(res.text()).toContain("<Code>AccessDenied</Code>");
  });

  it("Cache-Control and Content-Encoding read back as stored; a gzip-accepting client still gets exact bytes", async () => {
    const text = "compressible text ".repeat(300);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "cc.txt", Body: text, ContentType: "text/plain", CacheControl: "max-age=60" }));
    const plain = await request({ path: (path(await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "cc.txt" }), { expiresIn: 60 }))), headers: { "Accept-Encoding": "identity" } });
    expect(plain.headers["cache-control"]).toBe("max-age=60");
    expect(plain.headers["content-encoding"]).toBeUndefined();
    expect(plain.headers["x-amz-server-side-encryption"]).toBe("AES256");
    const gzip = await request({ path: (path(await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "cc.txt" }), { expiresIn: 60 }))), headers: { "Accept-Encoding": "gzip, br" } });
    expect(gzip.headers["content-length"]).toBe(String(text.length));
    expect(gzip.text()).toBe(text);
    expect(gzip.headers["cache-control"]).toBe("max-age=60, no-transform");
    const overridden = await request({
      path: path(await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "cc.txt", ResponseCacheControl: "no-cache" }), { expiresIn: 60 })),
    });
    expect(overridden.headers["cache-control"]).toBe("no-cache");
  });

  it("OPTIONS without Origin or Access-Control-Request-Method is not a preflight: 400 without CORS headers", async () => {
    for (const headers of [{}, { Origin: "https://app.example" }, { "Access-Control-Request-Method": "GET" }] as Record<string, string>[]) {
      const res = await request({ method: "OPTIONS", path: `/${bucket}/lock`, headers });
      expect(res.status, JSON.stringify(headers)).toBe(400);
      expect(res.text()).toContain("<Code>InvalidRequest</Code>");
      expect(res.headers["access-control-allow-origin"]).toBeUndefined();
    }
  });

  it("SigV2 PutBucketCors as botocore signs it (the sub-resource twice); a refused preflight carries no CORS headers", async () => {
    const xml = "<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod><AllowedOrigin>*</AllowedOrigin><ExposeHeader>x-amz-meta-header1</ExposeHeader></CORSRule></CORSConfiguration>";
    const headers = { Date: new Date().toUTCString(), "Content-MD5": createHash("md5").update(xml).digest("base64") };
    const put = await request({ method: "PUT", path: `/${bucket}?cors`, body: xml, headers: { ...headers, Authorization: sigV2("PUT", `/${bucket}?cors?cors`, headers) } });
    expect(put.status, put.text()).toBe(200);
    // The doubled form is accepted for that sub-resource only.
    const other = await request({ method: "PUT", path: `/${bucket}?cors`, body: xml, headers: { ...headers, Authorization: sigV2("PUT", `/${bucket}?acl?cors`, headers) } });
    expect(other.text()).toContain("<Code>SignatureDoesNotMatch</Code>");
    const preflight = (requestHeaders: string) =>
      request({ method: "OPTIONS", path: `/${bucket}/bar`, headers: { Origin: "example.origin", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": requestHeaders } });
    const refused = await preflight("x-amz-meta-header2");
    expect(refused.status).toBe(403);
    expect(refused.headers["access-control-allow-origin"]).toBeUndefined();
    expect((await preflight("")).headers["access-control-allow-origin"]).toBe("*");
    await request(signV4({ method: "DELETE", path: `/${bucket}?cors` }));
  });
});
