import { and, asc, eq, getTableColumns, gt, gte, lt, sql, type Placeholder, type SQL } from "drizzle-orm";
import { blobs, buckets, objects, rangeFences } from "../../schema/schema";
import { ApiError } from "../errors";
import { classBytesSet, counts, moveClassBytes, sizeIn } from "./class-bytes";
import { batch, forEachChunk, listPlaceholders, listValues, perListLength, precompiled, precompiledRow, prepared, type Database, type Statement } from "./db";
import { compareKeys } from "./keys";
import { fenceCovers, keyOpen } from "./move-conditions";
import { bucketShards, isFenced, keyRanges, keyShard, onKeyRange, rangesBetween, forgetRanges, readOnKeyRange } from "./ranges";
import { everyShard, foundOnAnyShard, shardDb, shardOf, shardsOf } from "./shards";

/**
 * The object index: the only code that reads or writes object rows (docs/design.md §9, index
 * shards). Every reference move is one `db.batch()` (a D1
 * transaction) that keeps three things exact together:
 *
 * - `objects`: (bucket, key) → blob and metadata. A key is visible only once its row commits.
 * - `blobs.refcount`: how many object rows point at the blob. It reaches 0 only when no row
 *   references the blob; the caller then releases the R2 bytes (`releaseBlobs`), and the
 *   scheduled sweeper catches anything a crash left behind.
 * - `buckets.stored_bytes` and `buckets.object_count`: the sum of object sizes (storage metering;
 *   store/uploads.ts adds open uploads' parts) and the number of object rows (DescribeBucket's
 *   `ObjectCount`), moved by one statement, with the bytes by storage class (store/class-bytes.ts)
 *   in that same statement.
 *
 * Writes re-check the bucket inside the statement (the data plane's bucket cache may be a few
 * seconds stale), so an object is never written into a deleted bucket.
 *
 * Each function takes the request's control handle and runs on the shard of the bucket it names
 * (store/shards.ts), so all of the above holds within one shard. Across shards (a Copy between
 * buckets on different shards) a blob row in the target shard is a proxy: it counts that shard's
 * rows, and holds one reference on the source shard's row for them (`home_shard`). Bytes go only
 * when a blob's home row reaches 0, which no shard can reach while another still references it.
 *
 * A bucket that outgrew one shard is split into key ranges (store/ranges.ts): each function runs
 * on the shard of the key it names, every write also guards on that shard not fencing the key
 * (`keyOpen`), and a write that met a fence runs again where the range went (`onKeyRange`).
 * Writes between two keys on different shards (a Rename across ranges) take the cross-shard path.
 */
export type ObjectRow = typeof objects.$inferSelect;

export { compareKeys };

export interface ObjectMeta {
  mime: string;
  storageClass: string;
  userMeta: Record<string, string>;
  /** Content-Disposition, Content-Encoding, Cache-Control, … as set by the write (none: `{}`). */
  httpHeaders?: Record<string, string>;
  /** Object ACL; a new version starts at `default` unless the write names one. */
  acl?: string;
  /** Tags as stored (JSON array); a new version starts without tags unless the write names some. */
  tags?: string;
}

const DEFAULT_ACL = "default";
export const NO_TAGS = "[]";

export interface NewBlob {
  id: string;
  size: number;
  /** UFile ETag. */
  etag: string;
  /** S3 ETag, unquoted: the MD5 in hex, or `md5(part MD5s)-N` for a multipart blob ("" when unknown). */
  s3Etag: string;
  /** The checksum verified on upload, stored form (s3/stored-checksums.ts); none: "". */
  checksum?: string;
  /** A multipart blob's parts, stored form (core/object-parts.ts); a single-part blob: "". */
  parts?: string;
  /** SSE-C: base64 MD5 of the customer key the blob is encrypted with (core/sse-c.ts); none: "". */
  ssecKeyMd5?: string;
}

/**
 * How a write treats an existing object at its target key: replace it (the default), or leave it
 * and write nothing (`ifAbsent`, for TOKEN_DENY_UPDATE tokens). Decided inside the write's own batch,
 * so a concurrent writer cannot slip between a check and the write.
 */
export interface WriteMode {
  ifAbsent?: boolean;
  /**
   * Replace only an existing object whose S3 or UFile ETag (unquoted) is one of these (a write's
   * `If-Match`; `*`: any existing object); when it does not hold nothing is written and the new
   * blob is released.
   */
  ifMatch?: string[];
  /** Write only where the target does not exist or has none of these ETags (a write's `If-None-Match: "<etag>"`). */
  ifNoneMatch?: string[];
}

/** What a write released: blobs that no row references any more (their R2 bytes can go). */
export interface WriteResult {
  written: boolean;
  released: string[];
}

/** The object row of (bucket, key): every GET and HEAD reads it, so its SQL is compiled once. */
const objectByKey = precompiledRow<ObjectRow, { bucketId: string; key: string }>(
  (db) =>
    db
      .select()
      .from(objects)
      .where(and(eq(objects.bucketId, sql.placeholder("bucketId")), eq(objects.key, sql.placeholder("key")))),
  Object.entries(getTableColumns(objects)),
);

/**
 * The same read for a bucket split into key ranges, with, in the same query, where the key's range
 * went if this shard has seen it move away (its fence's `moved_to`): one row always, the object's
 * columns null when it is not there.
 */
const objectOrMovedByKey = precompiledRow<{ [K in keyof ObjectRow]: ObjectRow[K] | null } & { movedTo: string | null }, { bucketId: string; key: string }>(
  () => {
    const [bucketId, key] = [sql.placeholder("bucketId"), sql.placeholder("key")];
    const columns = sql.join(
      Object.values(getTableColumns(objects)).map((c) => sql`o.${sql.identifier(c.name)}`),
      sql`, `,
    );
    return sql`SELECT ${columns}, f.moved_to FROM (SELECT 1) one
      LEFT JOIN ${objects} o ON o.bucket_id = ${bucketId} AND o.key = ${key}
      LEFT JOIN ${rangeFences} f ON ${fenceCovers(bucketId, key)} AND f.moved_to IS NOT NULL
      LIMIT 1`;
  },
  [...Object.entries(getTableColumns(objects)), ["movedTo", rangeFences.movedTo]],
);

export async function getObject(db: Database, bucketId: string, key: string): Promise<ObjectRow | null> {
  return readOnKeyRange(
    db,
    bucketId,
    key,
    (index) => objectByKey(index, { bucketId, key }),
    async (index) => {
      const { movedTo, ...row } = (await objectOrMovedByKey(index, { bucketId, key }))!;
      return { found: row.key === null ? null : (row as ObjectRow), movedTo };
    },
  );
}

/** A value, or a placeholder for it in a statement compiled once (store/db.ts `precompiled`). */
type Bound = string | number | Placeholder;

const objectWhere = (bucketId: Bound, key: Bound) => sql`${objects.bucketId} = ${bucketId} AND ${objects.key} = ${key}`;

/** The write's conditions on its target: free (`ifAbsent`), and its `ifMatch` / `ifNoneMatch` ETags. */
const targetWritable = (bucketId: Bound, key: Bound, mode: WriteMode) =>
  mode.ifAbsent ? sql`NOT EXISTS (SELECT 1 FROM ${objects} WHERE ${objectWhere(bucketId, key)}) AND ${targetConditions(bucketId, key, mode)}` : targetConditions(bucketId, key, mode);

/** The row's S3 or UFile ETag is one of these (any, for `*`). */
function etagIn(tags: string[]): SQL {
  const list = sql.join(tags.map((t) => sql`${t}`), sql`, `);
  return tags.includes("*") ? sql`1` : sql`(${objects.s3Etag} IN (${list}) OR ${objects.etag} IN (${list}))`;
}

/** The target exists with one of these S3 or UFile ETags (any, for `*`). */
function targetHasEtag(bucketId: Bound, key: Bound, tags: string[]): SQL {
  return sql`EXISTS (SELECT 1 FROM ${objects} WHERE ${objectWhere(bucketId, key)} AND ${etagIn(tags)})`;
}

/** `mode.ifMatch` holds and `mode.ifNoneMatch` does not, as SQL (true without either). */
function targetConditions(bucketId: Bound, key: Bound, mode: WriteMode): SQL {
  const conditions: SQL[] = [];
  if (mode.ifMatch) conditions.push(targetHasEtag(bucketId, key, mode.ifMatch));
  if (mode.ifNoneMatch) conditions.push(sql`NOT ${targetHasEtag(bucketId, key, mode.ifNoneMatch)}`);
  return conditions.length === 0 ? sql`1` : sql.join(conditions, sql` AND `);
}

const UPSERT = sql`ON CONFLICT (bucket_id, key) DO UPDATE SET blob_id = excluded.blob_id, size = excluded.size, etag = excluded.etag,
        s3_etag = excluded.s3_etag, mime = excluded.mime, storage_class = excluded.storage_class, user_meta = excluded.user_meta,
        http_headers = excluded.http_headers,
        created_at = excluded.created_at, modified_at = excluded.modified_at, restore_ready_at = NULL, restore_expires_at = NULL,
        acl = excluded.acl, tags = excluded.tags, checksum = excluded.checksum, parts = excluded.parts, ssec_key_md5 = excluded.ssec_key_md5`;
const INSERT_ONLY = sql`ON CONFLICT (bucket_id, key) DO NOTHING`;

/** Decrements the refcount of the blob the (bucket, key) row points at, if any, returning it. */
const releaseCurrent = (db: Database, bucketId: Bound, key: Bound, onlyIf = sql`1`) =>
  db
    .update(blobs)
    .set({ refcount: sql`${blobs.refcount} - 1` })
    .where(sql`${blobs.id} = (SELECT ${objects.blobId} FROM ${objects} WHERE ${objectWhere(bucketId, key)}) AND ${onlyIf}`)
    .returning({ id: blobs.id, refcount: blobs.refcount, home_shard: blobs.homeShard });

/** What a write adds at its key: bytes of a class, and objects. A delete adds nothing (`NOTHING`). */
interface Added {
  bytes: SQLChunk;
  objects: SQLChunk | 0 | 1;
  storageClass: Bound | SQLChunk;
}
const NOTHING: Added = { bytes: sql`0`, objects: 0, storageClass: sql`NULL` };

/**
 * Moves a bucket's totals for a write at (bucket, key): `stored_bytes` by `+addedBytes − (size of
 * the row being replaced)`, `object_count` by `+addedObjects − (1 if that row exists)`, and the bytes
 * of each class likewise (the added bytes in their class, the replaced row's in its own). Runs in the
 * write's batch, before the row changes. A delete adds nothing; a put or copy adds its size and 1.
 */
const adjustBucketTotals = (db: Database, bucketId: Bound, key: Bound, added: Added, onlyIf = sql`1`) =>
  db
    .update(buckets)
    .set({
      storedBytes: sql`${buckets.storedBytes} + ${added.bytes} - COALESCE((SELECT ${objects.size} FROM ${objects} WHERE ${objectWhere(bucketId, key)}), 0)`,
      objectCount: sql`${buckets.objectCount} + ${added.objects} - EXISTS (SELECT 1 FROM ${objects} WHERE ${objectWhere(bucketId, key)})`,
      ...classBytesSet(
        (c) =>
          sql`${sizeIn(c, sql`${added.storageClass}`, added.bytes)}
            - COALESCE((SELECT ${sizeIn(c, sql`${objects.storageClass}`, sql`${objects.size}`)} FROM ${objects} WHERE ${objectWhere(bucketId, key)}), 0)`,
      ),
    })
    .where(sql`${buckets.id} = ${bucketId} AND ${onlyIf}`);

type SQLChunk = ReturnType<typeof sql>;

/** A blob row a batch brought to 0: a home row (its bytes may go) or a proxy (its reference on `home` goes). */
interface Zeroed {
  id: string;
  home: string | null;
}

/** Blob rows whose refcount a batch brought to 0, from a RETURNING of id, refcount and home_shard. */
const zeroed = (rows: Record<string, unknown>[]): Zeroed[] =>
  rows.filter((r) => Number(r.refcount) <= 0).map((r) => ({ id: String(r.id), home: r.home_shard == null ? null : String(r.home_shard) }));

/**
 * Which shard released each blob whose bytes may go, so that `forgetReleasedBlobs` deletes its row
 * there (bounded; on a miss it asks every shard).
 */
const releasedIn = new Map<string, string>();

/**
 * The blobs of `rows` (zeroed on `shard`) whose bytes may go. A proxy that reached 0 is removed
 * (only while still at 0: a concurrent Copy may have revived it) and its reference on its home
 * shard released, which may zero that row in turn. A crash in between leaves one reference too
 * many on the home row: bytes kept too long, never lost.
 */
async function settle(db: Database, shard: string, rows: Zeroed[]): Promise<string[]> {
  const out: string[] = [];
  for (const r of rows) {
    if (r.home === null) {
      releasedIn.set(r.id, shard);
      if (releasedIn.size > 10_000) releasedIn.delete(releasedIn.keys().next().value!);
      out.push(r.id);
      continue;
    }
    const gone = await shardDb(db, shard)
      .delete(blobs)
      .where(sql`${blobs.id} = ${r.id} AND ${blobs.refcount} <= 0 AND ${blobs.homeShard} IS NOT NULL`)
      .returning({ home: blobs.homeShard })
      .get();
    if (!gone?.home) continue;
    out.push(...(await settle(db, gone.home, zeroed(await dropReference(shardDb(db, gone.home), r.id)))));
  }
  return out;
}

/** One reference fewer on a blob row, returning it (id, refcount, home_shard). */
const dropReference = (db: Database, blobId: string) =>
  db
    .update(blobs)
    .set({ refcount: sql`${blobs.refcount} - 1` })
    .where(eq(blobs.id, blobId))
    .returning({ id: blobs.id, refcount: blobs.refcount, home_shard: blobs.homeShard })
    .all();

/** `settle` of what a batch on `shard` zeroed. */
async function releasedBy(db: Database, shard: string, rows: Record<string, unknown>[]): Promise<string[]> {
  const z = zeroed(rows);
  return z.length === 0 ? [] : settle(db, shard, z);
}


interface PublishValues extends Record<string, unknown> {
  bucketId: string;
  key: string;
  blobId: string;
  size: number;
  etag: string;
  s3Etag: string;
  mime: string;
  storageClass: string;
  userMeta: string;
  httpHeaders: string;
  acl: string;
  tags: string;
  checksum: string;
  parts: string;
  ssecKeyMd5: string;
  now: number;
}

/** Publish values as statements take them. */
type Bounds = { [K in keyof PublishValues]: Bound };

/**
 * The statements of a publish: release the replaced blob, move the bucket's totals, write the row,
 * and insert the blob row born with the exact number of rows that now reference it (1, or 0 if
 * the bucket vanished). Each takes effect only where `guard` holds (SQL true when unguarded).
 * `v` holds values, or placeholders for a statement compiled once.
 */
function publishStatements(db: Database, v: Bounds, mode: WriteMode, unfenced: SQL, home?: string): Statement[] {
  const guard = sql`${unfenced} AND ${keyOpen(v.bucketId, v.key)}`;
  const bucketExists = sql`EXISTS (SELECT 1 FROM ${buckets} WHERE ${buckets.id} = ${v.bucketId})`;
  const writable = sql`${targetWritable(v.bucketId, v.key, mode)} AND ${guard}`;
  return [
    releaseCurrent(db, v.bucketId, v.key, writable),
    adjustBucketTotals(db, v.bucketId, v.key, { bytes: sql`${v.size}`, objects: sql.raw("1"), storageClass: v.storageClass }, writable),
    sql`INSERT INTO ${objects} (bucket_id, key, blob_id, size, etag, s3_etag, mime, storage_class, user_meta, http_headers, created_at, modified_at, acl, tags,
        checksum, parts, ssec_key_md5)
      SELECT ${v.bucketId}, ${v.key}, ${v.blobId}, ${v.size}, ${v.etag}, ${v.s3Etag}, ${v.mime}, ${v.storageClass}, ${v.userMeta}, ${v.httpHeaders}, ${v.now}, ${v.now}, ${v.acl}, ${v.tags},
        ${v.checksum}, ${v.parts}, ${v.ssecKeyMd5}
      WHERE ${bucketExists} AND ${guard} AND ${targetConditions(v.bucketId, v.key, mode)}
      ${mode.ifAbsent ? INSERT_ONLY : UPSERT}`,
    sql`INSERT INTO ${blobs} (id, bucket_id, size, etag, refcount, created_at, home_shard)
      SELECT ${v.blobId}, ${v.bucketId}, ${v.size}, ${v.etag}, (SELECT COUNT(*) FROM ${objects} WHERE ${objects.blobId} = ${v.blobId}), ${v.now}, ${home === undefined ? sql.raw("NULL") : home}
      WHERE ${guard}
      RETURNING id, refcount, home_shard`,
  ];
}

/** PutFile's publish, compiled once per write mode: it runs on every upload (store/db.ts `precompiled`). */
const precompiledPublish = (mode: WriteMode) =>
  precompiled<PublishValues>((db) => {
    const names = ["bucketId", "key", "blobId", "size", "etag", "s3Etag", "mime", "storageClass", "userMeta", "httpHeaders", "acl", "tags", "checksum", "parts", "ssecKeyMd5", "now"] as const;
    const v = Object.fromEntries(names.map((n) => [n, sql.placeholder(n)])) as { [K in keyof PublishValues]: Placeholder };
    return publishStatements(db, v, mode, sql.raw("1"));
  });
const PUBLISH = { replace: precompiledPublish({}), ifAbsent: precompiledPublish({ ifAbsent: true }) };

/**
 * A publish that belongs to another change on the bucket's home shard (`buckets.shard`), in the
 * same transaction when the key's range is there too: it takes effect only where `guard` holds at
 * the start, and `statements(onlyIf)` run after it, changing rows only where `onlyIf` holds (a
 * multipart Finish: publish only while the upload's rows exist, then remove them). `tookEffect`
 * reads from the results of its statements whether the change was made (the Finish's claim).
 */
export interface PublishAlong {
  guard: SQL;
  statements: (onlyIf: SQL) => Statement[];
  tookEffect: (results: D1Result<Record<string, unknown>>[]) => boolean;
}

/** A publish's outcome: with `along`, whether that change took effect (`PublishAlong.tookEffect`). */
export type PublishResult = WriteResult & { alongTook: boolean };

/** A publish batch's outcome before its `along` change is judged: that change's statement results. */
type WriteWithAlong = WriteResult & { alongResults: AlongResults };
type AlongResults = D1Result<Record<string, unknown>>[];

/**
 * Publishes a new blob (already complete in R2) under (bucket, key): an atomic swap of one row.
 * The previous version stays readable until this batch commits; its blob is returned in
 * `released` when nothing else references it. `written` is false when the bucket is gone (or,
 * with `ifAbsent`, the key is taken, or `along.guard` did not hold). `alongTook`: whether
 * `along`'s change took effect (false without one).
 */
export async function publishBlob(
  db: Database,
  bucketId: string,
  key: string,
  blob: NewBlob,
  meta: ObjectMeta,
  now: number,
  mode: WriteMode = {},
  along?: PublishAlong,
): Promise<PublishResult> {
  const values = {
    bucketId,
    key,
    blobId: blob.id,
    size: blob.size,
    etag: blob.etag,
    s3Etag: blob.s3Etag,
    mime: meta.mime,
    storageClass: meta.storageClass,
    userMeta: JSON.stringify(meta.userMeta),
    httpHeaders: JSON.stringify(meta.httpHeaders ?? {}),
    acl: meta.acl ?? DEFAULT_ACL,
    tags: meta.tags ?? NO_TAGS,
    checksum: blob.checksum ?? "",
    parts: blob.parts ?? "",
    ssecKeyMd5: blob.ssecKeyMd5 ?? "",
    now,
  };
  const write = async (shard: string): Promise<WriteWithAlong> => {
    const home = along ? await shardOf(db, bucketId) : shard;
    if (home !== shard) return publishAcross(db, { bucketId, key, shard, home }, values as PublishValues, mode, along!);
    const index = shardDb(db, shard);
    // If-Match / If-None-Match writes are checked by the statements themselves (not precompiled: the ETags vary).
    const statements =
      along || mode.ifMatch || mode.ifNoneMatch
        ? [...publishStatements(index, values, mode, along?.guard ?? sql.raw("1")), ...(along?.statements(keyOpen(bucketId, key)) ?? [])]
        : PUBLISH[mode.ifAbsent ? "ifAbsent" : "replace"](index, values);
    const [old, , , inserted, ...alongResults] = await batch(index, statements);
    const written = Number(inserted.results[0]?.refcount) > 0;
    // No blob row (a guard failed): the blob is not ours to release (a concurrent Finish may own it).
    const unreferenced = !written && inserted.results.length > 0;
    const zero = [...zeroed(old.results), ...(unreferenced ? [{ id: blob.id, home: null }] : [])];
    return { written, released: zero.length === 0 ? [] : await settle(db, shard, zero), alongResults };
  };
  const { alongResults, ...result } = await onKeyRange(db, bucketId, key, write, (r) => r.written);
  return { ...result, alongTook: along !== undefined && alongResults.length > 0 && along.tookEffect(alongResults) };
}

/**
 * Step 2 of `publishAcross` when the range has meanwhile moved to the home shard itself: the row
 * of step 1 is the blob's row there, and its one reference is the published row's.
 */
async function publishAtHome(
  db: Database,
  at: { bucketId: string; key: string; home: string },
  values: PublishValues,
  mode: WriteMode,
  alongResults: AlongResults,
): Promise<WriteWithAlong> {
  const home = shardDb(db, at.home);
  const [old, , upserted] = await batch(home, publishStatements(home, values as Bounds, mode, sql`1`).slice(0, 3));
  const written = (upserted.meta?.changes ?? 0) > 0;
  const released = await settle(db, at.home, zeroed(old.results));
  if (!written) released.push(...(await settle(db, at.home, zeroed(await dropReference(home, values.blobId)))));
  return { written, released, alongResults };
}

/** How long a cross-shard Finish waits for a range move before it gives up (seconds). */
const FINISH_WAIT_SECONDS = 30;

/**
 * A multipart Finish whose key's range is on another shard than the upload (`home`):
 * 1. on the home shard, one batch: the upload's rows go (the `along` statements) and the blob gets
 *    its home row there with one reference, only while `along.guard` holds. From here the bytes
 *    cannot go, and no other Finish or Abort gets the upload;
 * 2. on the range's shard, the publish, with the blob's row there a proxy of the home row. If the
 *    range is fenced (a move) the publish is retried on the range's shard for a while; if it is
 *    not written (bucket gone, `ifAbsent` key taken) the proxy and the reference of step 1 are
 *    dropped and the blob released.
 * Nothing is done while the range is fenced before step 1, so a Finish refused with RangeMoving
 * can be retried.
 */
async function publishAcross(
  db: Database,
  at: { bucketId: string; key: string; shard: string; home: string },
  values: PublishValues,
  mode: WriteMode,
  along: PublishAlong,
): Promise<WriteWithAlong> {
  if (await isFenced(shardDb(db, at.shard), at.bucketId, at.key)) {
    // A stale range (moved away) or a move under way: nothing done yet, so the client may retry.
    forgetRanges(at.bucketId);
    at = { ...at, shard: await keyShard(db, at.bucketId, at.key) };
    if (at.shard === at.home || (await isFenced(shardDb(db, at.shard), at.bucketId, at.key))) throw new ApiError("RangeMoving");
  }
  const home = shardDb(db, at.home);
  const [pinned, ...alongResults] = await batch(home, [
    sql`INSERT INTO ${blobs} (id, bucket_id, size, etag, refcount, created_at)
      SELECT ${values.blobId}, ${values.bucketId}, ${values.size}, ${values.etag}, 1, ${values.now} WHERE ${along.guard}
      RETURNING id`,
    ...along.statements(sql`1`),
  ]);
  if (pinned.results.length === 0) return { written: false, released: [], alongResults };
  let shard = at.shard;
  for (let waited = 0; ; waited++) {
    if (shard === at.home) return publishAtHome(db, at, values, mode, alongResults);
    const index = shardDb(db, shard);
    const [old, , , inserted] = await batch(index, publishStatements(index, values as Bounds, mode, sql`1`, at.home));
    if (Number(inserted.results[0]?.refcount) > 0) return { written: true, released: await settle(db, shard, zeroed(old.results)), alongResults };
    if (inserted.results.length === 0 && (await isFenced(index, at.bucketId, at.key)) && waited < FINISH_WAIT_SECONDS) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      forgetRanges(at.bucketId);
      shard = await keyShard(db, at.bucketId, at.key);
      continue;
    }
    // Not written: the proxy (if created, at 0) goes, then the reference of step 1.
    const released = await settle(db, shard, zeroed(inserted.results));
    if (inserted.results.length === 0) released.push(...(await settle(db, at.home, zeroed(await dropReference(home, values.blobId)))));
    return { written: false, released, alongResults };
  }
}

/**
 * Points (dstBucket, dstKey) at the blob of (srcBucket, srcKey): Copy and UploadHit.
 * No bytes move. `written` is false when the source vanished (or the bucket is gone).
 * `meta` decides what differs from the source; the ACL starts at `default` unless it names one.
 */
export async function copyObject(
  db: Database,
  src: { bucketId: string; key: string },
  dst: { bucketId: string; key: string },
  meta: (source: { mime: string; userMeta: string; storageClass: string; tags: string }) => Partial<ObjectMeta>,
  sourceRow: ObjectRow,
  now: number,
  mode: WriteMode = {},
): Promise<WriteResult> {
  const m = meta({ mime: sourceRow.mime, userMeta: sourceRow.userMeta, storageClass: sourceRow.storageClass, tags: sourceRow.tags });
  const srcShard = await keyShard(db, src.bucketId, src.key);
  return onKeyRange(
    db,
    dst.bucketId,
    dst.key,
    (dstShard) =>
      srcShard === dstShard
        ? copyInShard(db, dstShard, src, dst, m, sourceRow, now, mode)
        : copyAcrossShards(db, { ...src, shard: srcShard }, { ...dst, shard: dstShard }, m, sourceRow, now, mode),
    (r) => r.written,
  );
}

/** A Copy whose source and target keys are on one shard: one batch. */
async function copyInShard(
  db: Database,
  shard: string,
  src: { bucketId: string; key: string },
  dst: { bucketId: string; key: string },
  m: Partial<ObjectMeta>,
  sourceRow: ObjectRow,
  now: number,
  mode: WriteMode,
): Promise<WriteResult> {
  const index = shardDb(db, shard);
  // Every statement is guarded on the source still pointing at the blob we read (if it moved, nothing
  // happens) and, in `ifAbsent` mode, on the target being free.
  const sourceHolds = sql`EXISTS (SELECT 1 FROM ${objects} WHERE ${objectWhere(src.bucketId, src.key)} AND ${objects.blobId} = ${sourceRow.blobId})`;
  const dstBucketExists = sql`EXISTS (SELECT 1 FROM ${buckets} WHERE ${buckets.id} = ${dst.bucketId})`;
  const guard = sql`${sourceHolds} AND ${dstBucketExists} AND ${targetWritable(dst.bucketId, dst.key, mode)} AND ${keyOpen(dst.bucketId, dst.key)}`;
  // A target already on the source's blob (a copy onto itself, an UploadHit of a key's own content)
  // keeps its reference: releasing it first could bring the blob to 0 and have its bytes deleted.
  const moves = sql`${guard} AND NOT EXISTS (SELECT 1 FROM ${objects} WHERE ${objectWhere(dst.bucketId, dst.key)} AND ${objects.blobId} = ${sourceRow.blobId})`;
  // Every guard is evaluated before the INSERT, the only statement that changes `objects`.
  const [old, , , upserted] = await batch(index, [
    releaseCurrent(index, dst.bucketId, dst.key, moves),
    adjustBucketTotals(index, dst.bucketId, dst.key, copiedBytes(m, sourceRow), guard),
    index
      .update(blobs)
      .set({ refcount: sql`${blobs.refcount} + 1` })
      .where(sql`${blobs.id} = ${sourceRow.blobId} AND ${moves}`),
    copiedRow(dst, m, sourceRow, now, guard),
  ]);
  const written = (upserted.meta?.changes ?? 0) > 0;
  return { written, released: await releasedBy(db, shard, old.results) };
}

/** What a copy adds at its target: the source's size, in the class the copy gives it. */
const copiedBytes = (m: Partial<ObjectMeta>, sourceRow: ObjectRow): Added => ({
  bytes: sql`${sourceRow.size}`,
  objects: 1,
  storageClass: m.storageClass ?? sourceRow.storageClass,
});

/** The upsert of a copy's target row, where `guard` holds. */
const copiedRow = (dst: { bucketId: string; key: string }, m: Partial<ObjectMeta>, sourceRow: ObjectRow, now: number, guard: SQL) =>
  sql`INSERT INTO ${objects} (bucket_id, key, blob_id, size, etag, s3_etag, mime, storage_class, user_meta, http_headers, created_at, modified_at, acl, tags,
        checksum, parts, ssec_key_md5)
      SELECT ${dst.bucketId}, ${dst.key}, ${sourceRow.blobId}, ${sourceRow.size}, ${sourceRow.etag}, ${sourceRow.s3Etag},
        ${m.mime ?? sourceRow.mime}, ${m.storageClass ?? sourceRow.storageClass},
        ${m.userMeta ? JSON.stringify(m.userMeta) : sourceRow.userMeta}, ${m.httpHeaders ? JSON.stringify(m.httpHeaders) : sourceRow.httpHeaders}, ${now}, ${now},
        ${m.acl ?? DEFAULT_ACL}, ${m.tags ?? sourceRow.tags},
        ${sourceRow.checksum}, ${sourceRow.parts}, ${sourceRow.ssecKeyMd5}
      WHERE ${guard}
      ${UPSERT}`;

/**
 * A Copy between buckets on different shards, in three steps:
 * 1. on the source shard, one more reference on the blob's row, only while the source row still
 *    points at it (the same guard a same-shard Copy has): from here the bytes cannot go;
 * 2. on the target shard, one batch: the target row, and the blob's row there (a proxy whose
 *    home is the source shard, created with refcount 1, or one more reference on the row
 *    already there);
 * 3. when the target shard already had a row for the blob (which holds its own reference), or the
 *    target was not written, the reference of step 1 is dropped again.
 */
async function copyAcrossShards(
  db: Database,
  src: { bucketId: string; key: string; shard: string },
  dst: { bucketId: string; key: string; shard: string },
  m: Partial<ObjectMeta>,
  sourceRow: ObjectRow,
  now: number,
  mode: WriteMode,
): Promise<WriteResult> {
  const from = shardDb(db, src.shard);
  const to = shardDb(db, dst.shard);
  const blobId = sourceRow.blobId;
  const sourceHolds = sql`EXISTS (SELECT 1 FROM ${objects} WHERE ${objectWhere(src.bucketId, src.key)} AND ${objects.blobId} = ${blobId})`;
  const pinned = await from
    .update(blobs)
    .set({ refcount: sql`${blobs.refcount} + 1` })
    .where(sql`${blobs.id} = ${blobId} AND ${sourceHolds}`)
    .returning({ id: blobs.id })
    .all();
  if (pinned.length === 0) return { written: false, released: [] };

  const guard = sql`EXISTS (SELECT 1 FROM ${buckets} WHERE ${buckets.id} = ${dst.bucketId}) AND ${targetWritable(dst.bucketId, dst.key, mode)} AND ${keyOpen(dst.bucketId, dst.key)}`;
  const moves = sql`${guard} AND NOT EXISTS (SELECT 1 FROM ${objects} WHERE ${objectWhere(dst.bucketId, dst.key)} AND ${objects.blobId} = ${blobId})`;
  const [existing, old, , referenced, upserted] = await batch(to, [
    to.select({ id: blobs.id }).from(blobs).where(eq(blobs.id, blobId)),
    releaseCurrent(to, dst.bucketId, dst.key, moves),
    adjustBucketTotals(to, dst.bucketId, dst.key, copiedBytes(m, sourceRow), guard),
    sql`INSERT INTO ${blobs} (id, bucket_id, size, etag, refcount, created_at, home_shard)
      SELECT ${blobId}, ${dst.bucketId}, ${sourceRow.size}, ${sourceRow.etag}, 1, ${now}, ${src.shard} WHERE ${moves}
      ON CONFLICT (id) DO UPDATE SET refcount = refcount + 1
      RETURNING id`,
    copiedRow(dst, m, sourceRow, now, guard),
  ]);
  const written = (upserted.meta?.changes ?? 0) > 0;
  const released = await settle(db, dst.shard, zeroed(old.results));
  if (existing.results.length > 0 || referenced.results.length === 0) {
    released.push(...(await settle(db, src.shard, zeroed(await dropReference(from, blobId)))));
  }
  return { written, released };
}

/**
 * A conditional delete's preconditions on the row (each checked when given): one of these S3 or
 * UFile ETags (unquoted; `*`: any), this write time (`modified_at`, Unix seconds), this size.
 */
export interface DeleteCondition {
  etags?: string[];
  modifiedAt?: number;
  size?: number;
}

/** The row of (bucket, key) exists and meets `c`, as SQL. */
function rowMeets(bucketId: string, key: string, c: DeleteCondition): SQL {
  const checks = [objectWhere(bucketId, key)];
  if (c.etags) checks.push(etagIn(c.etags));
  if (c.modifiedAt !== undefined) checks.push(sql`${objects.modifiedAt} = ${c.modifiedAt}`);
  if (c.size !== undefined) checks.push(sql`${objects.size} = ${c.size}`);
  return sql`EXISTS (SELECT 1 FROM ${objects} WHERE ${sql.join(checks, sql` AND `)})`;
}

/**
 * Deletes (bucket, key), only if its row meets `condition` when one is given (checked in the
 * delete's own batch, so a concurrent rewrite cannot slip between the check and the delete);
 * `written` is false when nothing was deleted (no such object, or the condition failed).
 */
export function deleteObject(db: Database, bucketId: string, key: string, condition?: DeleteCondition): Promise<WriteResult> {
  return deleteWhere(db, bucketId, key, condition ? rowMeets(bucketId, key, condition) : sql`1`);
}

/** Deletes (bucket, key) where `onlyIf` holds too. */
async function deleteWhere(db: Database, bucketId: string, key: string, onlyIf: SQL): Promise<WriteResult> {
  const open = sql`${keyOpen(bucketId, key)} AND ${onlyIf}`;
  const write = async (shard: string): Promise<WriteResult> => {
    const index = shardDb(db, shard);
    const [old, , deleted] = await batch(index, [
      releaseCurrent(index, bucketId, key, open),
      adjustBucketTotals(index, bucketId, key, NOTHING, open),
      index.delete(objects).where(sql`${objectWhere(bucketId, key)} AND ${open}`).returning({ key: objects.key }),
    ]);
    return { written: deleted.results.length > 0, released: await releasedBy(db, shard, old.results) };
  };
  return onKeyRange(db, bucketId, key, write, (r) => r.written);
}

/**
 * Lifecycle work (src/core/lifecycle.ts) names keys with a deadline (and, under tag filters, the
 * tags the scan saw): a key is acted on only if its row was last updated at or before the deadline
 * and still has those tags, checked inside the statement, so an object rewritten or retagged since
 * the scan read it is left alone. `items` travel as one JSON parameter.
 */
export interface DueKey {
  key: string;
  /** Unix seconds: the row's `modified_at` must be ≤ this. */
  notAfter: number;
  /** When given, the row's tags (stored JSON) must still be exactly these. */
  tags?: string;
}

/**
 * The rows of `bucketId` among `items` that are due, as a subquery over `json_each`. CROSS JOIN
 * makes the list the outer loop (SQLite keeps the written order for it), so each item is one
 * primary-key lookup instead of a scan of the bucket per item.
 */
const dueRows = (bucketId: string, items: DueKey[], columns: SQL) =>
  sql`SELECT ${columns} FROM (SELECT json_extract(value, '$[0]') AS k, json_extract(value, '$[1]') AS t, json_extract(value, '$[2]') AS g
      FROM json_each(${JSON.stringify(items.map(dueItem))})) j
    CROSS JOIN ${objects} o ON o.bucket_id = ${bucketId} AND o.key = j.k
    WHERE o.modified_at <= j.t AND (j.g IS NULL OR o.tags = j.g) AND ${keyOpen(bucketId, sql`o.key`)}`;

/** A due key as `dueRows` lists it: `[key, notAfter]`, or `[key, notAfter, tags]` under tag filters. */
const dueItem = (i: DueKey) => (i.tags === undefined ? [i.key, i.notAfter] : [i.key, i.notAfter, i.tags]);

/**
 * At most this many bytes of due keys' JSON go in one batch's list (`dueRows`, bound as one
 * parameter, several times per batch): a page of long keys, each with its tags under tag filters,
 * would otherwise make one parameter of megabytes. A single key and its tags fit (a key is at most
 * 1 KiB, ten tags about 12 KiB); a page of short keys stays one batch.
 */
const DUE_BYTES_PER_BATCH = 32 * 1024;

const utf8 = new TextEncoder();

/**
 * `items` grouped by the shard of their key's range (one shard for a bucket never split), each
 * group cut into lists of at most `DUE_BYTES_PER_BATCH` bytes of JSON.
 */
async function byShard(db: Database, bucketId: string, items: DueKey[]): Promise<[string, DueKey[]][]> {
  const groups = new Map<string, { items: DueKey[]; bytes: number }[]>();
  for (const item of items) {
    const shard = await keyShard(db, bucketId, item.key);
    const lists = groups.get(shard) ?? [];
    groups.set(shard, lists);
    const bytes = utf8.encode(JSON.stringify(dueItem(item))).length + 1;
    const last = lists[lists.length - 1];
    if (last && last.bytes + bytes <= DUE_BYTES_PER_BATCH) {
      last.items.push(item);
      last.bytes += bytes;
    } else lists.push({ items: [item], bytes: bytes + 2 });
  }
  return [...groups].flatMap(([shard, lists]) => lists.map((l): [string, DueKey[]] => [shard, l.items]));
}

/**
 * Deletes the due keys, one batch per shard holding any of them and per bounded list of them
 * (`byShard`): blob refcounts, the bucket's totals (its anchor row there, bytes by class included)
 * and the rows move together (three statements whatever the number of keys in the list). A key in
 * a range that is moving is left for a later run.
 * Returns the keys deleted and the blobs no row references any more.
 */
export async function expireObjects(db: Database, bucketId: string, items: DueKey[]): Promise<{ deleted: string[]; released: string[] }> {
  const out = { deleted: [] as string[], released: [] as string[] };
  for (const [shard, group] of await byShard(db, bucketId, items)) {
    const { deleted, released } = await expireOnShard(db, shard, bucketId, group);
    out.deleted.push(...deleted);
    out.released.push(...released);
  }
  return out;
}

async function expireOnShard(db: Database, shard: string, bucketId: string, items: DueKey[]): Promise<{ deleted: string[]; released: string[] }> {
  const index = shardDb(db, shard);
  const [old, , gone] = await batch(index, [
    sql`UPDATE ${blobs} SET refcount = refcount - (SELECT COUNT(*) FROM (${dueRows(bucketId, items, sql`o.blob_id`)}) d WHERE d.blob_id = ${blobs.id})
      WHERE ${blobs.id} IN (${dueRows(bucketId, items, sql`o.blob_id`)}) RETURNING id, refcount, home_shard`,
    sql`UPDATE ${buckets} SET
      stored_bytes = stored_bytes - (SELECT COALESCE(SUM(d.size), 0) FROM (${dueRows(bucketId, items, sql`o.size`)}) d),
      object_count = object_count - (SELECT COUNT(*) FROM (${dueRows(bucketId, items, sql`o.key`)}) d),
      ${moveClassBytes((c) => sql`- (SELECT COALESCE(SUM(${sizeIn(c, sql`d.storage_class`, sql`d.size`)}), 0) FROM (${dueRows(bucketId, items, sql`o.size, o.storage_class`)}) d)`)}
      WHERE ${buckets.id} = ${bucketId}`,
    sql`DELETE FROM ${objects} WHERE bucket_id = ${bucketId} AND key IN (SELECT d.key FROM (${dueRows(bucketId, items, sql`o.key`)}) d) RETURNING key`,
  ]);
  return { deleted: gone.results.map((r) => String(r.key)), released: await releasedBy(db, shard, old.results) };
}

/**
 * Moves the due keys whose class is one of `from` to class `to` (lifecycle transitions), without
 * touching `modified_at` (the lifecycle clock). Entering an archival class clears any restore. The
 * bucket's bytes by class move in the same batch, over the same rows. Returns the keys moved.
 */
export async function transitionObjects(db: Database, bucketId: string, items: DueKey[], from: readonly string[], to: string): Promise<string[]> {
  const moved: string[] = [];
  for (const [shard, group] of await byShard(db, bucketId, items)) {
    const index = shardDb(db, shard);
    const fromClasses = sql`(SELECT value FROM json_each(${JSON.stringify(from)}))`;
    const moving = sql`SELECT d.key, d.size, d.storage_class FROM (${dueRows(bucketId, group, sql`o.key, o.size, o.storage_class`)}) d
      WHERE d.storage_class IN ${fromClasses}`;
    const [, result] = await batch(index, [
      sql`UPDATE ${buckets} SET ${moveClassBytes(
        (c) => sql`SELECT COALESCE(SUM(${counts(c, to) ? sql`m.size` : sql`0`} - ${sizeIn(c, sql`m.storage_class`, sql`m.size`)}), 0) FROM (${moving}) m`,
      )} WHERE ${buckets.id} = ${bucketId}`,
      sql`UPDATE ${objects} SET storage_class = ${to}, restore_ready_at = NULL, restore_expires_at = NULL
        WHERE bucket_id = ${bucketId} AND key IN (SELECT m.key FROM (${moving}) m) RETURNING key`,
    ]);
    moved.push(...result.results.map((r) => String(r.key)));
  }
  return moved;
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
  const shard = await keyShard(db, bucketId, from);
  if ((await keyShard(db, bucketId, to)) !== shard) return renameAcross(db, bucketId, from, to, force, now);
  const open = sql`${keyOpen(bucketId, from)} AND ${keyOpen(bucketId, to)}`;
  const sourceExists = sql`EXISTS (SELECT 1 FROM ${objects} WHERE ${objectWhere(bucketId, from)}) AND ${open}`;
  const replace = force ? sourceExists : sql`0`;
  const index = shardDb(db, shard);
  const [old, , , moved] = await batch(index, [
    releaseCurrent(index, bucketId, to, replace),
    // Replacing the target removes its bytes and its row from the bucket totals; the renamed row keeps its own.
    adjustBucketTotals(index, bucketId, to, NOTHING, replace),
    index.delete(objects).where(sql`${objectWhere(bucketId, to)} AND ${replace}`),
    index
      .update(objects)
      .set({ key: to, modifiedAt: now })
      .where(sql`${objectWhere(bucketId, from)} AND ${open} AND NOT EXISTS (SELECT 1 FROM ${objects} o2 WHERE o2.bucket_id = ${bucketId} AND o2.key = ${to})`)
      .returning({ key: objects.key }),
  ]);
  if (moved.results.length > 0) return { outcome: "renamed", released: await releasedBy(db, shard, old.results) };
  if ((await isFenced(index, bucketId, from)) || (await isFenced(index, bucketId, to))) {
    forgetRanges(bucketId);
    throw new ApiError("RangeMoving");
  }
  return { outcome: (await getObject(db, bucketId, from)) ? "exists" : "missing", released: [] };
}

/**
 * A Rename whose two keys are in ranges on different shards: a Copy of the row to the target (the
 * cross-shard reference path), then the source's deletion, only while it still points at the same
 * blob. A crash in between leaves both keys: nothing is lost.
 */
async function renameAcross(
  db: Database,
  bucketId: string,
  from: string,
  to: string,
  force: boolean,
  now: number,
): Promise<{ outcome: "renamed" | "missing" | "exists"; released: string[] }> {
  const row = await getObject(db, bucketId, from);
  if (!row) return { outcome: "missing", released: [] };
  const kept = { mime: row.mime, storageClass: row.storageClass, acl: row.acl, tags: row.tags };
  const copied = await copyObject(db, { bucketId, key: from }, { bucketId, key: to }, () => kept, row, now, force ? {} : { ifAbsent: true });
  if (!copied.written) {
    const outcome = !force && (await getObject(db, bucketId, to)) ? "exists" : "missing";
    return { outcome, released: copied.released };
  }
  const stillThere = sql`EXISTS (SELECT 1 FROM ${objects} WHERE ${objectWhere(bucketId, from)} AND ${objects.blobId} = ${row.blobId})`;
  const removed = await deleteWhere(db, bucketId, from, stillThere);
  return { outcome: "renamed", released: [...copied.released, ...removed.released] };
}

/**
 * Metadata-only changes of one row (OpMeta, ClassSwitch, Restore, ACL, tagging). A class change moves
 * the bucket's bytes by class in the same batch. Returns the new row, or null if missing.
 */
export async function updateObject(
  db: Database,
  bucketId: string,
  key: string,
  set: Partial<Pick<ObjectRow, "mime" | "storageClass" | "restoreReadyAt" | "restoreExpiresAt" | "modifiedAt" | "acl" | "tags">>,
): Promise<ObjectRow | null> {
  const open = sql`${objectWhere(bucketId, key)} AND ${keyOpen(bucketId, key)}`;
  const write = async (shard: string): Promise<ObjectRow | null> => {
    const index = shardDb(db, shard);
    const update = index.update(objects).set(set).where(open).returning();
    if (set.storageClass === undefined) return (await update.get()) ?? null;
    const size = sql`${objects.size}`;
    const [, rows] = await index.batch([
      index
        .update(buckets)
        .set(
          classBytesSet(
            (c) =>
              sql`COALESCE((SELECT ${sizeIn(c, sql`${set.storageClass}`, size)} - ${sizeIn(c, sql`${objects.storageClass}`, size)}
                FROM ${objects} WHERE ${open}), 0)`,
          ),
        )
        .where(eq(buckets.id, bucketId)),
      update,
    ]);
    return rows[0] ?? null;
  };
  return onKeyRange(db, bucketId, key, write, (row) => row !== null);
}

/** An object of the bucket with this ETag and size (UploadHit). */
export async function findByHash(db: Database, bucketId: string, etags: string[], size: number): Promise<ObjectRow | null> {
  for (const shard of await bucketShards(db, bucketId)) {
    const row = await findByHashOn(shardDb(db, shard), bucketId, etags, size);
    if (row) return row;
  }
  return null;
}

async function findByHashOn(index: Database, bucketId: string, etags: string[], size: number): Promise<ObjectRow | null> {
  for (const etag of etags) {
    const row = await index
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


/**
 * Keys of a bucket in byte order: `prefix`-ed, at or after `from`, strictly after `after`, at most
 * `limit`. The bucket's key ranges are read in key order, each on its shard, until the page is
 * full: a page may span a range boundary, and no key is read twice or skipped. In each range the
 * lower bounds are folded into one: SQLite seeks the primary key with one lower bound per range
 * and checks any other row by row, so given `key >= prefix AND key > after` it could walk every key
 * between the two — a page after a marker deep in a large bucket would read half the bucket. With
 * one bound a page reads the rows it returns, whatever the bucket's size.
 *
 * For a split bucket each range is read in one batch with the shard's first fence over the span
 * read that names where its keys moved (`moved_to`, set at a move's switch): the isolate's cached
 * ranges may predate a switch, and that shard's copy is then the old one. The rows from the fence's
 * start on are dropped, the ranges read again, and the walk goes on from there on the range's shard
 * now; if the control database's answer still names the old shard (a replica behind the switch),
 * the fence's `moved_to` is read for its span. So a write acknowledged on the new shard is in the
 * next listing from any isolate. A bucket never split runs the one plain query.
 */
export async function listObjects(
  db: Database,
  bucketId: string,
  opts: { prefix: string; after: string; from?: string; limit: number },
): Promise<ObjectRow[]> {
  const lower = opts.from && compareKeys(opts.from, opts.prefix) > 0 ? opts.from : opts.prefix;
  const upper = prefixUpperBound(opts.prefix);
  const out: ObjectRow[] = [];
  const { ranges: all, split } = await keyRanges(db, bucketId);
  let ranges = rangesBetween(all, lower, upper);
  for (let hops = 0; ranges.length > 0 && out.length < opts.limit; ) {
    const range = ranges.shift()!;
    if (range.end !== null && opts.after && compareKeys(opts.after, range.end) >= 0) continue;
    const span = { from: range.start, below: range.end, after: opts.after, limit: opts.limit - out.length };
    const index = shardDb(db, range.shard);
    if (!split) {
      out.push(...(await listRange(index, bucketId, span).all()));
      continue;
    }
    const [fences, rows] = await index.batch([movedFence(index, bucketId, span), listRange(index, bucketId, span)]);
    const moved = fences[0];
    if (!moved || hops === MAX_LIST_HOPS) {
      out.push(...rows);
      continue;
    }
    // The shard's copy of [at, moved.end) is an old one: its rows there go, and the walk resumes at `at`.
    hops++;
    const at = compareKeys(moved.startKey, range.start) > 0 ? moved.startKey : range.start;
    out.push(...rows.filter((r) => compareKeys(r.key, at) < 0));
    forgetRanges(bucketId);
    const again = (await keyRanges(db, bucketId)).ranges;
    ranges = rangesBetween(again, at, upper);
    if (ranges[0]?.shard === range.shard && moved.movedTo) {
      // The control database's answer predates the switch: the fence's span is read where it names.
      const end = moved.endKey === null || (upper !== null && compareKeys(upper, moved.endKey) < 0) ? upper : moved.endKey;
      const beyond = end === null || end === upper ? [] : rangesBetween(again, end, upper);
      ranges = [{ start: at, end, shard: moved.movedTo, moving: false }, ...beyond];
    }
  }
  return out;
}

/** Times a listing follows a moved fence (a range that moved on again meanwhile). */
const MAX_LIST_HOPS = 3;

type Span = { from: string; below: string | null; after: string; limit: number };

/** Keys of `[from, below)` (below null: unbounded) of a bucket on one shard, strictly after `after`, at most `limit`. */
function listRange(index: Database, bucketId: string, opts: Span) {
  const lower = opts.after && compareKeys(opts.after, opts.from) >= 0 ? gt(objects.key, opts.after) : gte(objects.key, opts.from);
  return index
    .select()
    .from(objects)
    .where(and(eq(objects.bucketId, bucketId), lower, opts.below !== null ? lt(objects.key, opts.below) : undefined))
    .orderBy(asc(objects.key))
    .limit(opts.limit);
}

/** The first fence of the bucket on this shard over the span `listRange` reads whose range has moved away (`moved_to` set). */
function movedFence(index: Database, bucketId: string, opts: Span) {
  const lowest = opts.after && compareKeys(opts.after, opts.from) >= 0 ? opts.after : opts.from;
  return index
    .select({ startKey: rangeFences.startKey, endKey: rangeFences.endKey, movedTo: rangeFences.movedTo })
    .from(rangeFences)
    .where(
      and(
        eq(rangeFences.bucketId, bucketId),
        sql`${rangeFences.movedTo} IS NOT NULL`,
        sql`(${rangeFences.endKey} IS NULL OR ${rangeFences.endKey} > ${lowest})`,
        opts.below !== null ? lt(rangeFences.startKey, opts.below) : undefined,
      ),
    )
    .orderBy(asc(rangeFences.startKey))
    .limit(1);
}

/** Deletes blob rows that nothing references, after their R2 bytes are gone (on the shard that released them). */
export async function forgetReleasedBlobs(db: Database, ids: string[]): Promise<void> {
  const byShard = new Map<string, string[]>();
  for (const id of ids) {
    const shards = releasedIn.has(id) ? [releasedIn.get(id)!] : shardsOf(db).names;
    for (const shard of shards) byShard.set(shard, [...(byShard.get(shard) ?? []), id]);
    releasedIn.delete(id);
  }
  await Promise.all(
    [...byShard].map(([shard, chunkOf]) =>
      forEachChunk(chunkOf, (chunk) => forgetUnreferenced(chunk.length)(shardDb(db, shard), listValues(chunk))[0].run()),
    ),
  );
}

/** The delete of `n` released blobs' rows that nothing references, compiled once per `n`: every overwrite runs it. */
const forgetUnreferenced = perListLength((n) =>
  precompiled<Record<string, string>>((db) => [db.delete(blobs).where(sql`${blobs.id} IN (${sql.join(listPlaceholders(n), sql`, `)}) AND ${blobs.refcount} <= 0`)]),
);

/**
 * Blobs nothing references (left by a failed release), at most `limit` per shard: the sweeper's
 * work list. Proxies among them are settled here (store/objects.ts `settle`); what is returned are
 * blobs whose bytes may go.
 */
export async function unreferencedBlobs(db: Database, limit: number): Promise<string[]> {
  const out: string[] = [];
  for (const shard of everyShard(db)) {
    const rows = await shard.db
      .select({ id: blobs.id, refcount: blobs.refcount, home_shard: blobs.homeShard })
      .from(blobs)
      .where(sql`${blobs.refcount} <= 0`)
      .limit(limit)
      .all();
    out.push(...(await settle(db, shard.name, zeroed(rows))));
  }
  return out;
}

/** Which of these blob ids have a row on any shard (the sweeper keeps those). */
export function knownBlobIds(db: Database, ids: string[]): Promise<Set<string>> {
  return foundOnAnyShard(db, ids, (shard, chunk) => shard.select({ id: blobs.id }).from(blobs).where(sql`${blobs.id} IN ${chunk}`).all());
}

/**
 * Objects of an S3 multipart upload whose part size is not a multiple of 4 MiB get their UFile
 * ETag after completion; until then `etag` holds the S3 ETag (docs/s3.md "ETags"). These are
 * the blobs still waiting, at most `limit`, from every shard. SSE-C blobs are not among them:
 * reading one needs its customer key, which is never stored.
 */
export async function blobsAwaitingUfileEtag(db: Database, limit: number): Promise<string[]> {
  const found = new Set<string>();
  for (const shard of everyShard(db)) {
    if (found.size >= limit) break;
    const rows = await shard.db
      .selectDistinct({ id: objects.blobId })
      .from(objects)
      .where(sql`${objects.etag} = ${objects.s3Etag} AND ${objects.s3Etag} LIKE '%-%' AND ${objects.ssecKeyMd5} = ''`)
      .limit(limit - found.size)
      .all();
    for (const r of rows) found.add(r.id);
  }
  return [...found];
}

/** Records a blob's computed UFile ETag on every row still showing the placeholder, on every shard (copies may reference it). */
export async function setUfileEtag(db: Database, blobId: string, etag: string): Promise<void> {
  await Promise.all(
    everyShard(db).map((shard) =>
      batch(shard.db, [
        shard.db.update(objects).set({ etag }).where(sql`${objects.blobId} = ${blobId} AND ${objects.etag} = ${objects.s3Etag}`),
        shard.db.update(blobs).set({ etag }).where(eq(blobs.id, blobId)),
      ]),
    ),
  );
}

/**
 * One reference fewer on blob `blobId`'s row on `shard` (a reference a range move took and did not
 * need, store/range-move.ts); returns the blobs whose bytes may go.
 */
export async function dropBlobReference(db: Database, shard: string, blobId: string): Promise<string[]> {
  return settle(db, shard, zeroed(await dropReference(shardDb(db, shard), blobId)));
}

/**
 * Removes the rows of `keys` of a bucket from `shard` after their range moved elsewhere (store/
 * range-move.ts, "drain"), in one batch: blob references and the rows move together, as an expiry
 * does, but not the bucket's totals there, which do not count them (the old copy of a switched
 * range left them at the switch, and a cancelled move's partial copy never entered them, or left
 * them when the cancel won: `movedRangeTotals`). The fence that keeps writers off those keys is not
 * consulted (it is what makes the rows safe to remove). Returns the blobs whose bytes may go.
 */
export async function dropMovedRows(db: Database, shard: string, bucketId: string, keys: string[]): Promise<string[]> {
  if (keys.length === 0) return [];
  const index = shardDb(db, shard);
  const listed = sql`SELECT value FROM json_each(${JSON.stringify(keys)})`;
  const rows = sql`FROM ${objects} o WHERE o.bucket_id = ${bucketId} AND o.key IN (${listed})`;
  const [old] = await batch(index, [
    sql`UPDATE ${blobs} SET refcount = refcount - (SELECT COUNT(*) ${rows} AND o.blob_id = ${blobs.id})
      WHERE ${blobs.id} IN (SELECT o.blob_id ${rows}) RETURNING id, refcount, home_shard`,
    sql`DELETE FROM ${objects} WHERE bucket_id = ${bucketId} AND key IN (${listed})`,
  ]);
  return settle(db, shard, zeroed(old.results));
}

/** `SET` assignments moving a bucket's totals (bytes, objects, bytes by class) by `sign` the sums of the rows `FROM … o WHERE …` in `rows`. */
const totalsMove = (sign: "+" | "-", rows: SQL) => {
  const op = sql.raw(sign);
  return sql`stored_bytes = stored_bytes ${op} (SELECT COALESCE(SUM(o.size), 0) ${rows}),
      object_count = object_count ${op} (SELECT COUNT(*) ${rows}),
      ${moveClassBytes((c) => sql`${op} (SELECT COALESCE(SUM(${sizeIn(c, sql`o.storage_class`, sql`o.size`)}), 0) ${rows})`)}`;
};

/**
 * The statement that moves the bucket's totals on a shard by the rows it holds of `[start, end)`
 * (`-`: they stop counting there, `+`: they count), only where `onlyIf` holds: a range move's switch
 * takes a moved range's rows out of the old shard's totals in the batch that marks its fence and
 * into the new shard's in the batch that records its arrival, and a cancel that wins after either
 * undoes it in the batch that lifts the fence or records the cancel (store/range-move.ts).
 */
export function movedRangeTotals(index: Database, bucketId: string, range: { start: string; end: string | null }, sign: "+" | "-", onlyIf: SQL): D1PreparedStatement {
  const rows = sql`FROM ${objects} o WHERE o.bucket_id = ${bucketId} AND o.key >= ${range.start} ${range.end === null ? sql`` : sql`AND o.key < ${range.end}`}`;
  return prepared(index, [sql`UPDATE ${buckets} SET ${totalsMove(sign, rows)} WHERE ${buckets.id} = ${bucketId} AND ${onlyIf}`])[0];
}
