/**
 * D1 schema (Drizzle). `npm run db:generate` writes SQL migrations into schema/migrations/;
 * wrangler applies them (`npm start`, `wrangler d1 migrations apply DB --remote`) and the
 * tests apply them with `applyD1Migrations`. Migrations are additive: never rebuild a table
 * (on D1 a rebuild can cascade-delete rows); add tables, columns and indexes instead.
 *
 * Storage model (docs/design.md §4): R2 holds immutable blobs under opaque ids; D1 holds the index.
 * Times are Unix seconds.
 */
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** A project (UCloud "ProjectId"). Rows appear the first time a project is used. */
export const projects = sqliteTable("projects", {
  id: text("id").primaryKey(),
  createdAt: integer("created_at").notNull(),
});

export const buckets = sqliteTable(
  "buckets",
  {
    /** BucketId, `oss-` + 6 base-36 characters. */
    id: text("id").primaryKey(),
    /** Globally unique: the unique index makes concurrent creates of one name safe. */
    name: text("name").notNull(),
    projectId: text("project_id").notNull(),
    region: text("region").notNull(),
    /** `public`, `private` or `public-read-write` (store/buckets.ts `BucketType`). */
    type: text("type").notNull(),
    biz: text("biz").notNull().default("general"),
    tag: text("tag").notNull().default(""),
    createdAt: integer("created_at").notNull(),
    modifiedAt: integer("modified_at").notNull(),
    /** Sum of object sizes, maintained in the same batch as every object write. */
    storedBytes: integer("stored_bytes").notNull().default(0),
    /**
     * Number of object rows, maintained in the same statement as `stored_bytes` (DescribeBucket's
     * `ObjectCount`, shown by the console). Added after buckets existed: rows created before it are
     * backfilled by the migration that adds it.
     */
    objectCount: integer("object_count").notNull().default(0),
    /**
     * Bytes by storage class (GetUFileDailyReport's IaStorage / AcStorage; docs/protocol.md §3.6.4),
     * moved in the same statement as `stored_bytes` by every write, delete, class change and upload
     * part: `ia_bytes` the IA objects and IA uploads' parts, `archive_bytes` the ARCHIVE and COLD ones.
     * STANDARD is the rest: `stored_bytes − ia_bytes − archive_bytes`. Additive, backfilled by the
     * migration that adds them.
     */
    iaBytes: integer("ia_bytes").notNull().default(0),
    archiveBytes: integer("archive_bytes").notNull().default(0),
    /**
     * The index shard holding the bucket's objects, blobs, uploads and counters (docs/design.md
     * "Scale-out"): a D1 binding name, `DB` or `INDEX_*`. Rows older than sharding default to `DB`,
     * the database they already live in, so the upgrade moves nothing.
     */
    shard: text("shard").notNull().default("DB"),
    /**
     * Bucket rules (issue 22; src/store/rules.ts parses them, docs/protocol.md §3.6): JSON read with the
     * bucket on every request, written only through src/store/rules.ts. Additive columns with defaults.
     * `lifecycle_rules`: array of lifecycle rules; `referer_rule`: the anti-leech rule (`{}` = off);
     * `cors_rules`: array of CORS rules (`[]` = the built-in permissive CORS).
     */
    lifecycleRules: text("lifecycle_rules").notNull().default("[]"),
    refererRule: text("referer_rule").notNull().default("{}"),
    corsRules: text("cors_rules").notNull().default("[]"),
    /**
     * Where the lifecycle scan of this bucket stands (src/core/lifecycle.ts): the last key a run
     * reached ("" = at the start of a pass), and when the last full pass finished (0 = never).
     */
    lifecycleAfter: text("lifecycle_after").notNull().default(""),
    lifecyclePassAt: integer("lifecycle_pass_at").notNull().default(0),
    /** Bucket tags (S3 Put/GetBucketTagging; src/s3/bucket-tagging.ts): JSON array of {Key, Value}, at most 50. Additive. */
    tags: text("tags").notNull().default("[]"),
    /**
     * S3 bucket settings (src/s3/bucket-encryption.ts, src/s3/ownership.ts; parsed and changed only by
     * src/store/rules.ts, the ownership also set by CreateBucket). `default_encryption`: the default encryption (PutBucketEncryption), JSON, `{}` =
     * none set; `object_ownership`: the object ownership setting (PutBucketOwnershipControls, CreateBucket's
     * `x-amz-object-ownership`), "" = none set. Additive columns with defaults.
     */
    defaultEncryption: text("default_encryption").notNull().default("{}"),
    objectOwnership: text("object_ownership").notNull().default(""),
  },
  (t) => [uniqueIndex("buckets_name_unique").on(t.name), index("buckets_project_idx").on(t.projectId, t.createdAt)],
);

/** An immutable R2 object `blobs/<id>`, shared by every object row that points at it. */
export const blobs = sqliteTable(
  "blobs",
  {
    id: text("id").primaryKey(),
    bucketId: text("bucket_id").notNull(),
    size: integer("size").notNull(),
    etag: text("etag").notNull(),
    /** Object rows pointing here. At 0 the blob is unreachable and may be deleted from R2. */
    refcount: integer("refcount").notNull().default(0),
    createdAt: integer("created_at").notNull(),
    /**
     * Null: this shard is the blob's home (where it was published). Otherwise a proxy row: the
     * shard whose blob row holds one reference on behalf of this row, which counts this shard's
     * object rows (store/shards.ts, "cross-shard references").
     */
    homeShard: text("home_shard"),
  },
  (t) => [index("blobs_refcount_idx").on(t.refcount)],
);

export const objects = sqliteTable(
  "objects",
  {
    bucketId: text("bucket_id").notNull(),
    /** The decoded key; SQLite's BINARY collation sorts it in UTF-8 byte order. */
    key: text("key").notNull(),
    blobId: text("blob_id").notNull(),
    size: integer("size").notNull(),
    /** UFile ETag (docs/protocol.md §4). */
    etag: text("etag").notNull(),
    /**
     * S3 ETag of the blob, unquoted (issue 15): the MD5 in hex for a single-part write,
     * `md5(part MD5s)-N` for a multipart one, as R2 reports them. Copied with the blob on every
     * reference move. "" for rows written before the column existed (the S3 front then answers
     * the UFile ETag). Additive column with a default.
     */
    s3Etag: text("s3_etag").notNull().default(""),
    mime: text("mime").notNull(),
    /** STANDARD | IA | ARCHIVE | COLD. */
    storageClass: text("storage_class").notNull(),
    /** JSON object of lowercased user-meta keys to values. */
    userMeta: text("user_meta").notNull().default("{}"),
    /**
     * JSON object of the standard headers a write set and reads return (issue 15, S3 PutObject):
     * Content-Disposition, Content-Encoding, Cache-Control, Content-Language, Expires. Additive.
     */
    httpHeaders: text("http_headers").notNull().default("{}"),
    createdAt: integer("created_at").notNull(),
    modifiedAt: integer("modified_at").notNull(),
    /** Restore of ARCHIVE/COLD: readable from `restore_ready_at` until `restore_expires_at`. */
    restoreReadyAt: integer("restore_ready_at"),
    restoreExpiresAt: integer("restore_expires_at"),
    /**
     * Object ACL (issue 11): `default` follows the bucket's type, `public-read` lets anyone GET/HEAD
     * it, `private` needs a signature even in a public bucket.
     */
    acl: text("acl").notNull().default("default"),
    /** Object tags: JSON array of {Key, Value} (at most 10; src/data/tagging.ts). */
    tags: text("tags").notNull().default("[]"),
    /**
     * The checksum verified when the object was written (src/core/checksum-record.ts):
     * `<algorithm>:<FULL_OBJECT|COMPOSITE>:<base64>` (a composite one ends in `-<parts>`), "" when
     * the write sent none. Moves with the blob on Copy. Additive.
     */
    checksum: text("checksum").notNull().default(""),
    /**
     * The parts of a multipart object (src/core/object-parts.ts): JSON `{"n","size","last","sums"?}`
     * (count, the size of every part but the last, the last part's size, each part's checksum), ""
     * for a single-part object. Serves `?partNumber=N` reads and GetObjectAttributes. Additive.
     */
    parts: text("parts").notNull().default(""),
    /**
     * SSE-C: base64 MD5 of the customer key the blob was encrypted with (src/core/sse-c.ts), ""
     * when none. The key itself is never stored. Additive.
     */
    ssecKeyMd5: text("ssec_key_md5").notNull().default(""),
  },
  (t) => [
    primaryKey({ columns: [t.bucketId, t.key] }),
    index("objects_hash_idx").on(t.bucketId, t.etag, t.size),
    index("objects_blob_idx").on(t.blobId),
  ],
);

/**
 * Key ranges of buckets that outgrew one shard (docs/design.md §9 "Key ranges"), in the control
 * database only. A bucket with no row here is one range, the whole key space, on `buckets.shard`
 * (every bucket before its first split: the upgrade moves nothing). Once it has rows, they cover
 * the key space: the first starts at "", and a range ends where the next one starts (the last is
 * open). Operators and seeding scripts may write rows directly (with an anchor row on each shard
 * named, as store/shards.ts describes); the online move (src/store/range-move.ts) keeps the other
 * columns.
 */
export const bucketRanges = sqliteTable(
  "bucket_ranges",
  {
    bucketId: text("bucket_id").notNull(),
    /** Inclusive start of the range (UTF-8 byte order, as `objects.key` sorts). */
    startKey: text("start_key").notNull(),
    /** The shard reads and writes of the range go to. */
    shard: text("shard").notNull(),
    /** While the range is copied to this shard, writes to it are refused (retryable); null otherwise. */
    moveTo: text("move_to"),
    /** During a move: the last key copied so far (the copy resumes after it); null before the first batch. */
    copyAfter: text("copy_after"),
    /** After a move: the shard whose old copy of the range is still to be deleted, from `drain_after`. */
    drainShard: text("drain_shard"),
    /** Unix seconds after which the old copy may go (every isolate's cached ranges have expired). */
    drainAfter: integer("drain_after"),
    /**
     * The move was cancelled before its switch: the range stayed on `shard`, and `drain_shard` is
     * the shard it was being copied to, whose partial copy goes (at once: no reader reads it).
     */
    cancelled: integer("cancelled", { mode: "boolean" }).notNull().default(false),
    /**
     * The id of the range's current (or last) move, set when it starts: the target shard records
     * the move's arrival under it (`range_arrivals`). Null for a range never moved.
     */
    moveId: text("move_id"),
  },
  (t) => [primaryKey({ columns: [t.bucketId, t.startKey] })],
);

/**
 * On an index shard: key ranges of a bucket that this shard must not write any more (a range that
 * is moving away, or has moved away). Every object write checks it inside its own statements, so
 * a write that raced a move changes nothing here and is retried on the range's current shard.
 */
export const rangeFences = sqliteTable(
  "range_fences",
  {
    bucketId: text("bucket_id").notNull(),
    startKey: text("start_key").notNull(),
    /** Exclusive end; null: to the end of the key space. */
    endKey: text("end_key"),
    /**
     * The shard the range lives on now, once it has moved away (null while it is still moving): a
     * read here of one of its keys, with a stale range list, reads there instead (store/ranges.ts).
     */
    movedTo: text("moved_to"),
  },
  (t) => [primaryKey({ columns: [t.bucketId, t.startKey] })],
);

/**
 * On an index shard: the range moves that arrived here, one row per move (store/range-move.ts). A
 * move's target records it once, either at the switch (`counted`: in the same batch its anchor takes
 * in the range's totals, which the copy did not count) or when a cancel wins (`cancelled`: in the
 * same batch its anchor gives back what a switch counted, if it did). A copy batch inserts only
 * while its move has no row here, so a late batch of a switched or cancelled move changes nothing.
 * Rows stay: a step of a move arriving late must still find its move settled.
 */
export const rangeArrivals = sqliteTable(
  "range_arrivals",
  {
    bucketId: text("bucket_id").notNull(),
    moveId: text("move_id").notNull(),
    /** `counted` (switched: this shard's anchor counts the range) or `cancelled`. */
    state: text("state").notNull(),
  },
  (t) => [primaryKey({ columns: [t.bucketId, t.moveId] })],
);

/** Multipart uploads in progress (docs/design.md §5). */
export const uploads = sqliteTable(
  "uploads",
  {
    id: text("id").primaryKey(),
    bucketId: text("bucket_id").notNull(),
    key: text("key").notNull(),
    /** The blob the upload will become, and R2's multipart upload id for `blobs/<blobId>`. */
    blobId: text("blob_id").notNull(),
    r2UploadId: text("r2_upload_id").notNull(),
    /** Every part but the last has this size. 0: an S3 upload whose first part of ≥ 5 MiB has not arrived yet. */
    blkSize: integer("blk_size").notNull(),
    mime: text("mime").notNull(),
    storageClass: text("storage_class").notNull(),
    userMeta: text("user_meta").notNull().default("{}"),
    /** The object's `http_headers` once completed (S3 CreateMultipartUpload). Additive. */
    httpHeaders: text("http_headers").notNull().default("{}"),
    /** S3 CreateMultipartUpload's checksum: `<algorithm>:<FULL_OBJECT|COMPOSITE>`, "" for none. Additive. */
    checksum: text("checksum").notNull().default(""),
    /** SSE-C: base64 MD5 of the customer key every part must carry, "" for none (never the key). Additive. */
    ssecKeyMd5: text("ssec_key_md5").notNull().default(""),
    /** The object's tags once completed (S3 CreateMultipartUpload's `x-amz-tagging`): JSON array of {Key, Value}. Additive. */
    tags: text("tags").notNull().default("[]"),
    /** The object's ACL once completed (S3 CreateMultipartUpload's `x-amz-acl`, src/core/object-acl.ts), "" for none (the object's default). Additive. */
    acl: text("acl").notNull().default(""),
    createdAt: integer("created_at").notNull(),
    /** Last part received; the sweeper aborts uploads idle for too long. */
    touchedAt: integer("touched_at").notNull(),
  },
  (t) => [index("uploads_bucket_key_idx").on(t.bucketId, t.key), index("uploads_touched_idx").on(t.touchedAt)],
);

export const uploadParts = sqliteTable(
  "upload_parts",
  {
    uploadId: text("upload_id").notNull(),
    /** 0-based, as the SDKs number parts; R2's part number is this + 1. */
    partNumber: integer("part_number").notNull(),
    size: integer("size").notNull(),
    /** base64url(SHA1(part)), padding kept. */
    etag: text("etag").notNull(),
    /** R2's own ETag for the part, needed to complete the R2 upload. */
    r2Etag: text("r2_etag").notNull(),
    /** Hex SHA1 of each 4 MiB window of the part, concatenated (40 hex chars each). */
    blockSha1s: text("block_sha1s").notNull(),
    /** First bytes' Content-Type (part 0 decides the object's MIME). */
    mime: text("mime").notNull().default(""),
    modifiedAt: integer("modified_at").notNull(),
    /** The part's checksum in its upload's algorithm (base64), "" when the upload has none. Additive. */
    checksum: text("checksum").notNull().default(""),
  },
  (t) => [primaryKey({ columns: [t.uploadId, t.partNumber] })],
);


/**
 * Tokens (docs/protocol.md §8): public key `TOKEN_<id>`; the private key is stored encrypted
 * (AES-GCM, key derived from a Worker secret). Lists are JSON arrays of strings.
 */
export const tokens = sqliteTable(
  "tokens",
  {
    id: text("id").primaryKey(),
    projectId: text("project_id").notNull(),
    region: text("region").notNull(),
    name: text("name").notNull(),
    privateKeyEnc: text("private_key_enc").notNull(),
    allowedOps: text("allowed_ops").notNull(),
    allowedPrefixes: text("allowed_prefixes").notNull(),
    allowedBuckets: text("allowed_buckets").notNull(),
    blackIpList: text("black_ip_list").notNull().default("[]"),
    whiteIpList: text("white_ip_list").notNull().default("[]"),
    expireTime: integer("expire_time").notNull(),
    createdAt: integer("created_at").notNull(),
    modifiedAt: integer("modified_at").notNull(),
  },
  (t) => [index("tokens_project_idx").on(t.projectId, t.createdAt)],
);

/**
 * Metered usage per (project, region, bucket, UTC day start). Requests and download bytes
 * come from the queue consumer; byte-seconds of storage from the scheduled integrator.
 */
export const usageDaily = sqliteTable(
  "usage_daily",
  {
    projectId: text("project_id").notNull(),
    region: text("region").notNull(),
    bucketId: text("bucket_id").notNull(),
    day: integer("day").notNull(),
    requests: integer("requests").notNull().default(0),
    downloadBytes: integer("download_bytes").notNull().default(0),
    storageByteSeconds: integer("storage_byte_seconds").notNull().default(0),
    /** The part of `storage_byte_seconds` in IA, and in ARCHIVE/COLD (buckets.ia_bytes, archive_bytes). */
    iaByteSeconds: integer("ia_byte_seconds").notNull().default(0),
    archiveByteSeconds: integer("archive_byte_seconds").notNull().default(0),
    /** Objects the lifecycle rules deleted, and moved to IA or ARCHIVE, that day (src/core/lifecycle.ts). */
    lifecycleDeletes: integer("lifecycle_deletes").notNull().default(0),
    lifecycleTransitions: integer("lifecycle_transitions").notNull().default(0),
    /** Response body bytes of GETs of IA objects (part of `download_bytes`), and bytes of ARCHIVE/COLD objects whose restore started, that day. */
    iaGetBytes: integer("ia_get_bytes").notNull().default(0),
    restoreBytes: integer("restore_bytes").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.region, t.bucketId, t.day] })],
);

/** Queue message ids already counted, so a redelivered message is not counted twice. */
export const usageMessages = sqliteTable(
  "usage_messages",
  {
    id: text("id").primaryKey(),
    processedAt: integer("processed_at").notNull(),
  },
  (t) => [index("usage_messages_processed_idx").on(t.processedAt)],
);

/**
 * Signatures of admin calls already served (src/control/admin.ts), kept until the call's own
 * `Expires`: each signed admin call is served once, so a captured one cannot be sent again.
 * Control database only; housekeeping removes the expired ones.
 */
export const adminSignatures = sqliteTable(
  "admin_signatures",
  {
    signature: text("signature").primaryKey(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("admin_signatures_expires_idx").on(t.expiresAt)],
);

/** Where the storage integrator last stopped, per bucket. */
export const storageIntegration = sqliteTable("storage_integration", {
  bucketId: text("bucket_id").primaryKey(),
  integratedAt: integer("integrated_at").notNull(),
});

/**
 * Quota granted per (project, region): storage GB·day, download GB, requests in 万次 (10⁴).
 * `owe` is 1 when any left amount (granted − used) is negative; recomputed by the usage
 * consumer and the scheduled handler, read on the hot path together with the bucket.
 */
export const quotas = sqliteTable(
  "quotas",
  {
    projectId: text("project_id").notNull(),
    region: text("region").notNull(),
    storageGranted: real("storage_granted").notNull().default(0),
    trafficGranted: real("traffic_granted").notNull().default(0),
    requestsGranted: real("requests_granted").notNull().default(0),
    owe: integer("owe").notNull().default(0),
    modifiedAt: integer("modified_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.region] })],
);

/** Unit prices in 分 (fen) per region; region `*` is the default row. Seeded by a migration. */
export const prices = sqliteTable("prices", {
  region: text("region").primaryKey(),
  storageFenPerGbDay: real("storage_fen_per_gb_day").notNull(),
  trafficFenPerGb: real("traffic_fen_per_gb").notNull(),
  requestsFenPer10k: real("requests_fen_per_10k").notNull(),
});
