// Issue 22, "8 days later" over the wire: lifecycle rules written through the UFile control plane (as
// ucloud-sdk-python3 sends them) and through S3 PutBucketLifecycleConfiguration (@aws-sdk/client-s3) act
// when the Worker served by wrangler dev runs its cron at a later scheduled time
// (`/cdn-cgi/local/scheduled?time=<ms>`): objects expire and change class, DescribeBucket's counters follow,
// and GetUFileDailyReport's storage by class (Storage = STANDARD, IaStorage, AcStorage) and lifecycle counts
// agree with what happened. A *.clock.test.ts file: it runs on a server of its own (test/vitest.config.ts).
import { CopyObjectCommand, HeadObjectCommand, PutBucketLifecycleConfigurationCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { file, newBucket, putFile } from "./client";
import { cronAt, DAY_MS, pythonSdk } from "./rules-ufile";
import { s3Client } from "./s3-helpers";

const s3 = s3Client();
const GB = 1024 ** 3;
/** GB·day of `bytes` kept `days` days: the report's unit. */
const gbDays = (bytes: number, days: number) => (bytes * days) / GB;

const ufileClass = async (bucket: string, key: string) => {
  const res = await file(bucket, key, { method: "HEAD" });
  return res.status === 200 ? res.headers["x-ufile-storage-class"] : res.status;
};

async function described(bucket: string) {
  const body = await pythonSdk("DescribeBucket", { BucketName: bucket });
  expect(body.RetCode).toBe(0);
  const { StoredBytes, StoredBytesByClass, ObjectCount } = body.DataSet[0];
  return { StoredBytes, StoredBytesByClass, ObjectCount };
}

/** The report of [from, to] (ms) for one bucket: each field summed over Daily[], and Total[0]. */
async function report(bucket: string, from: number, to: number) {
  const body = await pythonSdk("GetUFileDailyReport", { BucketName: bucket, StartTime: Math.floor(from / 1000), EndTime: Math.floor(to / 1000) });
  expect(body.RetCode).toBe(0);
  const daily = body.DataSet[0].Daily as Record<string, number>[];
  const sum = (field: string) => daily.reduce((n, d) => n + d[field], 0);
  return { sum, total: body.DataSet[0].Total[0] as Record<string, number> };
}

describe("lifecycle rules at work, the cron fired days later over HTTP", () => {
  it("objects expire and move to IA, then ARCHIVE; the counters and the daily report agree, for rules set through UFile and through S3", async () => {
    // The same rules, once through each protocol: tmp/ expires after 7 days; logs/ goes to IA after 7, ARCHIVE after 30.
    const viaUfile = await newBucket();
    for (const rule of [
      { LifeCycleName: "tmp", Prefix: "tmp/", Days: 7 } as Record<string, string | number>,
      { LifeCycleName: "logs", Prefix: "logs/", IADays: 7, ArchivalDays: 30 },
    ]) {
      expect((await pythonSdk("CreateUFileLifeCycle", { BucketName: viaUfile, Status: "Enabled", ...rule })).RetCode).toBe(0);
    }
    const viaS3 = await newBucket();
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: viaS3,
        LifecycleConfiguration: {
          Rules: [
            { ID: "tmp", Status: "Enabled", Filter: { Prefix: "tmp/" }, Expiration: { Days: 7 } },
            {
              ID: "logs",
              Status: "Enabled",
              Filter: { Prefix: "logs/" },
              Transitions: [
                { Days: 7, StorageClass: "STANDARD_IA" },
                { Days: 30, StorageClass: "GLACIER" },
              ],
            },
          ],
        },
      }),
    );
    const buckets = [viaUfile, viaS3];
    for (const bucket of buckets) {
      await putFile(bucket, "tmp/a", "a".repeat(1000));
      await putFile(bucket, "logs/b", "b".repeat(2000));
      await putFile(bucket, "keep/c", "c".repeat(4000));
    }
    // On the S3 bucket, one more object changes class by an S3 copy onto itself: ARCHIVE from the start.
    await putFile(viaS3, "cls/d", "d".repeat(3000));
    await s3.send(new CopyObjectCommand({ Bucket: viaS3, Key: "cls/d", CopySource: `${viaS3}/cls/d`, StorageClass: "GLACIER" }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: viaS3, Key: "cls/d" }))).StorageClass).toBe("GLACIER");
    const extra = { [viaUfile]: 0, [viaS3]: 3000 };

    const t0 = Date.now();
    await cronAt(t0); // the storage integrator's clock starts for the new buckets; nothing is due yet
    for (const bucket of buckets) {
      expect(await ufileClass(bucket, "tmp/a")).toBe("STANDARD");
      expect(await described(bucket)).toEqual({
        StoredBytes: 7000 + extra[bucket],
        StoredBytesByClass: { STANDARD: 7000, IA: 0, ARCHIVE: extra[bucket] },
        ObjectCount: extra[bucket] ? 4 : 3,
      });
    }

    await cronAt(t0 + 8 * DAY_MS);
    for (const bucket of buckets) {
      expect(await ufileClass(bucket, "tmp/a"), bucket).toBe(404);
      expect(await ufileClass(bucket, "logs/b"), bucket).toBe("IA");
      expect(await ufileClass(bucket, "keep/c"), bucket).toBe("STANDARD");
      expect(await described(bucket)).toEqual({
        StoredBytes: 6000 + extra[bucket],
        StoredBytesByClass: { STANDARD: 4000, IA: 2000, ARCHIVE: extra[bucket] },
        ObjectCount: extra[bucket] ? 3 : 2,
      });
    }
    expect((await s3.send(new HeadObjectCommand({ Bucket: viaS3, Key: "logs/b" }))).StorageClass).toBe("STANDARD_IA");

    await cronAt(t0 + 9 * DAY_MS);
    await cronAt(t0 + 31 * DAY_MS);
    for (const bucket of buckets) {
      expect(await ufileClass(bucket, "logs/b"), bucket).toBe("ARCHIVE");
      expect((await described(bucket)).StoredBytesByClass).toEqual({ STANDARD: 4000, IA: 0, ARCHIVE: 2000 + extra[bucket] });
    }
    expect((await s3.send(new HeadObjectCommand({ Bucket: viaS3, Key: "logs/b" }))).StorageClass).toBe("GLACIER");
    await cronAt(t0 + 32 * DAY_MS);

    // Each run integrates the bytes as they stand when it starts, before the lifecycle acts:
    // [0, 8] days all STANDARD; [8, 31] logs/b in IA; [31, 32] logs/b in ARCHIVE.
    for (const bucket of buckets) {
      const { sum, total } = await report(bucket, t0, t0 + 32 * DAY_MS);
      const expected = {
        Storage: gbDays(7000, 8) + gbDays(4000, 24),
        IaStorage: gbDays(2000, 23),
        AcStorage: gbDays(2000, 1) + gbDays(extra[bucket], 32),
      };
      for (const [field, value] of Object.entries(expected)) {
        expect(sum(field), `${bucket} ${field}`).toBeCloseTo(value, 12);
        expect(total[field], `${bucket} Total ${field}`).toBeCloseTo(value, 12);
      }
      expect({ deletes: sum("LifecycleDeletes"), transitions: sum("LifecycleTransitions") }).toEqual({ deletes: 1, transitions: 2 });
    }
  }, 180_000);
});
