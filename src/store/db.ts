import { drizzle } from "drizzle-orm/d1";
import { Placeholder, type Column, type SQL } from "drizzle-orm";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";

/**
 * A Drizzle handle on D1: on the binding itself (every query to the primary), or on a D1 session
 * (store/sessions.ts: reads may go to a nearby replica). Built without the schema object: the
 * code uses the query builder only, and a handle without it costs ~1 µs to make, so one per
 * request (per session) is cheap.
 */
export type Database = ReturnType<typeof makeDatabase>;

/** A D1 binding or a session on it: what a Drizzle handle runs its statements on. */
export type D1Client = D1Database | D1DatabaseSession;

// Drizzle's D1 driver only calls `prepare` and `batch`, which a session has too.
const makeDatabase = (d1: D1Client) => drizzle(d1 as D1Database);
const handles = new WeakMap<D1Client, Database>();

/** The Drizzle handle on a D1 binding (or session), built once per object, not per request. */
export function database(d1: D1Client): Database {
  let db = handles.get(d1);
  if (!db) handles.set(d1, (db = makeDatabase(d1)));
  return db;
}

/**
 * A hot query compiled once per isolate: Drizzle builds the SQL from the schema on first use
 * (with `sql.placeholder` for the values), and every run after that is a raw D1 statement on the
 * request's client, its row mapped back to the columns' property names. Drizzle's builder costs
 * tens of µs per query on the request path (bench/results.md, "CPU per request"); the queries
 * every GET and HEAD makes use this instead.
 *
 * `build` gets a Drizzle handle (never executed) and returns a select whose selected fields are
 * `fields` in that order (a table's columns, as `getTableColumns` lists them, plus extras).
 */
export function precompiled<Row, Values extends Record<string, unknown>>(
  build: (db: Database) => { toSQL(): { sql: string; params: unknown[] } },
  fields: [name: string, column: Column][],
): (db: Database, values: Values) => Promise<Row | null> {
  let compiled: { sql: string; names: string[] } | undefined;
  return async (db, values) => {
    if (!compiled) {
      const q = build(db).toSQL();
      // Every parameter must be a placeholder: a literal would freeze the first request's value.
      const names = q.params.map((p) => (p instanceof Placeholder ? p.name : ""));
      if (names.includes("")) throw new Error("precompiled queries take sql.placeholder values only");
      compiled = { sql: q.sql, names };
    }
    const rows = await db.$client.prepare(compiled.sql).bind(...compiled.names.map((n) => values[n])).raw();
    const raw = rows[0];
    if (!raw) return null;
    const row: Record<string, unknown> = {};
    fields.forEach(([name, column], i) => (row[name] = raw[i] === null ? null : column.mapFromDriverValue(raw[i])));
    return row as Row;
  };
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
  const d1 = db.$client as D1Client;
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
