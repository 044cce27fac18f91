import { sql, type AnyColumn, type Placeholder, type SQL } from "drizzle-orm";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";

/**
 * The SQL conditions of key-range moves (docs/design.md §9 "Key ranges"), each defined once here
 * and used by every statement that needs it: the data plane's writes (store/objects.ts), the range
 * table reads (store/ranges.ts), the mover (store/range-move.ts) and DeleteBucket
 * (store/buckets.ts).
 *
 * Each is a Drizzle `sql` fragment over its operands (a value, which is bound; a column; or SQL).
 * A statement prepared on D1 directly takes one as text, built once, with its operands given as
 * that statement's positional parameters: `text(arrived(param(2), param(4)))`.
 */

/** A value, placeholder, column or SQL in a statement. */
export type Bound = string | number | Placeholder | SQL | AnyColumn;

/** Positional parameter `?n` of a statement prepared on D1 directly. */
export const param = (n: number): SQL => sql.raw(`?${n}`);

const dialect = new SQLiteSyncDialect();

/** A condition as SQL text, for a statement prepared on D1 directly; its operands must be SQL (`param`), never values. */
export function text(condition: SQL): string {
  const { sql: query, params } = dialect.sqlToQuery(condition);
  if (params.length > 0) throw new Error("a condition used as text takes its operands as positional parameters (param(n)), not values");
  return query;
}

/**
 * SQL over a `bucket_ranges` row (`row`: its table name or alias): the shard holding a copy of the
 * range that is not the range's own, the move's target while it copies or the shard a drain has
 * still to empty (`KeyRange.copyOn`); NULL when no move of the range is unfinished.
 */
export const copyOn = (row: string): SQL => sql.raw(`COALESCE(${row}.move_to, ${row}.drain_shard)`);

/** SQL over a `bucket_ranges` row (`row`: its table name or alias): a move of the range is unfinished (`copyOn` names a shard). */
export const moveUnfinished = (row: string): SQL => sql`${copyOn(row)} IS NOT NULL`;

/** SQL (control database): no range of bucket `bucketId` has a move unfinished (copying, or its copy waiting for the drain). */
export const noMoveOf = (bucketId: Bound): SQL => sql`NOT EXISTS (SELECT 1 FROM bucket_ranges o WHERE o.bucket_id = ${bucketId} AND ${moveUnfinished("o")})`;

/**
 * SQL (a move's target shard): it holds the record of move `moveId` of bucket `bucketId`
 * (`range_arrivals`: `counted` at the switch, `cancelled` by a cancel that won), in `state` when
 * given. While there is none, the move's copy batches may insert there; once there is, they insert
 * nothing (store/range-move.ts).
 */
export const arrived = (bucketId: Bound, moveId: Bound, state?: "counted" | "cancelled"): SQL =>
  sql`EXISTS (SELECT 1 FROM range_arrivals a WHERE a.bucket_id = ${bucketId} AND a.move_id = ${moveId}${state === undefined ? sql`` : sql.raw(` AND a.state = '${state}'`)})`;

/** SQL over a `range_fences` row named `f`: it is a fence of bucket `bucketId` covering `key`. */
export const fenceCovers = (bucketId: Bound, key: Bound): SQL => sql`f.bucket_id = ${bucketId} AND f.start_key <= ${key} AND (f.end_key IS NULL OR ${key} < f.end_key)`;

/**
 * SQL true when this shard may write (bucket, key): no fence of the bucket on it covers the key.
 * Every object write puts it in its guards, so a write racing a move changes nothing on the old
 * shard, and so does a move's copy batch on a target that a cancel fenced.
 */
export const keyOpen = (bucketId: Bound, key: Bound): SQL => sql`NOT EXISTS (SELECT 1 FROM range_fences f WHERE ${fenceCovers(bucketId, key)})`;
