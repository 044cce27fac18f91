import {
  CreateBucketCommand,
  DeleteBucketTaggingCommand,
  GetBucketTaggingCommand,
  PutBucketTaggingCommand,
  PutObjectTaggingCommand,
  PutObjectCommand,
  GetObjectTaggingCommand,
} from "@aws-sdk/client-s3";
import { beforeAll, describe, expect, it } from "vitest";
import { s3BucketName, s3Client, s3Failure } from "./s3-helpers";

/** S3 bucket tagging through @aws-sdk/client-s3: S3's limits and errors, a set replaced whole, kept apart from object tags. */
describe("S3 bucket tagging", () => {
  const s3 = s3Client();
  const bucket = s3BucketName("bt");
  beforeAll(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  const tags = (n: number, key = (i: number) => `k${i}`, value = (i: number) => `v${i}`) => Array.from({ length: n }, (_, i) => ({ Key: key(i), Value: value(i) }));

  it("no tags: NoSuchTagSet; a set is replaced whole and deleted; object tags are separate", async () => {
    expect(await s3Failure(s3.send(new GetBucketTaggingCommand({ Bucket: bucket })))).toMatchObject({ name: "NoSuchTagSet", status: 404 });
    const put = await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: "team", Value: "storage" }, { Key: "cost center", Value: "" }] } }));
    expect(put.$metadata.httpStatusCode).toBe(204);
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet).toEqual([{ Key: "team", Value: "storage" }, { Key: "cost center", Value: "" }]);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "o", Body: "x" }));
    await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "o", Tagging: { TagSet: [{ Key: "obj", Value: "1" }] } }));
    await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: [{ Key: "only", Value: "this" }] } }));
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet).toEqual([{ Key: "only", Value: "this" }]);
    expect((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "o" }))).TagSet).toEqual([{ Key: "obj", Value: "1" }]);
    expect((await s3.send(new DeleteBucketTaggingCommand({ Bucket: bucket }))).$metadata.httpStatusCode).toBe(204);
    expect(await s3Failure(s3.send(new GetBucketTaggingCommand({ Bucket: bucket })))).toMatchObject({ name: "NoSuchTagSet", status: 404 });
  });

  it("S3's bounds: 50 tags, keys of 1-128 and values of 0-256 characters, unique keys, no aws: prefix (InvalidTag, nothing stored)", async () => {
    await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: tags(50, (i) => `${"k".repeat(120)}${i}`, () => "v".repeat(256)) } }));
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet).toHaveLength(50);
    const refused = [
      tags(51),
      tags(1, () => "k".repeat(129)),
      tags(1, () => "k", () => "v".repeat(257)),
      [{ Key: "a", Value: "1" }, { Key: "a", Value: "2" }],
      [{ Key: "aws:reserved", Value: "1" }],
      [{ Key: "bad<char>", Value: "1" }],
    ];
    for (const TagSet of refused) {
      expect(await s3Failure(s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet } })))).toMatchObject({ name: "InvalidTag", status: 400 });
    }
    expect((await s3.send(new GetBucketTaggingCommand({ Bucket: bucket }))).TagSet).toHaveLength(50);
    expect(await s3Failure(s3.send(new GetBucketTaggingCommand({ Bucket: "no-such-bucket-tagging" })))).toMatchObject({ name: "NoSuchBucket", status: 404 });
  });
});
