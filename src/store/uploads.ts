import { and, asc, eq, exists, getTableColumns, gt, gte, inArray, lt, notExists, or, sql, type SQL } from "drizzle-orm";
import { buckets, uploadParts, uploads } from "../../schema/schema";
import { settings, type Env } from "../config";
import { abortBlobUploads } from "./blobs";
import { moveClassBytes, sizeIn } from "./class-bytes";
import { batch, database, inChunks, type Database } from "./db";
import { prefixUpperBound, type PublishAlong } from "./objects";
import { CONTROL_SHARD, everyShard, foundOnAnyShard, indexDb, noteUpload, shardDb, shardOf, uploadDb } from "./shards";

/**
 * The multipart index (docs/design.md §5): the only code that reads or writes `uploads` and
 * `upload_parts`. An upload row names the blob it will become and R2's multipart upload id; a
 * part row records what Finish needs without re-reading a byte: size, part ETag, R2's part
 * etag and the SHA-1 of each 4 MiB window.
 *
 * Removing an upload always deletes its rows first ("claims" it, one batch) and only then
 * aborts the R2 upload, so two removers never both act, and a part arriving meanwhile is
 * recorded only while its upload row exists.
 *
 * An upload lives on its bucket's index shard (store/shards.ts); functions that name only the
 * upload find the shard from the upload id.
 */
export type UploadRow = typeof uploads.$inferSelect;
export type PartRow = typeof uploadParts.$inferSelect;

/**
 * Creates the upload row on the bucket's index shard, unless the bucket is gone there (the data
 * plane's bucket cache may be stale; DeleteBucket removes a shard's anchor row first) or already
 * holds `maxOpen` open uploads: the count is taken inside the insert, so concurrent creates cannot
 * pass the limit together.
 */
export async function insertUpload(db: Database, row: UploadRow, maxOpen: number): Promise<"inserted" | "bucketGone" | "tooMany"> {
  const index = await indexDb(db, row.bucketId);
  noteUpload(row.id, await shardOf(db, row.bucketId));
  const open = sql`(SELECT COUNT(*) FROM (SELECT 1 FROM ${uploads} WHERE ${uploads.bucketId} = ${row.bucketId} LIMIT ${maxOpen}))`;
  const inserted = await index.run(sql`INSERT INTO ${uploads}
      (id, bucket_id, key, blob_id, r2_upload_id, blk_size, mime, storage_class, user_meta, http_headers, checksum, ssec_key_md5, tags, acl, created_at, touched_at)
    SELECT ${row.id}, ${row.bucketId}, ${row.key}, ${row.blobId}, ${row.r2UploadId}, ${row.blkSize}, ${row.mime},
      ${row.storageClass}, ${row.userMeta}, ${row.httpHeaders}, ${row.checksum}, ${row.ssecKeyMd5}, ${row.tags}, ${row.acl}, ${row.createdAt}, ${row.touchedAt}
    WHERE EXISTS (SELECT 1 FROM ${buckets} WHERE ${buckets.id} = ${row.bucketId}) AND ${open} < ${maxOpen}`);
  if ((inserted.meta.changes ?? 0) > 0) return "inserted";
  return (await index.select({ id: buckets.id }).from(buckets).where(eq(buckets.id, row.bucketId)).get()) ? "tooMany" : "bucketGone";
}

/** Where an upload id is valid: its own bucket, and its own key when the route names one. */
const uploadIn = (id: string, bucketId: string, key?: string) =>
  and(eq(uploads.id, id), eq(uploads.bucketId, bucketId), key === undefined ? undefined : eq(uploads.key, key));

export async function findUpload(db: Database, id: string, bucketId: string, key?: string): Promise<UploadRow | null> {
  const row = (await (await indexDb(db, bucketId)).select().from(uploads).where(uploadIn(id, bucketId, key)).get()) ?? null;
  if (row) noteUpload(id, await shardOf(db, bucketId));
  return row;
}

/**
 * Finish's first D1 round trip: records the activity in `touched_at` (informative; the sweeper
 * goes by age) and reads the parts in part order, in one batch. Null when the upload is not there.
 */
export async function touchUploadWithParts(
  db: Database,
  id: string,
  bucketId: string,
  key: string,
  now: number,
): Promise<{ upload: UploadRow; parts: PartRow[] } | null> {
  db = await indexDb(db, bucketId);
  const [touched, parts] = await db.batch([
    db.update(uploads).set({ touchedAt: now }).where(uploadIn(id, bucketId, key)).returning(),
    db
      .select()
      .from(uploadParts)
      .where(and(eq(uploadParts.uploadId, id), exists(db.select({ id: uploads.id }).from(uploads).where(uploadIn(id, bucketId, key)))))
      .orderBy(asc(uploadParts.partNumber)),
  ]);
  return touched[0] ? { upload: touched[0], parts } : null;
}

/**
 * The arrival rule for part sizes. Only the last part may be shorter than BlkSize, so a part
 * conflicts with the recorded ones when a short part sits below it (that one was the last), or
 * when it is short itself and a part above it exists. Full parts never conflict with each
 * other: full parts can arrive in any order, concurrently, and the short last part may come
 * first. The part's own number is not looked at, so a re-upload may change its size.
 */
const conflicts = (db: Database, uploadId: string, partNumber: number, size: number, blkSize: number) =>
  db
    .select({ partNumber: uploadParts.partNumber })
    .from(uploadParts)
    .where(
      and(
        eq(uploadParts.uploadId, uploadId),
        or(
          and(lt(uploadParts.partNumber, partNumber), lt(uploadParts.size, blkSize)),
          size < blkSize ? gt(uploadParts.partNumber, partNumber) : undefined,
        ),
      ),
    )
    .orderBy(asc(uploadParts.partNumber))
    .limit(1);

/** The number of a recorded part that a part of this size may not join (see `conflicts`), or null. */
export async function conflictingPart(db: Database, uploadId: string, partNumber: number, size: number, blkSize: number): Promise<number | null> {
  return (await conflicts(await uploadDb(db, uploadId), uploadId, partNumber, size, blkSize).get())?.partNumber ?? null;
}

/**
 * UploadPart's one D1 statement before its bytes: the upload (in this bucket, under this key)
 * together with the number of a recorded part that a `size`-byte part `partNumber` may not join
 * (the rule of `conflicts`, with the upload's own BlkSize), or null when the upload is not there.
 */
export async function uploadForPart(
  db: Database,
  id: string,
  bucketId: string,
  key: string,
  partNumber: number,
  size: number,
): Promise<{ upload: UploadRow; conflicting: number | null } | null> {
  const conflicting = sql<number | null>`(SELECT p.part_number FROM ${uploadParts} p
    WHERE p.upload_id = ${uploads.id}
      AND ((p.part_number < ${partNumber} AND p.size < ${uploads.blkSize}) OR (${size} < ${uploads.blkSize} AND p.part_number > ${partNumber}))
    ORDER BY p.part_number LIMIT 1)`;
  const row = await (await indexDb(db, bucketId))
    .select({ ...getTableColumns(uploads), conflicting })
    .from(uploads)
    .where(uploadIn(id, bucketId, key))
    .get();
  if (!row) return null;
  noteUpload(id, await shardOf(db, bucketId));
  const { conflicting: other, ...upload } = row;
  return { upload, conflicting: other === null ? null : Number(other) };
}

/**
 * Parts of open uploads are stored bytes (S3 bills them too): `buckets.stored_bytes` counts them from
 * the moment a part is recorded until its upload completes, is aborted or is swept, so storage
 * metering and quotas see them. A completed object is counted by its publish (store/objects.ts),
 * in the same batch that releases its parts here, so nothing is counted twice.
 *
 * `partSlotBytes` moves the upload's bucket by the size of part (upload, number) as it is at that
 * point of a batch: "-" before the part's row changes and "+" after, so a re-upload, a refused
 * part or a vanished upload all leave the total exact. Parts count in their upload's storage class
 * (store/class-bytes.ts), in the same statements.
 */
const partSlotBytes = (uploadId: string, partNumber: number, sign: "+" | "-") => {
  const slot = (size: SQL) =>
    sql`${sql.raw(sign)} COALESCE((SELECT ${size} FROM ${uploadParts} p JOIN ${uploads} u ON u.id = p.upload_id
      WHERE p.upload_id = ${uploadId} AND p.part_number = ${partNumber}), 0)`;
  return sql`UPDATE ${buckets} SET stored_bytes = stored_bytes + (${slot(sql`p.size`)}),
      ${moveClassBytes((c) => slot(sizeIn(c, sql`u.storage_class`, sql`p.size`)))}
    WHERE ${buckets.id} = (SELECT ${uploads.bucketId} FROM ${uploads} WHERE ${uploads.id} = ${uploadId})`;
};

/** Takes the parts of the uploads `ids` selects out of their buckets' totals; runs before their rows go. */
const releasePartBytes = (ids: SQL) => {
  const parts = (size: SQL) =>
    sql`- (SELECT COALESCE(SUM(${size}), 0) FROM ${uploadParts} p JOIN ${uploads} u ON u.id = p.upload_id
      WHERE u.bucket_id = ${buckets.id} AND u.id IN (${ids}))`;
  return sql`UPDATE ${buckets} SET stored_bytes = stored_bytes + (${parts(sql`p.size`)}),
      ${moveClassBytes((c) => parts(sizeIn(c, sql`u.storage_class`, sql`p.size`)))}
    WHERE ${buckets.id} IN (SELECT ${uploads.bucketId} FROM ${uploads} WHERE ${uploads.id} IN (${ids}))`;
};

export type RecordOutcome = "recorded" | "conflict" | "gone";

/**
 * Records a part that R2 has just stored (a re-upload replaces the row) and marks the upload
 * active, in one batch. The size rule is checked again inside the insert, so concurrent parts
 * cannot both slip past it. When it refuses the part, an older row of the same number is
 * dropped too: R2 now holds the refused bytes under that number, so the old R2 etag is stale.
 */
export async function recordPart(db: Database, part: PartRow, blkSize: number): Promise<RecordOutcome> {
  db = await uploadDb(db, part.uploadId);
  const conflict = conflicts(db, part.uploadId, part.partNumber, part.size, blkSize);
  const [, , inserted] = await batch(db, [
    partSlotBytes(part.uploadId, part.partNumber, "-"),
    db.delete(uploadParts).where(and(eq(uploadParts.uploadId, part.uploadId), eq(uploadParts.partNumber, part.partNumber), exists(conflict))),
    sql`INSERT INTO ${uploadParts} (upload_id, part_number, size, etag, r2_etag, block_sha1s, mime, modified_at, checksum)
      SELECT ${part.uploadId}, ${part.partNumber}, ${part.size}, ${part.etag}, ${part.r2Etag}, ${part.blockSha1s}, ${part.mime}, ${part.modifiedAt}, ${part.checksum}
      WHERE EXISTS (SELECT 1 FROM ${uploads} WHERE ${uploads.id} = ${part.uploadId}) AND ${notExists(conflict)}
      ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size, etag = excluded.etag, r2_etag = excluded.r2_etag,
        block_sha1s = excluded.block_sha1s, mime = excluded.mime, modified_at = excluded.modified_at, checksum = excluded.checksum
      RETURNING part_number`,
    db.update(uploads).set({ touchedAt: part.modifiedAt }).where(eq(uploads.id, part.uploadId)),
    partSlotBytes(part.uploadId, part.partNumber, "+"),
  ]);
  if (inserted.results.length > 0) return "recorded";
  return (await db.select({ id: uploads.id }).from(uploads).where(eq(uploads.id, part.uploadId)).get()) ? "conflict" : "gone";
}

/** Parts in number order, from `fromPart` (inclusive), at most `limit` (SQLite: -1 = all). */
export async function listParts(db: Database, uploadId: string, fromPart = 0, limit = -1): Promise<PartRow[]> {
  return (await uploadDb(db, uploadId))
    .select()
    .from(uploadParts)
    .where(and(eq(uploadParts.uploadId, uploadId), gte(uploadParts.partNumber, fromPart)))
    .orderBy(asc(uploadParts.partNumber))
    .limit(limit)
    .all();
}

/** Uploads of a bucket by key (then start), keys `prefix`-ed and strictly after `after`; or exactly `key`. */
export async function listUploads(
  db: Database,
  bucketId: string,
  opts: { prefix: string; after: string; limit: number } | { key: string },
): Promise<UploadRow[]> {
  const where =
    "key" in opts
      ? eq(uploads.key, opts.key)
      : and(
          gte(uploads.key, opts.prefix),
          opts.after ? gt(uploads.key, opts.after) : undefined,
          ((upper) => (upper === null ? undefined : lt(uploads.key, upper)))(prefixUpperBound(opts.prefix)),
        );
  return (await indexDb(db, bucketId))
    .select()
    .from(uploads)
    .where(and(eq(uploads.bucketId, bucketId), where))
    .orderBy(asc(uploads.key), asc(uploads.createdAt), asc(uploads.id))
    .limit("key" in opts ? -1 : opts.limit)
    .all();
}

/**
 * Deletes the rows of the uploads matching `where` (at most `limit`, oldest first) on shard
 * handle `db`, takes their parts out of the bucket's stored bytes there, and returns them: whoever
 * gets a row back owns the R2 abort (or, for Finish, the completion).
 */
async function claimUploads(db: Database, where: SQL, limit: number): Promise<UploadRow[]> {
  const chosen = sql`SELECT ${uploads.id} FROM ${uploads} WHERE ${where} ORDER BY ${uploads.createdAt}, ${uploads.id} LIMIT ${limit}`;
  const [, , claimed] = await batch(db, [
    releasePartBytes(chosen),
    db.delete(uploadParts).where(sql`${uploadParts.uploadId} IN (${chosen})`),
    db.delete(uploads).where(sql`${uploads.id} IN (${chosen})`).returning(),
  ]);
  return claimed.results.map((r) => rowOf(r));
}

/** `batch` returns raw column names; the upload row in Drizzle's shape. */
const rowOf = (r: Record<string, unknown>): UploadRow => ({
  id: String(r.id),
  bucketId: String(r.bucket_id),
  key: String(r.key),
  blobId: String(r.blob_id),
  r2UploadId: String(r.r2_upload_id),
  blkSize: Number(r.blk_size),
  mime: String(r.mime),
  storageClass: String(r.storage_class),
  userMeta: String(r.user_meta),
  httpHeaders: String(r.http_headers ?? "{}"),
  checksum: String(r.checksum ?? ""),
  ssecKeyMd5: String(r.ssec_key_md5 ?? ""),
  tags: String(r.tags ?? "[]"),
  acl: String(r.acl ?? ""),
  createdAt: Number(r.created_at),
  touchedAt: Number(r.touched_at),
});

/**
 * Fixes the part size of an S3 upload (blk_size 0 until then) to `size`, unless another part
 * fixed it first; returns the upload's part size afterwards.
 */
export async function fixPartSize(db: Database, id: string, size: number): Promise<number | null> {
  db = await uploadDb(db, id);
  await db.update(uploads).set({ blkSize: size }).where(and(eq(uploads.id, id), eq(uploads.blkSize, 0))).run();
  return (await db.select({ blkSize: uploads.blkSize }).from(uploads).where(eq(uploads.id, id)).get())?.blkSize ?? null;
}

/**
 * Finish's claim, for the publish batch (store/objects.ts `publishBlob` `along`): the object is
 * published only while the upload's rows exist, and they are removed in the same transaction,
 * so exactly one Finish (or Abort, or the sweeper) gets them, and there is no moment at which
 * the object is published and the upload still open, or the upload gone and nothing published.
 * It took effect when its deletion of the upload row returned the upload's id.
 */
export function finishingUpload(id: string, bucketId: string, key: string): PublishAlong {
  /** Among `statements`: the deletion of the upload row (after its parts', which find them through it). */
  const CLAIMED = 2;
  const upload = sql`${uploads.id} = ${id} AND ${uploads.bucketId} = ${bucketId} AND ${uploads.key} = ${key}`;
  return {
    guard: sql`EXISTS (SELECT 1 FROM ${uploads} WHERE ${upload})`,
    // `onlyIf`: what else must hold for the rows to go (the publish's range fence, store/objects.ts).
    statements: (onlyIf) => {
      const where = sql`${upload} AND ${onlyIf}`;
      return [
      releasePartBytes(sql`SELECT ${uploads.id} FROM ${uploads} WHERE ${where}`),
      sql`DELETE FROM ${uploadParts} WHERE ${uploadParts.uploadId} IN (SELECT ${uploads.id} FROM ${uploads} WHERE ${where})`,
      sql`DELETE FROM ${uploads} WHERE ${where} RETURNING id`,
      ];
    },
    tookEffect: (results) => (results[CLAIMED]?.results.length ?? 0) > 0,
  };
}

/**
 * Removes one upload's rows (Abort); null when it was not there (any more). A Finish (UFile or S3)
 * removes them in its publish's own transaction instead (`finishingUpload`).
 */
export async function claimUpload(db: Database, id: string, bucketId: string, key: string): Promise<UploadRow | null> {
  const where = sql`${uploads.id} = ${id} AND ${uploads.bucketId} = ${bucketId} AND ${uploads.key} = ${key}`;
  return (await claimUploads(await indexDb(db, bucketId), where, 1))[0] ?? null;
}

/** Uploads handled per call of the bulk aborts: each is one R2 call (a subrequest). */
const ABORTS_PER_CALL = 100;

/** Claims and aborts the uploads matching `where` on shard handle `db`; returns how many. */
async function abortUploadsWhere(env: Env, db: Database, where: SQL): Promise<number> {
  const claimed = await claimUploads(db, where, ABORTS_PER_CALL);
  await abortBlobUploads(env, claimed);
  return claimed.length;
}

/**
 * DeleteBucket, once the bucket's rows are gone: its open uploads are aborted, on its home shard
 * (`bucket.shard`, where every upload of the bucket lives whatever its key ranges, and which never
 * changes). The shard comes from the row the caller read before the deletion: with the control row
 * gone, a lookup by id (`indexDb`) in an isolate that has not cached the placement would answer
 * `DB` and leave the uploads of a bucket on another shard to the sweeper. The claim's counter
 * update finds no row to change (the anchor or control row is gone) and creates none. At most
 * `ABORTS_PER_CALL` per call; any beyond are claimed by `sweepStaleUploads`, whose "bucket gone"
 * condition holds for them on that shard from now on.
 */
export function abortBucketUploads(env: Env, db: Database, bucket: { id: string; shard: string }): Promise<number> {
  return abortUploadsWhere(env, shardDb(db, bucket.shard), sql`${uploads.bucketId} = ${bucket.id}`);
}

/**
 * Lifecycle (S3 AbortIncompleteMultipartUpload): aborts the bucket's uploads under `prefix` started
 * at or before `cutoff`, one call's share at a time; returns how many.
 */
export async function abortUploadsStartedBefore(env: Env, db: Database, bucketId: string, prefix: string, cutoff: number): Promise<number> {
  return abortUploadsWhere(
    env,
    await indexDb(db, bucketId),
    sql`${uploads.bucketId} = ${bucketId} AND ${uploads.createdAt} <= ${cutoff} AND substr(${uploads.key}, 1, ${[...prefix].length}) = ${prefix}`,
  );
}

/**
 * Housekeeping: aborts uploads started longer than MULTIPART_MAX_AGE_SECONDS ago, and those whose
 * bucket is gone (a DeleteBucket that did not finish its aborts). By age, as S3's
 * AbortIncompleteMultipartUpload rule: a part arriving now and then does not keep an upload (and
 * its bytes) open for ever.
 */
export async function sweepStaleUploads(env: Env, now: number): Promise<void> {
  const cutoff = now - settings(env).multipartMaxAgeSeconds;
  const control = database(env.DB);
  let aborted = 0;
  for (const shard of everyShard(control)) {
    const gone = JSON.stringify(await bucketsGoneFrom(control, shard));
    aborted += await abortUploadsWhere(env, shard.db, sql`${uploads.createdAt} < ${cutoff} OR ${uploads.bucketId} IN (SELECT value FROM json_each(${gone}))`);
  }
  if (aborted > 0) console.log(`aborted ${aborted} stale multipart uploads`);
}

/**
 * Buckets with open uploads on `shard` that are gone (at most `ABORTS_PER_CALL`): their row there
 * is missing and so is their control row. On `DB` the two are one row. On another shard the anchor
 * alone says nothing yet: DeleteBucket removes it before the control row, and puts it back when the
 * bucket stays (store/buckets.ts), so the uploads of a bucket caught in between are not aborted. The
 * control row goes last and never comes back (ids are not reused), so once it is gone, so is the bucket.
 */
async function bucketsGoneFrom(control: Database, shard: { name: string; db: Database }): Promise<string[]> {
  const { results } = await shard.db.$client
    .prepare(`SELECT DISTINCT bucket_id AS id FROM uploads WHERE NOT EXISTS (SELECT 1 FROM buckets WHERE buckets.id = uploads.bucket_id) LIMIT ${ABORTS_PER_CALL}`)
    .all<{ id: string }>();
  const ids = results.map((r) => r.id);
  if (shard.name === CONTROL_SHARD || ids.length === 0) return ids;
  const still = await inChunks(ids, (chunk) => control.select({ id: buckets.id }).from(buckets).where(inArray(buckets.id, chunk)).all());
  return ids.filter((id) => !still.has(id));
}

/** Which of these blob ids an open upload on any shard will become (the sweeper must keep those). */
export function blobIdsOfOpenUploads(db: Database, ids: string[]): Promise<Set<string>> {
  return foundOnAnyShard(db, ids, (shard, chunk) => shard.select({ id: uploads.blobId }).from(uploads).where(sql`${uploads.blobId} IN ${chunk}`).all());
}
