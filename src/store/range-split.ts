import { settings, type Env } from "../config";
import { database, type D1Client, type Database } from "./db";
import { compareKeys } from "./keys";
import { advanceMove, bucketsMoving, describeRanges, startMove, stepOf, unfinishedMoves } from "./range-move";
import { rangeIn } from "./ranges";
import { everyShard, shardDb } from "./shards";

/**
 * Housekeeping of key ranges (docs/design.md §9 "Key ranges", docs/operations.md "Splitting a
 * bucket"), once per cron run:
 *
 * 1. every unfinished move or drain is advanced (a move interrupted by a crash, or a drain whose
 *    delay has passed), a bounded number of batches each;
 * 2. with `SPLIT_OBJECTS_THRESHOLD` set, a bucket holding more objects than that on one shard (its
 *    anchor's `object_count`) and no move unfinished gets a proposal (the largest first, at most
 *    `BUCKETS_PER_SHARD` per shard and run), logged as one structured line: split its largest idle
 *    range there at about its median key (`proposeSplit`), and move the upper half to the
 *    least-filled other shard. With `SPLIT_AUTO=true` the move is started too (and continued by
 *    later runs).
 *
 * Splits proposed per shard in one run: for the largest buckets above the threshold (by their
 * anchor's `object_count`), at most this many. A proposal reads a bounded sample of the shard's
 * rows (at most 8,258, `proposeSplit`) and one cron run must end in bounded time, so a run cannot
 * propose for every bucket above the threshold. The largest go first: they are nearest to the
 * shard's capacity (D1's 10 GB). The others come up once those have been split (a move takes the
 * upper half off the shard's count). A bucket whose move is unfinished cannot be split again yet,
 * so it takes no place: of the `CANDIDATES_PER_SHARD` largest, those are passed over with one
 * query. Which buckets a run proposes therefore depends on every bucket above the threshold on the
 * shard.
 */
const BUCKETS_PER_SHARD = 10;
/** The largest buckets above the threshold a run reads per shard, to find `BUCKETS_PER_SHARD` it can split. */
const CANDIDATES_PER_SHARD = 100;
const BATCHES_PER_MOVE = 20;

export interface SplitProposal {
  event: "split-proposal";
  bucketId: string;
  shard: string;
  objects: number;
  threshold: number;
  at: string;
  to: string;
  started: boolean;
}

export async function rangeHousekeeping(env: Env, now: number): Promise<SplitProposal[]> {
  const db = database(env.DB);
  for (const m of await unfinishedMoves(db)) await advanceMove(env, m.bucketId, m.start, now, BATCHES_PER_MOVE);
  const { splitObjectsThreshold: threshold, splitAuto } = settings(env);
  if (threshold <= 0) return [];
  const proposals: SplitProposal[] = [];
  const shards = everyShard(db);
  if (shards.length < 2) return [];
  const fill = new Map<string, number>();
  for (const shard of shards) {
    const row = await shard.db.$client.prepare("SELECT COALESCE(SUM(object_count), 0) AS n FROM buckets").first<{ n: number }>();
    fill.set(shard.name, Number(row?.n ?? 0));
  }
  for (const shard of shards) {
    const { results } = await shard.db.$client
      .prepare("SELECT id, object_count AS objects FROM buckets WHERE object_count > ? ORDER BY object_count DESC LIMIT ?")
      .bind(threshold, CANDIDATES_PER_SHARD)
      .all<{ id: string; objects: number }>();
    const moving = await bucketsMoving(db, results.map((b) => b.id));
    let proposed = 0;
    for (const bucket of results.filter((b) => !moving.has(b.id))) {
      if (proposed === BUCKETS_PER_SHARD) break;
      const proposal = await proposeSplit(db, shard.name, bucket.id, fill);
      if (!proposal) continue;
      proposed++;
      const started = splitAuto;
      if (started) {
        await startMove(db, bucket.id, proposal.at, proposal.to);
        await advanceMove(env, bucket.id, proposal.at, now, BATCHES_PER_MOVE);
      }
      const line: SplitProposal = { event: "split-proposal", bucketId: bucket.id, shard: shard.name, objects: bucket.objects, threshold, ...proposal, started };
      console.log(JSON.stringify(line));
      proposals.push(line);
    }
  }
  return proposals;
}

/**
 * How a proposal finds its split key: from a sample of the shard's object rows, never a walk of the
 * bucket's. The sample is the rows whose rowid falls in one of at most `SAMPLE_WINDOWS` windows of
 * `WINDOW_ROWS` consecutive rowids, spread evenly over the table's rowid span (its two ends found by
 * one seek each); each window is one rowid-range seek, all in one statement. So a proposal reads at
 * most SAMPLE_WINDOWS × (WINDOW_ROWS + 2) + 2 rows of the shard (8,258: a window also reads the row
 * past its end, and its own row of the window list) and holds at most 8,192 keys, however large the
 * bucket and the shard; a shard whose rowid span fits in the windows is read whole, and the split
 * is then at the exact median. Rowids follow the order rows were written in, not their keys, so
 * every row of the bucket is about equally likely to be sampled, and the median of a range's sampled
 * keys is near the range's median.
 */
const SAMPLE_WINDOWS = 32;
const WINDOW_ROWS = 256;

/** The keys of bucket `bucketId` in the sample of `index`'s object rows described above. */
async function sampledKeys(index: D1Client, bucketId: string): Promise<string[]> {
  const ends = await index
    .prepare("SELECT (SELECT MIN(rowid) FROM objects) AS lo, (SELECT MAX(rowid) FROM objects) AS hi")
    .first<{ lo: number | null; hi: number | null }>();
  if (ends?.lo == null || ends.hi == null) return [];
  const step = Math.max(WINDOW_ROWS, Math.ceil((ends.hi - ends.lo + 1) / SAMPLE_WINDOWS));
  const starts: number[] = [];
  for (let from = ends.lo; from <= ends.hi; from += step) starts.push(from);
  // One statement. CROSS JOIN keeps the windows the outer loop, and NOT INDEXED makes each a rowid
  // range seek: the (bucket_id, key) index would walk the bucket.
  const { results } = await index
    .prepare(
      `SELECT o.key FROM json_each(?1) AS w CROSS JOIN objects AS o NOT INDEXED
       WHERE o.rowid BETWEEN w.value AND w.value + ${WINDOW_ROWS - 1} AND o.bucket_id = ?2`,
    )
    .bind(JSON.stringify(starts), bucketId)
    .all<{ key: string }>();
  return results.map((row) => row.key);
}

/**
 * Where to split bucket `bucketId` on `shard`, where it holds more objects than the threshold: in
 * its idle range there with the most rows in the sample (`sampledKeys`; a bucket never split has
 * one range), at the median of that range's sampled keys; to the other shard holding the fewest
 * objects. The key is a row of the range above its smallest sampled key, so both parts hold a row.
 * Null while a move of the bucket is unfinished, or when the sample holds fewer than two keys of
 * any range there: a range of one key cannot be split, and a bucket holding less than about one
 * row in 4,000 of a shard larger than the windows may be missed (it gets no proposal that run; a
 * threshold that low would split buckets of a few thousand objects).
 * `db` is a control handle (housekeeping's, or a test's).
 */
export async function proposeSplit(
  db: Database,
  shard: string,
  bucketId: string,
  fill: Map<string, number>,
): Promise<{ at: string; to: string } | null> {
  const all = await describeRanges(db, bucketId);
  if (all.some((r) => stepOf(r, Number.MAX_SAFE_INTEGER) !== "idle")) return null; // one move at a time per bucket (store/range-move.ts)
  const sample = await sampledKeys(shardDb(db, shard).$client, bucketId);
  const keysOf = new Map<(typeof all)[number], string[]>();
  for (const key of sample) {
    const range = rangeIn(all, key);
    if (range.shard !== shard) continue;
    let keys = keysOf.get(range);
    if (!keys) keysOf.set(range, (keys = []));
    keys.push(key);
  }
  const best = [...keysOf.values()].reduce((most, keys) => (keys.length > most.length ? keys : most), []);
  if (best.length < 2) return null;
  const at = best.sort(compareKeys)[Math.floor(best.length / 2)];
  const to = [...fill].filter(([name]) => name !== shard).sort((a, b) => a[1] - b[1])[0][0];
  return { at, to };
}
