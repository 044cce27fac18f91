import { drizzle } from "drizzle-orm/d1";
import type { SQL } from "drizzle-orm";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import * as schema from "../../schema/schema";

export type Database = ReturnType<typeof database>;

const makeDatabase = (d1: D1Database) => drizzle(d1, { schema });
const handles = new WeakMap<D1Database, ReturnType<typeof makeDatabase>>();

/** The Drizzle handle on a D1 binding, built once per binding (per isolate), not per request. */
export function database(d1: D1Database) {
  let db = handles.get(d1);
  if (!db) handles.set(d1, (db = makeDatabase(d1)));
  return db;
}

const dialect = new SQLiteSyncDialect();

/** A Drizzle query builder or a raw `sql` template. */
export type Statement = SQL | { toSQL(): { sql: string; params: unknown[] } };

/**
 * Runs statements as one D1 batch (one transaction, in order). Drizzle's own `batch` cannot
 * take raw `sql` with parameters, and the index's reference moves need raw
 * `INSERT … SELECT … ON CONFLICT` next to builder statements, so both are compiled here.
 * RETURNING rows come back in each result's `results`, keyed by column name.
 */
export function batch(db: Database, statements: Statement[]): Promise<D1Result<Record<string, unknown>>[]> {
  const d1 = db.$client;
  return d1.batch(
    statements.map((s) => {
      const q = "toSQL" in s ? s.toSQL() : dialect.sqlToQuery(s);
      return d1.prepare(q.sql).bind(...q.params);
    }),
  );
}

/** D1 binds at most 100 parameters per statement: `IN (…)` lists go in chunks this size. */
const IN_CHUNK = 90;

/** Runs `run` once per chunk of `ids` (for `IN` lists), in order. */
export async function forEachChunk(ids: string[], run: (chunk: string[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < ids.length; i += IN_CHUNK) await run(ids.slice(i, i + IN_CHUNK));
}

/** Runs `query` once per chunk of `ids` and collects the ids it returns. */
export async function inChunks(ids: string[], query: (chunk: string[]) => Promise<{ id: string }[]>): Promise<Set<string>> {
  const found = new Set<string>();
  await forEachChunk(ids, async (chunk) => {
    for (const row of await query(chunk)) found.add(row.id);
  });
  return found;
}
