import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { database, makeDatabase, type Database } from "../src/store/db";
import { advanceMove, describeRanges, startMove } from "../src/store/range-move";
import { proposeSplit } from "../src/store/range-split";
import { shardSet } from "../src/store/shards";
import { bucketOn, control, file, indexOf, onEveryShard, put, rowsEverywhere, shards } from "./helpers";

/**
 * Housekeeping's split threshold (src/store/range-split.ts). Each run proposes splits for at most
 * a few buckets per shard, the largest first, and with SPLIT_AUTO=true starts them: what it does
 * depends on every bucket above the threshold on the shard. So this test has a file of its own:
 * the workerd tests' storage is isolated per file, so the cron below sees only the buckets made
 * here, whatever other tests create, and moves none of theirs. Keep other tests out of this file.
 */

const now = () => Math.floor(Date.now() / 1000);
const [[FIRST], [SECOND]] = shards();

/** The Worker's scheduled handler at `at`, with settings overridden; the split proposals it logged for the buckets `ids`. */
async function cronAt(at: number, overrides: Record<string, string>, ...ids: string[]): Promise<Record<string, unknown>[]> {
  const log = vi.spyOn(console, "log");
  try {
    await worker.scheduled(createScheduledController({ scheduledTime: at * 1000, cron: "*/10 * * * *" }), { ...env, ...overrides });
    return log.mock.calls
      .map(([line]) => (typeof line === "string" && line.startsWith("{") ? JSON.parse(line) : null))
      .filter((l) => l?.event === "split-proposal" && ids.includes(l.bucketId));
  } finally {
    log.mockRestore();
  }
}

describe("the housekeeping threshold", () => {
  it("proposes a split (a structured log line) above SPLIT_OBJECTS_THRESHOLD, and performs it with SPLIT_AUTO=true", async () => {
    const bucket = await bucketOn(FIRST);
    const { id } = await indexOf(bucket);
    const keys = Array.from({ length: 12 }, (_, i) => `h/${String(i).padStart(2, "0")}`);
    for (const key of keys) await put(bucket, key, `v ${key}`);
    // The cron sees no other bucket above the threshold (this file's storage is its own).
    expect(await onEveryShard("SELECT id FROM buckets WHERE object_count > 10 AND id <> ?", id)).toEqual([]);

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

  it("passes over buckets whose move is unfinished: ten larger ones mid-move leave the next bucket its proposal", async () => {
    const busy: string[] = [];
    for (let n = 0; n < 10; n++) {
      const bucket = await bucketOn(FIRST);
      for (const key of ["k/0", "k/1", "k/2"]) await put(bucket, key, "x");
      const { id } = await indexOf(bucket);
      // A move of the empty range from "z": it switches at once and then waits for its drain, and the
      // bucket keeps its 3 objects on FIRST.
      await startMove(database(env.DB), id, "z", SECOND);
      await advanceMove(env, id, "z", now(), 5);
      busy.push(id);
    }
    const next = await bucketOn(FIRST);
    for (const key of ["t/0", "t/1"]) await put(next, key, "y");
    const { id } = await indexOf(next);

    const proposals = await cronAt(now(), { SPLIT_OBJECTS_THRESHOLD: "1" }, id, ...busy);
    expect(proposals).toEqual([{ event: "split-proposal", bucketId: id, shard: FIRST, objects: 2, threshold: 1, at: "t/1", to: SECOND, started: false }]);
    for (const b of busy) expect((await describeRanges(database(env.DB), b)).find((r) => r.start === "z")).toMatchObject({ shard: SECOND, drainShard: FIRST });
  });
});

/**
 * A D1 client that adds the rows each statement reads (D1's `meta.rows_read`: each statement is run
 * once more with `all()` to read it) to `tally`, for a handle made with `makeDatabase`.
 */
function rowsCounted(d1: D1Database, tally: { rows: number }) {
  class Counted {
    constructor(
      readonly sql: string,
      readonly args: unknown[] = [],
    ) {}
    get real() {
      return d1.prepare(this.sql).bind(...this.args);
    }
    bind(...args: unknown[]) {
      return new Counted(this.sql, args);
    }
    async count() {
      tally.rows += (await this.real.all()).meta.rows_read;
    }
    async first(column?: string) {
      await this.count();
      return column === undefined ? this.real.first() : this.real.first(column);
    }
    async all() {
      await this.count();
      return this.real.all();
    }
    async raw(options?: { columnNames?: false }) {
      await this.count();
      return this.real.raw(options);
    }
    async run() {
      await this.count();
      return this.real.run();
    }
  }
  return {
    prepare: (sql: string) => new Counted(sql),
    batch: async (statements: Counted[]) => {
      for (const s of statements) await s.count();
      return d1.batch(statements.map((s) => s.real));
    },
  } as unknown as D1Database;
}

/** `rows` rows of bucket `id` written straight into `d1`, keys `<prefix>000000` … in key order, with its anchor's count to match. */
async function seed(d1: D1Database, id: string, prefix: string, rows: number): Promise<void> {
  await d1.batch([
    d1
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows - 1})
         INSERT INTO objects (bucket_id, key, blob_id, size, etag, mime, storage_class, created_at, modified_at)
         SELECT ?1, ?2 || printf('%06d', i), 'seeded', 1, 'seeded', 'text/plain', 'STANDARD', 0, 0 FROM n`,
      )
      .bind(id, prefix),
    d1.prepare("UPDATE buckets SET object_count = object_count + ?1 WHERE id = ?2").bind(rows, id),
  ]);
}

describe("a split proposal reads a bounded sample, not the bucket", () => {
  it("splits the range of the shard holding most of the bucket's rows there, at its median (a shard this small is read whole)", async () => {
    const bucket = await bucketOn(SECOND);
    const { id, d1 } = await indexOf(bucket);
    // Three ranges, two of them on SECOND: [, m) with 300 rows and [t, …) with 900; [m, t) on FIRST with 10.
    await seed(d1, id, "a/", 300);
    await seed(d1, id, "u/", 900);
    await seed(env.DB, id, "n/", 10); // FIRST is DB: the bucket's control row is its anchor there
    await env.DB.batch(["", "m", "t"].map((start, i) => env.DB.prepare("INSERT INTO bucket_ranges (bucket_id, start_key, shard) VALUES (?, ?, ?)").bind(id, start, i === 1 ? FIRST : SECOND)));
    const fill = new Map([[FIRST, 10], [SECOND, 1200]]);
    expect(await proposeSplit(database(env.DB), SECOND, id, fill)).toEqual({ at: "u/000450", to: FIRST });
    expect(await proposeSplit(database(env.DB), FIRST, id, fill)).toEqual({ at: "n/000005", to: SECOND });
  });

  it("20,000 rows on one shard: at most 8,258 rows read there (32 windows of 256 rowids, each also reading the row past its end and its own row of the window list, and the rowid span's two ends), the key near the median and inside the range", async () => {
    const bucket = await bucketOn(SECOND);
    const { id, d1 } = await indexOf(bucket);
    await seed(d1, id, "s/", 20_000);
    const shardRead = { rows: 0 };
    const control: Database = Object.assign(makeDatabase(env.DB), {
      $shard: (name: string) => makeDatabase(rowsCounted(shards().find(([n]) => n === name)![1], shardRead)),
      $shards: shardSet(env),
    });
    const proposal = await proposeSplit(control, SECOND, id, new Map([[FIRST, 0], [SECOND, 20_000]]));
    expect(proposal?.to).toBe(FIRST);
    const rank = Number(/^s\/(\d{6})$/.exec(proposal!.at)![1]);
    expect(rank).toBeGreaterThan(0); // both parts hold a row
    expect(Math.abs(rank - 10_000)).toBeLessThanOrEqual(2_000);
    expect(shardRead.rows).toBeGreaterThan(0);
    expect(shardRead.rows).toBeLessThanOrEqual(32 * 258 + 2);
  });
});
