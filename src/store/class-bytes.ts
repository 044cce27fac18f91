import { sql, type SQL } from "drizzle-orm";

/**
 * Bytes by storage class (issue 22; GetUFileDailyReport's IaStorage and AcStorage, docs/protocol.md
 * §3.6.4). They sit next to `stored_bytes` on the bucket's counter row (its own row on `DB`, else its
 * anchor on its index shard: docs/design.md §9) and move in the same statement as `stored_bytes`
 * wherever that moves: object writes, deletes, copies, renames and class changes (store/objects.ts),
 * upload parts (store/uploads.ts). Each counter is one row of this table: its column and the
 * classes it counts. STANDARD has no column of its own: it is `stored_bytes` minus the counters.
 */
export const CLASS_COUNTERS = [
  { column: "ia_bytes", field: "iaBytes", classes: ["IA"] },
  { column: "archive_bytes", field: "archiveBytes", classes: ["ARCHIVE", "COLD"] },
] as const;

export type ClassCounter = (typeof CLASS_COUNTERS)[number];

/** SQL: `size` when `storageClass` is one of the classes `counter` counts, else 0. */
export function sizeIn(counter: ClassCounter, storageClass: SQL, size: SQL): SQL {
  // The classes are constants of this file, written as literals (no bound parameters).
  const list = sql.raw(counter.classes.map((c) => `'${c}'`).join(", "));
  return sql`(CASE WHEN ${storageClass} IN (${list}) THEN ${size} ELSE 0 END)`;
}

/** Whether `storageClass` (a canonical class name) is counted by `counter`. */
export const counts = (counter: ClassCounter, storageClass: string): boolean => (counter.classes as readonly string[]).includes(storageClass);

/**
 * `SET` assignments (raw SQL, for statements written in SQL) moving every counter by `delta(counter)`:
 * `ia_bytes = ia_bytes + (…), archive_bytes = archive_bytes + (…)`.
 */
export function moveClassBytes(delta: (counter: ClassCounter) => SQL): SQL {
  return sql.join(
    CLASS_COUNTERS.map((c) => sql`${sql.raw(c.column)} = ${sql.raw(c.column)} + (${delta(c)})`),
    sql`, `,
  );
}

/** The same moves as Drizzle `set()` fields: `{ iaBytes: ia_bytes + (…), archiveBytes: … }`. */
export function classBytesSet(delta: (counter: ClassCounter) => SQL): Record<ClassCounter["field"], SQL> {
  return Object.fromEntries(CLASS_COUNTERS.map((c) => [c.field, sql`${sql.raw(c.column)} + (${delta(c)})`])) as Record<ClassCounter["field"], SQL>;
}
