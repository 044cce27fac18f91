import { and, asc, eq, gt, gte, lt, sql } from "drizzle-orm";
import { blobs, buckets, objects } from "../../schema/schema";
import { batch, forEachChunk, inChunks, type Database } from "./db";

/**
 * The object index: the only code that reads or writes object rows (DESIGN.md §9: one seam,
 * so the index can be sharded later). Every reference move is one `db.batch()` (a D1
 * transaction) that keeps three things exact together:
 *
 * - `objects`: (bucket, key) → blob and metadata. A key is visible only once its row commits.
 * - `blobs.refcount`: how many object rows point at the blob. It reaches 0 only when no row
 *   references the blob; the caller then releases the R2 bytes (`releaseBlobs`), and the
 *   scheduled sweeper catches anything a crash left behind.
 * - `buckets.stored_bytes` and `buckets.object_count`: the sum of object sizes (storage metering)
 *   and the number of object rows (DescribeBucket's `ObjectCount`), moved by one statement.
 *
 * Writes re-check the bucket inside the statement (the data plane's bucket cache may be a few
 * seconds stale), so an object is never written into a deleted bucket.
 */
export type ObjectRow = typeof objects.$inferSelect;

export interface ObjectMeta {
  mime: string;
  storageClass: string;
  userMeta: Record<string, string>;
}

export interface NewBlob {
  id: string;
  size: number;
  etag: string;
}

/**
 * How a write treats an existing object at its target key: replace it (the default), or leave it
 * and write nothing (`ifAbsent`, for TOKEN_DENY_UPDATE tokens). Decided inside the write's own batch,
 * so a concurrent writer cannot slip between a check and the write.
 */
export interface WriteMode {
  ifAbsent?: boolean;
}

/** What a write released: blobs that no row references any more (their R2 bytes can go). */
export interface WriteResult {
  written: boolean;
  released: string[];
}

export async function getObject(db: Database, bucketId: string, key: string): Promise<ObjectRow | null> {
  return (await db.select().from(objects).where(and(eq(objects.bucketId, bucketId), eq(objects.key, key))).get()) ?? null;
}

const objectWhere = (bucketId: string, key: string) => sql`${objects.bucketId} = ${bucketId} AND ${objects.key} = ${key}`;

/** True unless `mode.ifAbsent` and (bucket, key) holds an object. */
const targetWritable = (bucketId: string, key: string, mode: WriteMode) =>
  mode.ifAbsent ? sql`NOT EXISTS (SELECT 1 FROM ${objects} WHERE ${objectWhere(bucketId, key)})` : sql`1`;

const UPSERT = sql`ON CONFLICT (bucket_id, key) DO UPDATE SET blob_id = excluded.blob_id, size = excluded.size, etag = excluded.etag,
        mime = excluded.mime, storage_class = excluded.storage_class, user_meta = excluded.user_meta,
        created_at = excluded.created_at, modified_at = excluded.modified_at, restore_ready_at = NULL, restore_expires_at = NULL`;
const INSERT_ONLY = sql`ON CONFLICT (bucket_id, key) DO NOTHING`;

/** Decrements the refcount of the blob the (bucket, key) row points at, if any, returning it. */
const releaseCurrent = (db: Database, bucketId: string, key: string, onlyIf = sql`1`) =>
  db
    .update(blobs)
    .set({ refcount: sql`${blobs.refcount} - 1` })
    .where(sql`${blobs.id} = (SELECT ${objects.blobId} FROM ${objects} WHERE ${objectWhere(bucketId, key)}) AND ${onlyIf}`)
    .returning({ id: blobs.id, refcount: blobs.refcount });

/**
 * Moves a bucket's totals for a write at (bucket, key): `stored_bytes` by `+addedBytes − (size of
 * the row being replaced)`, `object_count` by `+addedObjects − (1 if that row exists)`. Runs in the
 * write's batch, before the row changes. A delete adds 0 and 0; a put or copy adds its size and 1.
 */
const adjustBucketTotals = (db: Database, bucketId: string, key: string, added: { bytes: SQLChunk; objects: 0 | 1 }, onlyIf = sql`1`) =>
  db
    .update(buckets)
    .set({
      storedBytes: sql`${buckets.storedBytes} + ${added.bytes} - COALESCE((SELECT ${objects.size} FROM ${objects} WHERE ${objectWhere(bucketId, key)}), 0)`,
      objectCount: sql`${buckets.objectCount} + ${added.objects} - EXISTS (SELECT 1 FROM ${objects} WHERE ${objectWhere(bucketId, key)})`,
    })
    .where(sql`${buckets.id} = ${bucketId} AND ${onlyIf}`);

type SQLChunk = ReturnType<typeof sql>;

/** Blobs whose refcount a batch brought to 0, from a `releaseCurrent` RETURNING. */
const released = (rows: Record<string, unknown>[]): string[] => rows.filter((r) => Number(r.refcount) <= 0).map((r) => String(r.id));


/**
 * Publishes a new blob (already complete in R2) under (bucket, key): an atomic swap of one row.
 * The previous version stays readable until this batch commits; its blob is returned in
 * `released` when nothing else references it. `written` is false when the bucket is gone.
 */
export async function publishBlob(
  db: Database,
  bucketId: string,
  key: string,
  blob: NewBlob,
  meta: ObjectMeta,
  now: number,
  mode: WriteMode = {},
): Promise<WriteResult> {
  const bucketExists = sql`EXISTS (SELECT 1 FROM ${buckets} WHERE ${buckets.id} = ${bucketId})`;
  const writable = targetWritable(bucketId, key, mode);
  const [old, , , inserted] = await batch(db, [
    releaseCurrent(db, bucketId, key, writable),
    adjustBucketTotals(db, bucketId, key, { bytes: sql`${blob.size}`, objects: 1 }, writable),
    sql`INSERT INTO ${objects} (bucket_id, key, blob_id, size, etag, mime, storage_class, user_meta, created_at, modified_at)
      SELECT ${bucketId}, ${key}, ${blob.id}, ${blob.size}, ${blob.etag}, ${meta.mime}, ${meta.storageClass}, ${JSON.stringify(meta.userMeta)}, ${now}, ${now}
      WHERE ${bucketExists}
      ${mode.ifAbsent ? INSERT_ONLY : UPSERT}`,
    // The blob row is born with the exact number of rows that now reference it (1, or 0 if the bucket vanished).
    db
      .insert(blobs)
      .values({
        id: blob.id,
        bucketId,
        size: blob.size,
        etag: blob.etag,
        refcount: sql`(SELECT COUNT(*) FROM ${objects} WHERE ${objects.blobId} = ${blob.id})`,
        createdAt: now,
      })
      .returning({ id: blobs.id, refcount: blobs.refcount }),
  ]);
  const written = Number(inserted.results[0]?.refcount) > 0;
  return { written, released: [...released(old.results), ...(written ? [] : [blob.id])] };
}

/**
 * Points (dstBucket, dstKey) at the blob of (srcBucket, srcKey): Copy and UploadHit.
 * No bytes move. `written` is false when the source vanished (or the bucket is gone).
 */
export async function copyObject(
  db: Database,
  src: { bucketId: string; key: string },
  dst: { bucketId: string; key: string },
  meta: (source: { mime: string; userMeta: string; storageClass: string }) => Partial<ObjectMeta>,
  sourceRow: ObjectRow,
  now: number,
  mode: WriteMode = {},
): Promise<WriteResult> {
  const m = meta({ mime: sourceRow.mime, userMeta: sourceRow.userMeta, storageClass: sourceRow.storageClass });
  // Every statement is guarded on the source still pointing at the blob we read (if it moved, nothing
  // happens) and, in `ifAbsent` mode, on the target being free.
  const sourceHolds = sql`EXISTS (SELECT 1 FROM ${objects} WHERE ${objectWhere(src.bucketId, src.key)} AND ${objects.blobId} = ${sourceRow.blobId})`;
  const dstBucketExists = sql`EXISTS (SELECT 1 FROM ${buckets} WHERE ${buckets.id} = ${dst.bucketId})`;
  const guard = sql`${sourceHolds} AND ${dstBucketExists} AND ${targetWritable(dst.bucketId, dst.key, mode)}`;
  // A target already on the source's blob (a copy onto itself, an UploadHit of a key's own content)
  // keeps its reference: releasing it first could bring the blob to 0 and have its bytes deleted.
  const moves = sql`${guard} AND NOT EXISTS (SELECT 1 FROM ${objects} WHERE ${objectWhere(dst.bucketId, dst.key)} AND ${objects.blobId} = ${sourceRow.blobId})`;
  // Every guard is evaluated before the INSERT, the only statement that changes `objects`.
  const [old, , , upserted] = await batch(db, [
    releaseCurrent(db, dst.bucketId, dst.key, moves),
    adjustBucketTotals(db, dst.bucketId, dst.key, { bytes: sql`${sourceRow.size}`, objects: 1 }, guard),
    db
      .update(blobs)
      .set({ refcount: sql`${blobs.refcount} + 1` })
      .where(sql`${blobs.id} = ${sourceRow.blobId} AND ${moves}`),
    sql`INSERT INTO ${objects} (bucket_id, key, blob_id, size, etag, mime, storage_class, user_meta, created_at, modified_at)
      SELECT ${dst.bucketId}, ${dst.key}, ${sourceRow.blobId}, ${sourceRow.size}, ${sourceRow.etag},
        ${m.mime ?? sourceRow.mime}, ${m.storageClass ?? sourceRow.storageClass},
        ${m.userMeta ? JSON.stringify(m.userMeta) : sourceRow.userMeta}, ${now}, ${now}
      WHERE ${guard}
      ${UPSERT}`,
  ]);
  const written = (upserted.meta?.changes ?? 0) > 0;
  return { written, released: released(old.results) };
}

/** Deletes (bucket, key); `written` is false when there was no such object. */
export async function deleteObject(db: Database, bucketId: string, key: string): Promise<WriteResult> {
  const [old, , deleted] = await batch(db, [
    releaseCurrent(db, bucketId, key),
    adjustBucketTotals(db, bucketId, key, { bytes: sql`0`, objects: 0 }),
    db.delete(objects).where(objectWhere(bucketId, key)).returning({ key: objects.key }),
  ]);
  return { written: deleted.results.length > 0, released: released(old.results) };
}

/**
 * Renames (bucket, from) to (bucket, to). With `force`, an existing target is replaced (its
 * blob released); without, the rename happens only if the target is free.
 * Returns "renamed", "missing" (no source) or "exists" (target taken, not forced).
 */
export async function renameObject(
  db: Database,
  bucketId: string,
  from: string,
  to: string,
  force: boolean,
  now: number,
): Promise<{ outcome: "renamed" | "missing" | "exists"; released: string[] }> {
  if (from === to) {
    const row = await getObject(db, bucketId, from);
    return { outcome: row ? "renamed" : "missing", released: [] };
  }
  const sourceExists = sql`EXISTS (SELECT 1 FROM ${objects} WHERE ${objectWhere(bucketId, from)})`;
  const replace = force ? sourceExists : sql`0`;
  const [old, , , moved] = await batch(db, [
    releaseCurrent(db, bucketId, to, replace),
    // Replacing the target removes its bytes and its row from the bucket totals; the renamed row keeps its own.
    adjustBucketTotals(db, bucketId, to, { bytes: sql`0`, objects: 0 }, replace),
    db.delete(objects).where(sql`${objectWhere(bucketId, to)} AND ${replace}`),
    db
      .update(objects)
      .set({ key: to, modifiedAt: now })
      .where(sql`${objectWhere(bucketId, from)} AND NOT EXISTS (SELECT 1 FROM ${objects} o2 WHERE o2.bucket_id = ${bucketId} AND o2.key = ${to})`)
      .returning({ key: objects.key }),
  ]);
  if (moved.results.length > 0) return { outcome: "renamed", released: released(old.results) };
  return { outcome: (await getObject(db, bucketId, from)) ? "exists" : "missing", released: [] };
}

/** Metadata-only changes of one row (OpMeta, ClassSwitch, Restore). Returns the new row, or null if missing. */
export async function updateObject(
  db: Database,
  bucketId: string,
  key: string,
  set: Partial<Pick<ObjectRow, "mime" | "storageClass" | "restoreReadyAt" | "restoreExpiresAt" | "modifiedAt">>,
): Promise<ObjectRow | null> {
  return (await db.update(objects).set(set).where(objectWhere(bucketId, key)).returning().get()) ?? null;
}

/** An object of the bucket with this ETag and size (UploadHit). */
export async function findByHash(db: Database, bucketId: string, etags: string[], size: number): Promise<ObjectRow | null> {
  for (const etag of etags) {
    const row = await db
      .select()
      .from(objects)
      .where(and(eq(objects.bucketId, bucketId), eq(objects.etag, etag), eq(objects.size, size)))
      .limit(1)
      .get();
    if (row) return row;
  }
  return null;
}

/**
 * The smallest string greater than every string that starts with `prefix`, in UTF-8 byte order
 * (SQLite BINARY collation): the prefix with its last code point incremented. UTF-8 preserves
 * code-point order and is prefix-free, so this bounds a prefix scan. Null when there is none.
 */
export function prefixUpperBound(prefix: string): string | null {
  const points = [...prefix];
  while (points.length > 0) {
    let cp = points.pop()!.codePointAt(0)! + 1;
    if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xe000;
    if (cp <= 0x10ffff) return points.join("") + String.fromCodePoint(cp);
  }
  return null;
}

/** Keys of a bucket in byte order: `prefix`-ed, strictly after `after`, at most `limit`. */
export async function listObjects(
  db: Database,
  bucketId: string,
  opts: { prefix: string; after: string; from?: string; limit: number },
): Promise<ObjectRow[]> {
  const upper = prefixUpperBound(opts.prefix);
  return db
    .select()
    .from(objects)
    .where(
      and(
        eq(objects.bucketId, bucketId),
        gte(objects.key, opts.from && opts.from > opts.prefix ? opts.from : opts.prefix),
        opts.after ? gt(objects.key, opts.after) : undefined,
        upper !== null ? lt(objects.key, upper) : undefined,
      ),
    )
    .orderBy(asc(objects.key))
    .limit(opts.limit)
    .all();
}

/** Deletes blob rows that nothing references, after their R2 bytes are gone. */
export async function forgetReleasedBlobs(db: Database, ids: string[]): Promise<void> {
  await forEachChunk(ids, (chunk) => db.delete(blobs).where(sql`${blobs.id} IN ${chunk} AND ${blobs.refcount} <= 0`).run());
}

/** Blob rows nothing references (left by a failed release), oldest first: the sweeper's work list. */
export async function unreferencedBlobs(db: Database, limit: number): Promise<string[]> {
  const rows = await db.select({ id: blobs.id }).from(blobs).where(sql`${blobs.refcount} <= 0`).limit(limit).all();
  return rows.map((r) => r.id);
}

/** Which of these blob ids have a row (the sweeper keeps those). */
export function knownBlobIds(db: Database, ids: string[]): Promise<Set<string>> {
  return inChunks(ids, (chunk) => db.select({ id: blobs.id }).from(blobs).where(sql`${blobs.id} IN ${chunk}`).all());
}
