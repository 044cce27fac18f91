import { and, asc, eq, getTableColumns, inArray, sql, type Column, type SQL } from "drizzle-orm";
import { randomBase36 } from "../crypto";
import { bucketRanges, buckets, objects, projects, quotas, rangeArrivals, rangeFences } from "../../schema/schema";
import { batch, forEachChunk, listPlaceholders, listValues, perListLength, precompiledRow, precompiledRows, type Database } from "./db";
import { noMoveOf } from "./move-conditions";
import { cachedAsSplit, countedShards, forgetRanges, keyRanges, noteRanges, rangesColumn, shardsHolding, splitRangesOf, type KeyRange } from "./ranges";
import { CONTROL_SHARD, everyShard, notePlacement, shardDb, shardsOf } from "./shards";

/**
 * The bucket index. The data plane looks buckets up on every request, so lookups by name are
 * cached in the isolate for a few seconds (docs/design.md §8). Writes that must not act on a stale
 * cache entry re-check the bucket inside their own statement (see store/objects.ts).
 */
export type BucketRow = typeof buckets.$inferSelect;
/**
 * `public`: anyone may read; `private`: nobody without credentials. `public-read-write` (set only by
 * the S3 canned ACL of that name, docs/security.md "Public buckets"): anyone may also write and
 * delete objects over S3; the UFile API shows it as `public`.
 */
export type BucketType = "public" | "private" | "public-read-write";
/** A bucket as the data plane sees it: with its project's quota state (1 = owes, docs/protocol.md 15011). */
export type ServedBucket = BucketRow & { owe: number };

const CACHE_TTL_MS = 5_000;
const cache = new Map<string, { row: ServedBucket | null; until: number }>();

export function forgetBucket(name: string): void {
  cache.delete(name);
}

/** Passes a raw SQL value through unchanged (a computed column of a precompiled row). */
const asIs = { mapFromDriverValue: (v: unknown) => v } as unknown as Column;

/**
 * A bucket by name joined with its quota state and its key ranges (store/ranges.ts; the data
 * plane's per-request lookup), compiled once.
 */
const servedByName = precompiledRow<BucketRow & { owe: number | null; ranges: string }, { name: string }>(
  (db) =>
    db
      .select({ ...getTableColumns(buckets), owe: quotas.owe, ranges: rangesColumn(buckets.id) })
      .from(buckets)
      .leftJoin(quotas, and(eq(quotas.projectId, buckets.projectId), eq(quotas.region, buckets.region)))
      .where(eq(buckets.name, sql.placeholder("name"))),
  [...Object.entries(getTableColumns(buckets)), ["owe", quotas.owe], ["ranges", asIs]],
);

/** A bucket by name with its quota state, in one query, from the isolate cache when fresh. */
export async function bucketByName(db: Database, name: string): Promise<ServedBucket | null> {
  const hit = cache.get(name);
  if (hit && hit.until > Date.now()) return hit.row;
  const found = await servedByName(db, { name });
  let row: ServedBucket | null = null;
  if (found) {
    const { ranges, ...bucket } = found;
    row = { ...bucket, owe: found.owe ?? 0 };
    notePlacement(row);
    noteRanges(row.id, ranges);
  }
  cache.set(name, { row, until: Date.now() + CACHE_TTL_MS });
  if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
  return row;
}

const inProject = precompiledRow<BucketRow, { name: string; projectId: string }>(
  (db) =>
    db
      .select()
      .from(buckets)
      .where(and(eq(buckets.name, sql.placeholder("name")), eq(buckets.projectId, sql.placeholder("projectId")))),
  Object.entries(getTableColumns(buckets)),
);

/**
 * A bucket by name inside one project, never cached (control plane; every bucket action reads it, so
 * compiled once). Its counters are the control row's: DescribeBucket adds the index's
 * (`withIndexTotals`), which no other action needs.
 */
export function bucketInProject(db: Database, projectId: string, name: string): Promise<BucketRow | null> {
  return inProject(db, { name, projectId });
}

/**
 * The rows with `stored_bytes`, `object_count` and the bytes by class as their shards' anchors hold
 * them: the sum over every shard holding a key range of the bucket, its home shard included, and
 * any shard a move of it copies to or drains (`countedShards`; per shard other than `DB` that holds
 * any of them, one query per chunk of ids under D1's bound-parameter limit; a bucket never split
 * has one); each row gets the counters it has fields for, in a copy. A bucket whose anchors are
 * gone (deleted meanwhile) keeps the control row's figures. An anchor counts only the rows of the
 * ranges its shard holds: a move's copy enters the target's totals at the switch, when the range's
 * rows leave the source's (store/range-move.ts), so no read subtracts anything.
 */
export function withIndexTotals<T extends CountedRow>(db: Database, rows: T[]): T[] | Promise<T[]> {
  const ranges = splitRangesOf(db, rows);
  return ranges instanceof Promise ? ranges.then((held) => totalsOf(db, rows, held)) : totalsOf(db, rows, ranges);
}

type CountedRow = { id: string; shard: string; storedBytes: number; objectCount?: number; iaBytes?: number; archiveBytes?: number };

/**
 * `withIndexTotals` once the rows' split ranges are known: rows counted on `DB` alone (every bucket
 * of `DB` never split) hold their totals already, and are answered as they are, without a promise.
 */
function totalsOf<T extends CountedRow>(db: Database, rows: T[], ranges: (KeyRange[] | null)[]): T[] | Promise<T[]> {
  let byShard: Map<string, string[]> | undefined;
  let onDb: T[] | undefined; // the rows `DB` counts (part of) too
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    notePlacement(r);
    for (const shard of countedShards(r.shard, ranges[i])) {
      if (shard === CONTROL_SHARD) {
        (onDb ??= []).push(r);
        continue;
      }
      const ids = (byShard ??= new Map()).get(shard);
      if (ids) ids.push(r.id);
      else byShard.set(shard, [r.id]);
    }
  }
  return byShard === undefined ? rows : anchorsSummed(db, rows, onDb ?? [], byShard);
}

/** The rows' totals summed over the anchors of `byShard` (shard → ids), and over the `onDb` rows' own counters. */
async function anchorsSummed<T extends CountedRow>(db: Database, rows: T[], onDb: T[], byShard: Map<string, string[]>): Promise<T[]> {
  const totals = new Map<string, Totals>();
  for (const r of onDb) totals.set(r.id, { storedBytes: r.storedBytes, objectCount: r.objectCount ?? 0, iaBytes: r.iaBytes ?? 0, archiveBytes: r.archiveBytes ?? 0 });
  await Promise.all(
    Array.from(byShard, ([shard, ids]) =>
      // A statement binds at most 100 parameters: one query per chunk of ids.
      forEachChunk(ids, async (chunk) => {
        for (const found of await anchorTotals(chunk.length)(shardDb(db, shard), listValues(chunk))) {
          let sum = totals.get(found.id);
          if (!sum) totals.set(found.id, (sum = { storedBytes: 0, objectCount: 0, iaBytes: 0, archiveBytes: 0 }));
          sum.storedBytes += found.storedBytes;
          sum.objectCount += found.objectCount;
          sum.iaBytes += found.iaBytes;
          sum.archiveBytes += found.archiveBytes;
        }
      }),
    ),
  );
  // Copies: with the counters written into the rows read, the row mapping's code (store/db.ts) no
  // longer stayed optimized, and a DescribeBucket allocated ~1.3 KB more (V8's heap sampling).
  return rows.map((r) => {
    const t = totals.get(r.id);
    if (!t) return r;
    const out: Partial<Totals> = { ...r, storedBytes: t.storedBytes };
    if ("objectCount" in r) out.objectCount = t.objectCount;
    if ("iaBytes" in r) out.iaBytes = t.iaBytes;
    if ("archiveBytes" in r) out.archiveBytes = t.archiveBytes;
    return out as T;
  });
}

type Totals = { storedBytes: number; objectCount: number; iaBytes: number; archiveBytes: number };

const ANCHOR_TOTALS = {
  id: buckets.id,
  storedBytes: buckets.storedBytes,
  objectCount: buckets.objectCount,
  iaBytes: buckets.iaBytes,
  archiveBytes: buckets.archiveBytes,
};
type AnchorTotals = Totals & { id: string };

/** The select of `n` buckets' anchor totals on a shard, compiled once per `n`: DescribeBucket runs it on every call. */
const anchorTotals = perListLength((n) =>
  precompiledRows<AnchorTotals, Record<string, string>>(
    (db) => db.select(ANCHOR_TOTALS).from(buckets).where(inArray(buckets.id, listPlaceholders(n))),
    Object.entries(ANCHOR_TOTALS),
  ),
);

/** Buckets of one project (every project when `projectId` is null: the root S3 key's ListBuckets). */
export async function listBuckets(db: Database, projectId: string | null, offset: number, limit: number): Promise<BucketRow[]> {
  const rows = await db
    .select()
    .from(buckets)
    .where(projectId === null ? undefined : eq(buckets.projectId, projectId))
    .orderBy(asc(buckets.createdAt), asc(buckets.name))
    .limit(limit)
    .offset(offset)
    .all();
  return withIndexTotals(db, rows);
}

/**
 * The shard a new bucket of `region` goes to: among the shards created in that region (else those
 * with no region, else all), the one holding the fewest objects, then the fewest buckets, then
 * the first in order. One query per candidate, in parallel (CreateBucket only).
 */
async function chooseShard(db: Database, region: string): Promise<string> {
  const { names, regions } = shardsOf(db);
  const inRegion = names.filter((n) => regions.get(n) === region);
  const candidates = inRegion.length > 0 ? inRegion : names.filter((n) => !regions.has(n)).length > 0 ? names.filter((n) => !regions.has(n)) : names;
  if (candidates.length === 1) return candidates[0];
  const fill = await Promise.all(
    candidates.map(async (name) => {
      const row = await shardDb(db, name)
        .select({ objects: sql<number>`COALESCE(SUM(${buckets.objectCount}), 0)`, buckets: sql<number>`COUNT(*)` })
        .from(buckets)
        .where(eq(buckets.shard, name))
        .get();
      return { name, objects: Number(row?.objects ?? 0), buckets: Number(row?.buckets ?? 0) };
    }),
  );
  fill.sort((a, b) => a.objects - b.objects || a.buckets - b.buckets);
  return fill[0].name;
}

/**
 * Creates a bucket, or returns null when the name is taken. `ON CONFLICT DO NOTHING` on the
 * unique name makes concurrent creates of one name leave exactly one bucket. On a shard other
 * than `DB` the anchor is written first, so a bucket row never names a shard without its anchor;
 * the anchor of a create that lost the name is removed again (a crash in between leaves an empty
 * anchor that nothing names).
 */
export async function insertBucket(
  db: Database,
  b: { name: string; projectId: string; region: string; type: BucketType; objectOwnership?: string | null; now: number },
): Promise<BucketRow | null> {
  const shard = await chooseShard(db, b.region);
  const index = shardDb(db, shard);
  for (let attempt = 0; attempt < 3; attempt++) {
    const id = "oss-" + randomBase36(6);
    const row = { id, name: b.name, projectId: b.projectId, region: b.region, type: b.type, objectOwnership: b.objectOwnership ?? "", createdAt: b.now, modifiedAt: b.now, shard };
    if (shard !== CONTROL_SHARD) {
      const anchored = await index.insert(buckets).values({ ...row, name: id }).onConflictDoNothing().returning({ id: buckets.id });
      if (anchored.length === 0) continue; // the id is taken on that shard
    }
    const [, inserted] = await db.batch([
      db.insert(projects).values({ id: b.projectId, createdAt: b.now }).onConflictDoNothing(),
      db.insert(buckets).values(row).onConflictDoNothing().returning(),
    ]);
    if (inserted.length > 0) {
      forgetBucket(b.name);
      notePlacement(inserted[0]);
      return inserted[0];
    }
    if (shard !== CONTROL_SHARD) await index.delete(buckets).where(eq(buckets.id, id)).run();
    // Nothing inserted: either the name is taken, or (astronomically rarely) the id collided.
    const taken = await db.select({ id: buckets.id }).from(buckets).where(eq(buckets.name, b.name)).get();
    if (taken) return null;
  }
  throw new Error("could not allocate a bucket id");
}

export async function setBucketType(db: Database, bucket: BucketRow, type: BucketType, now: number): Promise<BucketRow> {
  const row = await db.update(buckets).set({ type, modifiedAt: now }).where(eq(buckets.id, bucket.id)).returning().get();
  forgetBucket(bucket.name);
  return row ?? bucket;
}

/** Replaces the bucket's tags (JSON array of {Key, Value}; S3 bucket tagging). */
export async function setBucketTags(db: Database, bucket: BucketRow, tags: string, now: number): Promise<void> {
  await db.update(buckets).set({ tags, modifiedAt: now }).where(eq(buckets.id, bucket.id));
  forgetBucket(bucket.name);
}

/** SQL (control database): the bucket has no range row, so it was never split (a move adds its range rows first). */
const neverSplit = (bucketId: string) => sql`NOT EXISTS (SELECT 1 FROM ${bucketRanges} WHERE ${bucketRanges.bucketId} = ${bucketId})`;

/**
 * The statement that deletes the bucket's row on `t` (its anchor, or the control row) only while `t`
 * holds none of its objects and `also` holds, returning the row deleted: DeleteBucket, and the end
 * of a range move's drain (store/range-move.ts).
 */
export const deleteIfEmptyOn = (t: Database, bucketId: string, also: SQL = sql`1`) =>
  t
    .delete(buckets)
    .where(and(eq(buckets.id, bucketId), sql`NOT EXISTS (SELECT 1 FROM ${objects} WHERE ${objects.bucketId} = ${bucketId})`, also))
    .returning();

/**
 * The delete of a bucket's control row while `guard` holds; where `DB` is also one of the bucket's
 * index shards (`indexHere`), only while it holds none of the bucket's objects (`deleteIfEmptyOn`).
 */
const controlRowDelete = (db: Database, bucketId: string, guard: SQL, indexHere: boolean) =>
  indexHere ? deleteIfEmptyOn(db, bucketId, guard) : db.delete(buckets).where(and(eq(buckets.id, bucketId), guard)).returning();

const hasRow = async (t: Database, bucketId: string) => (await t.select({ id: buckets.id }).from(buckets).where(eq(buckets.id, bucketId)).get()) !== undefined;

/** Puts back the anchors a DeleteBucket removed before it found that the bucket stays. */
async function restoreAnchors(db: Database, removed: { shard: string; row: BucketRow }[]): Promise<void> {
  for (const r of removed) await shardDb(db, r.shard).insert(buckets).values(r.row).onConflictDoNothing().run();
}

/**
 * What keeps a bucket whose guarded delete changed nothing, in one read of the control database:
 * whether its row is still there (else a concurrent DeleteBucket finished it), and its range rows
 * (none: never split), which the isolate keeps as its fresh ranges (`keyRanges` reads them next).
 */
async function whyKept(db: Database, bucketId: string): Promise<{ still: boolean; split: boolean }> {
  const row = await db.get<{ still: number; ranges: string }>(
    sql`SELECT EXISTS (SELECT 1 FROM ${buckets} WHERE ${buckets.id} = ${bucketId}) AS still, ${rangesColumn(bucketId)} AS ranges`,
  );
  return { still: row.still === 1, split: noteRanges(bucketId, row.ranges) !== null };
}

/** Whether a move of any of `ranges` is unfinished: copying, or its copy waiting for the drain (`KeyRange.copyOn`). */
const moveUnfinishedIn = (ranges: KeyRange[]) => ranges.some((r) => r.copyOn != null);

type Deletion = "deleted" | "not-empty" | "moving";

/**
 * Deletes the bucket if it holds no object and no move of its key ranges is unfinished. `moving`:
 * a range is being copied, or a copy (a switched range's old one, a cancelled move's partial one)
 * still waits for its drain; those rows are not the bucket's objects, but only the drain removes
 * them with their blob references, so DeleteBucket waits for it (the retryable RangeMoving, as
 * writes to a moving range get) rather than orphan them (docs/design.md §9).
 *
 * Unless the isolate's cached ranges say the bucket is split, it takes the short path of a bucket
 * never split (`deleteNeverSplit`), reading no range: one statement on `DB`, or the anchor then the
 * control row, the latter guarded on the bucket having no range row. A split bucket, or one that
 * path finds split, takes `deleteSplit`.
 */
export async function deleteBucketIfEmpty(db: Database, bucket: BucketRow): Promise<Deletion> {
  forgetBucket(bucket.name);
  if (cachedAsSplit(bucket.id)) forgetRanges(bucket.id); // read afresh by `deleteSplit`
  else {
    const outcome = await deleteNeverSplit(db, bucket);
    if (outcome !== "split") return outcome; // else its ranges were just read (`whyKept`)
  }
  return deleteSplit(db, bucket);
}

/**
 * The short path: for a bucket never split, its index is all on its home shard and no move ever
 * fenced anything anywhere. On `DB` one statement deletes the row while it holds no object and has
 * no range row. On another shard its anchor goes first, only while that shard holds none of its
 * objects (an object written concurrently is never orphaned: writes there then find no bucket),
 * then the control row, only while the bucket has no range row (a move starts only after adding its
 * range rows, and only while the control row exists: store/range-move.ts). A retry after a crash
 * between the two finds no anchor, and so nothing to keep. When a delete changed nothing, one read
 * says why (`whyKept`); `split`: the bucket has range rows (any anchor removed is put back), and the
 * caller goes on with `deleteSplit`, which answers an unfinished move before anything else.
 */
async function deleteNeverSplit(db: Database, bucket: BucketRow): Promise<Deletion | "split"> {
  const removed: { shard: string; row: BucketRow }[] = [];
  let deleted: unknown[] = [];
  if (bucket.shard === CONTROL_SHARD) deleted = await controlRowDelete(db, bucket.id, neverSplit(bucket.id), true);
  else {
    const index = shardDb(db, bucket.shard);
    const [anchor] = await deleteIfEmptyOn(index, bucket.id);
    if (anchor) removed.push({ shard: bucket.shard, row: anchor });
    // The anchor stays, so the shard holds an object of the bucket; with no anchor, go on (a retry).
    if (anchor || !(await hasRow(index, bucket.id))) {
      deleted = await controlRowDelete(db, bucket.id, neverSplit(bucket.id), false);
    }
  }
  if (deleted.length > 0) return "deleted";
  const kept = await whyKept(db, bucket.id);
  if (!kept.still) return "deleted"; // a concurrent DeleteBucket finished it
  await restoreAnchors(db, removed);
  return kept.split ? "split" : "not-empty";
}

/**
 * A split bucket. Its range rows, read afresh (or just read by `whyKept`), say in one query where
 * its ranges are and whether a move is unfinished (then `moving`, before anything is touched).
 * Otherwise each shard's anchor goes while that shard holds none of its objects; when one still
 * holds objects, the anchors already removed are put back and the bucket stays (`not-empty`). Then,
 * in one batch, the control row (the anchor of `DB`, only while empty there too), only while no
 * move has started meanwhile (a move starts only while the control row exists), and the range
 * rows, only once that row is gone.
 */
async function deleteSplit(db: Database, bucket: BucketRow): Promise<Deletion> {
  const { ranges } = await keyRanges(db, bucket.id);
  if (moveUnfinishedIn(ranges)) return "moving";
  const shards = shardsHolding(bucket.shard, ranges);
  const removed: { shard: string; row: BucketRow }[] = [];
  for (const shard of shards.filter((s) => s !== CONTROL_SHARD)) {
    const index = shardDb(db, shard);
    const [anchor] = await deleteIfEmptyOn(index, bucket.id);
    if (anchor) removed.push({ shard, row: anchor });
    else if (await hasRow(index, bucket.id)) {
      await restoreAnchors(db, removed);
      return "not-empty";
    }
  }
  const [deleted] = await batch(db, [
    controlRowDelete(db, bucket.id, noMoveOf(bucket.id), shards.includes(CONTROL_SHARD)),
    db.delete(bucketRanges).where(and(eq(bucketRanges.bucketId, bucket.id), sql`NOT EXISTS (SELECT 1 FROM ${buckets} WHERE ${buckets.id} = ${bucket.id})`)),
  ]);
  if (deleted.results.length === 0) {
    const kept = await whyKept(db, bucket.id);
    if (!kept.still) return "deleted"; // a concurrent DeleteBucket finished it
    await restoreAnchors(db, removed);
    return moveUnfinishedIn((await keyRanges(db, bucket.id)).ranges) ? "moving" : "not-empty";
  }
  // The fences its moves left and the records of the moves that arrived (store/range-move.ts) have
  // nothing left to guard: with no anchor, no write finds the bucket. They go on every shard, not
  // only those its range rows name: a range's old shard keeps its fence after the drain (a write
  // that read the ranges before the move must still meet it there), and no row names that shard
  // once the drain is over.
  await Promise.all(
    everyShard(db).map((shard) =>
      batch(shard.db, [
        shard.db.delete(rangeFences).where(eq(rangeFences.bucketId, bucket.id)),
        shard.db.delete(rangeArrivals).where(eq(rangeArrivals.bucketId, bucket.id)),
      ]),
    ),
  );
  return "deleted";
}
