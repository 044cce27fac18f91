import { drizzle } from "drizzle-orm/d1";
import type { SQL } from "drizzle-orm";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import * as schema from "../../schema/schema";

export type Database = ReturnType<typeof database>;

/** The Drizzle handle on the D1 binding. Cheap to create; one per request. */
export function database(d1: D1Database) {
  return drizzle(d1, { schema });
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
