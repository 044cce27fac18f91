import { settings, type Env } from "../config";
import { database, type Database } from "./db";
import { compareKeys } from "./keys";
import { advanceMove, bucketsMoving, describeRanges, startMove, stepOf, unfinishedMoves } from "./range-move";
import { everyShard } from "./shards";

/**
 * Housekeeping of key ranges (docs/design.md §9 "Key ranges", docs/operations.md "Splitting a
 * bucket"), once per cron run:
 *
 * 1. every unfinished move or drain is advanced (a move interrupted by a crash, or a drain whose
 *    delay has passed), a bounded number of batches each;
 * 2. with `SPLIT_OBJECTS_THRESHOLD` set, a bucket holding more objects than that on one shard (its
 *    anchor's `object_count`) and no move unfinished gets a proposal (the largest first, at most
 *    `BUCKETS_PER_SHARD` per shard and run), logged as one structured line: split its largest idle
 *    range there at the median key, and move the upper half to the least-filled other shard. With
 *    `SPLIT_AUTO=true` the move is started too (and continued by later runs).
 *
 * Splits proposed per shard in one run: for the largest buckets above the threshold (by their
 * anchor's `object_count`), at most this many. A proposal counts the bucket's rows in each of its
 * ranges on the shard and seeks the median key, work that grows with the bucket, and one cron run
 * must end in bounded time, so a run cannot propose for every bucket above the threshold. The
 * largest go first: they are nearest to the shard's capacity (D1's 10 GB). The others come up once
 * those have been split (a move takes the upper half off the shard's count). A bucket whose move is
 * unfinished cannot be split again yet, so it takes no place: of the `CANDIDATES_PER_SHARD` largest,
 * those are passed over with one query. Which buckets a run proposes therefore depends on every
 * bucket above the threshold on the shard.
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
      const proposal = await propose(db, shard.name, bucket, fill);
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
 * Where to split a bucket that holds `bucket.objects` objects on `shard`: in its idle range there
 * with the most rows (a bucket never split has one), at the median key; to the other shard holding
 * the fewest objects. Null when no range there can be split (one key), or while a move of the bucket is unfinished.
 */
async function propose(db: Database, shard: string, bucket: { id: string; objects: number }, fill: Map<string, number>): Promise<{ at: string; to: string } | null> {
  const all = await describeRanges(db, bucket.id);
  if (all.some((r) => stepOf(r, Number.MAX_SAFE_INTEGER) !== "idle")) return null; // one move at a time per bucket (store/range-move.ts)
  const ranges = all.filter((r) => r.shard === shard);
  const index = everyShard(db).find((s) => s.name === shard)!.db.$client;
  let best: { start: string; end: string | null; rows: number } | null = null;
  for (const r of ranges) {
    const counted = await index
      .prepare(`SELECT COUNT(*) AS n FROM objects WHERE bucket_id = ? AND key >= ? ${r.end === null ? "" : "AND key < ?"}`)
      .bind(bucket.id, r.start, ...(r.end === null ? [] : [r.end]))
      .first<{ n: number }>();
    const rows = Number(counted?.n ?? 0);
    if (!best || rows > best.rows) best = { start: r.start, end: r.end, rows };
  }
  if (!best || best.rows < 2) return null;
  const median = await index
    .prepare(`SELECT key FROM objects WHERE bucket_id = ? AND key >= ? ${best.end === null ? "" : "AND key < ?"} ORDER BY key LIMIT 1 OFFSET ?`)
    .bind(bucket.id, best.start, ...(best.end === null ? [] : [best.end]), Math.floor(best.rows / 2))
    .first<{ key: string }>();
  if (!median || compareKeys(median.key, best.start) <= 0) return null;
  const to = [...fill].filter(([name]) => name !== shard).sort((a, b) => a[1] - b[1])[0][0];
  return { at: median.key, to };
}
