import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import worker from "../src/index";
import { database } from "../src/store/db";
import { advanceMove, describeRanges, startMove } from "../src/store/range-move";
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
