import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { database } from "../src/store/db";
import { advanceMove, describeRanges, startMove } from "../src/store/range-move";
import { sweepBlobs } from "../src/store/sweeper";
import { bucketOn, control, expectExactReferences, file, indexOf, put, shards } from "./helpers";

/**
 * Key ranges (src/store/ranges.ts, src/store/range-move.ts): one bucket's key space split over
 * several shards. Listings walk the ranges with no gap and no duplicate (compared with the same
 * listing before the split); writes during a move are either acknowledged and kept exactly once,
 * or refused with the retryable -90022; counters and blob references stay exact; cross-range
 * Copy, Rename, UploadHit and multipart Finish keep the bytes.
 */

const now = () => Math.floor(Date.now() / 1000);
const [[FIRST], [SECOND]] = shards();

async function bucketId(bucket: string): Promise<string> {
  return (await indexOf(bucket)).id;
}

/** Moves `[at, …)` of the bucket to `to`, through copy, switch and drain (the drain's delay skipped by the clock). */
async function move(bucket: string, at: string, to: string, batchesPerCall = 3): Promise<void> {
  const id = await bucketId(bucket);
  await startMove(database(env.DB), id, at, to);
  let clock = now();
  for (let call = 0; call < 500; call++) {
    const range = await advanceMove(env, id, at, clock, batchesPerCall);
    if (range.moveTo === null && range.drainShard === null) return;
    clock = Math.max(clock, range.drainAfter ?? 0); // the drain's delay, skipped
  }
  throw new Error("the move did not finish");
}

/** Every row of the bucket on every shard, as [shard, key]. */
async function rowsEverywhere(bucket: string): Promise<[string, string][]> {
  const id = await bucketId(bucket);
  const out: [string, string][] = [];
  for (const [name, d1] of shards()) {
    const { results } = await d1.prepare("SELECT key FROM objects WHERE bucket_id = ? ORDER BY key").bind(id).all<{ key: string }>();
    out.push(...results.map((r) => [name, r.key] as [string, string]));
  }
  return out;
}

const list = async (bucket: string, query: string): Promise<any> => {
  const res = await file(bucket, "", { query, signedKey: "" });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json();
};

/** Every page of a UFile listing, following NextMarker. */
async function pages(bucket: string, query: string): Promise<unknown[]> {
  const out: unknown[] = [];
  let marker = "";
  for (let n = 0; n < 200; n++) {
    const body = await list(bucket, `${query}&marker=${encodeURIComponent(marker)}`);
    const { BucketName: _name, BucketId: _id, ...rest } = body;
    out.push(rest);
    if (!body.NextMarker) return out;
    marker = body.NextMarker;
  }
  throw new Error("listing did not end");
}

const LISTINGS = [
  ...["", "a/", "a/b/", "b", "c/"].flatMap((prefix) => [1, 2, 3, 7, 1000].map((limit) => `list&prefix=${encodeURIComponent(prefix)}&limit=${limit}`)),
  ...["", "a/", "a/b/"].flatMap((prefix) =>
    ["", "/"].flatMap((delimiter) =>
      [1, 2, 5, 1000].map((max) => `listobjects&prefix=${encodeURIComponent(prefix)}&delimiter=${encodeURIComponent(delimiter)}&max-keys=${max}`),
    ),
  ),
];

const KEYS = [
  ...["a/1", "a/2", "a/b/1", "a/b/2", "a/b/3", "a/b/4", "a/b/5", "a/b/c/1", "a/b/c/2", "a/c/1", "a/c/2", "a/d"],
  ...["b", "b/1", "b/2/x", "b/2/y", "c/1", "c/2/1", "c/2/2", "c/3", "d", "é/1", "😀"],
];

describe("listings over key ranges", () => {
  it("every UFile listing, page by page, is the same before and after the bucket is split over two shards", async () => {
    const bucket = await bucketOn(FIRST);
    for (const key of KEYS) await put(bucket, key, `body of ${key}`);
    const before = await Promise.all(LISTINGS.map((q) => pages(bucket, q)));

    // Three ranges: ["", a/b/3) here, [a/b/3, b/2) on the other shard, [b/2, …) back here; the
    // boundaries fall inside common prefixes (a/b/, b/2/ with the "/" delimiter).
    await move(bucket, "a/b/3", SECOND, 1);
    await move(bucket, "b/2", FIRST, 1);
    const ranges = await describeRanges(database(env.DB), await bucketId(bucket));
    expect(ranges.map((r) => [r.start, r.shard])).toEqual([
      ["", FIRST],
      ["a/b/3", SECOND],
      ["b/2", FIRST],
    ]);
    // Each key is on exactly one shard, the one its range names.
    const rows = await rowsEverywhere(bucket);
    expect(rows.map(([, key]) => key).sort()).toEqual([...KEYS].sort());
    for (const [shard, key] of rows) expect([key, shard]).toEqual([key, key >= "a/b/3" && key < "b/2" ? SECOND : FIRST]);

    const after = await Promise.all(LISTINGS.map((q) => pages(bucket, q)));
    LISTINGS.forEach((q, i) => expect({ q, pages: after[i] }).toEqual({ q, pages: before[i] }));
    // Reads of every key go to its range.
    for (const key of KEYS) expect(await (await file(bucket, key)).text()).toBe(`body of ${key}`);
  });
});

describe("a move under concurrent writes", () => {
  it("every acknowledged write is there exactly once, every refused one got -90022, counters equal a recount", async () => {
    const bucket = await bucketOn(FIRST);
    const id = await bucketId(bucket);
    const keys = Array.from({ length: 60 }, (_, i) => `k/${String(i).padStart(3, "0")}`);
    for (const key of keys) await put(bucket, key, `v0 ${key}`);
    // What each key holds after its last acknowledged write (null: deleted).
    const expected = new Map<string, string | null>(keys.map((k) => [k, `v0 ${k}`]));
    let refused = 0;
    let acknowledged = 0;

    await startMove(database(env.DB), id, "k/020", SECOND);
    await advanceMove(env, id, "k/020", now(), 0); // fenced, nothing copied yet
    let moving = true;
    const move = async () => {
      let clock = now();
      while (moving) {
        const range = await advanceMove(env, id, "k/020", clock, 1);
        if (range.moveTo === null && range.drainShard === null) moving = false;
        clock = Math.max(clock, range.drainAfter ?? 0);
      }
    };
    // Writers: each key's writes in order (so its final state is known), keys in parallel.
    const writer = async (key: string, round: number) => {
      const del = round % 3 === 2;
      const res = del ? await file(bucket, key, { method: "DELETE" }) : await file(bucket, key, { method: "PUT", body: `v${round} ${key}`, headers: { "Content-Type": "text/plain" } });
      if (res.status === 200 || res.status === 204) {
        acknowledged++;
        expected.set(key, del ? null : `v${round} ${key}`);
      } else {
        const body = (await res.json()) as { RetCode: number };
        expect([res.status, body.RetCode]).toEqual([503, -90022]);
        refused++;
      }
    };
    // Round 1 meets the fence before the mover has copied anything: the moving range refuses.
    await Promise.all(keys.map((k) => writer(k, 1)));
    expect(refused).toBe(40);
    expect(acknowledged).toBe(20);
    const mover = move();
    for (let round = 2; round <= 6 && (moving || round <= 3); round++) await Promise.all(keys.map((k) => writer(k, round)));
    await mover;
    // Writes after the move succeed everywhere.
    for (const key of keys.slice(15, 30)) await writer(key, 7);

    const rows = await rowsEverywhere(bucket);
    const keysListed = rows.map(([, k]) => k);
    expect(new Set(keysListed).size).toBe(keysListed.length);
    const present = [...expected].filter(([, v]) => v !== null).map(([k]) => k);
    expect(keysListed.sort()).toEqual(present.sort());
    for (const [key, value] of expected) {
      const res = await file(bucket, key);
      if (value === null) expect(res.status).toBe(404);
      else expect(await res.text()).toBe(value);
    }
    for (const [shard, key] of rows) expect([key, shard]).toEqual([key, key >= "k/020" ? SECOND : FIRST]);
    // Counters: the anchors' sum equals a recount of the rows.
    const recount = { bytes: 0, objects: 0 };
    for (const [, d1] of shards()) {
      const r = (await d1.prepare("SELECT COALESCE(SUM(size), 0) AS bytes, COUNT(*) AS objects FROM objects WHERE bucket_id = ?").bind(id).first<{ bytes: number; objects: number }>())!;
      recount.bytes += r.bytes;
      recount.objects += r.objects;
    }
    const { body: described } = await control({ Action: "DescribeBucket", BucketName: bucket });
    expect({ bytes: described.DataSet[0].StoredBytes, objects: described.DataSet[0].ObjectCount }).toEqual(recount);
    await expectExactReferences();
  });
});

describe("cross-range writes keep the bytes", () => {
  it("Copy, Rename, UploadHit and a multipart Finish across ranges on two shards; the sweeper keeps every referenced blob", async () => {
    const bucket = await bucketOn(FIRST);
    await put(bucket, "a/src", "shared bytes");
    await put(bucket, "a/ren", "renamed bytes");
    await move(bucket, "m", SECOND);

    // Copy from a/ (first shard) to z/ (second).
    const copied = await file(bucket, "z/copy", { method: "PUT", headers: { "X-Ufile-Copy-Source": `/${bucket}/a/src`, "Content-Length": "0" } });
    expect(copied.status).toBe(200);
    // Rename a/ren → z/ren (across), and z/copy → a/back (across, the other way).
    expect((await file(bucket, "a/ren", { method: "PUT", query: "newFileName=" + encodeURIComponent("z/ren") })).status).toBe(200);
    expect((await file(bucket, "z/copy", { method: "PUT", query: "newFileName=" + encodeURIComponent("a/back") })).status).toBe(200);
    expect((await file(bucket, "a/ren")).status).toBe(404);
    expect((await file(bucket, "z/copy")).status).toBe(404);

    // Multipart upload of a key in the second range: the upload lives on the home shard.
    const init = await file(bucket, "z/multi", { method: "POST", query: "uploads" });
    expect(init.status).toBe(200);
    const { UploadId, BlkSize } = (await init.json()) as { UploadId: string; BlkSize: number };
    const part = await file(bucket, "z/multi", { method: "PUT", query: `uploadId=${UploadId}&partNumber=0`, body: "multipart bytes" });
    expect(part.status).toBe(200);
    const finish = await file(bucket, "z/multi", { method: "POST", query: `uploadId=${UploadId}`, body: part.headers.get("ETag")!.replaceAll('"', "") });
    expect(finish.status, await finish.clone().text()).toBe(200);
    expect(BlkSize).toBeGreaterThan(0);

    // UploadHit of a/src's content into z/hit.
    const src = await file(bucket, "a/src", { method: "HEAD" });
    const etag = src.headers.get("ETag")!.replaceAll('"', "");
    const hit = await file(bucket, "uploadhit", { method: "POST", query: `Hash=${encodeURIComponent(etag)}&FileName=z%2Fhit&FileSize=12`, signedKey: "z/hit" });
    expect(hit.status, await hit.clone().text()).toBe(200);

    // Drop the originals, sweep: every remaining key still reads its bytes.
    expect((await file(bucket, "a/src", { method: "DELETE" })).status).toBe(204);
    await sweepBlobs(env, now() + 7200, 0);
    expect(await (await file(bucket, "z/ren")).text()).toBe("renamed bytes");
    expect(await (await file(bucket, "a/back")).text()).toBe("shared bytes");
    expect(await (await file(bucket, "z/hit")).text()).toBe("shared bytes");
    expect(await (await file(bucket, "z/multi")).text()).toBe("multipart bytes");
    await expectExactReferences();
  });
});

describe("DeleteBucket of a split bucket", () => {
  it("is refused while any range's shard holds an object (every anchor stays); once empty, every anchor and range row goes", async () => {
    const bucket = await bucketOn(FIRST);
    await put(bucket, "z/1", "x");
    await move(bucket, "m", SECOND);
    const id = await bucketId(bucket);
    expect((await control({ Action: "DeleteBucket", BucketName: bucket })).body.RetCode).toBe(15023);
    await put(bucket, "a/1", "y"); // both ranges still take writes
    expect(await (await file(bucket, "z/1")).text()).toBe("x");
    expect((await file(bucket, "z/1", { method: "DELETE" })).status).toBe(204);
    expect((await control({ Action: "DeleteBucket", BucketName: bucket })).body.RetCode).toBe(15023);
    expect((await file(bucket, "a/1", { method: "DELETE" })).status).toBe(204);
    expect((await control({ Action: "DeleteBucket", BucketName: bucket })).body.RetCode).toBe(0);
    for (const [, d1] of shards()) expect(await d1.prepare("SELECT 1 AS x FROM buckets WHERE id = ?").bind(id).first()).toBeNull();
    expect(await env.DB.prepare("SELECT 1 AS x FROM bucket_ranges WHERE bucket_id = ?").bind(id).first()).toBeNull();
  });
});

describe("the housekeeping threshold", () => {
  /** The Worker's scheduled handler at `at`, with settings overridden; the split proposals it logged for `bucketId`. */
  async function cronAt(at: number, overrides: Record<string, string>, bucketId: string): Promise<Record<string, unknown>[]> {
    const log = vi.spyOn(console, "log");
    try {
      await worker.scheduled(createScheduledController({ scheduledTime: at * 1000, cron: "*/10 * * * *" }), { ...env, ...overrides });
      return log.mock.calls
        .map(([line]) => (typeof line === "string" && line.startsWith("{") ? JSON.parse(line) : null))
        .filter((l) => l?.event === "split-proposal" && l.bucketId === bucketId);
    } finally {
      log.mockRestore();
    }
  }

  it("proposes a split (a structured log line) above SPLIT_OBJECTS_THRESHOLD, and performs it with SPLIT_AUTO=true", async () => {
    const bucket = await bucketOn(FIRST);
    const id = await bucketId(bucket);
    const keys = Array.from({ length: 12 }, (_, i) => `h/${String(i).padStart(2, "0")}`);
    for (const key of keys) await put(bucket, key, `v ${key}`);

    expect(await cronAt(now(), { SPLIT_OBJECTS_THRESHOLD: "20" }, id)).toEqual([]);
    const [proposed] = await cronAt(now(), { SPLIT_OBJECTS_THRESHOLD: "10" }, id);
    expect(proposed).toEqual({ event: "split-proposal", bucketId: id, shard: FIRST, objects: 12, threshold: 10, at: "h/06", to: SECOND, started: false });
    expect(await describeRanges(database(env.DB), id)).toHaveLength(1); // only proposed

    const [performed] = await cronAt(now(), { SPLIT_OBJECTS_THRESHOLD: "10", SPLIT_AUTO: "true" }, id);
    expect(performed).toMatchObject({ at: "h/06", to: SECOND, started: true });
    await cronAt(now() + 3600, {}, id); // a later run drains the old copy
    const ranges = await describeRanges(database(env.DB), id);
    expect(ranges.map((r) => [r.start, r.shard, r.moveTo, r.drainShard])).toEqual([
      ["", FIRST, null, null],
      ["h/06", SECOND, null, null],
    ]);
    const rows = await rowsEverywhere(bucket);
    expect(rows).toEqual([...keys.slice(0, 6).map((k) => [FIRST, k]), ...keys.slice(6).map((k) => [SECOND, k])]);
    for (const key of keys) expect(await (await file(bucket, key)).text()).toBe(`v ${key}`);
    const { body } = await control({ Action: "DescribeBucket", BucketName: bucket });
    expect(body.DataSet[0].ObjectCount).toBe(12);
  });
});

