// S3 lifecycle rules at work (issue 23), over HTTP: rules set with @aws-sdk/client-s3 filter by tag, And
// (prefix + tags + size) and object size, and act by date, when the Worker served by wrangler dev runs its
// cron at a later scheduled time (`/cdn-cgi/local/scheduled?time=<ms>`), on objects written through S3 and
// through the UFile data plane alike; disabled rules and future dates leave objects alone. A
// *.clock.test.ts file: it runs on a server of its own (test/vitest.config.ts).
import { HeadObjectCommand, PutBucketLifecycleConfigurationCommand, PutObjectCommand, PutObjectTaggingCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { file, newBucket, putFile } from "./client";
import { cronAt, DAY_MS } from "./rules-ufile";
import { s3Client } from "./s3-helpers";

const s3 = s3Client();

/** What a UFile HEAD says of a key: its class, or 404 once it is gone. */
const state = async (bucket: string, key: string) => {
  const res = await file(bucket, key, { method: "HEAD" });
  return res.status === 200 ? res.headers["x-ufile-storage-class"] : res.status;
};

describe("S3 lifecycle rules by tag, size and date, the cron fired days later over HTTP", () => {
  it("expires and moves exactly the objects each filter takes, whichever front wrote them", async () => {
    const bucket = await newBucket();
    const yesterday = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS);
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: bucket,
        LifecycleConfiguration: {
          Rules: [
            { ID: "tag", Filter: { Tag: { Key: "tom", Value: "sawyer" } }, Status: "Enabled", Expiration: { Days: 1 } },
            { ID: "and", Filter: { And: { Prefix: "days1", Tags: [{ Key: "huck", Value: "finn" }, { Key: "tom", Value: "sawyer" }] } }, Status: "Enabled", Expiration: { Days: 1 } },
            { ID: "big", Filter: { And: { Prefix: "size/", ObjectSizeGreaterThan: 2000 } }, Status: "Enabled", Expiration: { Days: 1 } },
            { ID: "small", Filter: { And: { Prefix: "small/", ObjectSizeLessThan: 2000 } }, Status: "Enabled", Transitions: [{ Days: 1, StorageClass: "GLACIER" }] },
            { ID: "past", Filter: { Prefix: "past/" }, Status: "Enabled", Expiration: { Date: yesterday } },
            { ID: "ia-date", Filter: { Prefix: "dated/" }, Status: "Enabled", Transitions: [{ Date: yesterday, StorageClass: "STANDARD_IA" }] },
            { ID: "future", Filter: { Prefix: "future/" }, Status: "Enabled", Expiration: { Date: new Date("2099-01-01T00:00:00Z") } },
            { ID: "off", Filter: { Prefix: "off/" }, Status: "Disabled", Expiration: { Days: 1 } },
          ],
        },
      }),
    );
    const put = (Key: string, Body: string, Tagging?: string) => s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body, Tagging }));
    await put("any/tom", "t", "tom=sawyer");
    await put("any/other", "o", "tom=becky");
    // The UFile plane's object, tagged afterwards through S3: the same rules take it.
    await putFile(bucket, "days1/huck", "h");
    await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "days1/huck", Tagging: { TagSet: [{ Key: "huck", Value: "finn" }] } }));
    await put("days1/huck-only", "h");
    await put("size/big", "b".repeat(3000));
    await putFile(bucket, "size/small", "s".repeat(1000));
    await put("size/edge", "e".repeat(2000));
    await put("small/a", "a".repeat(10));
    await put("small/b", "b".repeat(2000));
    await putFile(bucket, "past/a", "p");
    await put("dated/a", "d");
    await put("future/a", "f");
    await put("off/a", "x");

    const t0 = Date.now();
    // The dated rules act at once: their date has passed, whatever the objects' age.
    await cronAt(t0);
    expect(await state(bucket, "past/a")).toBe(404);
    expect(await state(bucket, "dated/a")).toBe("IA");
    expect(await state(bucket, "any/tom")).toBe("STANDARD");

    await cronAt(t0 + 2 * DAY_MS);
    const expected: Record<string, string | number> = {
      "any/tom": 404,
      "any/other": "STANDARD",
      "days1/huck": "STANDARD", // one of the And's two tags only
      "days1/huck-only": "STANDARD",
      "size/big": 404,
      "size/small": "STANDARD",
      "size/edge": "STANDARD", // ObjectSizeGreaterThan is strict
      "small/a": "ARCHIVE",
      "small/b": "STANDARD", // ObjectSizeLessThan too
      "dated/a": "IA",
      "future/a": "STANDARD",
      "off/a": "STANDARD",
    };
    for (const [key, want] of Object.entries(expected)) expect(await state(bucket, key), key).toBe(want);

    // Now with both tags: the And rule takes it at the next pass.
    await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "days1/huck", Tagging: { TagSet: [{ Key: "huck", Value: "finn" }, { Key: "tom", Value: "becky" }] } }));
    await cronAt(t0 + 4 * DAY_MS);
    expect(await state(bucket, "days1/huck")).toBe("STANDARD");
    await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "days1/huck", Tagging: { TagSet: [{ Key: "huck", Value: "finn" }, { Key: "tom", Value: "sawyer" }] } }));
    await cronAt(t0 + 6 * DAY_MS);
    expect(await state(bucket, "days1/huck")).toBe(404);
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "small/a" }))).StorageClass).toBe("GLACIER");
  });
});
