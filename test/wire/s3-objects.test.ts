import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketLocationCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { md5Hex, s3BucketName, s3Client, s3Failure } from "./s3-helpers";

/** Every bucket and object operation through @aws-sdk/client-s3 over real HTTP, both addressing styles. */
for (const style of ["path", "virtual"] as const) {
  describe(`S3 objects (${style} style)`, () => {
    const s3 = s3Client({ style });
    const bucket = s3BucketName(`o${style[0]}`);

    beforeAll(async () => {
      await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    });

    it("CreateBucket/HeadBucket/GetBucketLocation/ListBuckets", async () => {
      expect((await s3.send(new HeadBucketCommand({ Bucket: bucket }))).$metadata.httpStatusCode).toBe(200);
      const loc = await s3.send(new GetBucketLocationCommand({ Bucket: bucket }));
      expect(loc.LocationConstraint).toBeTruthy();
      const list = await s3.send(new ListBucketsCommand({}));
      expect(list.Buckets!.map((b) => b.Name)).toContain(bucket);
      // Re-creating one's own bucket: 200 in us-east-1, BucketAlreadyOwnedByYou elsewhere (as AWS).
      expect((await s3.send(new CreateBucketCommand({ Bucket: bucket }))).$metadata.httpStatusCode).toBe(200);
      const elsewhere = s3Client({ style, region: "eu-west-1" });
      expect(await s3Failure(elsewhere.send(new CreateBucketCommand({ Bucket: bucket })))).toMatchObject({ name: "BucketAlreadyOwnedByYou", status: 409 });
      expect(await s3Failure(s3.send(new CreateBucketCommand({ Bucket: "Bad_Name" })))).toMatchObject({ status: 400 });
      expect(await s3Failure(s3.send(new HeadBucketCommand({ Bucket: "no-such-bucket-here" })))).toMatchObject({ status: 404 });
    });

    it("PutObject → GetObject/HeadObject with the MD5 ETag, metadata and standard headers", async () => {
      const body = "hello, s3 " + style;
      const put = await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: "dir/hello world+é.txt",
          Body: body,
          ContentType: "text/plain",
          ContentDisposition: 'attachment; filename="x.txt"',
          CacheControl: "max-age=60",
          Metadata: { color: "blue" },
        }),
      );
      expect(put.ETag).toBe(`"${await md5Hex(body)}"`);
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dir/hello world+é.txt" }));
      expect(await got.Body!.transformToString()).toBe(body);
      expect(got.ETag).toBe(put.ETag);
      expect(got.ContentType).toBe("text/plain");
      expect(got.ContentDisposition).toBe('attachment; filename="x.txt"');
      expect(got.CacheControl).toBe("max-age=60"); // exactly as stored: the SDK accepts no compression
      expect(got.Metadata).toEqual({ color: "blue" });
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "dir/hello world+é.txt" }));
      expect(head.ContentLength).toBe(body.length);
      expect(head.ETag).toBe(put.ETag);
    });

    it("GetObject: Range, conditionals (304/412), response-* overrides; NoSuchKey", async () => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "r.txt", Body: "0123456789" }));
      const part = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "r.txt", Range: "bytes=2-5" }));
      expect(await part.Body!.transformToString()).toBe("2345");
      expect(part.ContentRange).toBe("bytes 2-5/10");
      const etag = part.ETag!;
      expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "r.txt", IfNoneMatch: etag })))).toMatchObject({ status: 304 });
      expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "r.txt", IfMatch: '"nope"' })))).toMatchObject({ name: "PreconditionFailed", status: 412 });
      expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "r.txt", IfModifiedSince: new Date(Date.now() + 3600_000) })))).toMatchObject({ status: 304 });
      expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "r.txt", IfUnmodifiedSince: new Date(Date.now() - 3600_000) })))).toMatchObject({ status: 412 });
      const ok = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "r.txt", IfMatch: etag, ResponseContentType: "application/x-test", ResponseContentDisposition: "inline" }));
      expect(ok.ContentType).toBe("application/x-test");
      expect(ok.ContentDisposition).toBe("inline");
      await ok.Body!.transformToString();
      expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "missing" })))).toMatchObject({ name: "NoSuchKey", status: 404 });
      expect(await s3Failure(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "r.txt", Range: "bytes=20-30" })))).toMatchObject({ name: "InvalidRange", status: 416 });
    });

    it("ListObjects V1 and V2: prefix, delimiter, paging, start-after, encoding-type=url", async () => {
      for (const k of ["l/a", "l/b/1", "l/b/2", "l/c", "l/d e"]) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: k }));
      const v2 = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "l/", Delimiter: "/" }));
      expect(v2.Contents!.map((o) => o.Key)).toEqual(["l/a", "l/c", "l/d e"]);
      expect(v2.CommonPrefixes!.map((p) => p.Prefix)).toEqual(["l/b/"]);
      expect(v2.KeyCount).toBe(4);
      expect(v2.Contents![0].ETag).toBe(`"${await md5Hex("l/a")}"`);
      // Paging two at a time with continuation tokens sees every key once.
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "l/", MaxKeys: 2, ContinuationToken: token }));
        seen.push(...page.Contents!.map((o) => o.Key!));
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      expect(seen).toEqual(["l/a", "l/b/1", "l/b/2", "l/c", "l/d e"]);
      const after = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "l/", StartAfter: "l/b/2", FetchOwner: true }));
      expect(after.Contents!.map((o) => o.Key)).toEqual(["l/c", "l/d e"]);
      expect(after.Contents![0].Owner?.ID).toBeTruthy();
      const v1 = await s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: "l/", Marker: "l/a", MaxKeys: 2 }));
      expect(v1.Contents!.map((o) => o.Key)).toEqual(["l/b/1", "l/b/2"]);
      expect(v1.IsTruncated).toBe(true);
      const encoded = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "l/d", EncodingType: "url" }));
      // The JS SDK hands url-encoded keys back as sent (boto3 decodes them).
      expect(encoded.Contents!.map((o) => o.Key)).toEqual(["l/d%20e"]);
      expect(encoded.EncodingType).toBe("url");
    });

    it("CopyObject: COPY/REPLACE directives, conditional copy, copy onto itself refused", async () => {
      const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "c/src", Body: "copy me", ContentType: "text/a", Metadata: { a: "1" } }));
      const copied = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "c/dst", CopySource: `${bucket}/c/src` }));
      expect(copied.CopyObjectResult!.ETag).toBe(put.ETag);
      const dst = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "c/dst" }));
      expect(dst.Metadata).toEqual({ a: "1" });
      expect(dst.ContentType).toBe("text/a");
      await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "c/dst2", CopySource: `${bucket}/c/src`, MetadataDirective: "REPLACE", ContentType: "text/b", Metadata: { b: "2" } }));
      const dst2 = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "c/dst2" }));
      expect(dst2.Metadata).toEqual({ b: "2" });
      expect(dst2.ContentType).toBe("text/b");
      expect(await s3Failure(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "c/dst3", CopySource: `${bucket}/c/src`, CopySourceIfMatch: '"other"' })))).toMatchObject({ name: "PreconditionFailed", status: 412 });
      expect(await s3Failure(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "c/src", CopySource: `${bucket}/c/src` })))).toMatchObject({ name: "InvalidRequest", status: 400 });
      expect(await s3Failure(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "c/x", CopySource: `${bucket}/c/none` })))).toMatchObject({ name: "NoSuchKey" });
    });

    it("DeleteObject (idempotent), DeleteObjects (Quiet and not), DeleteBucket refuses a non-empty bucket", async () => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "d/1", Body: "1" }));
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "d/2", Body: "2" }));
      expect((await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "d/1" }))).$metadata.httpStatusCode).toBe(204);
      expect((await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "d/1" }))).$metadata.httpStatusCode).toBe(204);
      const res = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "d/2" }, { Key: "d/none" }] } }));
      expect(res.Deleted!.map((d) => d.Key).sort()).toEqual(["d/2", "d/none"]);
      const quiet = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "d/x" }], Quiet: true } }));
      expect(quiet.Deleted ?? []).toEqual([]);
      expect(await s3Failure(s3.send(new DeleteBucketCommand({ Bucket: bucket })))).toMatchObject({ name: "BucketNotEmpty", status: 409 });
    });

    it("empty bucket deletes; unknown sub-resources answer NotImplemented", async () => {
      const b = s3BucketName("del");
      await s3.send(new CreateBucketCommand({ Bucket: b, CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } }));
      expect((await s3.send(new DeleteBucketCommand({ Bucket: b }))).$metadata.httpStatusCode).toBe(204);
      expect(await s3Failure(s3.send(new HeadBucketCommand({ Bucket: b })))).toMatchObject({ status: 404 });
    });
  });
}
