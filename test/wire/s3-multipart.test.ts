import { createHash } from "node:crypto";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { beforeAll, describe, expect, it } from "vitest";
import { eventually, file, pattern, putFile, triggerScheduled, ufileEtag } from "./client";
import { md5Hex, s3BucketName, s3Client, s3Failure } from "./s3-helpers";

const MiB = 1024 * 1024;
const md5 = (b: Uint8Array) => createHash("md5").update(b).digest();
/** The multipart ETag S3 clients expect: md5 of the concatenated part MD5s, "-N". */
const multipartEtag = (parts: Uint8Array[]) => `"${createHash("md5").update(Buffer.concat(parts.map(md5))).digest("hex")}-${parts.length}"`;

describe("S3 multipart", () => {
  const s3 = s3Client();
  const bucket = s3BucketName("mp");
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  it("a 64 MiB lib-storage upload (parallel 8 MiB parts) → exact S3 ETag, UFile GET/HEAD/PrefixFileList with the UFile ETag", async () => {
    const data = pattern(64 * MiB, 7);
    const upload = new Upload({ client: s3, params: { Bucket: bucket, Key: "big/64m.bin", Body: data, ContentType: "application/x-big" }, partSize: 8 * MiB, queueSize: 4 });
    const done = await upload.done();
    const parts = Array.from({ length: 8 }, (_, i) => data.subarray(i * 8 * MiB, (i + 1) * 8 * MiB));
    expect(done.ETag).toBe(multipartEtag(parts));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "big/64m.bin" }));
    expect(head.ETag).toBe(done.ETag);
    expect(head.ContentLength).toBe(64 * MiB);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "big/64m.bin", Range: "bytes=33554430-33554433" }));
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(Buffer.from(data.subarray(33554430, 33554434)));
    // The same object through the UFile plane: its own ETag (8 MiB parts line up with the 4 MiB windows).
    const ufile = await file(bucket, "big/64m.bin", { method: "HEAD" });
    expect(ufile.status).toBe(200);
    expect(ufile.headers.etag).toBe(ufileEtag(data));
    expect(ufile.headers["content-type"]).toBe("application/x-big");
    const list = await file(bucket, "", { query: "list&prefix=big/" });
    expect(list.json().DataSet[0]).toMatchObject({ FileName: "big/64m.bin", Hash: ufileEtag(data), Size: 64 * MiB });
    const ranged = await file(bucket, "big/64m.bin", { headers: { Range: "bytes=0-9" } });
    expect(ranged.body).toEqual(Buffer.from(data.subarray(0, 10)));
  }, 180_000);

  it("parts of 5 MiB (not a multiple of 4 MiB): UFile clients see the S3 ETag until the UFile ETag is computed after completion", async () => {
    const data = pattern(11 * MiB, 3);
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "odd.bin" }));
    const parts = [data.subarray(0, 5 * MiB), data.subarray(5 * MiB, 10 * MiB), data.subarray(10 * MiB)];
    const etags = [];
    for (let i = 0; i < 3; i++) {
      const r = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "odd.bin", UploadId: up.UploadId, PartNumber: i + 1, Body: parts[i] }));
      expect(r.ETag).toBe(`"${await md5Hex(parts[i])}"`);
      etags.push(r.ETag!);
    }
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "odd.bin", UploadId: up.UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }));
    expect(done.ETag).toBe(multipartEtag(parts));
    await triggerScheduled(); // the cron computes what the post-completion job has not yet
    await eventually(async () => expect((await file(bucket, "odd.bin", { method: "HEAD" })).headers.etag).toBe(ufileEtag(data)));
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "odd.bin" }))).ETag).toBe(done.ETag);
  }, 120_000);

  it("ListParts, ListMultipartUploads, Abort; NoSuchUpload afterwards", async () => {
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "lp/x" }));
    await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "lp/x", UploadId: up.UploadId, PartNumber: 1, Body: pattern(5 * MiB, 1) }));
    await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "lp/x", UploadId: up.UploadId, PartNumber: 2, Body: "tail" }));
    const parts = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: "lp/x", UploadId: up.UploadId }));
    expect(parts.Parts!.map((p) => [p.PartNumber, p.Size])).toEqual([[1, 5 * MiB], [2, 4]]);
    const page = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: "lp/x", UploadId: up.UploadId, PartNumberMarker: "1" }));
    expect(page.Parts!.map((p) => p.PartNumber)).toEqual([2]);
    const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: "lp/" }));
    expect(uploads.Uploads!.map((u) => [u.Key, u.UploadId])).toEqual([["lp/x", up.UploadId]]);
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: "lp/x", UploadId: up.UploadId }));
    expect(await s3Failure(s3.send(new ListPartsCommand({ Bucket: bucket, Key: "lp/x", UploadId: up.UploadId })))).toMatchObject({ name: "NoSuchUpload", status: 404 });
    expect(await s3Failure(s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: "lp/x", UploadId: up.UploadId })))).toMatchObject({ name: "NoSuchUpload" });
  }, 60_000);

  it("unequal parts are refused on arrival (R2 needs equal part sizes); a bad list is refused at completion", async () => {
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "bad" }));
    const p = (n: number, body: Uint8Array | string) => s3.send(new UploadPartCommand({ Bucket: bucket, Key: "bad", UploadId: up.UploadId, PartNumber: n, Body: body }));
    const first = await p(1, pattern(6 * MiB, 1));
    expect(await s3Failure(p(2, pattern(7 * MiB, 2)))).toMatchObject({ name: "EntityTooLarge", status: 400 });
    await p(3, "short last part");
    expect(await s3Failure(p(2, pattern(1 * MiB, 2)))).toMatchObject({ name: "EntityTooSmall", status: 400 });
    const complete = (parts: { ETag: string; PartNumber: number }[]) =>
      s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "bad", UploadId: up.UploadId, MultipartUpload: { Parts: parts } }));
    expect(await s3Failure(complete([{ ETag: first.ETag!, PartNumber: 1 }, { ETag: '"0"', PartNumber: 3 }]))).toMatchObject({ name: "InvalidPart", status: 400 });
    expect(await s3Failure(complete([{ ETag: '"0"', PartNumber: 3 }, { ETag: first.ETag!, PartNumber: 1 }]))).toMatchObject({ name: "InvalidPartOrder", status: 400 });
    expect(await s3Failure(s3.send(new UploadPartCommand({ Bucket: bucket, Key: "bad", UploadId: "nope", PartNumber: 1, Body: "x" })))).toMatchObject({ name: "NoSuchUpload" });
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: "bad", UploadId: up.UploadId }));
  }, 60_000);

  it("UploadPartCopy with x-amz-copy-source-range, from an object a UFile client wrote", async () => {
    const source = pattern(12 * MiB, 5);
    await putFile(bucket, "src.bin", source);
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "copied.bin" }));
    const a = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: "copied.bin", UploadId: up.UploadId, PartNumber: 1, CopySource: `${bucket}/src.bin`, CopySourceRange: `bytes=0-${8 * MiB - 1}` }));
    const b = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: "copied.bin", UploadId: up.UploadId, PartNumber: 2, CopySource: `${bucket}/src.bin`, CopySourceRange: `bytes=${8 * MiB}-${12 * MiB - 1}` }));
    expect(a.CopyPartResult!.ETag).toBe(`"${await md5Hex(source.subarray(0, 8 * MiB))}"`);
    expect(await s3Failure(s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: "copied.bin", UploadId: up.UploadId, PartNumber: 3, CopySource: `${bucket}/src.bin`, CopySourceRange: "bytes=0-99999999" })))).toMatchObject({ name: "InvalidRange" });
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "copied.bin", UploadId: up.UploadId, MultipartUpload: { Parts: [{ ETag: a.CopyPartResult!.ETag, PartNumber: 1 }, { ETag: b.CopyPartResult!.ETag, PartNumber: 2 }] } }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "copied.bin" }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.from(source))).toBe(true);
    expect((await file(bucket, "copied.bin", { method: "HEAD" })).headers.etag).toBe(ufileEtag(source));
  }, 120_000);

  it("a UFile PutFile is read, headed and listed over S3 with exact ETags", async () => {
    const body = pattern(5 * MiB + 3, 9);
    const ufile = await putFile(bucket, "x/ufile.bin", body, "application/x-u");
    expect(ufile).toBe(ufileEtag(body));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "x/ufile.bin" }));
    expect(head.ETag).toBe(`"${await md5Hex(body)}"`);
    expect(head.ContentType).toBe("application/x-u");
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "x/ufile.bin" }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.from(body))).toBe(true);
    expect(got.ETag).toBe(head.ETag);
    const list = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "x/" }));
    expect(list.Contents!.map((o) => [o.Key, o.ETag, o.Size])).toEqual([["x/ufile.bin", head.ETag, body.length]]);
    // And the reverse for a single-part S3 write: UFile HEAD answers the UFile ETag.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "x/s3.txt", Body: "from s3" }));
    expect((await file(bucket, "x/s3.txt", { method: "HEAD" })).headers.etag).toBe(ufileEtag(Buffer.from("from s3")));
  }, 60_000);
});
