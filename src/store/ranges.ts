import { sql } from "drizzle-orm";
import { ApiError } from "../errors";
import { bucketRanges } from "../../schema/schema";
import { forEachChunk, type Database } from "./db";
import { compareKeys } from "./keys";
import { copyOn, keyOpen, text, type Bound } from "./move-conditions";
import { knownShard, shardDb, shardOf } from "./shards";

/**
 * Key ranges (docs/design.md §9 "Key ranges"): a bucket's key space as ordered ranges
 * `[start, end)`, each on one index shard, so that one bucket can outgrow one shard.
 *
 * The range table `bucket_ranges` lives in the control database. A bucket without rows there is
 * one range, the whole key space, on its `buckets.shard` (its home shard): every bucket until its
 * first split, so the upgrade moves nothing. Once split, its rows cover the key space; a range
 * ends where the next starts. Multipart uploads stay on the home shard whatever the ranges
 * (store/uploads.ts), and a Finish publishes into the range of its key (store/objects.ts).
 *
 * Ranges are cached in the isolate like bucket rows (store/buckets.ts, a few seconds, bounded):
 * the data plane's bucket lookup reads them in the same query (`noteRanges`). A stale entry is
 * harmless: a range that moved away is fenced on its old shard (`range_fences`), every write
 * checks the fence inside its own statements, and a write that met a fence re-reads the ranges
 * and runs again on the range's new shard, or, while the range is still moving, fails with the
 * retryable `RangeMoving` (`onKeyRange`). A read of a split bucket's key asks its shard, in the same
 * query, whether the range moved away (the fence's `moved_to`, set at the switch) and then reads
 * there (`readOnKeyRange`), so a stale entry does not hide a write made on the new shard; a listing
 * page of a split bucket reads each range with that shard's moved fences in the same batch and goes
 * on where they point (store/objects.ts `listObjects`).
 *
 * Only src/store calls this module; callers above it never learn that ranges exist.
 */
export interface KeyRange {
  start: string;
  /** Exclusive; null: to the end of the key space. */
  end: string | null;
  shard: string;
  /** Being copied to another shard: writes to it are refused (retryable) until the switch. */
  moving: boolean;
  /**
   * Another shard holding a copy of the range, not counted in that shard's anchor: the move's target
   * while it copies, or the shard a drain still has to empty (a switched move's source, a cancelled
   * move's target). Its anchor is summed in the bucket's totals all the same (`countedShards`).
   */
  copyOn?: string | null;
}

/** How long an isolate keeps a bucket's ranges (the bucket cache's lifetime, store/buckets.ts). */
export const RANGE_CACHE_MS = 5_000;
const KEPT = 10_000;

/** bucket id → its ranges (null: never split, one range on the home shard), and until when the entry holds. */
const cache = new Map<string, { ranges: KeyRange[] | null; until: number }>();

function keep(bucketId: string, ranges: KeyRange[] | null): KeyRange[] | null {
  cache.delete(bucketId);
  cache.set(bucketId, { ranges, until: Date.now() + RANGE_CACHE_MS });
  if (cache.size > KEPT) cache.delete(cache.keys().next().value!);
  return ranges;
}

type RangeRow = { start: string; shard: string; moveTo: string | null; copyOn?: string | null };

const toRanges = (rows: RangeRow[]): KeyRange[] | null =>
  rows.length === 0
    ? null
    : rows.map((r, i) => ({ start: r.start, end: i + 1 < rows.length ? rows[i + 1].start : null, shard: r.shard, moving: r.moveTo !== null, copyOn: r.copyOn ?? null }));

/** `KeyRange.copyOn` in the range table reads prepared on D1 directly. */
const COPY_ON = text(copyOn("bucket_ranges"));

/**
 * The SQL column that reads a bucket's ranges with its row (the data plane's bucket lookup): a
 * JSON array of `[start, shard, move_to, copy_on]` in key order, `[]` for a bucket never split.
 */
export const rangesColumn = (bucketId: Bound) =>
  sql<string>`(SELECT COALESCE(json_group_array(json_array(r.start_key, r.shard, r.move_to, r.copy_on)), '[]') FROM
    (SELECT start_key, shard, move_to, ${copyOn("bucket_ranges")} AS copy_on FROM ${bucketRanges} WHERE bucket_id = ${bucketId} ORDER BY start_key) r)`;

/** Records the ranges read with a bucket row (`rangesColumn`), and answers them (null: never split, or none read). */
export function noteRanges(bucketId: string, json: string | null | undefined): KeyRange[] | null {
  if (json == null) return null;
  const rows = (JSON.parse(json) as [string, string, string | null, string | null | undefined][]).map(([start, shard, moveTo, copyOn]) => ({ start, shard, moveTo, copyOn }));
  return keep(bucketId, toRanges(rows));
}

/** Forgets a bucket's cached ranges (after a split or a move, or when a write met a fence). */
export function forgetRanges(bucketId: string): void {
  cache.delete(bucketId);
}

/** The bucket's ranges from the control database (the request's handle), or null when it was never split. */
async function loadRanges(db: Database, bucketId: string): Promise<KeyRange[] | null> {
  const { results } = await db.$client
    .prepare(`SELECT start_key AS start, shard, move_to AS moveTo, ${COPY_ON} AS copyOn FROM bucket_ranges WHERE bucket_id = ? ORDER BY start_key`)
    .bind(bucketId)
    .all<RangeRow>();
  return keep(bucketId, toRanges(results));
}

/** The isolate's entry for the bucket's ranges while it holds (`RANGE_CACHE_MS`), else undefined. */
function fresh(bucketId: string): { ranges: KeyRange[] | null } | undefined {
  const hit = cache.get(bucketId);
  return hit !== undefined && hit.until > Date.now() ? hit : undefined;
}

/**
 * The split ranges of each bucket of `rows` (ids), in their order (null: never split): from the
 * isolate while fresh, else read, one query per chunk of the ids not held, and kept. When the isolate
 * holds them all (a DescribeBucket of a bucket read in the last few seconds), the answer comes
 * without a promise.
 */
export function splitRangesOf(db: Database, rows: readonly { id: string }[]): (KeyRange[] | null)[] | Promise<(KeyRange[] | null)[]> {
  const out: (KeyRange[] | null | undefined)[] = []; // undefined: not held, read below
  let missing: string[] | undefined;
  for (const { id } of rows) {
    const hit = fresh(id);
    if (!hit) (missing ??= []).push(id);
    out.push(hit?.ranges);
  }
  return missing ? readRangesInto(db, rows, out, missing) : (out as (KeyRange[] | null)[]);
}

/** `splitRangesOf`'s reads: the ranges of `missing` (ids of `rows`), kept and put in their slots of `out`. */
async function readRangesInto(
  db: Database,
  rows: readonly { id: string }[],
  out: (KeyRange[] | null | undefined)[],
  missing: string[],
): Promise<(KeyRange[] | null)[]> {
  const read = new Map<string, KeyRange[] | null>();
  await forEachChunk(missing, async (chunk) => {
    const { results } = await db.$client
      .prepare(`SELECT bucket_id AS bucketId, start_key AS start, shard, move_to AS moveTo, ${COPY_ON} AS copyOn FROM bucket_ranges
        WHERE bucket_id IN (${chunk.map(() => "?").join(",")}) ORDER BY bucket_id, start_key`)
      .bind(...chunk)
      .all<RangeRow & { bucketId: string }>();
    for (const id of chunk) read.set(id, keep(id, toRanges(results.filter((r) => r.bucketId === id))));
  });
  for (let i = 0; i < out.length; i++) if (out[i] === undefined) out[i] = read.get(rows[i].id)!;
  return out as (KeyRange[] | null)[];
}

/** Whether the isolate holds the bucket's ranges, fresh, and they say it is split (not held: false). */
export function cachedAsSplit(bucketId: string): boolean {
  return (fresh(bucketId)?.ranges ?? null) !== null;
}

async function splitRanges(db: Database, bucketId: string): Promise<KeyRange[] | null> {
  const hit = fresh(bucketId);
  return hit ? hit.ranges : loadRanges(db, bucketId);
}

/**
 * Every range of the bucket in key order (one, on the home shard, for a bucket never split), and
 * whether it is split into key ranges, from one lookup.
 */
export async function keyRanges(db: Database, bucketId: string): Promise<{ ranges: KeyRange[]; split: boolean }> {
  const split = await splitRanges(db, bucketId);
  return { ranges: split ?? [{ start: "", end: null, shard: await shardOf(db, bucketId), moving: false }], split: split !== null };
}

/** Every range of the bucket in key order (one, on the home shard, for a bucket never split). */
async function rangesOf(db: Database, bucketId: string): Promise<KeyRange[]> {
  return (await keyRanges(db, bucketId)).ranges;
}

/** The range of `ranges` (in key order, covering the key space) holding `key`. */
export function rangeIn<R extends { start: string }>(ranges: R[], key: string): R {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (compareKeys(ranges[mid].start, key) <= 0) lo = mid;
    else hi = mid - 1;
  }
  return ranges[lo];
}

/** The shard holding (bucket, key). */
export async function keyShard(db: Database, bucketId: string, key: string): Promise<string> {
  const split = await splitRanges(db, bucketId);
  return split ? rangeIn(split, key).shard : shardOf(db, bucketId);
}

/** A read of one key on the shard handle it is given. */
type KeyRead<T> = (index: Database) => Promise<T>;
/** The same read, with where the key's range went if that shard has seen it move away. */
type KeyReadOrMoved<T> = (index: Database) => Promise<{ found: T; movedTo: string | null }>;

/**
 * Reads (bucket, key) on the shard of its range: `read` for a bucket never split (one statement, as
 * ever); for a split bucket `readOrMoved`, which also says where the key's range went if that shard
 * has seen it move away (its fence's `moved_to`, set at a move's switch). An isolate whose cached
 * ranges predate a switch then reads where the range went (at most a few hops), and forgets its
 * stale ranges, so a write acknowledged on the new shard is seen at once.
 */
export function readOnKeyRange<T>(db: Database, bucketId: string, key: string, read: KeyRead<T>, readOrMoved: KeyReadOrMoved<T>): Promise<T> {
  // The common case, straight to the one read: the isolate holds the bucket's placement and knows it unsplit.
  const home = fresh(bucketId)?.ranges === null ? knownShard(bucketId) : undefined;
  return home !== undefined ? read(shardDb(db, home)) : readOnSomeRange(db, bucketId, key, read, readOrMoved);
}

async function readOnSomeRange<T>(db: Database, bucketId: string, key: string, read: KeyRead<T>, readOrMoved: KeyReadOrMoved<T>): Promise<T> {
  const split = await splitRanges(db, bucketId);
  if (!split) return read(shardDb(db, await shardOf(db, bucketId)));
  let shard = rangeIn(split, key).shard;
  for (let hop = 0; ; hop++) {
    const { found, movedTo } = await readOrMoved(shardDb(db, shard));
    if (movedTo === null || movedTo === shard || hop === MAX_HOPS) return found;
    forgetRanges(bucketId);
    shard = movedTo;
  }
}

/** Moves a read follows (a range moved on again before a stale isolate read it). */
const MAX_HOPS = 3;

/** The handle on the shard holding (bucket, key), for the request holding `db`. */
export async function keyDb(db: Database, bucketId: string, key: string): Promise<Database> {
  return shardDb(db, await keyShard(db, bucketId, key));
}

/** The shards holding any of `ranges` of a bucket whose home shard is `home`, its home first (in one array: shards are few). */
export function shardsHolding(home: string, ranges: readonly KeyRange[]): string[] {
  const shards = [home];
  for (const r of ranges) if (!shards.includes(r.shard)) shards.push(r.shard);
  return shards;
}

/** The shards holding any range of the bucket, its home shard first. */
export async function bucketShards(db: Database, bucketId: string): Promise<string[]> {
  const home = await shardOf(db, bucketId);
  return shardsHolding(home, (await splitRanges(db, bucketId)) ?? []);
}

/**
 * The shards whose anchors hold the totals (store/buckets.ts `withIndexTotals`) of a bucket whose
 * home shard is `home` and whose split ranges are `split` (null: never split): those holding its
 * ranges, its home first (`shardsHolding`), then a shard a move copies to or a drain empties. No
 * anchor counts a copy that is not the range's (store/range-move.ts takes a range into the target's
 * totals at the switch), so such an anchor is summed whole; summing it keeps the moved range counted
 * between the switch's count on the target and the range row naming it.
 */
export function countedShards(home: string, split: readonly KeyRange[] | null): string[] {
  if (split === null) return [home];
  const shards = shardsHolding(home, split);
  for (const r of split) if (r.copyOn && !shards.includes(r.copyOn)) shards.push(r.copyOn);
  return shards;
}

/** The ranges of `ranges` (a bucket's, in key order) overlapping `[from, to)` (to null: unbounded), in key order, clipped to it. */
export function rangesBetween(ranges: KeyRange[], from: string, to: string | null): KeyRange[] {
  const out: KeyRange[] = [];
  for (const r of ranges) {
    if (to !== null && compareKeys(r.start, to) >= 0) break;
    if (r.end !== null && compareKeys(r.end, from) <= 0) continue;
    const start = compareKeys(r.start, from) > 0 ? r.start : from;
    out.push({ ...r, start, end: r.end === null ? to : to === null || compareKeys(r.end, to) < 0 ? r.end : to });
  }
  return out;
}

/** Whether shard handle `index` refuses writes to (bucket, key). */
export async function isFenced(index: Database, bucketId: string, key: string): Promise<boolean> {
  const row = await index.get<{ x: number } | undefined>(sql`SELECT 1 AS x WHERE NOT ${keyOpen(bucketId, key)}`);
  return row !== undefined && row !== null;
}

/**
 * Runs a write of (bucket, key) on the shard of its range. When it changed nothing (`changed`
 * false) because that shard fences the key, the cached ranges were stale or the range is moving:
 * the ranges are read again, and the write runs once more on the range's shard if it moved, or
 * fails with the retryable `RangeMoving` (S3 `503 SlowDown`) while the move lasts.
 */
export async function onKeyRange<T>(
  db: Database,
  bucketId: string,
  key: string,
  write: (shard: string) => Promise<T>,
  changed: (result: T) => boolean,
): Promise<T> {
  const shard = await keyShard(db, bucketId, key);
  const result = await write(shard);
  if (changed(result) || !(await isFenced(shardDb(db, shard), bucketId, key))) return result;
  forgetRanges(bucketId);
  const range = rangeIn(await rangesOf(db, bucketId), key);
  if (range.moving || range.shard === shard) throw new ApiError("RangeMoving");
  const again = await write(range.shard);
  if (!changed(again) && (await isFenced(shardDb(db, range.shard), bucketId, key))) throw new ApiError("RangeMoving");
  return again;
}
