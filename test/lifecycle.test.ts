import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { BYTES_PER_GB } from "../src/metering/units";
import { bucketByName } from "../src/store/buckets";
import { database } from "../src/store/db";
import { replaceLifecycleRules, type LifecycleRule } from "../src/store/rules";
import { bucketOn, control, expectExactCounters, file, newBucket, put } from "./helpers";

/**
 * Lifecycle rules at work (issue 22, docs/protocol.md §3.6.3): the cron handler, fired at chosen
 * times days after the objects' last update, deletes them and changes their class, in bounded,
 * resumable batches, with exact bucket counters and metered counts. The rules are written through
 * the control plane as ucloud-sdk-python3 names the fields.
 */

const DAY = 86_400;

/** The Worker's scheduled handler at `at` (unix seconds), with settings overridden when given. */
async function cronAt(at: number, overrides: Record<string, string> = {}) {
  await worker.scheduled(createScheduledController({ scheduledTime: at * 1000, cron: "*/10 * * * *" }), { ...env, ...overrides });
}

async function act(params: Record<string, string | number>) {
  const { body } = await control(params);
  return body;
}

async function createRule(bucket: string, fields: Record<string, string | number>) {
  const body = await act({ Action: "CreateUFileLifeCycle", BucketName: bucket, LifeCycleName: "r", Status: "Enabled", ...fields });
  expect(body.RetCode).toBe(0);
  return body.LifeCycleId as string;
}

async function bucketRow(bucket: string) {
  const body = await act({ Action: "DescribeBucket", BucketName: bucket });
  expect(body.RetCode).toBe(0);
  return body.DataSet[0] as { BucketId: string; StoredBytes: number; ObjectCount: number };
}

const classOf = async (bucket: string, key: string) => {
  const res = await file(bucket, key, { method: "HEAD" });
  return res.status === 200 ? res.headers.get("X-Ufile-Storage-Class") : res.status;
};

async function lifecycleCounts(bucketId: string) {
  const row = await env.DB.prepare(
    "SELECT total(lifecycle_deletes) AS deletes, total(lifecycle_transitions) AS transitions FROM usage_daily WHERE bucket_id = ?",
  )
    .bind(bucketId)
    .first<{ deletes: number; transitions: number }>();
  return row!;
}

/**
 * A bucket holding "seed" (10 bytes) and, seeded in SQL on the seed's blob (what CopyFile makes),
 * `keys` with the seed's row (and `tags`, when given), with the blob's references and the bucket's
 * totals to match (the bucket: a new one, or `made`). Returns the bucket, its id, its index shard's database and the seed's row.
 */
async function seededCopies(keys: string[], tags?: string, made: Promise<string> = newBucket()) {
  const bucket = await made;
  await put(bucket, "seed", "0123456789");
  const { BucketId } = await bucketRow(bucket);
  // The bucket's index shard (src/store/shards.ts): its objects, blobs and authoritative totals.
  const placement = (await env.DB.prepare("SELECT shard FROM buckets WHERE id = ?").bind(BucketId).first<{ shard: string }>())!;
  const index = (env as unknown as Record<string, D1Database>)[placement.shard];
  const seed = (await index.prepare("SELECT * FROM objects WHERE bucket_id = ? AND key = 'seed'").bind(BucketId).first<Record<string, unknown>>())!;
  const insert = index.prepare(
    `INSERT INTO objects (bucket_id, key, blob_id, size, etag, s3_etag, mime, storage_class, user_meta, http_headers, created_at, modified_at, acl, tags)
     SELECT o.bucket_id, j.value, o.blob_id, o.size, o.etag, o.s3_etag, o.mime, o.storage_class, o.user_meta, o.http_headers, o.created_at, o.modified_at, o.acl, COALESCE(?3, o.tags)
     FROM objects o, json_each(?1) j WHERE o.bucket_id = ?2 AND o.key = 'seed'`,
  );
  for (let i = 0; i < keys.length; i += 2000) await insert.bind(JSON.stringify(keys.slice(i, i + 2000)), BucketId, tags ?? null).run();
  const n = keys.length + 1;
  await index.batch([
    index.prepare("UPDATE blobs SET refcount = ? WHERE id = ?").bind(n, seed.blob_id),
    index.prepare("UPDATE buckets SET stored_bytes = ?, object_count = ? WHERE id = ?").bind(n * 10, n, BucketId),
  ]);
  return { bucket, BucketId, index, seed };
}

describe("lifecycle rules in the scheduled housekeeping", () => {
  it("moves objects to IA, then ARCHIVE, then deletes them, by prefix, at the event's time", async () => {
    const bucket = await newBucket();
    await put(bucket, "logs/a.txt", "aaaa");
    await put(bucket, "logs/b.txt", "bbbbbb");
    await put(bucket, "keep/c.txt", "cc");
    await createRule(bucket, { Prefix: "logs/", IADays: 7, ArchivalDays: 30, Days: 60 });
    const t0 = Math.floor(Date.now() / 1000);
    const { BucketId } = await bucketRow(bucket);

    await cronAt(t0 + 6 * DAY);
    expect(await classOf(bucket, "logs/a.txt")).toBe("STANDARD");

    await cronAt(t0 + 8 * DAY);
    expect(await classOf(bucket, "logs/a.txt")).toBe("IA");
    expect(await classOf(bucket, "logs/b.txt")).toBe("IA");
    expect(await classOf(bucket, "keep/c.txt")).toBe("STANDARD");
    expect(await expectExactCounters(bucket)).toMatchObject({ stored_bytes: 12, ia_bytes: 10, archive_bytes: 0 });

    await cronAt(t0 + 31 * DAY);
    expect(await classOf(bucket, "logs/a.txt")).toBe("ARCHIVE");
    expect(await classOf(bucket, "keep/c.txt")).toBe("STANDARD");
    expect(await expectExactCounters(bucket)).toMatchObject({ stored_bytes: 12, ia_bytes: 0, archive_bytes: 10 });

    await cronAt(t0 + 61 * DAY);
    expect(await classOf(bucket, "logs/a.txt")).toBe(404);
    expect(await classOf(bucket, "logs/b.txt")).toBe(404);
    expect(await classOf(bucket, "keep/c.txt")).toBe("STANDARD");
    expect(await bucketRow(bucket)).toMatchObject({ StoredBytes: 2, ObjectCount: 1 });
    expect(await expectExactCounters(bucket)).toEqual({ stored_bytes: 2, object_count: 1, ia_bytes: 0, archive_bytes: 0 });
    expect(await lifecycleCounts(BucketId)).toEqual({ deletes: 2, transitions: 4 });
  });

  it("leaves objects alone under a disabled rule, and within the rule's days", async () => {
    const bucket = await newBucket();
    await put(bucket, "x.txt", "x");
    const id = await createRule(bucket, { Prefix: "*", Days: 7, Status: "Disabled" });
    const t0 = Math.floor(Date.now() / 1000);
    await cronAt(t0 + 30 * DAY);
    expect(await classOf(bucket, "x.txt")).toBe("STANDARD");
    // Enabled: the change restarts the scan at once, but 6 days is not 7.
    const body = await act({ Action: "UpdateUFileLifeCycle", BucketName: bucket, LifeCycleId: id, LifeCycleName: "r", Prefix: "*", Status: "Enabled", Days: 40 });
    expect(body.RetCode).toBe(0);
    await cronAt(t0 + 39 * DAY);
    expect(await classOf(bucket, "x.txt")).toBe("STANDARD");
    await cronAt(t0 + 41 * DAY);
    expect(await classOf(bucket, "x.txt")).toBe(404);
  });

  it("a development day (LIFECYCLE_DEBUG_DAY_SECONDS) makes a rule of N days act N of those days after the last update", async () => {
    const bucket = await newBucket();
    await put(bucket, "x.txt", "x");
    await createRule(bucket, { Prefix: "*", Days: 7 });
    const t0 = Math.floor(Date.now() / 1000);
    const debug = { LIFECYCLE_DEBUG_DAY_SECONDS: "10", LIFECYCLE_PASS_INTERVAL_SECONDS: "0" };
    // 7 days of 10 s: due at the first multiple of 10 s at or after 70 s.
    await cronAt(t0 + 60, debug);
    expect(await classOf(bucket, "x.txt")).toBe("STANDARD");
    // Real days still apply without the setting.
    await cronAt(t0 + 90, { LIFECYCLE_PASS_INTERVAL_SECONDS: "0" });
    expect(await classOf(bucket, "x.txt")).toBe("STANDARD");
    await cronAt(t0 + 90, debug);
    expect(await classOf(bucket, "x.txt")).toBe(404);
  });

  it("expires 10,000 objects over several bounded runs, resuming where each stopped, with exact counters", async () => {
    const N = 10_000;
    const { bucket, BucketId, index, seed } = await seededCopies(Array.from({ length: N - 1 }, (_, i) => `k/${String(i).padStart(5, "0")}`));
    expect(await bucketRow(bucket)).toMatchObject({ StoredBytes: N * 10, ObjectCount: N });
    await createRule(bucket, { Prefix: "*", Days: 7 });

    const at = Number(seed.modified_at) + 8 * DAY;
    const budget = { LIFECYCLE_OBJECTS_PER_RUN: "3000" };
    for (const left of [7000, 4000, 1000, 0]) {
      await cronAt(at, budget);
      // Each run does exactly its share: the counters move by what was deleted, no more, no less.
      expect(await bucketRow(bucket)).toMatchObject({ StoredBytes: left * 10, ObjectCount: left });
      const { n } = (await index.prepare("SELECT COUNT(*) AS n FROM objects WHERE bucket_id = ?").bind(BucketId).first<{ n: number }>())!;
      expect(n).toBe(left);
      await expectExactCounters(bucket);
    }
    expect(await lifecycleCounts(BucketId)).toEqual({ deletes: N, transitions: 0 });
    // No row references the blob any more: its R2 bytes and its row are gone.
    expect(await env.BLOBS.head(`blobs/${seed.blob_id}`)).toBeNull();
    expect(await index.prepare("SELECT id FROM blobs WHERE id = ?").bind(seed.blob_id).first()).toBeNull();
    // A further run finds nothing to do and counts nothing.
    await cronAt(at + 2 * 3600, budget);
    expect(await lifecycleCounts(BucketId)).toEqual({ deletes: N, transitions: 0 });
  });

  it("a page of long keys under a tag filter is acted on in bounded lists: no statement binds more than 32 KiB of due keys", async () => {
    // 300 keys of 1,000 bytes, each with ten tags of the longest key and value: one page, whose due
    // list with its tags is about 1.5 MB.
    const N = 300;
    const tag = { Key: "t".repeat(128), Value: "v".repeat(256) };
    const tags = JSON.stringify([tag, ...Array.from({ length: 9 }, (_, i) => ({ Key: `${i}`.padEnd(128, "k"), Value: "w".repeat(256) }))]);
    // On DB: the scheduled handler opens the other index shards from the Worker's own bindings, which
    // the measuring below does not replace.
    const { bucket, BucketId, index, seed } = await seededCopies(
      Array.from({ length: N }, (_, i) => `${String(i).padStart(4, "0")}/`.padEnd(1000, "x")),
      tags,
      bucketOn("DB"),
    );
    // Expire after 7 days what carries the first tag (S3's Filter/Tag, as the S3 front stores it): the untagged seed stays.
    await createRule(bucket, { Prefix: "*", Days: 7 });
    await env.DB.prepare("UPDATE buckets SET lifecycle_rules = json_set(lifecycle_rules, '$[0].tags', json(?)) WHERE id = ?").bind(JSON.stringify([tag]), BucketId).run();

    // Every string bound to a statement of the run on DB, measured.
    let largest = 0;
    const utf8 = new TextEncoder();
    const track = (statement: D1PreparedStatement): D1PreparedStatement => {
      const bind = statement.bind.bind(statement);
      statement.bind = (...values: unknown[]) => {
        for (const v of values) if (typeof v === "string") largest = Math.max(largest, utf8.encode(v).length);
        return track(bind(...values));
      };
      return statement;
    };
    const measured = <T extends D1Database | D1DatabaseSession>(target: T): T =>
      new Proxy(target, {
        get(t, prop) {
          if (prop === "prepare") return (text: string) => track(t.prepare(text));
          if (prop === "withSession") return (...args: unknown[]) => measured((t as D1Database).withSession(...(args as [string])));
          const value = Reflect.get(t, prop);
          return typeof value === "function" ? value.bind(t) : value;
        },
      });
    await worker.scheduled(createScheduledController({ scheduledTime: (Number(seed.modified_at) + 8 * DAY) * 1000, cron: "*/10 * * * *" }), { ...env, DB: measured(env.DB) });

    expect(largest).toBeGreaterThan(1000); // the keys were bound
    expect(largest).toBeLessThanOrEqual(32 * 1024);
    expect(await bucketRow(bucket)).toMatchObject({ StoredBytes: 10, ObjectCount: 1 });
    expect((await index.prepare("SELECT key FROM objects WHERE bucket_id = ?").bind(BucketId).all()).results).toEqual([{ key: "seed" }]);
    expect(await lifecycleCounts(BucketId)).toEqual({ deletes: N, transitions: 0 });
    await expectExactCounters(bucket);
  });

  it("the daily report counts the lifecycle's work on the day it ran, per bucket and for the project", async () => {
    const bucket = await newBucket();
    await put(bucket, "a", "1");
    await put(bucket, "b", "2");
    await createRule(bucket, { Prefix: "*", IADays: 7 });
    const t0 = Math.floor(Date.now() / 1000);
    await cronAt(t0 + 8 * DAY);
    const day = Math.floor((t0 + 8 * DAY) / DAY) * DAY;
    const body = await act({ Action: "GetUFileDailyReport", BucketName: bucket, StartTime: day, EndTime: day + 3600 });
    expect(body.RetCode).toBe(0);
    expect(body.DataSet).toHaveLength(1);
    expect(body.DataSet[0].Daily).toHaveLength(1);
    expect(body.DataSet[0].Daily[0]).toMatchObject({ Date: day, LifecycleDeletes: 0, LifecycleTransitions: 2 });
    const project = await act({ Action: "GetUFileDailyReport", StartTime: day, EndTime: day });
    expect(project.DataSet[0].Daily[0].LifecycleTransitions).toBeGreaterThanOrEqual(2);
  });

  it("the daily report's storage by class follows the lifecycle's moves (Storage = STANDARD, IaStorage, AcStorage)", async () => {
    const bucket = await newBucket();
    await put(bucket, "std", "x".repeat(1000));
    await put(bucket, "ia", "x".repeat(2000), { "X-Ufile-Storage-Class": "IA" });
    await put(bucket, "old/ac", "x".repeat(3000), { "X-Ufile-Storage-Class": "ARCHIVE" });
    await put(bucket, "move/me", "x".repeat(4000));
    await createRule(bucket, { Prefix: "move/", IADays: 7 });
    const t0 = Math.floor(Date.now() / 1000);
    await cronAt(t0); // the integrator's clock starts for the new bucket
    await cronAt(t0 + 8 * DAY); // 8 days integrated with move/me in STANDARD, then it moves to IA
    await cronAt(t0 + 9 * DAY); // one more day, with move/me in IA
    expect(await expectExactCounters(bucket)).toMatchObject({ stored_bytes: 10_000, ia_bytes: 6000, archive_bytes: 3000 });
    const gbDays = (bytes: number, days: number) => (bytes * days) / BYTES_PER_GB;
    const body = await act({ Action: "GetUFileDailyReport", BucketName: bucket, StartTime: t0, EndTime: t0 + 9 * DAY });
    expect(body.RetCode).toBe(0);
    const daily = body.DataSet[0].Daily as Record<string, number>[];
    const sum = (field: string) => daily.reduce((n, d) => n + d[field], 0);
    expect(sum("Storage")).toBeCloseTo(gbDays(1000, 9) + gbDays(4000, 8), 12);
    expect(sum("IaStorage")).toBeCloseTo(gbDays(2000, 9) + gbDays(4000, 1), 12);
    expect(sum("AcStorage")).toBeCloseTo(gbDays(3000, 9), 12);
    // Total carries the same sums; the project's report holds at least this bucket's.
    const [total] = body.DataSet[0].Total as Record<string, number>[];
    for (const field of ["Storage", "IaStorage", "AcStorage"]) expect(total[field]).toBeCloseTo(sum(field), 12);
    const project = await act({ Action: "GetUFileDailyReport", StartTime: t0, EndTime: t0 + 9 * DAY });
    expect(project.DataSet[0].Total[0].IaStorage).toBeGreaterThanOrEqual(total.IaStorage - 1e-12);
  });
});

describe("a UFile update of a rule written through S3", () => {
  // Every field of the rule shape, so a field added there must be named here, and the update below must keep it.
  const s3Rule: Required<LifecycleRule> = {
    id: "r",
    name: "r",
    prefix: "logs/",
    enabled: true,
    expireDays: 0,
    iaDays: 0,
    archiveDays: 0,
    abortUploadDays: 0, // S3 takes no upload abort in a rule filtered by tags or size
    tags: [{ Key: "k", Value: "v" }],
    sizeGreaterThan: 10,
    sizeLessThan: 4096,
    expireDate: Date.UTC(2040, 0, 1) / 1000,
    iaDate: Date.UTC(2038, 0, 1) / 1000,
    archiveDate: Date.UTC(2039, 0, 1) / 1000,
    expiredObjectDeleteMarker: false,
    s3Filter: "and",
  };
  const storedRules = async (bucket: string): Promise<LifecycleRule[]> =>
    JSON.parse((await env.DB.prepare("SELECT lifecycle_rules FROM buckets WHERE name = ?").bind(bucket).first<string>("lifecycle_rules"))!);

  it("changes what UFile names and keeps every other field; days replace the rule's dates, no days keep them", async () => {
    const bucket = await newBucket();
    const db = database(env.DB);
    expect(await replaceLifecycleRules(db, (await bucketByName(db, bucket))!, null, [s3Rule], Math.floor(Date.now() / 1000))).toBe(true);
    const update = { Action: "UpdateUFileLifeCycle", BucketName: bucket, LifeCycleId: "r", LifeCycleName: "renamed", Prefix: "logs/", Status: "Disabled" };

    expect((await act(update)).RetCode).toBe(0);
    expect(await storedRules(bucket)).toEqual([{ ...s3Rule, name: "renamed", enabled: false }]);

    expect((await act({ ...update, Days: 40 })).RetCode).toBe(0);
    const { expireDate, iaDate, archiveDate, ...withoutDates } = s3Rule;
    expect([expireDate, iaDate, archiveDate].every((d) => d > 0)).toBe(true);
    expect(await storedRules(bucket)).toEqual([{ ...withoutDates, name: "renamed", enabled: false, expireDays: 40 }]);
  });
});
