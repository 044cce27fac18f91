// Conditional deletes (docs/s3.md §3, docs/protocol.md §5.8). Over S3: DeleteObject's If-Match,
// x-amz-if-match-size and x-amz-if-match-last-modified-time, and DeleteObjects' per-object <ETag>,
// <Size> and <LastModifiedTime>, sent by @aws-sdk/client-s3 as applications send them. Over UFile:
// DeleteFile's If-Match.
import { CreateBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { file, newBucket, putFile, request } from "./client";
import { s3BucketName, s3Client, s3Failure, s3Path, signV4 } from "./s3-helpers";

const s3 = s3Client();
const bucket = s3BucketName("cdel");
const put = async (key: string, body = "data") => (await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))).ETag!;
const exists = (key: string) =>
  s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    (err: { $metadata?: { httpStatusCode?: number } }) => {
      if (err.$metadata?.httpStatusCode === 404) return false;
      throw err;
    },
  );
const del = (key: string, extra: Partial<ConstructorParameters<typeof DeleteObjectCommand>[0]> = {}) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, ...extra }));
const WRONG_ETAG = '"0123456789abcdef0123456789abcdef"';

describe("S3 conditional deletes", () => {
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  it("DeleteObject If-Match: a wrong ETag keeps the object (412), its ETag or * deletes it, a missing key is 204", async () => {
    const etag = await put("m");
    expect(await s3Failure(del("m", { IfMatch: WRONG_ETAG }))).toMatchObject({ name: "PreconditionFailed", status: 412 });
    expect(await exists("m")).toBe(true);
    expect((await del("m", { IfMatch: etag })).$metadata.httpStatusCode).toBe(204);
    expect(await exists("m")).toBe(false);
    // The key is gone: the condition has nothing to fail on, and the delete's outcome holds.
    expect((await del("m", { IfMatch: WRONG_ETAG })).$metadata.httpStatusCode).toBe(204);
    await put("m");
    expect((await del("m", { IfMatch: "*" })).$metadata.httpStatusCode).toBe(204);
    expect(await exists("m")).toBe(false);
  });

  it("DeleteObject x-amz-if-match-size and x-amz-if-match-last-modified-time, alone and with If-Match", async () => {
    const etag = await put("s", "12345");
    expect(await s3Failure(del("s", { IfMatchSize: 4 }))).toMatchObject({ name: "PreconditionFailed", status: 412 });
    const { LastModified } = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "s" }));
    expect(await s3Failure(del("s", { IfMatchLastModifiedTime: new Date(LastModified!.getTime() - 1000) }))).toMatchObject({ status: 412 });
    // Every condition must hold: a right size with a wrong ETag still fails.
    expect(await s3Failure(del("s", { IfMatchSize: 5, IfMatch: WRONG_ETAG }))).toMatchObject({ status: 412 });
    expect(await exists("s")).toBe(true);
    await del("s", { IfMatchSize: 5, IfMatch: etag, IfMatchLastModifiedTime: LastModified });
    expect(await exists("s")).toBe(false);
  });

  it("a malformed condition is 400 InvalidArgument and deletes nothing", async () => {
    await put("bad");
    const malformed: Record<string, string>[] = [{ "x-amz-if-match-size": "five" }, { "x-amz-if-match-last-modified-time": "yesterday" }];
    for (const headers of malformed) {
      const res = await request(signV4({ method: "DELETE", path: s3Path(bucket, "bad"), headers }));
      expect(res.status).toBe(400);
      expect(res.text()).toContain("<Code>InvalidArgument</Code>");
    }
    expect(await exists("bad")).toBe(true);
  });

  it("DeleteObjects: each object's <ETag>, <Size>, <LastModifiedTime> decide its own entry", async () => {
    const etagA = await put("a", "aa");
    await put("b", "bbb");
    await put("c", "c");
    const { LastModified } = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "c" }));
    const first = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: {
          Objects: [
            { Key: "a", ETag: WRONG_ETAG },
            { Key: "b", Size: 2 },
            { Key: "c", LastModifiedTime: new Date(0) },
          ],
        },
      }),
    );
    expect(first.Deleted ?? []).toEqual([]);
    expect(first.Errors!.map((e) => [e.Key, e.Code])).toEqual([
      ["a", "PreconditionFailed"],
      ["b", "PreconditionFailed"],
      ["c", "PreconditionFailed"],
    ]);
    for (const key of ["a", "b", "c"]) expect(await exists(key)).toBe(true);
    const second = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: {
          Objects: [
            { Key: "a", ETag: etagA },
            { Key: "b", Size: 3 },
            { Key: "c", LastModifiedTime: LastModified },
            { Key: "never-there", ETag: WRONG_ETAG },
          ],
        },
      }),
    );
    expect(second.Errors ?? []).toEqual([]);
    expect(second.Deleted!.map((d) => d.Key)).toEqual(["a", "b", "c", "never-there"]);
    for (const key of ["a", "b", "c"]) expect(await exists(key)).toBe(false);
  });
});

describe("UFile DeleteFile If-Match", () => {
  it("a wrong ETag keeps the file (412 -91017), its ETag deletes it, a missing key stays 404", async () => {
    const ufileBucket = await newBucket();
    const etag = await putFile(ufileBucket, "f.txt", "file body");
    const wrong = await file(ufileBucket, "f.txt", { method: "DELETE", headers: { "If-Match": WRONG_ETAG } });
    expect(wrong.status).toBe(412);
    expect(wrong.json().RetCode).toBe(-91017);
    expect((await file(ufileBucket, "f.txt", { method: "HEAD" })).status).toBe(200);
    expect((await file(ufileBucket, "f.txt", { method: "DELETE", headers: { "If-Match": etag } })).status).toBe(204);
    expect((await file(ufileBucket, "f.txt", { method: "HEAD" })).status).toBe(404);
    expect((await file(ufileBucket, "f.txt", { method: "DELETE", headers: { "If-Match": "*" } })).status).toBe(404);
  });
});
