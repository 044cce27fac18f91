// The bench's baseline: a bare Worker that makes the same D1 and R2 calls as edgefile for each
// benchmarked request, and nothing else: no signature check, no hashing, no router, no Drizzle,
// no metering. It shares edgefile's D1 database and R2 bucket (same ids in the same workerd), so
// it reads the very rows and blobs edgefile wrote. edgefile ÷ this = the cost of edgefile's logic.
//
// Requests have edgefile's shape (Host `<bucket>.localhost`, same paths and queries); the
// Authorization header is ignored. The SQL mirrors src/store/*.ts statement for statement.

const BLOB = (id) => `blobs/${id}`;
const bucketIds = new Map(); // name → id, for the isolate's life (edgefile caches 5 s)

async function bucketId(env, name) {
  let id = bucketIds.get(name);
  if (id === undefined) {
    id = (await env.DB.prepare("SELECT id FROM buckets WHERE name = ?").bind(name).first("id")) ?? null;
    bucketIds.set(name, id);
  }
  return id;
}

const notFound = () => new Response(null, { status: 404 });
const json = (value, headers = {}) => {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  return new Response(bytes, { headers: { "Content-Type": "application/json", "Content-Length": String(bytes.byteLength), ...headers } });
};
const objectRow = (env, bid, key) => env.DB.prepare("SELECT * FROM objects WHERE bucket_id = ? AND key = ?").bind(bid, key).first();

/** The statements of store/objects.ts publishBlob: release the old blob, adjust bytes, upsert the row, insert the blob. */
function publishStatements(env, bid, key, blob, mime, now) {
  const db = env.DB;
  return [
    db
      .prepare("UPDATE blobs SET refcount = refcount - 1 WHERE id = (SELECT blob_id FROM objects WHERE bucket_id = ? AND key = ?) RETURNING id, refcount")
      .bind(bid, key),
    db
      .prepare("UPDATE buckets SET stored_bytes = stored_bytes + ? - COALESCE((SELECT size FROM objects WHERE bucket_id = ? AND key = ?), 0) WHERE id = ?")
      .bind(blob.size, bid, key, bid),
    db
      .prepare(
        `INSERT INTO objects (bucket_id, key, blob_id, size, etag, mime, storage_class, user_meta, created_at, modified_at)
         SELECT ?, ?, ?, ?, ?, ?, 'STANDARD', '{}', ?, ? WHERE EXISTS (SELECT 1 FROM buckets WHERE id = ?)
         ON CONFLICT (bucket_id, key) DO UPDATE SET blob_id = excluded.blob_id, size = excluded.size, etag = excluded.etag,
           mime = excluded.mime, storage_class = excluded.storage_class, user_meta = excluded.user_meta,
           created_at = excluded.created_at, modified_at = excluded.modified_at, restore_ready_at = NULL, restore_expires_at = NULL`,
      )
      .bind(bid, key, blob.id, blob.size, blob.etag, mime, now, now, bid),
    db
      .prepare("INSERT INTO blobs (id, bucket_id, size, etag, refcount, created_at) VALUES (?, ?, ?, ?, (SELECT COUNT(*) FROM objects WHERE blob_id = ?), ?) RETURNING id, refcount")
      .bind(blob.id, bid, blob.size, blob.etag, blob.id, now),
  ];
}

/** After the response, as edgefile's releaseBlobs: R2 delete, then the blob rows. */
function release(env, ctx, results) {
  const ids = results.filter((r) => r.refcount <= 0).map((r) => r.id);
  if (ids.length === 0) return;
  ctx.waitUntil(
    env.BLOBS.delete(ids.map(BLOB)).then(() =>
      env.DB.prepare(`DELETE FROM blobs WHERE id IN (${ids.map(() => "?").join(",")}) AND refcount <= 0`).bind(...ids).run(),
    ),
  );
}

/**
 * How the body reaches R2. `native` is the baseline: a pipe workerd runs without JS. The other two
 * exist for the bench's diagnostics only (header `x-bench-pipe`): `js` hashes each chunk in a JS
 * TransformStream that awaits a DigestStream write (as src/core/etag.ts `hashingStream` does;
 * workerd delivers request bodies in ~4 KiB chunks); `byob` hashes the same bytes reading 256 KiB
 * at a time with a BYOB reader into one reused buffer (as src/core/upload.ts `pumpHashed` does, there with 1 MiB reads).
 */
const PIPES = {
  native: (body, writable) => body.pipeTo(writable),
  js: async (body, writable) => {
    const digest = new crypto.DigestStream("SHA-1");
    const hasher = digest.getWriter();
    const hashing = new TransformStream({
      async transform(chunk, controller) {
        await hasher.write(chunk);
        controller.enqueue(chunk);
      },
    });
    await body.pipeThrough(hashing).pipeTo(writable);
    await hasher.close();
    await digest.digest;
  },
  byob: async (body, writable, length) => {
    const digest = new crypto.DigestStream("SHA-1");
    const hasher = digest.getWriter();
    const out = writable.getWriter();
    const reader = body.getReader({ mode: "byob" });
    let buffer = new ArrayBuffer(256 * 1024); // one buffer, handed back to every read: no garbage per chunk
    for (let got = 0; got < length; ) {
      const want = Math.min(buffer.byteLength, length - got);
      const { value, done } = await reader.readAtLeast(want, new Uint8Array(buffer, 0, want));
      if (done) break;
      got += value.byteLength;
      await Promise.all([hasher.write(value), out.write(value)]); // both done with the bytes once resolved
      buffer = value.buffer;
    }
    await Promise.all([out.close(), hasher.close()]);
    await digest.digest;
  },
};

async function put(request, env, ctx, bid, key) {
  const length = Number(request.headers.get("Content-Length") ?? 0);
  const id = crypto.randomUUID();
  const { readable, writable } = new FixedLengthStream(length);
  const pipe = PIPES[request.headers.get("x-bench-pipe") ?? "native"];
  await Promise.all([env.BLOBS.put(BLOB(id), readable), pipe(request.body, writable, length)]);
  const now = Math.floor(Date.now() / 1000);
  const mime = request.headers.get("Content-Type") || "application/octet-stream";
  const [old] = await env.DB.batch(publishStatements(env, bid, key, { id, size: length, etag: "baseline" }, mime, now));
  release(env, ctx, old.results);
  return new Response(null, { headers: { ETag: id } });
}

/**
 * Diagnostic only (header `x-bench-headers: edgefile`): the other response headers edgefile's GET
 * and HEAD carry (object metadata, CORS, read-your-writes bookmark, request ids, no-compression),
 * with values of the same length, so an ablation can tell what sending them costs.
 */
/** The object's metadata headers edgefile's GET and HEAD send beyond the baseline's three. */
const metadataHeaders = (row) => ({
  "Last-Modified": new Date(row.modified_at * 1000).toUTCString(),
  "Accept-Ranges": "bytes",
  "X-Ufile-Create-Time": String(row.created_at),
  "X-Ufile-Storage-Class": row.storage_class,
  "x-bce-storage-class": row.storage_class,
});

function edgefileHeaders(row) {
  const id = crypto.randomUUID();
  return {
    ...metadataHeaders(row),
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers":
      "ETag, X-SessionId, Content-Range, Content-Length, X-Ufile-Storage-Class, X-Ufile-Restore, X-Ufile-Create-Time, X-Edgefile-Bookmark",
    "X-Edgefile-Bookmark": "0000001a-00000000-00004f8b-3a0d5a3c1a9e4c6f0e2b7d9a1c3e5f70",
    "X-SessionId": id,
    "x-bce-request-id": id,
    "x-bce-debug-id": `${Date.now().toString(36)}-${id.slice(0, 16)}`,
    "Cache-Control": "no-transform",
    "Content-Encoding": "identity",
  };
}

// ── Diagnostic only (header `x-bench-headers: protocol`; `npm run bench:floor`) ──
// What any implementation of edgefile's API and promises must do for a GET or HEAD besides the one
// storage read, in the fewest steps this Worker can take, so that edgefile's own overhead can be told
// from the API's: check the UFile signature (HMAC-SHA1 of the string to sign, verified by the
// runtime in constant time), read through a D1 session and answer its bookmark (read-your-writes),
// send edgefile's response headers (object metadata in both SDK families' names, CORS, request ids,
// nosniff), write one access-log line (in windows, one console line each) and fold one usage event.

const hmacKeys = new Map(); // private key → CryptoKey
const usage = new Map(); // bucket id → { requests, downloadBytes }
let logLines = [];
const EXPOSED = "ETag, X-SessionId, Content-Range, Content-Length, X-Ufile-Storage-Class, X-Ufile-Restore, X-Ufile-Create-Time, X-Edgefile-Bookmark";
function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The UFile signature of a request (`Authorization: UCloud <public key>:<signature>`), or false. */
async function signedByRoot(request, env, bucket, key) {
  const auth = /^UCloud ([^:]+):(.+)$/.exec(request.headers.get("Authorization") ?? "");
  if (!auth || auth[1] !== env.ROOT_PUBLIC_KEY) return false;
  let hmac = hmacKeys.get(env.ROOT_PRIVATE_KEY);
  if (!hmac) {
    hmac = await crypto.subtle.importKey("raw", new TextEncoder().encode(env.ROOT_PRIVATE_KEY), { name: "HMAC", hash: "SHA-1" }, false, ["verify"]);
    hmacKeys.set(env.ROOT_PRIVATE_KEY, hmac);
  }
  const h = request.headers;
  let signed = ""; // the x-ucloud-* headers, sorted (iteration yields lowercased names in order)
  for (const name of h.keys()) if (name.startsWith("x-ucloud-")) signed += `${name}:${h.get(name)}\n`;
  const text = `${request.method}\n${h.get("Content-MD5") ?? ""}\n${h.get("Content-Type") ?? ""}\n${h.get("Date") ?? ""}\n${signed}/${bucket}/${key}`;
  try {
    return await crypto.subtle.verify("HMAC", hmac, fromBase64(auth[2]), new TextEncoder().encode(text));
  } catch {
    return false;
  }
}

async function getWithProtocol(env, bucket, bid, key, head, request) {
  const startedAt = Date.now();
  const ids = crypto.randomUUID();
  if (!(await signedByRoot(request, env, bucket, key))) return new Response(null, { status: 401 });
  const session = env.DB.withSession(request.headers.get("X-Edgefile-Bookmark") ?? "first-unconstrained");
  const row = await session.prepare("SELECT * FROM objects WHERE bucket_id = ? AND key = ?").bind(bid, key).first();
  if (!row) return notFound();
  const headers = {
    ETag: row.etag,
    "Content-Type": row.mime,
    "Content-Length": String(row.size),
    ...metadataHeaders(row),
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": EXPOSED,
    "X-Edgefile-Bookmark": session.getBookmark() ?? "",
    ...idHeaders(ids),
    "X-Content-Type-Options": "nosniff",
  };
  const response = new Response(head ? null : (await env.BLOBS.get(BLOB(row.blob_id))).body, { headers });
  const bytes = head ? 0 : row.size;
  const used = usage.get(bid);
  if (used) (used.requests += 1), (used.downloadBytes += bytes);
  else usage.set(bid, { requests: 1, downloadBytes: bytes });
  logLine(request, { startedAt, ids, front: "ufile", operation: head ? "HeadFile" : "GetFile", bucket, key, bytesOut: bytes });
  return response;
}

/** The request ids' headers, as edgefile sends them on every answer. */
const idHeaders = (ids) => ({ "X-SessionId": ids, "x-bce-request-id": ids, "x-bce-debug-id": `${Date.now().toString(36)}-${ids.slice(19, 23)}${ids.slice(24)}` });

/** One access-log line, in windows of about 300 lines (one console line each), as edgefile writes them. */
function logLine(request, { startedAt, ids, front, operation, bucket, key, bytesOut }) {
  logLines.push(
    JSON.stringify({
      time: new Date().toISOString(),
      requestId: ids,
      debugId: ids,
      front,
      operation,
      method: request.method,
      bucket,
      key,
      principal: "root",
      client: request.headers.get("CF-Connecting-IP"),
      status: 200,
      bytesIn: 0,
      bytesOut,
      durationMs: Date.now() - startedAt,
    }),
  );
  if (logLines.length >= 300) for (const line of logLines.splice(0)) console.log(line);
}

const encoder = new TextEncoder();
const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/**
 * DescribeBucket as edgefile answers it (`Action=DescribeBucketWithProtocol`, `npm run bench:floor --
 * --workload describe-bucket`): the control signature checked (lowercase hex SHA-1 of the sorted
 * name+value pairs and the private key, compared in constant time), a D1 session and its bookmark,
 * edgefile's fields (stored bytes by class, object count, referer and CORS rules) and headers, and an
 * access-log line.
 */
async function describeWithProtocol(request, env, q) {
  const startedAt = Date.now();
  const ids = crypto.randomUUID();
  const pairs = [...q].filter(([name]) => name !== "Signature").sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let text = "";
  for (const [name, value] of pairs) text += name + value;
  const expected = encoder.encode(hex(new Uint8Array(await crypto.subtle.digest("SHA-1", encoder.encode(text + env.ROOT_PRIVATE_KEY)))));
  const sent = encoder.encode(q.get("Signature") ?? "");
  if (q.get("PublicKey") !== env.ROOT_PUBLIC_KEY || sent.byteLength !== expected.byteLength || !crypto.subtle.timingSafeEqual(sent, expected)) {
    return new Response(null, { status: 401 });
  }
  const session = env.DB.withSession(request.headers.get("X-Edgefile-Bookmark") ?? "first-unconstrained");
  const bucket = q.get("BucketName");
  const row = await session.prepare("SELECT * FROM buckets WHERE name = ? AND project_id = ?").bind(bucket, q.get("ProjectId") || "org-edgefile").first();
  if (!row) return json({ RetCode: 15010, Action: "DescribeBucketResponse", Message: "no such bucket" });
  const referer = JSON.parse(row.referer_rule || "{}");
  const cors = JSON.parse(row.cors_rules || "[]");
  const answer = json(
    {
      RetCode: 0,
      Action: "DescribeBucketResponse",
      Message: "",
      DataSet: [
        {
          ...bucketSetOf(row), // and edgefile's own fields:
          StoredBytes: row.stored_bytes,
          StoredBytesByClass: { STANDARD: row.stored_bytes - row.ia_bytes - row.archive_bytes, IA: row.ia_bytes, ARCHIVE: row.archive_bytes },
          ObjectCount: row.object_count,
          Referer: referer.type ? { RefererStatus: "on", RefererType: referer.type, Referers: referer.referers, RefererAllowNull: referer.allowEmpty } : { RefererStatus: "off" },
          CORSRules: cors,
        },
      ],
    },
    { ...idHeaders(ids), "X-Content-Type-Options": "nosniff", "X-Edgefile-Bookmark": session.getBookmark() ?? "" },
  );
  logLine(request, { startedAt, ids, front: "control", operation: "DescribeBucket", bucket, key: null, bytesOut: 0 });
  return answer;
}

async function get(env, bucket, bid, key, head, request) {
  const diagnostic = request.headers.get("x-bench-headers"); // the one read both diagnostics share
  if (diagnostic === "protocol") return getWithProtocol(env, bucket, bid, key, head, request);
  const row = await objectRow(env, bid, key);
  if (!row) return notFound();
  const headers = { "Content-Type": row.mime, "Content-Length": String(row.size), ETag: row.etag };
  if (diagnostic === "edgefile") Object.assign(headers, edgefileHeaders(row));
  if (head) return new Response(null, { headers });
  const blob = await env.BLOBS.get(BLOB(row.blob_id));
  return new Response(blob.body, { headers });
}

/** PrefixFileList: one range select of limit + 1 rows, the same JSON items. */
async function list(env, bid, bucket, q) {
  const prefix = q.get("prefix") ?? "";
  const marker = q.get("marker") ?? "";
  const limit = Math.min(Number(q.get("limit") || 20), 1000);
  // As store/objects.ts listObjects: one lower bound (> the marker when it is at or past the prefix,
  // else >= the prefix: two bounds on the key would leave SQLite one to seek by and the other to
  // test row by row), < the prefix's upper bound when there is one.
  const where = ["bucket_id = ?", marker && marker >= prefix ? "key > ?" : "key >= ?"];
  const args = [bid, marker && marker >= prefix ? marker : prefix];
  if (prefix) where.push("key < ?"), args.push(prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1));
  const { results } = await env.DB.prepare(`SELECT * FROM objects WHERE ${where.join(" AND ")} ORDER BY key LIMIT ?`)
    .bind(...args, limit + 1)
    .all();
  const page = results.slice(0, limit);
  return json({
    BucketName: bucket,
    BucketId: bid,
    NextMarker: results.length > limit ? page[page.length - 1].key : "",
    DataSet: page.map((r) => ({
      BucketName: bucket,
      FileName: r.key,
      Hash: r.etag,
      MimeType: r.mime,
      Size: r.size,
      CreateTime: r.created_at,
      ModifyTime: r.modified_at,
      StorageClass: r.storage_class,
      RestoreStatus: "",
    })),
  });
}

// ── multipart: the R2 multipart calls plus the index rows edgefile keeps (store/uploads.ts) ──

async function initiate(env, bid, key) {
  const blobId = crypto.randomUUID();
  const r2 = await env.BLOBS.createMultipartUpload(BLOB(blobId));
  const id = crypto.randomUUID();
  const now = Math.floor(Date.now() / 1000);
  await env.DB.prepare(
    `INSERT INTO uploads (id, bucket_id, key, blob_id, r2_upload_id, blk_size, mime, storage_class, user_meta, created_at, touched_at)
     VALUES (?, ?, ?, ?, ?, 8388608, 'application/octet-stream', 'STANDARD', '{}', ?, ?)`,
  )
    .bind(id, bid, key, blobId, r2.uploadId, now, now)
    .run();
  return json({ UploadId: id, BlkSize: 8388608, Bucket: bid, Key: key });
}

const uploadRow = (env, id) => env.DB.prepare("SELECT * FROM uploads WHERE id = ?").bind(id).first();

async function uploadPart(request, env, q) {
  const upload = await uploadRow(env, q.get("uploadId"));
  if (!upload) return notFound();
  const n = Number(q.get("partNumber"));
  const length = Number(request.headers.get("Content-Length"));
  const { readable, writable } = new FixedLengthStream(length);
  const r2 = env.BLOBS.resumeMultipartUpload(BLOB(upload.blob_id), upload.r2_upload_id);
  const [part] = await Promise.all([r2.uploadPart(n + 1, readable), request.body.pipeTo(writable)]);
  await env.DB.prepare(
    `INSERT INTO upload_parts (upload_id, part_number, size, etag, r2_etag, block_sha1s, mime, modified_at) VALUES (?, ?, ?, ?, ?, '', '', ?)
     ON CONFLICT (upload_id, part_number) DO UPDATE SET size = excluded.size, etag = excluded.etag, r2_etag = excluded.r2_etag`,
  )
    .bind(upload.id, n, length, part.etag, part.etag, Math.floor(Date.now() / 1000))
    .run();
  return json({ PartNumber: n }, { ETag: part.etag });
}

async function finish(env, ctx, bid, key, q) {
  const upload = await uploadRow(env, q.get("uploadId"));
  if (!upload) return notFound();
  const { results: parts } = await env.DB.prepare("SELECT * FROM upload_parts WHERE upload_id = ? ORDER BY part_number").bind(upload.id).all();
  await env.BLOBS.resumeMultipartUpload(BLOB(upload.blob_id), upload.r2_upload_id).complete(
    parts.map((p) => ({ partNumber: p.part_number + 1, etag: p.r2_etag })),
  );
  const size = parts.reduce((n, p) => n + p.size, 0);
  const now = Math.floor(Date.now() / 1000);
  const [, , old] = await env.DB.batch([
    env.DB.prepare("DELETE FROM upload_parts WHERE upload_id = ?").bind(upload.id),
    env.DB.prepare("DELETE FROM uploads WHERE id = ?").bind(upload.id),
    ...publishStatements(env, bid, key, { id: upload.blob_id, size, etag: "baseline" }, upload.mime, now),
  ]);
  release(env, ctx, old.results);
  return json({ Bucket: bid, Key: key, FileSize: size });
}

/** Control plane DescribeBucket: one select, the same envelope. */
async function describeBucket(env, q) {
  const row = await env.DB.prepare("SELECT * FROM buckets WHERE name = ? AND project_id = ?")
    .bind(q.get("BucketName"), q.get("ProjectId") || "org-edgefile")
    .first();
  if (!row) return json({ RetCode: 15010, Action: "DescribeBucketResponse", Message: "no such bucket" });
  return json({ RetCode: 0, Action: "DescribeBucketResponse", Message: "", DataSet: [bucketSetOf(row)] });
}

/** DescribeBucket's UFileBucketSet of a bucket row, as the UFile API defines it. */
const bucketSetOf = (row) => ({
  BucketName: row.name,
  BucketId: row.id,
  Domain: { Src: [`${row.name}.localhost`], Cdn: [], CustomSrc: [], CustomCdn: [] },
  CdnDomainId: [],
  Type: row.type,
  CreateTime: row.created_at,
  ModifyTime: row.modified_at,
  Biz: row.biz,
  Region: row.region,
  Tag: row.tag,
  HasUserDomain: 0,
});

/** Diagnostic: SHA-1 throughput of crypto.DigestStream in this workerd (what edgefile hashes with). */
async function sha1Speed(q) {
  const mib = Math.min(Number(q.get("mib") || 64), 1024);
  const chunk = crypto.getRandomValues(new Uint8Array(65536));
  const stream = new crypto.DigestStream("SHA-1");
  const writer = stream.getWriter();
  const t0 = Date.now();
  for (let i = 0; i < mib * 16; i++) await writer.write(chunk);
  await writer.close();
  await stream.digest;
  return json({ mib, ms: Date.now() - t0 });
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const q = url.searchParams;
    if (q.get("Action") === "DescribeBucket") return describeBucket(env, q);
    if (q.get("Action") === "DescribeBucketWithProtocol") return describeWithProtocol(request, env, q); // a diagnostic: after the plain one
    if (url.pathname === "/__sha1") return sha1Speed(q);
    const bucket = url.hostname.endsWith(".localhost") ? url.hostname.slice(0, -".localhost".length) : "";
    const bid = await bucketId(env, bucket);
    if (!bid) return notFound();
    const key = decodeURIComponent(url.pathname.slice(1));
    switch (request.method) {
      case "GET":
        return key === "" ? list(env, bid, bucket, q) : get(env, bucket, bid, key, false, request);
      case "HEAD":
        return get(env, bucket, bid, key, true, request);
      case "PUT":
        return q.has("uploadId") ? uploadPart(request, env, q) : put(request, env, ctx, bid, key);
      case "POST":
        if (q.has("uploads")) return initiate(env, bid, key);
        if (q.has("uploadId")) return finish(env, ctx, bid, key, q);
    }
    return new Response(null, { status: 400 });
  },
};
