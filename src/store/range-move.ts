import { getTableColumns, sql, type SQL } from "drizzle-orm";
import type { Env } from "../config";
import { randomBase36 } from "../crypto";
import { objects } from "../../schema/schema";
import { deleteBlobs } from "./blobs";
import { deleteIfEmptyOn } from "./buckets";
import { database, type Database } from "./db";
import { dropBlobReference, dropMovedRows, forgetReleasedBlobs, movedRangeTotals } from "./objects";
import { compareKeys } from "./keys";
import { arrived, keyOpen, moveUnfinished, noMoveOf, param, text } from "./move-conditions";
import { forgetRanges, RANGE_CACHE_MS } from "./ranges";
import { CONTROL_SHARD, shardDb, shardOf, shardsOf } from "./shards";

/**
 * Online split and move of a bucket's key range (docs/design.md §9 "Key ranges", docs/operations.md
 * "Splitting a bucket"). A move of `[start, end)` from shard S to shard T runs in steps, each one
 * safe to repeat, so an interrupted move is **resumed** (never rolled back) by running the command
 * again (or by the next housekeeping run):
 *
 * 1. `startMove`: split the range at `start` if needed (a new row in `bucket_ranges`, same shard: no
 *    data moves), then mark it `move_to = T`.
 * 2. fence: on S a `range_fences` row for `[start, end)`: from its commit every write to those keys
 *    on S changes nothing and answers the retryable RangeMoving (each write checks the fence in its
 *    own statements). On T any fence of the bucket overlapping the range is lifted (a range that
 *    comes back), and the bucket's anchor row is created there.
 * 3. copy, in batches of `COPY_BATCH` keys in key order after `copy_after`: on T one batch inserts
 *    the rows that are not there yet and their blob rows (proxies of the blob's home, each holding
 *    one reference there taken first, as a cross-shard Copy does); T's counters do not move yet.
 *    Reads keep reading S, which the fence keeps unchanged.
 * 4. flip: S's fence is marked `moved_to = T` (the range leaves S's totals), T records the move's
 *    arrival (the range enters T's totals, `countArrival`), then the range row names T (`shard = T`),
 *    and S as the shard to drain after `DRAIN_SECONDS`. Writes go to T from here; an isolate with stale
 *    ranges meets S's fence (which stays) and runs its write again on T, and its reads of a key
 *    and its listing pages follow the fence's `moved_to` (store/ranges.ts `readOnKeyRange`,
 *    store/objects.ts `listObjects`).
 * 5. drain, after every cached copy of the old ranges has expired: S's rows of the range go in
 *    batches, with their references (their bytes stay: T's proxies hold them) but not their
 *    counters, which left S's totals at the switch (`markSwitch`).
 *
 * Each move has an id (`bucket_ranges.move_id`); T records it in `range_arrivals` once, `counted` at
 * the switch or `cancelled` by a cancel that won, and a copy batch inserts only while T has no such
 * record: a batch of a call that read the move long ago changes nothing on T once the move is settled.
 *
 * One move per bucket at a time: a move (its drain included) must finish, or be cancelled, before
 * another range of the bucket is split or moved. Before step 4 a move can be **cancelled**
 * (`cancelMove`): T is fenced (so a copy batch still in flight inserts nothing), the range row is
 * put back (`move_to` cleared, T as the shard to drain at once, `cancelled`), S's fence is lifted
 * (left empty, so that a step of the mover that read the move before the cancel cannot fence S
 * again: `liftCancelledFence`), and T's partial copy is drained like an old copy. After step 4 it
 * cannot be: the range lives on T.
 */
export const COPY_BATCH = 100;
/** Seconds between the flip and the drain: every isolate's cached ranges are gone long before (and replicas have caught up). */
export const DRAIN_SECONDS = 60;

export interface RangeState {
  start: string;
  end: string | null;
  shard: string;
  moveTo: string | null;
  copyAfter: string | null;
  drainShard: string | null;
  drainAfter: number | null;
  /** The move was cancelled before its switch: `drainShard` holds the partial copy, drained at once. */
  cancelled: boolean;
  /** The id of the range's current or last move (`range_arrivals` on its target); null for a range never moved. */
  moveId: string | null;
}

export type MoveStep = "idle" | "copying" | "draining" | "waiting";

const RANGE_COLUMNS = "start_key AS start, shard, move_to AS moveTo, copy_after AS copyAfter, drain_shard AS drainShard, drain_after AS drainAfter, cancelled, move_id AS moveId";

/** The bucket's range rows as stored (none for a bucket never split), from the control database's primary. */
async function storedRanges(db: Database, bucketId: string): Promise<RangeState[]> {
  const { results } = await db.$client
    .prepare(`SELECT ${RANGE_COLUMNS} FROM bucket_ranges WHERE bucket_id = ? ORDER BY start_key`)
    .bind(bucketId)
    .all<Omit<RangeState, "end" | "cancelled"> & { cancelled: number }>();
  return results.map((r, i) => ({ ...r, end: i + 1 < results.length ? results[i + 1].start : null, cancelled: r.cancelled === 1 }));
}

/** The bucket's ranges with their move state (one range on the home shard for a bucket never split). */
export async function describeRanges(db: Database, bucketId: string): Promise<RangeState[]> {
  const stored = await storedRanges(db, bucketId);
  if (stored.length > 0) return stored;
  return [{ start: "", end: null, shard: await shardOf(db, bucketId), moveTo: null, copyAfter: null, drainShard: null, drainAfter: null, cancelled: false, moveId: null }];
}

/** What a range's move has still to do at `now`. */
export function stepOf(r: RangeState, now: number): MoveStep {
  if (r.moveTo !== null) return "copying";
  if (r.drainShard !== null) return (r.drainAfter ?? 0) <= now ? "draining" : "waiting";
  return "idle";
}

export class MoveRefused extends Error {}

/** A range for messages: `[start, end)`. */
const named = (r: { start: string; end: string | null }) => `[${JSON.stringify(r.start)}, ${r.end === null ? "end" : JSON.stringify(r.end)})`;

/** Whether `r` is the move of itself to `to` under way (copying, or switched and waiting for its drain). */
const isMoveTo = (r: RangeState, to: string) => r.moveTo === to || (r.moveTo === null && r.drainShard !== null && !r.cancelled && r.shard === to);

/** What `r`'s unfinished move is, for a refusal. */
function unfinished(r: RangeState): string {
  if (r.moveTo !== null) return `the move of ${named(r)} from ${r.shard} to ${r.moveTo} is copying`;
  if (r.cancelled) return `the cancelled move of ${named(r)} still has its partial copy on ${r.drainShard} to remove`;
  return `the move of ${named(r)} to ${r.shard} still has its old copy on ${r.drainShard} to drain`;
}

/**
 * Adds the range row `(bucket, start, shard)` unless there is one, only while the bucket exists: a
 * DeleteBucket that removed the bucket's range rows (store/buckets.ts) leaves none behind.
 */
function addRange(db: Database, bucketId: string, start: string, shard: string) {
  return db.$client
    .prepare("INSERT INTO bucket_ranges (bucket_id, start_key, shard) SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM buckets WHERE id = ?1) ON CONFLICT DO NOTHING")
    .bind(bucketId, start, shard)
    .run();
}

/** SQL (control database) true while no range of bucket `?2` has an unfinished move. */
const NO_MOVE = text(noMoveOf(param(2)));

/**
 * Step 1: makes `[at, end)` a range of the bucket (splitting the range holding `at`) and, when `to`
 * is another shard than its own, marks it moving there. Repeating it for a move already under way
 * (same `at`, same `to`, before or after its switch) changes nothing: the caller resumes it.
 * Refused (MoveRefused) for an unknown shard, or while any move of the bucket is unfinished (one
 * move per bucket at a time; checked again in the statement that starts the move, so two
 * concurrent calls cannot both start one).
 */
export async function startMove(db: Database, bucketId: string, at: string, to: string): Promise<RangeState> {
  if (!shardsOf(db).names.includes(to)) throw new MoveRefused(`no index shard named ${to}`);
  forgetRanges(bucketId);
  let ranges = await storedRanges(db, bucketId);
  if (ranges.length === 0) {
    await addRange(db, bucketId, "", await shardOf(db, bucketId));
    ranges = await storedRanges(db, bucketId);
    if (ranges.length === 0) throw new MoveRefused(`no bucket ${bucketId}`);
  }
  const holder = ranges.filter((r) => compareKeys(r.start, at) <= 0).pop()!;
  if (holder.start === at && isMoveTo(holder, to)) return holder;
  const busy = ranges.find((r) => stepOf(r, Number.MAX_SAFE_INTEGER) !== "idle");
  if (busy) throw new MoveRefused(`another move of this bucket is unfinished: ${unfinished(busy)}; resume it (split with its own At and To) or, before its switch, cancel it`);
  if (holder.start !== at) {
    await addRange(db, bucketId, at, holder.shard);
  }
  if (holder.shard !== to) {
    // A cancelled move's tombstone at `at` (`liftCancelledFence`) would keep this move from fencing.
    await shardDb(db, holder.shard).$client.prepare("DELETE FROM range_fences WHERE bucket_id = ? AND start_key = ? AND end_key IS start_key").bind(bucketId, at).run();
    // Only while the bucket exists: a DeleteBucket that won the race leaves nothing to move.
    await db.$client
      .prepare(`UPDATE bucket_ranges SET move_to = ?1, copy_after = NULL, cancelled = 0, move_id = ?4
        WHERE bucket_id = ?2 AND start_key = ?3 AND ${NO_MOVE}
          AND EXISTS (SELECT 1 FROM buckets WHERE id = ?2)`)
      .bind(to, bucketId, at, randomBase36(12))
      .run();
  }
  forgetRanges(bucketId);
  const after = await storedRanges(db, bucketId);
  const range = after.find((r) => r.start === at);
  if (!range) throw new MoveRefused(`no bucket ${bucketId}`); // deleted meanwhile
  if (holder.shard !== to && range.moveTo !== to) {
    const other = after.find((r) => stepOf(r, Number.MAX_SAFE_INTEGER) !== "idle");
    throw new MoveRefused(`another move of this bucket is unfinished: ${other ? unfinished(other) : "it started meanwhile"}`);
  }
  return range;
}

/**
 * Cancels the bucket's move before its switch: (1) T fences the range (`moved_to` = S: a copy batch
 * still in flight inserts nothing, `copyBatch`); (2) the range row is put back on S, with T as the
 * shard to drain at once and `cancelled` set; (3) T's fence again (a concurrent `advanceMove` that
 * read the move before (2) may have lifted it); then `advanceMove` records the cancel on T (giving
 * back what a switch that lost the race counted there, `cancelArrival`), lifts S's fence (putting
 * back what that switch took out of S's totals) and drains T's partial copy (its rows and their
 * references), at most `batches` batches in this call.
 * Every step is idempotent: calling it again (or housekeeping) resumes a cancel. Returns the range
 * afterwards, or null when the bucket has no move; refused (MoveRefused) once the move has
 * switched (then only its drain is left, and the range lives on T).
 */
export async function cancelMove(env: Env, bucketId: string, now: number, batches = 20): Promise<RangeState | null> {
  const db = database(env.DB);
  forgetRanges(bucketId);
  const ranges = await storedRanges(db, bucketId);
  const range = ranges.find((r) => r.moveTo !== null) ?? ranges.find((r) => r.cancelled && r.drainShard !== null);
  if (!range) {
    const switched = ranges.find((r) => r.drainShard !== null);
    if (switched) throw new MoveRefused(`${unfinished(switched)}: the move has switched to ${switched.shard} and can no longer be cancelled`);
    return null;
  }
  if (range.moveTo !== null) {
    const target = shardDb(db, range.moveTo).$client;
    const fenceTarget = () => putFence(target, bucketId, range, { movedTo: range.shard }).run();
    await fenceTarget();
    await db.$client
      .prepare("UPDATE bucket_ranges SET move_to = NULL, copy_after = NULL, drain_shard = move_to, drain_after = ?, cancelled = 1 WHERE bucket_id = ? AND start_key = ? AND move_to = ?")
      .bind(now, bucketId, range.start, range.moveTo)
      .run();
    forgetRanges(bucketId);
    const after = (await storedRanges(db, bucketId)).find((r) => r.start === range.start)!;
    if (!after.cancelled) {
      // The move switched meanwhile: the range lives on T, whose fence `advanceMove` lifts again.
      await advanceMove(env, bucketId, range.start, now, 0);
      throw new MoveRefused(`the move of ${named(range)} to ${range.moveTo} switched meanwhile and can no longer be cancelled`);
    }
    await fenceTarget();
  }
  return advanceMove(env, bucketId, range.start, now, batches);
}

/**
 * The statement that sets the bucket's fence `[range.start, range.end)` on a shard with `moved_to` =
 * `movedTo` (where the range lives, once it is not moving), returning its start when it took effect.
 * A fence already there at that start takes the new end, and the new `moved_to` unless `keepMark`,
 * only where `guard` (SQL over the existing row `range_fences`) holds.
 */
function putFence(
  shard: D1Database,
  bucketId: string,
  range: { start: string; end: string | null },
  { movedTo = null, keepMark = false, guard = "1" }: { movedTo?: string | null; keepMark?: boolean; guard?: string } = {},
): D1PreparedStatement {
  return shard
    .prepare(
      `INSERT INTO range_fences (bucket_id, start_key, end_key, moved_to) VALUES (?, ?, ?, ?)
      ON CONFLICT (bucket_id, start_key) DO UPDATE SET end_key = excluded.end_key${keepMark ? "" : ", moved_to = excluded.moved_to"} WHERE ${guard}
      RETURNING start_key`,
    )
    .bind(bucketId, range.start, range.end, movedTo);
}

/**
 * Steps 2 to 5 for the range of the bucket starting at `start`: the fence (always, while the range
 * is moving), then at most `batches` batches (each a bounded number of rows) per call; returns the
 * range's state afterwards. Released blobs' bytes are deleted from R2 (`env.BLOBS`).
 */
export async function advanceMove(env: Env, bucketId: string, start: string, now: number, batches = 20): Promise<RangeState> {
  const db = database(env.DB);
  const first = await withMoveId(db, bucketId, (await storedRanges(db, bucketId)).find((r) => r.start === start));
  if (first && stepOf(first, now) === "copying") await fence(db, bucketId, first);
  // Cancelled: T records it (its counters give back a lost switch's count), then S's fence is lifted
  // for good (`liftCancelledFence`). Switched: T must not fence the range (a fence left by a cancel
  // that lost the race with the switch).
  else if (first && first.drainShard !== null && first.cancelled) {
    await cancelArrival(db, bucketId, first);
    await liftCancelledFence(db, bucketId, first);
  } else if (first && first.drainShard !== null) await liftFences(shardDb(db, first.shard).$client, bucketId, first);
  for (let done = 0; done < batches; done++) {
    const range = (await storedRanges(db, bucketId)).find((r) => r.start === start);
    if (!range) throw new MoveRefused(`no range of the bucket starts at ${JSON.stringify(start)}`);
    const step = stepOf(range, now);
    if (step === "idle" || step === "waiting") return range;
    if (step === "draining") {
      if (!(await drainBatch(env, db, bucketId, range))) {
        await dropIdleAnchor(db, bucketId, range.drainShard!);
        await db.$client.prepare("UPDATE bucket_ranges SET drain_shard = NULL, drain_after = NULL, cancelled = 0 WHERE bucket_id = ? AND start_key = ?").bind(bucketId, start).run();
      }
      continue;
    }
    const last = await copyBatch(env, db, bucketId, range, now);
    if (last !== null) {
      await db.$client.prepare("UPDATE bucket_ranges SET copy_after = ? WHERE bucket_id = ? AND start_key = ? AND move_to = ?").bind(last, bucketId, start, range.moveTo).run();
      continue;
    }
    await switchMove(env, bucketId, range, now);
  }
  return (await storedRanges(db, bucketId)).find((r) => r.start === start)!;
}

/**
 * Step 4, once every row of the range is on T: the switch. S's fence first names T (`markSwitch`),
 * so that a read on S with a stale range list reads T from here (T holds the whole range: S refuses
 * its writes); T takes the range into its totals (`countArrival`); then the range row names T. The
 * old shard is drained once every isolate's cached ranges have expired.
 */
export async function switchMove(env: Env, bucketId: string, range: RangeState, now: number): Promise<void> {
  const db = database(env.DB);
  await markSwitch(db, bucketId, range);
  await countArrival(db, bucketId, range);
  await db.$client
    .prepare("UPDATE bucket_ranges SET shard = move_to, move_to = NULL, copy_after = NULL, drain_shard = shard, drain_after = ? WHERE bucket_id = ? AND start_key = ? AND move_to = ?")
    .bind(now + Math.max(DRAIN_SECONDS, Math.ceil(RANGE_CACHE_MS / 1000)), bucketId, range.start, range.moveTo)
    .run();
  forgetRanges(bucketId);
}

/**
 * The switch's first half, on S: its fence of the range is marked `moved_to = T`, only the move's own
 * fence and only while unmarked (after a cancel S's fence is an empty tombstone, `liftCancelledFence`,
 * and a switch that read the move before the cancel changes nothing: refused). In the same batch,
 * once, the range's rows leave S's totals: T's take them next (`countArrival`), the drain removes
 * S's rows without moving counters, and a cancel that wins after this mark puts them back.
 */
export async function markSwitch(db: Database, bucketId: string, range: RangeState): Promise<void> {
  const index = shardDb(db, range.shard);
  const source = index.$client;
  const own = "bucket_id = ?1 AND start_key = ?2 AND end_key IS ?3";
  const [, , marked] = await source.batch([
    movedRangeTotals(index, bucketId, range, "-", ownFence(bucketId, range, sql`moved_to IS NULL`)),
    source.prepare(`UPDATE range_fences SET moved_to = ?4 WHERE ${own} AND moved_to IS NULL`).bind(bucketId, range.start, range.end, range.moveTo),
    source.prepare(`SELECT moved_to AS movedTo FROM range_fences WHERE ${own}`).bind(bucketId, range.start, range.end),
  ]);
  if ((marked.results[0] as { movedTo: string | null } | undefined)?.movedTo !== range.moveTo) throw cancelled(range);
}

/**
 * The switch's second half, on T, mirroring `markSwitch`: T records the move's arrival as `counted`
 * and, in the same batch, only if it was not recorded yet, its anchor takes in the range's totals
 * (the sums of its rows there: the whole copy, which no write changes before the range row names
 * T). Refused when a cancel recorded the move first (`cancelArrival`).
 */
export async function countArrival(db: Database, bucketId: string, range: RangeState): Promise<void> {
  const index = shardDb(db, range.moveTo!);
  const target = index.$client;
  const [, , recorded] = await target.batch([
    movedRangeTotals(index, bucketId, range, "+", sql`NOT ${arrived(bucketId, range.moveId!)}`),
    target.prepare("INSERT INTO range_arrivals (bucket_id, move_id, state) VALUES (?1, ?2, 'counted') ON CONFLICT DO NOTHING").bind(bucketId, range.moveId),
    target.prepare("SELECT state FROM range_arrivals WHERE bucket_id = ?1 AND move_id = ?2").bind(bucketId, range.moveId),
  ]);
  if ((recorded.results[0] as { state: string } | undefined)?.state !== "counted") throw cancelled(range);
}

/**
 * A cancel that won, on T (`range.drainShard` of a cancelled range): the move's arrival is recorded
 * as `cancelled`, and in the same batch, only if a switch that lost the race had counted it there,
 * T's anchor gives the range's totals back (its rows there are the partial copy the drain removes
 * without moving counters). From here no late switch counts it and no late copy batch inserts.
 */
async function cancelArrival(db: Database, bucketId: string, range: RangeState): Promise<void> {
  const index = shardDb(db, range.drainShard!);
  const target = index.$client;
  await target.batch([
    movedRangeTotals(index, bucketId, range, "-", arrived(bucketId, range.moveId!, "counted")),
    target
      .prepare("INSERT INTO range_arrivals (bucket_id, move_id, state) VALUES (?1, ?2, 'cancelled') ON CONFLICT DO UPDATE SET state = 'cancelled'")
      .bind(bucketId, range.moveId),
  ]);
}

/**
 * The range with its move's id: a move started before `move_id` existed (an upgrade mid-move) gets
 * one here, once (the first call to set it wins), before any step uses it.
 */
async function withMoveId(db: Database, bucketId: string, range: RangeState | undefined): Promise<RangeState | undefined> {
  if (!range || range.moveId !== null || (range.moveTo === null && range.drainShard === null)) return range;
  await db.$client.prepare("UPDATE bucket_ranges SET move_id = ? WHERE bucket_id = ? AND start_key = ? AND move_id IS NULL").bind(randomBase36(12), bucketId, range.start).run();
  return (await storedRanges(db, bucketId)).find((r) => r.start === range.start);
}

/** SQL text: the target shard holds the record of move `?2` of bucket `?1` (`fence` writes its anchor only while it does not). */
const ARRIVED_1_2 = text(arrived(param(1), param(2)));

/**
 * Step 2: the fence on the source, the target's fences lifted over the range, the target's anchor.
 * A fence step that set S's fence just before a cancel may run its T half after the cancel has
 * finished: lifting T's fence then is harmless (no range names T, and T's record of the cancelled
 * move, not its fence, keeps late copy batches out, `copyBatch`), and the anchor is written only
 * while T has no record of the move, so no anchor is left there that nothing names.
 */
export async function fence(db: Database, bucketId: string, range: RangeState): Promise<void> {
  const to = range.moveTo!;
  // Set once, or its end brought up to date; never its `moved_to` (the switch's mark), and never
  // over the tombstone of a cancel: a step that read the move before its cancel fences nothing.
  const { results: placed } = await putFence(shardDb(db, range.shard).$client, bucketId, range, { keepMark: true, guard: "NOT (range_fences.end_key IS range_fences.start_key)" }).all();
  if (placed.length === 0) throw cancelled(range);
  await liftFences(shardDb(db, to).$client, bucketId, range);
  if (to !== CONTROL_SHARD) {
    // The anchor as CreateBucket writes it (store/buckets.ts): the control row, its id as name, counters from 0.
    await shardDb(db, to)
      .$client.prepare(
        `INSERT INTO buckets (id, name, project_id, region, type, created_at, modified_at, shard) SELECT ?1, ?1, ?3, ?4, ?5, ?6, ?7, ?8
        WHERE NOT ${ARRIVED_1_2} ON CONFLICT DO NOTHING`,
      )
      .bind(bucketId, range.moveId, ...(await anchorFields(db, bucketId)))
      .run();
  }
}

const cancelled = (range: RangeState) => new MoveRefused(`the move of ${named(range)} to ${range.moveTo} was cancelled`);

/**
 * Lifts S's fence of a cancelled move (`range.shard` is S again) by leaving an empty fence
 * `[start, start)` in its place, which covers no key: a step of the cancelled move that read it
 * before the cancel and runs after it (`fence`, `switchMove`) then finds that tombstone and fences
 * nothing, where a deleted row would let it fence S again for good (every write to the range
 * refused, its reads sent to T). A new move of the range removes the tombstone (`startMove`).
 */
async function liftCancelledFence(db: Database, bucketId: string, range: RangeState): Promise<void> {
  const index = shardDb(db, range.shard);
  const source = index.$client;
  await source.batch([
    // A switch that marked the fence before the cancel won took the range's rows out of S's totals: back in, once.
    movedRangeTotals(index, bucketId, range, "+", ownFence(bucketId, range, sql`moved_to IS NOT NULL`)),
    putFence(source, bucketId, { start: range.start, end: range.start }),
  ]);
  await liftFences(source, bucketId, range);
}

/** SQL: the move's own fence of `[range.start, range.end)` is on this shard, and `state` holds of it. */
const ownFence = (bucketId: string, range: { start: string; end: string | null }, state: SQL) =>
  sql`EXISTS (SELECT 1 FROM range_fences f WHERE f.bucket_id = ${bucketId} AND f.start_key = ${range.start} AND f.end_key IS ${range.end} AND ${state})`;

/** Removes the part of every fence of the bucket on shard `target` that overlaps the range (what lies outside stays fenced). */
async function liftFences(target: D1Database, bucketId: string, range: { start: string; end: string | null }): Promise<void> {
  const { results } = await target
    .prepare("SELECT start_key AS start, end_key AS end, moved_to AS movedTo FROM range_fences WHERE bucket_id = ?")
    .bind(bucketId)
    .all<{ start: string; end: string | null; movedTo: string | null }>();
  const statements: D1PreparedStatement[] = [];
  for (const f of results) {
    const overlaps = (range.end === null || compareKeys(f.start, range.end) < 0) && (f.end === null || compareKeys(f.end, range.start) > 0);
    if (!overlaps) continue;
    statements.push(target.prepare("DELETE FROM range_fences WHERE bucket_id = ? AND start_key = ?").bind(bucketId, f.start));
    // What of the fence lies outside the range stays fenced.
    if (compareKeys(f.start, range.start) < 0) {
      statements.push(target.prepare("INSERT INTO range_fences (bucket_id, start_key, end_key, moved_to) VALUES (?, ?, ?, ?)").bind(bucketId, f.start, range.start, f.movedTo));
    }
    if (range.end !== null && (f.end === null || compareKeys(f.end, range.end) > 0)) {
      statements.push(
        target.prepare("INSERT INTO range_fences (bucket_id, start_key, end_key, moved_to) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING").bind(bucketId, range.end, f.end, f.movedTo),
      );
    }
  }
  if (statements.length > 0) await target.batch(statements);
}

async function anchorFields(db: Database, bucketId: string): Promise<unknown[]> {
  const row = await db.$client.prepare("SELECT project_id, region, type, created_at, modified_at, shard FROM buckets WHERE id = ?").bind(bucketId).first<Record<string, unknown>>();
  if (!row) throw new MoveRefused(`no bucket ${bucketId}`);
  return [row.project_id, row.region, row.type, row.created_at, row.modified_at, row.shard];
}

const OBJECT_COLUMNS = Object.values(getTableColumns(objects)).map((c) => c.name);

/**
 * A copy batch's statements on T (bucket `?2`, the batch's first key `?3`, the move's id `?4`)
 * change anything only while T does not fence the range (a cancel fences it first) and has no
 * record of the move (settled: switched, `countArrival`, or cancelled, `cancelArrival`).
 */
const COPY_OPEN = `${text(keyOpen(param(2), param(3)))} AND NOT ${text(arrived(param(2), param(4)))}`;

/**
 * Step 3: copies the next batch of the range's rows to the target; returns the last key copied, or
 * null when nothing was left. Safe to repeat: rows already on the target are skipped, and so are
 * their references (each statement looks at which rows are absent before the insert). Refused
 * (MoveRefused, every reference it took given back) once the target has settled the move.
 */
export async function copyBatch(env: Env, db: Database, bucketId: string, range: RangeState, now: number): Promise<string | null> {
  const [from, to] = [range.shard, range.moveTo!];
  const source = shardDb(db, from).$client;
  const target = shardDb(db, to).$client;
  const { results: rows } = await source
    .prepare(`SELECT * FROM objects WHERE bucket_id = ? AND key >= ? AND key > ? ${range.end === null ? "" : "AND key < ?"} ORDER BY key LIMIT ?`)
    .bind(bucketId, range.start, range.copyAfter ?? "", ...(range.end === null ? [] : [range.end]), COPY_BATCH)
    .all<Record<string, unknown>>();
  if (rows.length === 0) return null;

  // Each blob's home: the source row's home, or the source itself when it is the home row.
  const blobIds = [...new Set(rows.map((r) => String(r.blob_id)))];
  const homes = new Map<string, string>(blobIds.map((id) => [id, from]));
  const { results: sourceBlobs } = await source
    .prepare(`SELECT id, home_shard AS home FROM blobs WHERE id IN (SELECT value FROM json_each(?))`)
    .bind(JSON.stringify(blobIds))
    .all<{ id: string; home: string | null }>();
  for (const b of sourceBlobs) homes.set(b.id, b.home ?? from);
  // A proxy on the target holds one reference on the home row: taken first, so the bytes cannot go.
  const pinned = blobIds.filter((id) => homes.get(id) !== to);
  for (const home of new Set(pinned.map((id) => homes.get(id)!))) {
    const ids = pinned.filter((id) => homes.get(id) === home);
    await shardDb(db, home).$client.prepare("UPDATE blobs SET refcount = refcount + 1 WHERE id IN (SELECT value FROM json_each(?))").bind(JSON.stringify(ids)).run();
  }

  const items = JSON.stringify(rows.map((r) => ({ ...r, home: homes.get(String(r.blob_id)) === to ? null : homes.get(String(r.blob_id)) })));
  // A row is copied where the target has none, only while `COPY_OPEN` holds: a batch committed after
  // a cancel or the switch inserts nothing, and says so. The target's counters do not move: it takes
  // the range's totals at the switch.
  const absent = `${COPY_OPEN} AND NOT EXISTS (SELECT 1 FROM objects o WHERE o.bucket_id = json_extract(value, '$.bucket_id') AND o.key = json_extract(value, '$.key'))`;
  const firstKey = String(rows[0].key);
  const [closed, existing] = await target.batch([
    target.prepare(`SELECT 1 AS closed WHERE NOT (${COPY_OPEN})`).bind(null, bucketId, firstKey, range.moveId),
    target.prepare("SELECT id FROM blobs WHERE id IN (SELECT value FROM json_each(?))").bind(JSON.stringify(pinned)),
    target
      .prepare(`INSERT INTO blobs (id, bucket_id, size, etag, refcount, created_at, home_shard)
        SELECT json_extract(value, '$.blob_id'), ?2, MAX(json_extract(value, '$.size')), MAX(json_extract(value, '$.etag')), COUNT(*), ?5, MAX(json_extract(value, '$.home'))
        FROM json_each(?1) WHERE ${absent} GROUP BY json_extract(value, '$.blob_id')
        ON CONFLICT (id) DO UPDATE SET refcount = refcount + excluded.refcount`)
      .bind(items, bucketId, firstKey, range.moveId, now),
    target
      .prepare(`INSERT INTO objects (${OBJECT_COLUMNS.join(", ")})
        SELECT ${OBJECT_COLUMNS.map((c) => `json_extract(value, '$.${c}')`).join(", ")} FROM json_each(?1) WHERE ${COPY_OPEN}
        ON CONFLICT (bucket_id, key) DO NOTHING`)
      .bind(items, bucketId, firstKey, range.moveId),
  ]);
  // Where the target already had the blob's row, that row holds its own reference: ours goes again.
  // When the target refused the batch (the move was cancelled or has switched), nothing was copied: every reference taken goes.
  const copied = closed.results.length === 0;
  const released: string[] = [];
  for (const id of copied ? (existing.results as { id: string }[]).map((r) => r.id) : pinned) released.push(...(await dropBlobReference(db, homes.get(id)!, id)));
  await release(env, db, released);
  if (!copied) throw new MoveRefused(`the move of ${named(range)} to ${to} was cancelled or has switched`);
  return String(rows[rows.length - 1].key);
}

/** Step 5: removes the next batch of the range's rows from the drained shard; false when none was left. */
async function drainBatch(env: Env, db: Database, bucketId: string, range: RangeState): Promise<boolean> {
  const shard = range.drainShard!;
  const { results } = await shardDb(db, shard)
    .$client.prepare(`SELECT key FROM objects WHERE bucket_id = ? AND key >= ? ${range.end === null ? "" : "AND key < ?"} ORDER BY key LIMIT ?`)
    .bind(bucketId, range.start, ...(range.end === null ? [] : [range.end]), COPY_BATCH)
    .all<{ key: string }>();
  if (results.length === 0) return false;
  // Neither copy counts where it is: a switched range's old copy left S's totals at the switch, and a
  // cancelled move's partial copy was never counted on T (or was given back, `cancelArrival`).
  await release(env, db, await dropMovedRows(db, shard, bucketId, results.map((r) => r.key)));
  return true;
}

/**
 * The end of a drain: the drained shard's anchor goes when the bucket holds nothing else there (not
 * its home shard, whose uploads and control row stay, and no range of it there), so that
 * DescribeBucket, ListBuckets, the storage integrator, housekeeping and later moves see no empty
 * anchor (a cancelled move's target, or a shard a range moved off). DeleteBucket's own statement
 * (`deleteIfEmptyOn`): only while the shard holds no object of the bucket. It runs
 * before the range's drain is cleared, so no other move of the bucket can place a range there
 * meanwhile (one move per bucket).
 */
async function dropIdleAnchor(db: Database, bucketId: string, shard: string): Promise<void> {
  if (shard === CONTROL_SHARD || shard === (await shardOf(db, bucketId))) return;
  if ((await storedRanges(db, bucketId)).some((r) => r.shard === shard || r.moveTo === shard)) return;
  await deleteIfEmptyOn(shardDb(db, shard), bucketId);
}

async function release(env: Env, db: Database, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await deleteBlobs(env, ids);
  await forgetReleasedBlobs(db, ids);
}

const UNFINISHED = text(moveUnfinished("bucket_ranges"));

/** Which of the buckets `ids` have a move or a drain unfinished (housekeeping passes them over), in one query. */
export async function bucketsMoving(db: Database, ids: string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const { results } = await db.$client
    .prepare(`SELECT DISTINCT bucket_id AS id FROM bucket_ranges WHERE bucket_id IN (SELECT value FROM json_each(?)) AND ${UNFINISHED}`)
    .bind(JSON.stringify(ids))
    .all<{ id: string }>();
  return new Set(results.map((r) => r.id));
}

/** Ranges of every bucket with a move or a drain still to do (housekeeping resumes them). */
export async function unfinishedMoves(db: Database): Promise<{ bucketId: string; start: string }[]> {
  const { results } = await db.$client
    .prepare(`SELECT bucket_id AS bucketId, start_key AS start FROM bucket_ranges WHERE ${UNFINISHED} LIMIT 100`)
    .all<{ bucketId: string; start: string }>();
  return results;
}
