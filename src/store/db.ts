import { DrizzleD1Database, SQLiteD1Session } from "drizzle-orm/d1";
import { Column, Placeholder, sql, type ExtractTablesWithRelations, type SQL } from "drizzle-orm";
import { SQLiteAsyncDialect, SQLiteSyncDialect } from "drizzle-orm/sqlite-core";

/**
 * A Drizzle handle on D1: on the binding itself (every query to the primary), or on a D1 session
 * (store/sessions.ts: reads may go to a nearby replica), so one per request. Built without the
 * schema object (the code uses the query builder only), and from its two parts rather than
 * through `drizzle()`, which also makes a new SQL dialect object each time: the dialect holds no
 * per-client state, so every handle shares one, and a handle costs two small objects.
 */
export type Database = DrizzleD1Database<Record<string, never>> & {
  $client: D1Database;
  /** On a request's handle (store/sessions.ts): the same request's handle on index shard `name` (store/shards.ts). */
  $shard?: (name: string) => Database;
  /** On a request's handle: the request's index shards and their regions (store/shards.ts `shardSet`). */
  $shards?: { names: string[]; regions: Map<string, string> };
};

/** A D1 binding or a session on it: what a Drizzle handle runs its statements on. */
export type D1Client = D1Database | D1DatabaseSession;

const sharedDialect = new SQLiteAsyncDialect();

// Drizzle's D1 driver only calls `prepare` and `batch`, which a session has too.
export function makeDatabase(d1: D1Client): Database {
  type NoSchema = Record<string, never>;
  const session = new SQLiteD1Session<NoSchema, ExtractTablesWithRelations<NoSchema>>(d1 as D1Database, sharedDialect, undefined, {});
  const db = new DrizzleD1Database<NoSchema>("async", sharedDialect, session, undefined);
  return Object.assign(db, { $client: d1 as D1Database });
}

const handles = new WeakMap<D1Client, Database>();

/** The Drizzle handle on a D1 binding (or session), built once per object, not per request. */
export function database(d1: D1Client): Database {
  let db = handles.get(d1);
  if (!db) handles.set(d1, (db = makeDatabase(d1)));
  return db;
}

const dialect = new SQLiteSyncDialect();

/** A Drizzle query builder or a raw `sql` template. */
export type Statement = SQL | { toSQL(): { sql: string; params: unknown[] } };

const toQuery = (s: Statement) => ("toSQL" in s ? s.toSQL() : dialect.sqlToQuery(s));

/** Statements compiled to SQL on the request's client (a binding or a session), ready for a batch. */
export function prepared(db: Database, statements: Statement[]): D1PreparedStatement[] {
  const d1 = db.$client as D1Client;
  return statements.map((s) => {
    const q = toQuery(s);
    return d1.prepare(q.sql).bind(...q.params);
  });
}

/**
 * Runs statements as one D1 batch (one transaction, in order). Drizzle's own `batch` cannot
 * take raw `sql` with parameters, and the index's reference moves need raw
 * `INSERT … SELECT … ON CONFLICT` next to builder statements, so both are compiled here.
 * Already prepared statements (`prepared`, `precompiled`) go in as they are.
 * RETURNING rows come back in each result's `results`, keyed by column name.
 */
export function batch(db: Database, statements: (Statement | D1PreparedStatement)[]): Promise<D1Result<Record<string, unknown>>[]> {
  const ready = statements.map((s) => ("bind" in s ? s : prepared(db, [s])[0]));
  return (db.$client as D1Client).batch(ready);
}

/** A `"name"` identifier as Drizzle quotes it, or a `'…'` string literal (kept as it is). */
const QUOTED = /'(?:[^']|'')*'|"([A-Za-z_][A-Za-z0-9_]*)"/g;

/**
 * The statement with Drizzle's `"name"` identifiers quoted as `` `name` `` instead (SQLite takes
 * both). A statement travels to D1 inside a JSON document, where every `"` is escaped as `\"`:
 * a select of every object column carries dozens, and escaped strings take the JSON writer's and
 * reader's slow paths on both sides of every query (docs/performance.md). String literals are left
 * as they are.
 */
export const backtickIdentifiers = (text: string): string => text.replace(QUOTED, (whole, name?: string) => (name === undefined ? whole : `\`${name}\``));

/**
 * Statements compiled once per isolate. Drizzle builds their SQL on first use, with
 * `sql.placeholder(name)` wherever a value goes; every later use binds `values` to that SQL.
 * Building a statement with Drizzle is CPU work on every request (bench/results.md, "CPU per
 * request"), so the statements every GET, HEAD and PutFile runs are compiled this way.
 */
export function precompiled<Values extends Record<string, unknown>>(build: (db: Database) => Statement[]) {
  let compiled: { sql: string; names: string[] }[] | undefined;
  return (db: Database, values: Values): D1PreparedStatement[] => {
    compiled ??= build(db).map((s) => {
      const q = toQuery(s);
      // Every parameter must be a placeholder: a literal would freeze the first request's value.
      const names = q.params.map((p) => (p instanceof Placeholder ? p.name : null));
      if (names.includes(null)) throw new Error(`precompiled statements take sql.placeholder values only: ${q.sql}`);
      return { sql: backtickIdentifiers(q.sql), names: names as string[] };
    });
    const d1 = db.$client as D1Client;
    const ready: D1PreparedStatement[] = [];
    for (const { sql: text, names } of compiled) {
      const args: unknown[] = [];
      for (const name of names) args.push(values[name]);
      ready.push(d1.prepare(text).bind(...args));
    }
    return ready;
  };
}

/**
 * A precompiled select, its rows mapped back to the columns' property names. `fields`: the
 * selected columns in the order the select lists them (a table's columns as `getTableColumns`
 * gives them, plus extras).
 */
export function precompiledRows<Row, Values extends Record<string, unknown>>(
  build: (db: Database) => Statement,
  fields: [name: string, column: Column][],
): (db: Database, values: Values) => Promise<Row[]> {
  const statement = precompiled<Values>((db) => [build(db)]);
  const names = fields.map(([name]) => name);
  // Most columns hand back what the driver gave (text, plain integers): only the others are called.
  const maps = fields.map(([, column]) => (column.mapFromDriverValue === Column.prototype.mapFromDriverValue ? null : column));
  const toRow = (raw: unknown[]): Row => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < names.length; i++) {
      const value = raw[i];
      const map = maps[i];
      row[names[i]] = value === null || map === null ? value : map.mapFromDriverValue(value);
    }
    return row as Row;
  };
  return async (db, values) => (await statement(db, values)[0].raw()).map(toRow);
}

/** `precompiledRows` of a select of at most one row: the row, or null. */
export function precompiledRow<Row, Values extends Record<string, unknown>>(
  build: (db: Database) => Statement,
  fields: [name: string, column: Column][],
): (db: Database, values: Values) => Promise<Row | null> {
  const rows = precompiledRows<Row, Values>(build, fields);
  return async (db, values) => (await rows(db, values))[0] ?? null;
}

/** D1 binds at most 100 parameters per statement: `IN (…)` lists go in chunks this size. */
const IN_CHUNK = 90;

/**
 * A statement with an `IN` list compiled once per list length (at most IN_CHUNK forms): `make(n)`
 * builds the form for `n` values on first use, with `listPlaceholders(n)` in the list, and a use
 * binds `listValues(values)`.
 */
export function perListLength<T>(make: (n: number) => T): (n: number) => T {
  const made = new Map<number, T>();
  return (n) => {
    let form = made.get(n);
    if (!form) made.set(n, (form = make(n)));
    return form;
  };
}

/** The placeholders `in0` … `in<n-1>` of an `IN` list (`perListLength`). */
export const listPlaceholders = (n: number): Placeholder[] => Array.from({ length: n }, (_, i) => sql.placeholder(`in${i}`));

/** The values of `listPlaceholders(values.length)`. */
export const listValues = (values: readonly string[]): Record<string, string> => Object.fromEntries(values.map((v, i) => [`in${i}`, v]));

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
