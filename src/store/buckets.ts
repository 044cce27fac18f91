import { and, asc, eq, getTableColumns, sql } from "drizzle-orm";
import { randomBase36 } from "../crypto";
import { buckets, objects, projects, quotas } from "../../schema/schema";
import { precompiledRow, type Database } from "./db";

/**
 * The bucket index. The data plane looks buckets up on every request, so lookups by name are
 * cached in the isolate for a few seconds (DESIGN.md §8). Writes that must not act on a stale
 * cache entry re-check the bucket inside their own statement (see store/objects.ts).
 */
export type BucketRow = typeof buckets.$inferSelect;
export type BucketType = "public" | "private";
/** A bucket as the data plane sees it: with its project's quota state (1 = owes, PROTOCOL.md 15011). */
export type ServedBucket = BucketRow & { owe: number };

const CACHE_TTL_MS = 5_000;
const cache = new Map<string, { row: ServedBucket | null; until: number }>();

export function forgetBucket(name: string): void {
  cache.delete(name);
}

/** A bucket by name joined with its quota state (the data plane's per-request lookup), compiled once. */
const servedByName = precompiledRow<BucketRow & { owe: number | null }, { name: string }>(
  (db) =>
    db
      .select({ ...getTableColumns(buckets), owe: quotas.owe })
      .from(buckets)
      .leftJoin(quotas, and(eq(quotas.projectId, buckets.projectId), eq(quotas.region, buckets.region)))
      .where(eq(buckets.name, sql.placeholder("name"))),
  [...Object.entries(getTableColumns(buckets)), ["owe", quotas.owe]],
);

/** A bucket by name with its quota state, in one query, from the isolate cache when fresh. */
export async function bucketByName(db: Database, name: string): Promise<ServedBucket | null> {
  const hit = cache.get(name);
  if (hit && hit.until > Date.now()) return hit.row;
  const found = await servedByName(db, { name });
  const row = found ? { ...found, owe: found.owe ?? 0 } : null;
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

/** A bucket by name inside one project, never cached (control plane; every bucket action reads it, so compiled once). */
export function bucketInProject(db: Database, projectId: string, name: string): Promise<BucketRow | null> {
  return inProject(db, { name, projectId });
}

/** Buckets of one project (every project when `projectId` is null: the root S3 key's ListBuckets). */
export async function listBuckets(db: Database, projectId: string | null, offset: number, limit: number): Promise<BucketRow[]> {
  return db
    .select()
    .from(buckets)
    .where(projectId === null ? undefined : eq(buckets.projectId, projectId))
    .orderBy(asc(buckets.createdAt), asc(buckets.name))
    .limit(limit)
    .offset(offset)
    .all();
}

/**
 * Creates a bucket, or returns null when the name is taken. One batch: the project row
 * (if new) and the bucket; `ON CONFLICT DO NOTHING` on the unique name makes concurrent
 * creates of one name leave exactly one bucket.
 */
export async function insertBucket(
  db: Database,
  b: { name: string; projectId: string; region: string; type: BucketType; now: number },
): Promise<BucketRow | null> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const id = "oss-" + randomBase36(6);
    const [, inserted] = await db.batch([
      db.insert(projects).values({ id: b.projectId, createdAt: b.now }).onConflictDoNothing(),
      db
        .insert(buckets)
        .values({ id, name: b.name, projectId: b.projectId, region: b.region, type: b.type, createdAt: b.now, modifiedAt: b.now })
        .onConflictDoNothing()
        .returning(),
    ]);
    if (inserted.length > 0) {
      forgetBucket(b.name);
      return inserted[0];
    }
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

/**
 * Deletes the bucket if it holds no object, in one conditional statement so that an object
 * written concurrently is never orphaned. Returns false when the bucket is not empty.
 */
export async function deleteBucketIfEmpty(db: Database, bucket: BucketRow): Promise<boolean> {
  const deleted = await db
    .delete(buckets)
    .where(and(eq(buckets.id, bucket.id), sql`NOT EXISTS (SELECT 1 FROM ${objects} WHERE ${objects.bucketId} = ${bucket.id})`))
    .returning({ id: buckets.id });
  forgetBucket(bucket.name);
  return deleted.length > 0;
}
