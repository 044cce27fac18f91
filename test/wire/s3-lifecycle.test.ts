// S3 lifecycle configurations as AWS keeps them (issue 23), with @aws-sdk/client-s3 over HTTP: filters by
// prefix, tag, And and object size, the legacy top-level Prefix, rules without an ID, Expiration and
// Transition by Date, ExpiredObjectDeleteMarker, disabled rules, all read back as written; the dates S3
// refuses; a UFile update of an S3 rule keeps what UFile cannot express; and `x-amz-expiration` on
// PutObject, CopyObject, CompleteMultipartUpload, HeadObject and GetObject for the objects a rule will expire. The rules at work (the cron,
// days later) are in s3-lifecycle.clock.test.ts.
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetBucketLifecycleConfigurationCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketLifecycleConfigurationCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  UploadPartCommand,
  type LifecycleRule,
} from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { newBucket, request } from "./client";
import { pythonSdk } from "./rules-ufile";
import { s3Client, s3Failure, signV4 } from "./s3-helpers";

const s3 = s3Client();
const putLifecycle = (Bucket: string, Rules: LifecycleRule[]) => s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules } }));
const getRules = async (Bucket: string) => (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket }))).Rules;

/** A PutBucketLifecycleConfiguration body as written by hand (what no SDK type allows), signed. */
async function putLifecycleXml(bucket: string, rules: string) {
  const body = `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${rules}</LifecycleConfiguration>`;
  return request(signV4({ method: "PUT", path: `/${bucket}?lifecycle`, body }));
}

const DAY_MS = 86_400_000;
/** The midnight UTC S3 announces: last update + days, rounded up to the next midnight. */
const expiryOf = (modified: Date, days: number) => new Date(Math.ceil((Math.floor(modified.getTime() / 1000) * 1000 + days * DAY_MS) / DAY_MS) * DAY_MS);

describe("S3 lifecycle configuration fidelity", () => {
  it("reads back filters by tag, And and size, the legacy Prefix, dates, delete markers and disabled rules as written", async () => {
    const bucket = await newBucket();
    const rules: LifecycleRule[] = [
      { ID: "tag", Filter: { Tag: { Key: "class", Value: "tmp" } }, Status: "Enabled", Expiration: { Days: 1 } },
      {
        ID: "and",
        Filter: { And: { Prefix: "logs/", Tags: [{ Key: "a", Value: "1" }, { Key: "b", Value: "" }], ObjectSizeGreaterThan: 100, ObjectSizeLessThan: 5000 } },
        Status: "Enabled",
        Transitions: [{ Days: 10, StorageClass: "STANDARD_IA" }],
        Expiration: { Days: 40 },
      },
      { ID: "big", Filter: { ObjectSizeGreaterThan: 1_000_000 }, Status: "Disabled", Expiration: { Days: 3 } },
      {
        ID: "dated",
        Filter: { Prefix: "old/" },
        Status: "Enabled",
        Transitions: [
          { Date: new Date("2030-01-01T00:00:00Z"), StorageClass: "STANDARD_IA" },
          { Date: new Date("2030-06-01T00:00:00Z"), StorageClass: "GLACIER" },
        ],
        Expiration: { Date: new Date("2031-01-01T00:00:00Z") },
      },
      { ID: "markers", Filter: { Prefix: "m/" }, Status: "Enabled", Expiration: { ExpiredObjectDeleteMarker: true } },
      { ID: "legacy", Prefix: "old-style/", Status: "Enabled", Expiration: { Days: 7 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 } },
    ];
    await putLifecycle(bucket, rules);
    expect(await getRules(bucket)).toEqual(rules);
  });

  it("gives a rule without an ID one, and keeps it", async () => {
    const bucket = await newBucket();
    await putLifecycle(bucket, [
      { Prefix: "a/", Status: "Enabled", Expiration: { Days: 31 } },
      { Filter: { Prefix: "b/" }, Status: "Enabled", Expiration: { Days: 120 } },
    ]);
    const got = await getRules(bucket);
    expect(got!.map(({ ID, ...rest }) => rest)).toEqual([
      { Prefix: "a/", Status: "Enabled", Expiration: { Days: 31 } },
      { Filter: { Prefix: "b/" }, Status: "Enabled", Expiration: { Days: 120 } },
    ]);
    const ids = got!.map((r) => r.ID);
    expect(ids.every((id) => typeof id === "string" && id.length > 0) && ids[0] !== ids[1]).toBe(true);
    expect((await getRules(bucket))!.map((r) => r.ID)).toEqual(ids);
  });

  it("refuses a Date that is not a midnight UTC in ISO 8601, and one Expiration with both Days and Date, keeping the rules", async () => {
    const bucket = await newBucket();
    await putLifecycle(bucket, [{ ID: "keep", Filter: { Prefix: "" }, Status: "Enabled", Expiration: { Days: 30 } }]);
    const rule = (action: string) => `<Rule><ID>x</ID><Filter><Prefix>p/</Prefix></Filter><Status>Enabled</Status>${action}</Rule>`;
    const cases: [string, string][] = [
      [rule("<Expiration><Date>20200101</Date></Expiration>"), "InvalidArgument"],
      [rule("<Expiration><Date>1970-08-22T19:28:21Z</Date></Expiration>"), "InvalidArgument"],
      [rule("<Expiration><Date>2030-02-30T00:00:00Z</Date></Expiration>"), "InvalidArgument"],
      [rule("<Transition><Date>2030-01-01T00:00:01Z</Date><StorageClass>GLACIER</StorageClass></Transition>"), "InvalidArgument"],
      [rule("<Expiration><Days>3</Days><Date>2030-01-01T00:00:00Z</Date></Expiration>"), "MalformedXML"],
      [rule("<Expiration><Days>3</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>"), "MalformedXML"],
      [`<Rule><ID>x</ID><Filter><Prefix>a/</Prefix><And><Prefix>b/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`, "InvalidArgument"],
      [`<Rule><ID>x</ID><Prefix>a/</Prefix><Filter><Prefix>a/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`, "MalformedXML"],
      // A filter tag no object could carry (S3's tag characters).
      [`<Rule><ID>x</ID><Filter><Tag><Key>a*b</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`, "InvalidArgument"],
    ];
    for (const [xml, code] of cases) {
      const res = await putLifecycleXml(bucket, xml);
      expect(res.status, xml).toBe(400);
      expect(res.text(), xml).toContain(`<Code>${code}</Code>`);
    }
    // A date-only ISO 8601 Date is a midnight UTC too.
    expect((await putLifecycleXml(bucket, rule("<Expiration><Date>2030-01-01</Date></Expiration>"))).status).toBe(200);
    expect(await getRules(bucket)).toEqual([{ ID: "x", Filter: { Prefix: "p/" }, Status: "Enabled", Expiration: { Date: new Date("2030-01-01T00:00:00Z") } }]);
  });

  it("a UFile update of an S3 rule changes its days and keeps its tag and size filter; DescribeUFileLifeCycle shows its prefix and days", async () => {
    const bucket = await newBucket();
    const filter = { And: { Prefix: "logs/", Tags: [{ Key: "k", Value: "v" }], ObjectSizeLessThan: 4096 } };
    await putLifecycle(bucket, [{ ID: "r", Filter: filter, Status: "Enabled", Expiration: { Days: 10 } }]);
    expect((await pythonSdk("DescribeUFileLifeCycle", { BucketName: bucket })).DateSet).toEqual([
      { LifeCycleId: "r", LifeCycleName: "r", Prefix: "logs/", Status: "Enabled", Days: 10, IADays: 0, ArchivalDays: 0, BucketName: bucket },
    ]);
    const updated = await pythonSdk("UpdateUFileLifeCycle", { BucketName: bucket, LifeCycleId: "r", LifeCycleName: "r", Prefix: "logs/", Status: "Enabled", Days: 20 });
    expect(updated.RetCode).toBe(0);
    expect(await getRules(bucket)).toEqual([{ ID: "r", Filter: filter, Status: "Enabled", Expiration: { Days: 20 } }]);
  });
});

describe("x-amz-expiration", () => {
  it("PutObject, HeadObject and GetObject announce the expiry date and rule of the earliest matching rule, by prefix, tags and size", async () => {
    const bucket = await newBucket();
    await putLifecycle(bucket, [
      { ID: "slow", Filter: { Prefix: "days/" }, Status: "Enabled", Expiration: { Days: 30 } },
      { ID: "fast", Filter: { And: { Prefix: "days/", Tags: [{ Key: "tmp", Value: "yes" }] } }, Status: "Enabled", Expiration: { Days: 1 } },
      { ID: "small", Filter: { ObjectSizeLessThan: 3 }, Status: "Enabled", Expiration: { Date: new Date("2040-01-01T00:00:00Z") } },
      { ID: "off", Filter: { Prefix: "" }, Status: "Disabled", Expiration: { Days: 1 } },
    ]);
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "days/a", Body: "abcd" }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "days/a" }));
    expect(put.Expiration).toBe(`expiry-date="${expiryOf(head.LastModified!, 30).toUTCString()}", rule-id="slow"`);
    expect(head.Expiration).toBe(put.Expiration);

    // Tagged so that the 1-day rule takes it too: the earlier expiry wins, on HEAD and GET.
    await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "days/a", Tagging: { TagSet: [{ Key: "tmp", Value: "yes" }, { Key: "x", Value: "y" }] } }));
    const fast = `expiry-date="${expiryOf(head.LastModified!, 1).toUTCString()}", rule-id="fast"`;
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "days/a" }))).Expiration).toBe(fast);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "days/a" }));
    await got.Body!.transformToString();
    expect(got.Expiration).toBe(fast);
    // x-amz-tagging on the write itself counts.
    expect((await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "days/b", Body: "abcd", Tagging: "tmp=yes" }))).Expiration).toMatch(/rule-id="fast"$/);

    // A dated rule announces its date; no matching enabled rule, no header.
    expect((await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "x", Body: "ab" }))).Expiration).toBe('expiry-date="Sun, 01 Jan 2040 00:00:00 GMT", rule-id="small"');
    expect((await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "y", Body: "abcd" }))).Expiration).toBeUndefined();
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "y" }))).Expiration).toBeUndefined();
  });

  it("CopyObject and CompleteMultipartUpload announce it too, for the object they write", async () => {
    const bucket = await newBucket();
    await putLifecycle(bucket, [{ ID: "copies", Filter: { Prefix: "copies/" }, Status: "Enabled", Expiration: { Days: 2 } }]);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "src", Body: "abc" }));
    const copy = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "copies/a", CopySource: `${bucket}/src` }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "copies/a" }));
    expect(copy.Expiration).toBe(`expiry-date="${expiryOf(head.LastModified!, 2).toUTCString()}", rule-id="copies"`);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "copies/mp" }));
    const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "copies/mp", UploadId, PartNumber: 1, Body: "part" }));
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "copies/mp", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } }));
    expect(done.Expiration).toMatch(/^expiry-date="[^"]+ 00:00:00 GMT", rule-id="copies"$/);
    expect((await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "elsewhere", CopySource: `${bucket}/src` }))).Expiration).toBeUndefined();

    // The tags given at CreateMultipartUpload are the object's at completion: a tag-filtered rule takes it.
    await putLifecycle(bucket, [{ ID: "tagged", Filter: { Tag: { Key: "tmp", Value: "yes" } }, Status: "Enabled", Expiration: { Days: 3 } }]);
    const tagged = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "mp-tagged", Tagging: "tmp=yes" }));
    const taggedPart = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "mp-tagged", UploadId: tagged.UploadId, PartNumber: 1, Body: "part" }));
    const taggedDone = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "mp-tagged", UploadId: tagged.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: taggedPart.ETag }] } }),
    );
    expect(taggedDone.Expiration).toMatch(/rule-id="tagged"$/);
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "mp-tagged" }))).Expiration).toBe(taggedDone.Expiration);
  });

  it("follows the rules as they change: a tag filter the object no longer matches gives no header", async () => {
    const bucket = await newBucket();
    const rule = (Value: string): LifecycleRule => ({ ID: "rule1", Filter: { Tag: { Key: "key1", Value } }, Status: "Enabled", Expiration: { Days: 1 } });
    await putLifecycle(bucket, [rule("tag1")]);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "k", Body: "b", Tagging: "key1=tag1&key5=tag5" }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "k" }))).Expiration).toMatch(/rule-id="rule1"$/);
    await putLifecycle(bucket, [rule("tag2")]);
    expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "k" }))).Expiration).toBeUndefined();
    expect(await s3Failure(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "missing" })))).toMatchObject({ status: 404 });
  });
});
