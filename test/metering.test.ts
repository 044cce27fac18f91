import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import type { Env } from "../src/config";
import type { ParamValue } from "../src/control/params";
import { ApiError } from "../src/errors";
import { runHousekeeping } from "../src/housekeeping";
import { meterRequest, recordUsage, type UsageEvent } from "../src/metering/events";
import { assertNotOwing } from "../src/metering/quotas";
import { splitByDay } from "../src/metering/storage";
import { bucketByName, forgetBucket, type ServedBucket } from "../src/store/buckets";
import { database } from "../src/store/db";
import { control, shards, uniqueName } from "./helpers";

/** Metering: queue consumer, storage integration, reports, Owe (docs/metering.md). */

const GiB = 1024 ** 3;
const DAY = 86_400;
/** 2023-11-14 00:00 UTC: test times are chosen, never read from the clock. */
const D = 1_699_920_000;
const DEFAULTS = { storage: 30_000, traffic: 1_000, requests: 10_000 };

async function act(params: Record<string, ParamValue>) {
  const { res, body } = await control(params);
  expect(res.status).toBe(200);
  return body;
}

/** Delivers one batch to the worker's queue handler, as Queues would. */
async function deliver(messages: { id: string; body: unknown }[]) {
  const batch = createMessageBatch<unknown>(
    "edgefile-usage",
    messages.map((m) => ({ id: m.id, timestamp: new Date(), attempts: 1, body: m.body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

/** Runs the cron trigger at `at` (unix seconds). */
async function cron(at: number) {
  await worker.scheduled(createScheduledController({ scheduledTime: at * 1000, cron: "*/10 * * * *" }), env);
}

function event(projectId: string, bucketId: string, at: number, downloadBytes = 0, extra: Partial<UsageEvent> = {}): UsageEvent {
  return { projectId, region: "cn-bj", bucketId, requests: 1, downloadBytes, at, ...extra };
}

async function usageRows(projectId: string) {
  const { results } = await env.DB.prepare(
    "SELECT bucket_id, day, requests, download_bytes, storage_byte_seconds FROM usage_daily WHERE project_id = ? ORDER BY bucket_id, day",
  )
    .bind(projectId)
    .all();
  return results;
}

const report = (ProjectId: string, StartTime: ParamValue, EndTime: ParamValue) =>
  act({ Action: "GetUFileReport", ProjectId, Region: "cn-bj", StartTime, EndTime });

const quotaInfo = (ProjectId: string, Region = "cn-bj") =>
  act({ Action: "GetUFileQuotaInfo", ProjectId, Region, "QuotaType.0": "download-traffic" });

async function oweFlag(projectId: string, region = "cn-bj") {
  return env.DB.prepare("SELECT owe FROM quotas WHERE project_id = ? AND region = ?").bind(projectId, region).first<number>("owe");
}

async function createBucket(ProjectId: string, Region = "cn-bj") {
  const BucketName = uniqueName("meter");
  const body = await act({ Action: "CreateBucket", ProjectId, Region, BucketName });
  expect(body.RetCode).toBe(0);
  return { name: BucketName, id: body.BucketId as string };
}

/** Sets a bucket's stored bytes where the store keeps them: on its index shard (the anchor row there). */
async function setStoredBytes(bucketId: string, bytes: number) {
  const { shard } = (await env.DB.prepare("SELECT shard FROM buckets WHERE id = ?").bind(bucketId).first<{ shard: string }>())!;
  const d1 = shards().find(([name]) => name === shard)![1];
  await d1.prepare("UPDATE buckets SET stored_bytes = ? WHERE id = ?").bind(bytes, bucketId).run();
}

describe("usage queue consumer", () => {
  it("sums a batch per (project, region, bucket, day) and acknowledges it", async () => {
    const p = uniqueName("org");
    const id = uniqueName("msg");
    const result = await deliver([
      { id: `${id}-1`, body: event(p, "oss-aaaaaa", D + 100, GiB) },
      { id: `${id}-2`, body: event(p, "oss-aaaaaa", D + 200, GiB / 2) },
      { id: `${id}-3`, body: event(p, "oss-bbbbbb", D + 300) },
      { id: `${id}-4`, body: event(p, "oss-aaaaaa", D + DAY + 5, 2 * GiB) },
      // An explicit day wins over the day of `at`.
      { id: `${id}-5`, body: event(p, "oss-aaaaaa", D + DAY + 10, 0, { day: D }) },
      // Another region of the same project is metered apart.
      { id: `${id}-6`, body: event(p, "oss-cccccc", D + 400, 7, { region: "cn-gd" }) },
    ]);
    expect(result.ackAll).toBe(true);
    expect(result.retryBatch.retry).toBe(false);
    expect(await usageRows(p)).toEqual([
      { bucket_id: "oss-aaaaaa", day: D, requests: 3, download_bytes: 1.5 * GiB, storage_byte_seconds: 0 },
      { bucket_id: "oss-aaaaaa", day: D + DAY, requests: 1, download_bytes: 2 * GiB, storage_byte_seconds: 0 },
      { bucket_id: "oss-bbbbbb", day: D, requests: 1, download_bytes: 0, storage_byte_seconds: 0 },
      { bucket_id: "oss-cccccc", day: D, requests: 1, download_bytes: 7, storage_byte_seconds: 0 },
    ]);

    // The report sums the region's buckets per day; the spec's one-day range gives one item.
    const day = await report(p, D, D + DAY - 1);
    expect(day.RetCode).toBe(0);
    expect(day.DataSet).toEqual([{ Time: D, StorageVolume: 0, DownloadTraffic: 1.5, RequestCount: 0.0004 }]);
    const week = await report(p, D - DAY + 5, D + 2 * DAY);
    expect(week.DataSet).toEqual([
      { Time: D - DAY, StorageVolume: 0, DownloadTraffic: 0, RequestCount: 0 },
      { Time: D, StorageVolume: 0, DownloadTraffic: 1.5, RequestCount: 0.0004 },
      { Time: D + DAY, StorageVolume: 0, DownloadTraffic: 2, RequestCount: 0.0001 },
      { Time: D + 2 * DAY, StorageVolume: 0, DownloadTraffic: 0, RequestCount: 0 },
    ]);

    const left = async (QuotaType: string, Region = "cn-bj") =>
      (await act({ Action: "GetUFileQuota", ProjectId: p, Region, QuotaType })).LeftQuota;
    expect(await left("download-traffic")).toBe(DEFAULTS.traffic - 3.5);
    expect(await left("request-count")).toBe(DEFAULTS.requests - 5 / 10_000);
    expect(await left("storage-volume")).toBe(DEFAULTS.storage);
    expect(await left("download-traffic", "cn-gd")).toBe(DEFAULTS.traffic - 7 / GiB);
    // First use fixes the project's grant at the defaults, owing nothing.
    expect(await oweFlag(p)).toBe(0);
    expect(await oweFlag(p, "cn-gd")).toBe(0);
  });

  it("counts a redelivered message once: the same batch twice, then a batch mixing old and new ids", async () => {
    const p = uniqueName("org");
    const id = uniqueName("msg");
    const batch = [
      { id: `${id}-1`, body: event(p, "oss-aaaaaa", D + 1, 1000) },
      { id: `${id}-2`, body: event(p, "oss-aaaaaa", D + 2, 2000) },
    ];
    await deliver(batch);
    const once = await usageRows(p);
    expect(once).toEqual([{ bucket_id: "oss-aaaaaa", day: D, requests: 2, download_bytes: 3000, storage_byte_seconds: 0 }]);
    expect((await deliver(batch)).ackAll).toBe(true);
    expect(await usageRows(p)).toEqual(once);
    await deliver([batch[1], { id: `${id}-3`, body: event(p, "oss-aaaaaa", D + 3, 4000) }]);
    expect(await usageRows(p)).toEqual([
      { bucket_id: "oss-aaaaaa", day: D, requests: 3, download_bytes: 7000, storage_byte_seconds: 0 },
    ]);
    const ids = await env.DB.prepare("SELECT count(*) AS n FROM usage_messages WHERE id LIKE ?").bind(`${id}-%`).first<number>("n");
    expect(ids).toBe(3);
  });

  it("acknowledges and skips a body that is not a usage event", async () => {
    const p = uniqueName("org");
    const id = uniqueName("msg");
    const result = await deliver([
      { id: `${id}-1`, body: { projectId: p, region: "cn-bj", bucketId: "oss-aaaaaa", requests: -1, downloadBytes: 0, at: D } },
      { id: `${id}-2`, body: "hello" },
      { id: `${id}-3`, body: event(p, "oss-aaaaaa", D, 0, { day: D + 1 }) },
      { id: `${id}-4`, body: event(p, "oss-aaaaaa", D + 9, 10) }, // without iaGetBytes/restoreBytes, as queued before them: valid
      { id: `${id}-5`, body: { ...event(p, "oss-aaaaaa", D, 10), iaGetBytes: -1 } },
      { id: `${id}-6`, body: { ...event(p, "oss-aaaaaa", D, 10), restoreBytes: 1.5 } },
    ]);
    expect(result.ackAll).toBe(true);
    expect(await usageRows(p)).toEqual([{ bucket_id: "oss-aaaaaa", day: D, requests: 1, download_bytes: 10, storage_byte_seconds: 0 }]);
  });
});

describe("Owe", () => {
  it("a project past its download quota owes until BuyUFileQuota covers it", async () => {
    const p = uniqueName("org");
    const other = uniqueName("org");
    const bucket = await createBucket(p);
    const db = database(env.DB);
    const id = uniqueName("msg");
    await deliver([
      { id: `${id}-1`, body: event(p, bucket.id, D, 600 * GiB) },
      { id: `${id}-2`, body: event(p, bucket.id, D + DAY, 401 * GiB) },
      { id: `${id}-3`, body: event(other, "oss-zzzzzz", D, 5 * GiB) },
    ]);
    const owing = await quotaInfo(p);
    expect(owing.DataSet).toEqual([
      { Region: "cn-bj", Owe: 1, Storage: { Left: DEFAULTS.storage }, DownloadFlow: { Left: -1 }, RequestCnt: { Left: DEFAULTS.requests - 2 / 10_000 } },
    ]);
    expect(await oweFlag(p)).toBe(1);
    expect(await oweFlag(other)).toBe(0);
    expect((await quotaInfo(p, "cn-gd")).DataSet[0].Owe).toBe(0);

    // The data plane reads the flag with the bucket and refuses uploads and downloads with 15011.
    forgetBucket(bucket.name);
    const served = (await bucketByName(db, bucket.name)) as ServedBucket;
    expect(served.owe).toBe(1);
    const refused = (() => {
      try {
        assertNotOwing(served);
      } catch (err) {
        return err;
      }
    })();
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).entry.code).toBe(15011);
    expect((refused as ApiError).entry.status).toBe(403);

    // 1 GB more makes Left exactly 0: nothing is negative, so nothing is owed.
    expect((await act({ Action: "BuyUFileQuota", ProjectId: p, Region: "cn-bj", QuotaType: "download-traffic", Quota: 1 })).RetCode).toBe(0);
    const restored = await quotaInfo(p);
    expect(restored.DataSet[0].Owe).toBe(0);
    expect(restored.DataSet[0].DownloadFlow).toEqual({ Left: 0 });
    expect(await oweFlag(p)).toBe(0);
    forgetBucket(bucket.name);
    const servedAgain = (await bucketByName(db, bucket.name)) as ServedBucket;
    expect(servedAgain.owe).toBe(0);
    expect(() => assertNotOwing(servedAgain)).not.toThrow();
  });
});

describe("storage integration (scheduled handler)", () => {
  it("splits byte-seconds at UTC midnight into exact GB·day, and is idempotent", async () => {
    const p = uniqueName("org");
    const bucket = await createBucket(p);
    await setStoredBytes(bucket.id, 10 * GiB);
    // First sighting starts the clock: nothing is charged for the time before.
    await cron(D + 18 * 3600);
    expect(await usageRows(p)).toEqual([]);
    // 18:00 → 06:00 next day: 6 h on each side of midnight, 10 GiB × 6 h = 2.5 GB·day each.
    await cron(D + 30 * 3600);
    const expected = [
      { bucket_id: bucket.id, day: D, requests: 0, download_bytes: 0, storage_byte_seconds: 10 * GiB * 6 * 3600 },
      { bucket_id: bucket.id, day: D + DAY, requests: 0, download_bytes: 0, storage_byte_seconds: 10 * GiB * 6 * 3600 },
    ];
    expect(await usageRows(p)).toEqual(expected);
    // The same run again, or a run at an earlier time, adds nothing.
    await cron(D + 30 * 3600);
    await cron(D + 20 * 3600);
    expect(await usageRows(p)).toEqual(expected);
    // Nor do overlapping runs: the later one finds integrated_at moved and adds nothing.
    await Promise.all([cron(D + 36 * 3600), cron(D + 36 * 3600), cron(D + 36 * 3600)]);
    expected[1].storage_byte_seconds += 10 * GiB * 6 * 3600;
    expect(await usageRows(p)).toEqual(expected);

    // 40 GiB from 12:00 to midnight: 40 × 12/24 = 20 GB·day more on the second day.
    await setStoredBytes(bucket.id, 40 * GiB);
    await cron(D + 2 * DAY);
    const r = await report(p, D, D + 2 * DAY);
    expect(r.DataSet).toEqual([
      { Time: D, StorageVolume: 2.5, DownloadTraffic: 0, RequestCount: 0 },
      { Time: D + DAY, StorageVolume: 25, DownloadTraffic: 0, RequestCount: 0 },
      { Time: D + 2 * DAY, StorageVolume: 0, DownloadTraffic: 0, RequestCount: 0 },
    ]);
    expect((await act({ Action: "GetUFileQuota", ProjectId: p, QuotaType: "storage-volume" })).LeftQuota).toBe(DEFAULTS.storage - 27.5);
    expect(await oweFlag(p)).toBe(0);
  });

  it("integrates byte-seconds beyond 2^63 and sets Owe from storage", async () => {
    const p = uniqueName("org");
    const bucket = await createBucket(p, "cn-sh2");
    await setStoredBytes(bucket.id, 2 ** 50); // 1 PiB = 1 048 576 GB
    await cron(D + 5 * DAY);
    await cron(D + 6 * DAY);
    const r = await act({ Action: "GetUFileReport", ProjectId: p, Region: "cn-sh2", StartTime: D + 5 * DAY, EndTime: D + 5 * DAY });
    expect(r.DataSet).toEqual([{ Time: D + 5 * DAY, StorageVolume: 1_048_576, DownloadTraffic: 0, RequestCount: 0 }]);
    const info = await quotaInfo(p, "cn-sh2");
    expect(info.DataSet[0].Owe).toBe(1);
    expect(info.DataSet[0].Storage).toEqual({ Left: DEFAULTS.storage - 1_048_576 });
    expect(await oweFlag(p, "cn-sh2")).toBe(1);
  });

  it("splitByDay cuts intervals at UTC day starts", () => {
    expect(splitByDay(D - 10, D + DAY + 20)).toEqual([
      [D - DAY, 10],
      [D, DAY],
      [D + DAY, 20],
    ]);
    expect(splitByDay(D, D)).toEqual([]);
  });
});

describe("housekeeping", () => {
  it("prunes usage-message ids older than USAGE_DEDUP_DAYS (4)", async () => {
    const id = uniqueName("msg");
    const at = D + 10 * DAY;
    await env.DB.batch([
      env.DB.prepare("INSERT INTO usage_messages (id, processed_at) VALUES (?, ?)").bind(`${id}-old`, at - 4 * DAY - 1),
      env.DB.prepare("INSERT INTO usage_messages (id, processed_at) VALUES (?, ?)").bind(`${id}-kept`, at - 4 * DAY),
    ]);
    await cron(at);
    const { results } = await env.DB.prepare("SELECT id FROM usage_messages WHERE id LIKE ?").bind(`${id}-%`).all();
    expect(results).toEqual([{ id: `${id}-kept` }]);
  });

  it("runs every task even when one fails, then reports the failure", async () => {
    const ran: string[] = [];
    const tasks = [
      { name: "broken", run: async () => Promise.reject(new Error("boom")) },
      { name: "fine", run: async (_env: Env, now: number) => void ran.push(`fine@${now}`) },
    ];
    await expect(runHousekeeping(env, 42, tasks)).rejects.toThrow("housekeeping tasks failed: broken");
    expect(ran).toEqual(["fine@42"]);
  });
});

describe("GetUFileReport validation", () => {
  it.each([
    [{}, 15002],
    [{ StartTime: D }, 15002],
    [{ EndTime: D }, 15002],
    [{ StartTime: D + 1, EndTime: D }, 15018],
    [{ StartTime: -1, EndTime: D }, 15018],
    [{ StartTime: D, EndTime: D + 365 * DAY }, 15018],
    [{ StartTime: "yesterday", EndTime: D }, 15017],
    [{ StartTime: D, EndTime: "1.5" }, 15017],
  ] as [Record<string, ParamValue>, number][])("%j → %i", async (params, code) => {
    expect((await act({ Action: "GetUFileReport", ...params })).RetCode).toBe(code);
  });

  it("accepts a span just under a year: one item per day", async () => {
    const body = await report(uniqueName("org"), D, D + 365 * DAY - 1);
    expect(body.RetCode).toBe(0);
    expect(body.DataSet).toHaveLength(365);
    expect(body.DataSet[364]).toEqual({ Time: D + 364 * DAY, StorageVolume: 0, DownloadTraffic: 0, RequestCount: 0 });
  });
});

describe("recording usage (the data plane's seam)", () => {
  const served = (projectId: string): ServedBucket => ({
    id: "oss-seam01",
    name: "seam",
    projectId,
    region: "cn-gd",
    type: "private",
    biz: "general",
    tag: "",
    createdAt: D,
    modifiedAt: D,
    storedBytes: 0,
    objectCount: 0,
    iaBytes: 0,
    archiveBytes: 0,
    shard: "DB",
    lifecycleRules: "[]",
    refererRule: "{}",
    corsRules: "[]",
    lifecycleAfter: "",
    lifecyclePassAt: 0,
    tags: "[]",
    defaultEncryption: "{}",
    objectOwnership: "",
    owe: 0,
  });

  it("sends inside waitUntil, never making the caller wait, and swallows a failed send", async () => {
    const sent: unknown[] = [];
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    const fakeEnv = {
      ...env,
      USAGE_QUEUE: { sendBatch: async (messages: { body: unknown }[]) => (await slow, void sent.push(...messages.map((m) => m.body))) },
    } as unknown as Env;
    const ctx = createExecutionContext();
    meterRequest(fakeEnv, ctx, served("org-seam"), { download: 1234 });
    expect(sent).toEqual([]); // returned before the send completed
    release();
    await waitOnExecutionContext(ctx);
    expect(sent).toEqual([
      { projectId: "org-seam", region: "cn-gd", bucketId: "oss-seam01", requests: 1, downloadBytes: 1234, iaGetBytes: 0, restoreBytes: 0, at: expect.any(Number), day: expect.any(Number) },
    ]);

    const failing = { ...env, USAGE_QUEUE: { sendBatch: () => Promise.reject(new Error("queue down")) } } as unknown as Env;
    const throwing = { ...env, USAGE_QUEUE: { sendBatch: () => { throw new Error("no binding"); } } } as unknown as Env;
    const ctx2 = createExecutionContext();
    expect(() => recordUsage(failing, ctx2, event("org-seam", "oss-seam01", D))).not.toThrow();
    expect(() => recordUsage(throwing, ctx2, event("org-seam", "oss-seam01", D))).not.toThrow();
    await waitOnExecutionContext(ctx2);
  });

  it("folds the usage of one window per (project, region, bucket, day) into one sendBatch", async () => {
    const batches: unknown[][] = [];
    const windowed = {
      ...env,
      USAGE_FLUSH_MS: "30",
      USAGE_QUEUE: { sendBatch: async (messages: { body: unknown }[]) => void batches.push(messages.map((m) => m.body)) },
    } as unknown as Env;
    const ctxs = [createExecutionContext(), createExecutionContext(), createExecutionContext()];
    meterRequest(windowed, ctxs[0], served("org-fold"), { download: 100 });
    meterRequest(windowed, ctxs[1], served("org-fold"), { download: 20 });
    meterRequest(windowed, ctxs[2], { ...served("org-fold"), id: "oss-other1" }, { download: 3 });
    await Promise.all(ctxs.map(waitOnExecutionContext));
    expect(batches).toHaveLength(1);
    expect(batches[0]).toEqual([
      expect.objectContaining({ bucketId: "oss-seam01", requests: 2, downloadBytes: 120 }),
      expect.objectContaining({ bucketId: "oss-other1", requests: 1, downloadBytes: 3 }),
    ]);
    // The next request opens a new window.
    const later = createExecutionContext();
    meterRequest(windowed, later, served("org-fold"), { download: 7 });
    await waitOnExecutionContext(later);
    expect(batches).toHaveLength(2);
    expect(batches[1]).toEqual([expect.objectContaining({ requests: 1, downloadBytes: 7 })]);
  });

  it("reaches D1 through the real queue binding and consumer (wrangler.toml)", async () => {
    const p = uniqueName("org");
    const ctx = createExecutionContext();
    recordUsage(env, ctx, event(p, "oss-queued", D, 321));
    await waitOnExecutionContext(ctx);
    // The consumer's batch timeout is 5 s: poll for the row.
    let rows: unknown[] = [];
    for (let i = 0; i < 100 && rows.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      rows = await usageRows(p);
    }
    expect(rows).toEqual([{ bucket_id: "oss-queued", day: D, requests: 1, download_bytes: 321, storage_byte_seconds: 0 }]);
  });
});
