import { createExecutionContext, createMessageBatch, createScheduledController, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index";
import { nowSeconds } from "../src/config";
import type { ParamValue } from "../src/control/params";
import { pruneUsageMessages } from "../src/metering/consumer";
import type { UsageEvent } from "../src/metering/events";
import { forgetBucket } from "../src/store/buckets";
import { callWithEnv, control, file, indexOf, newBucket, pattern, uniqueName, type FileRequest } from "./helpers";

/**
 * Metering end to end (docs/design.md §7): real signed data-plane traffic → the usage events the data
 * plane sends → the worker's queue handler → the scheduled handler → GetUFileReport,
 * GetUFileQuota(Info) and Owe, checked to the exact number.
 *
 * The data plane runs with the real D1 and R2; only its usage queue is a recorder, which keeps the
 * events it was sent. The test then delivers exactly those events, as one batch, to the worker's
 * `queue` handler, as Queues would. Letting the local queue deliver on its own would make the
 * test wait on the consumer's 5 s batch timeout and race it; recording makes each batch (and its
 * redelivery) an explicit, exact step. test/metering.test.ts checks that the real binding delivers.
 */

const GiB = 1024 ** 3;
const DAY = 86_400;
const HOUR = 3_600;
const DEFAULTS = { storage: 30_000, traffic: 1_000, requests: 10_000 };
const dayOf = (t: number) => Math.floor(t / DAY) * DAY;

/** The usage queue as a recorder: what the data plane sent, in order. */
function recorder() {
  const sent: UsageEvent[] = [];
  const USAGE_QUEUE = {
    send: async (body: UsageEvent) => void sent.push(structuredClone(body)),
    sendBatch: async (messages: Iterable<{ body: UsageEvent }>) => {
      for (const m of messages) sent.push(structuredClone(m.body));
    },
  };
  /** A data-plane request through the worker with the recording queue. */
  const req = (bucket: string, key: string, r: FileRequest = {}) => file(bucket, key, { ...r, env: { USAGE_QUEUE, ...r.env } });
  /** An anonymous path-style S3 request (the S3 host is FILE_DOMAIN in the tests). */
  const s3 = (path: string, init: RequestInit = {}) => callWithEnv({ USAGE_QUEUE }, `http://localhost/${path}`, init);
  return { sent, req, s3 };
}

const putBody = (body: Uint8Array, extra: Record<string, string> = {}): FileRequest => ({
  method: "PUT",
  body,
  headers: { "Content-Type": "application/octet-stream", "Content-Length": String(body.byteLength), ...extra },
});

/** Delivers events as one batch (message ids `${prefix}-${i}`) to the worker's queue handler. */
async function deliver(prefix: string, events: UsageEvent[], overrides: Record<string, unknown> = {}, first = 0) {
  const batch = createMessageBatch<unknown>(
    "edgefile-usage",
    events.map((body, i) => ({ id: `${prefix}-${first + i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, ...overrides });
  return getQueueResult(batch, ctx);
}

/** Runs the cron trigger at `at` (unix seconds). */
const cron = (at: number) => worker.scheduled(createScheduledController({ scheduledTime: at * 1000, cron: "*/10 * * * *" }), env);

async function act(params: Record<string, ParamValue>) {
  const { res, body } = await control(params);
  expect(res.status).toBe(200);
  expect(body.RetCode).toBe(0);
  return body;
}

const report = (ProjectId: string, StartTime: number, EndTime: number) =>
  act({ Action: "GetUFileReport", ProjectId, Region: "cn-bj", StartTime, EndTime });

const quotaInfo = (ProjectId: string) =>
  act({ Action: "GetUFileQuotaInfo", ProjectId, Region: "cn-bj", "QuotaType.0": "storage-volume" });

async function leftQuotas(ProjectId: string) {
  const left = async (QuotaType: string) => (await act({ Action: "GetUFileQuota", ProjectId, Region: "cn-bj", QuotaType })).LeftQuota;
  return { storage: await left("storage-volume"), traffic: await left("download-traffic"), requests: await left("request-count") };
}

/** The bucket's id and stored bytes, as its index shard keeps them (src/store/shards.ts). */
async function bucketRow(name: string) {
  const { d1, id } = await indexOf(name);
  return (await d1.prepare("SELECT id, stored_bytes FROM buckets WHERE id = ?").bind(id).first<{ id: string; stored_bytes: number }>())!;
}
const storedBytes = async (name: string) => (await bucketRow(name)).stored_bytes;

/** [bucketId, requests, downloadBytes] of each event, checking the project, region and time. */
function summarize(events: UsageEvent[], projectId: string, from: number, to: number) {
  for (const e of events) {
    expect(e).toEqual({ projectId, region: "cn-bj", bucketId: expect.any(String), requests: 1, downloadBytes: expect.any(Number), iaGetBytes: 0, restoreBytes: 0, at: expect.any(Number), day: Math.floor(e.at / 86400) * 86400 });
    expect(e.at).toBeGreaterThanOrEqual(from);
    expect(e.at).toBeLessThanOrEqual(to);
  }
  return events.map((e) => [e.bucketId, e.requests, e.downloadBytes]);
}

describe("metering end to end", () => {
  it("traffic → queue → cron → report, quotas and stored bytes, exactly; a redelivered batch counts nothing", async () => {
    const P = uniqueName("org");
    const A = await newBucket("private", P);
    const B = await newBucket("public", P);
    const a = (await bucketRow(A)).id;
    const b = (await bucketRow(B)).id;
    const run = uniqueName("e2e");
    const { sent, req } = recorder();
    const t0 = nowSeconds();

    // ── Phase 1 traffic, with buckets.stored_bytes after every write ──
    const body1000 = pattern(1000, 3);
    const body3000 = pattern(3000, 7);
    const body250 = pattern(250, 11);
    const body500 = pattern(500, 13);
    expect((await req(A, "a.txt", putBody(body1000))).status).toBe(200);
    expect(await storedBytes(A)).toBe(1000);
    expect((await req(A, "b.bin", putBody(body3000))).status).toBe(200);
    expect(await storedBytes(A)).toBe(4000);
    expect((await req(A, "a.txt", putBody(body250))).status).toBe(200); // overwrite: −1000 + 250
    expect(await storedBytes(A)).toBe(3250);

    const get = await req(A, "a.txt");
    expect(get.status).toBe(200);
    expect(new Uint8Array(await get.arrayBuffer())).toEqual(body250);

    const ranged = await req(A, "b.bin", { headers: { Range: "bytes=100-1099" } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get("Content-Range")).toBe("bytes 100-1099/3000");
    expect(new Uint8Array(await ranged.arrayBuffer())).toEqual(body3000.subarray(100, 1100));

    const head = await req(A, "b.bin", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("Content-Length")).toBe("3000");

    const unchanged = await req(A, "b.bin", { headers: { "If-Modified-Since": new Date((t0 + HOUR) * 1000).toUTCString() } });
    expect(unchanged.status).toBe(304);
    expect((await unchanged.arrayBuffer()).byteLength).toBe(0);

    const list = await req(A, "", { query: "list", signedKey: "" });
    expect(list.status).toBe(200);
    const listBytes = new Uint8Array(await list.arrayBuffer());
    expect(list.headers.get("Content-Length")).toBe(String(listBytes.byteLength));
    const listed = JSON.parse(new TextDecoder().decode(listBytes)) as { DataSet: { FileName: string; Size: number }[] };
    expect(listed.DataSet.map((f) => [f.FileName, f.Size])).toEqual([
      ["a.txt", 250],
      ["b.bin", 3000],
    ]);

    const missing = await req(A, "missing.txt");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { RetCode: number }).RetCode).toBe(-148654);

    expect((await req(A, "c.bin", { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${A}/b.bin` } })).status).toBe(200);
    expect(await storedBytes(A)).toBe(6250);
    expect((await req(A, "a.txt", { method: "DELETE" })).status).toBe(204);
    expect(await storedBytes(A)).toBe(6000);

    expect((await req(B, "p.txt", putBody(body500))).status).toBe(200);
    expect(await storedBytes(B)).toBe(500);
    const anonymous = await req(B, "p.txt", { anonymous: true }); // public bucket: metered to its project all the same
    expect(anonymous.status).toBe(200);
    expect(new Uint8Array(await anonymous.arrayBuffer())).toEqual(body500);
    // A copy across buckets adds to the destination only.
    expect((await req(B, "q.bin", { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${A}/b.bin` } })).status).toBe(200);
    expect(await storedBytes(B)).toBe(3500);
    expect(await storedBytes(A)).toBe(6000);

    // One event per request; download bytes = the response body sent (HEAD, 304, writes and errors: 0).
    const phase1 = sent.splice(0);
    expect(summarize(phase1, P, t0, nowSeconds())).toEqual([
      [a, 1, 0], // PUT a.txt
      [a, 1, 0], // PUT b.bin
      [a, 1, 0], // PUT a.txt again
      [a, 1, 250], // GET
      [a, 1, 1000], // GET, 206
      [a, 1, 0], // HEAD
      [a, 1, 0], // 304
      [a, 1, listBytes.byteLength], // listing
      [a, 1, 0], // 404
      [a, 1, 0], // copy
      [a, 1, 0], // DELETE
      [b, 1, 0], // PUT p.txt
      [b, 1, 500], // anonymous GET
      [b, 1, 0], // copy from A
    ]);
    const batch1 = await deliver(run, phase1);
    expect(batch1.ackAll).toBe(true);
    expect(batch1.retryBatch.retry).toBe(false);

    // ── The scheduled handler: storage at chosen times around the next UTC midnight ──
    const day0 = dayOf(t0);
    await cron(day0 + 18 * HOUR); // first sighting of these buckets: the clock starts, nothing charged
    await cron(day0 + 30 * HOUR); // 6 h before midnight, 6 h after, at 6000 + 3500 bytes
    // Phase 2: a delete between two runs; the next run integrates the new total.
    expect((await req(A, "c.bin", { method: "DELETE" })).status).toBe(204);
    expect(await storedBytes(A)).toBe(3000);
    const phase2 = sent.splice(0);
    expect(summarize(phase2, P, t0, nowSeconds())).toEqual([[a, 1, 0]]);
    expect((await deliver(run, phase2, {}, phase1.length)).ackAll).toBe(true);
    await cron(day0 + 36 * HOUR); // 6 h more at 3000 + 3500 bytes

    const storageByteSeconds = [(6000 + 3500) * 6 * HOUR, (6000 + 3500) * 6 * HOUR + (3000 + 3500) * 6 * HOUR, 0];
    const events = [...phase1, ...phase2];
    const expected = [0, 1, 2].map((i) => {
      const day = day0 + i * DAY;
      const today = events.filter((e) => dayOf(e.at) === day);
      return {
        Time: day,
        StorageVolume: storageByteSeconds[i] / (GiB * DAY),
        DownloadTraffic: today.reduce((n, e) => n + e.downloadBytes, 0) / GiB,
        RequestCount: today.length / 10_000,
      };
    });
    const downloaded = 250 + 1000 + listBytes.byteLength + 500;
    // The figures, spelled out for the usual case of a test that does not straddle UTC midnight.
    if (events.every((e) => dayOf(e.at) === day0)) {
      expect(expected[0]).toEqual({ Time: day0, StorageVolume: (9500 * 6 * HOUR) / (GiB * DAY), DownloadTraffic: downloaded / GiB, RequestCount: 0.0015 });
      expect(expected[1]).toEqual({ Time: day0 + DAY, StorageVolume: (16_000 * 6 * HOUR) / (GiB * DAY), DownloadTraffic: 0, RequestCount: 0 });
    }
    const r = await report(P, day0, day0 + 2 * DAY + 5);
    expect(r.DataSet).toEqual(expected);

    const totalByteSeconds = storageByteSeconds[0] + storageByteSeconds[1];
    const left = {
      storage: DEFAULTS.storage - totalByteSeconds / (GiB * DAY),
      traffic: DEFAULTS.traffic - downloaded / GiB,
      requests: DEFAULTS.requests - 15 / 10_000,
    };
    expect(await leftQuotas(P)).toEqual(left);
    const info = await quotaInfo(P);
    expect(info.DataSet).toEqual([
      { Region: "cn-bj", Owe: 0, Storage: { Left: left.storage }, DownloadFlow: { Left: left.traffic }, RequestCnt: { Left: left.requests } },
    ]);

    // ── At-least-once delivery: both batches again (a retry, or Queues' duplicate), and the cron again ──
    expect((await deliver(run, phase1)).ackAll).toBe(true);
    expect((await deliver(run, phase2, {}, phase1.length)).ackAll).toBe(true);
    await cron(day0 + 36 * HOUR);
    expect((await report(P, day0, day0 + 2 * DAY + 5)).DataSet).toEqual(expected);
    expect(await leftQuotas(P)).toEqual(left);
    expect((await quotaInfo(P)).DataSet).toEqual(info.DataSet);
    const ids = await env.DB.prepare("SELECT count(*) AS n FROM usage_messages WHERE id LIKE ?").bind(`${run}-%`).first<number>("n");
    expect(ids).toBe(15);
  });

  it("bounds duplicates by USAGE_DEDUP_DAYS (4): a redelivery within 4 days of processing counts nothing", async () => {
    const P = uniqueName("org");
    const A = await newBucket("private", P);
    const { sent, req } = recorder();
    expect((await req(A, "k", putBody(pattern(64)))).status).toBe(200);
    expect((await req(A, "k")).status).toBe(200);
    const events = sent.splice(0);
    const run = uniqueName("dup");
    await deliver(run, events);
    const processedAt = (await env.DB.prepare("SELECT max(processed_at) AS t FROM usage_messages WHERE id LIKE ?").bind(`${run}-%`).first<number>("t"))!;
    const counted = { traffic: DEFAULTS.traffic - 64 / GiB, requests: DEFAULTS.requests - 2 / 10_000 };
    const left = async () => {
      const q = await leftQuotas(P);
      return { traffic: q.traffic, requests: q.requests };
    };
    expect(await left()).toEqual(counted);

    // Housekeeping at exactly 4 days after processing keeps the ids: a late redelivery is still caught.
    await pruneUsageMessages(env, processedAt + 4 * DAY);
    await deliver(run, events);
    expect(await left()).toEqual(counted);

    // One second later they are gone, and only then would the same message count again. Queues
    // retries a batch within max_retries × retry_delay (wrangler.toml: 10 × 30 s), far inside it.
    await pruneUsageMessages(env, processedAt + 4 * DAY + 1);
    await deliver(run, events);
    expect(await left()).toEqual({ traffic: DEFAULTS.traffic - 128 / GiB, requests: DEFAULTS.requests - 4 / 10_000 });
  });

  it("an owing project is refused uploads and downloads (15011) until BuyUFileQuota covers its usage", async () => {
    const Q = uniqueName("org");
    const C = await newBucket("private", Q);
    const { sent, req } = recorder();
    const object = pattern(2048, 5);
    expect((await req(C, "o.bin", putBody(object))).status).toBe(200);
    expect((await req(C, "x.txt", putBody(pattern(10)))).status).toBe(200);
    expect((await req(C, "o.bin")).status).toBe(200);
    const run = uniqueName("owe");
    const before = sent.splice(0);
    expect(before.map((e) => e.downloadBytes)).toEqual([0, 0, 2048]);

    // A deployment whose default download grant is 0 GB: the consumer fixes the project's grant at
    // first use, and 2048 bytes downloaded leave it negative.
    expect((await deliver(run, before, { DEFAULT_QUOTA_DOWNLOAD_GB: "0" })).ackAll).toBe(true);
    const row = await env.DB.prepare("SELECT traffic_granted, owe FROM quotas WHERE project_id = ? AND region = 'cn-bj'").bind(Q).first();
    expect(row).toEqual({ traffic_granted: 0, owe: 1 });
    expect((await quotaInfo(Q)).DataSet).toEqual([
      {
        Region: "cn-bj",
        Owe: 1,
        Storage: { Left: DEFAULTS.storage },
        DownloadFlow: { Left: 0 - 2048 / GiB },
        RequestCnt: { Left: DEFAULTS.requests - 3 / 10_000 },
      },
    ]);

    // The data plane reads Owe with the bucket, cached ≤ 5 s per isolate: drop this isolate's entry.
    forgetBucket(C);
    const refusal = {
      RetCode: 15011,
      ErrMsg: `Insufficient quota; contact your account manager for a larger quota: project ${Q} has used up its quota in cn-bj`,
    };
    const upload = await req(C, "new.txt", putBody(pattern(20)));
    expect(upload.status).toBe(403);
    expect(await upload.json()).toEqual(refusal);
    const download = await req(C, "o.bin");
    expect(download.status).toBe(403);
    expect(await download.json()).toEqual(refusal);
    const copied = await req(C, "copy.bin", { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${C}/o.bin` } });
    expect(copied.status).toBe(403);
    expect(await copied.json()).toEqual(refusal);
    // Reading metadata, listing and deleting stay allowed.
    const head = await req(C, "o.bin", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("Content-Length")).toBe("2048");
    const list = await req(C, "", { query: "list", signedKey: "" });
    expect(list.status).toBe(200);
    const listBytes = (await list.arrayBuffer()).byteLength;
    expect((await req(C, "x.txt", { method: "DELETE" })).status).toBe(204);
    expect(await storedBytes(C)).toBe(2048);

    // Buying 1 GB makes Left = 1 − 2048 B, positive: Owe clears, uploads and downloads work again.
    expect((await act({ Action: "BuyUFileQuota", ProjectId: Q, Region: "cn-bj", QuotaType: "download-traffic", Quota: 1 })).RetCode).toBe(0);
    const restored = await quotaInfo(Q);
    expect(restored.DataSet[0].Owe).toBe(0);
    expect(restored.DataSet[0].DownloadFlow).toEqual({ Left: 1 - 2048 / GiB });
    forgetBucket(C);
    expect((await req(C, "new.txt", putBody(pattern(20)))).status).toBe(200);
    const again = await req(C, "o.bin");
    expect(again.status).toBe(200);
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(object);
    expect(await storedBytes(C)).toBe(2068);

    // The refused requests were metered as requests without traffic.
    const after = sent.splice(0);
    expect(after.map((e) => e.downloadBytes)).toEqual([0, 0, 0, 0, listBytes, 0, 0, 2048]);
    expect((await deliver(run, after, {}, before.length)).ackAll).toBe(true);
    expect((await quotaInfo(Q)).DataSet).toEqual([
      {
        Region: "cn-bj",
        Owe: 0,
        Storage: { Left: DEFAULTS.storage },
        DownloadFlow: { Left: 1 - (2048 + listBytes + 2048) / GiB },
        RequestCnt: { Left: DEFAULTS.requests - 11 / 10_000 },
      },
    ]);
  });

  it("the daily report meters bytes read from IA objects (both fronts) and bytes restored from ARCHIVE", async () => {
    const P = uniqueName("org");
    const B = await newBucket("public", P);
    const { sent, req, s3 } = recorder();
    const ia = pattern(2000, 5);
    expect((await req(B, "ia.bin", putBody(ia, { "X-Ufile-Storage-Class": "IA" }))).status).toBe(200);
    expect((await req(B, "std.bin", putBody(pattern(500, 6)))).status).toBe(200);
    expect((await req(B, "ac.bin", putBody(pattern(3000, 8), { "X-Ufile-Storage-Class": "ARCHIVE" }))).status).toBe(200);
    expect((await req(B, "cold.bin", putBody(pattern(700, 9), { "X-Ufile-Storage-Class": "COLD" }))).status).toBe(200);

    // IA reads: a whole GetFile, a range, an S3 GetObject and its range (2000 + 100 + 2000 + 10 bytes);
    // a HEAD and a STANDARD object's GET read nothing from IA.
    expect(new Uint8Array(await (await req(B, "ia.bin")).arrayBuffer())).toEqual(ia);
    expect((await req(B, "ia.bin", { headers: { Range: "bytes=0-99" } })).status).toBe(206);
    expect((await req(B, "ia.bin", { method: "HEAD" })).status).toBe(200);
    expect((await req(B, "std.bin")).status).toBe(200);
    const viaS3 = await s3(`${B}/ia.bin`);
    expect(viaS3.status).toBe(200);
    expect(viaS3.headers.get("x-amz-storage-class")).toBe("STANDARD_IA");
    expect(new Uint8Array(await viaS3.arrayBuffer())).toEqual(ia);
    expect((await s3(`${B}/ia.bin`, { headers: { Range: "bytes=10-19" } })).status).toBe(206);
    // An ARCHIVE object cannot be read before its restore: nothing answered, nothing counted.
    expect((await req(B, "ac.bin")).status).not.toBe(200);

    // Restores that start count the object's bytes (3000 + 700); asking again while it restores,
    // or restoring a STANDARD object, restores nothing.
    const restore = (key: string) => req(B, key, { method: "PUT", query: "restore" });
    expect((await restore("ac.bin")).status).toBe(200);
    expect((await restore("ac.bin")).status).toBe(200);
    expect((await restore("cold.bin")).status).toBe(200);
    expect((await restore("std.bin")).status).toBe(200);

    expect((await deliver(uniqueName("iaac"), sent)).ackAll).toBe(true);
    const day = dayOf(nowSeconds());
    const expected = { IaGetSize: 4110 / GiB, AcRestore: 3700 / GiB };
    const bucketReport = await act({ Action: "GetUFileDailyReport", ProjectId: P, Region: "cn-bj", BucketName: B, StartTime: day, EndTime: day });
    const projectReport = await act({ Action: "GetUFileDailyReport", ProjectId: P, Region: "cn-bj", StartTime: day, EndTime: day });
    for (const body of [bucketReport, projectReport]) {
      const [set] = body.DataSet;
      expect(set.Daily).toEqual([expect.objectContaining({ Date: day, ...expected })]);
      expect(set.Total).toEqual([expect.objectContaining(expected)]);
      // The IA reads are part of the day's Flow: 4110 + 500 bytes of GET bodies, and the failed GET's error body.
      expect(set.Daily[0].Flow).toBeGreaterThanOrEqual(4610 / GiB);
    }
  });
});
