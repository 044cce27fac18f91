// CPU cost of the pieces of edgefile's request path, one at a time, inside the diagnostic Worker
// (never deployed). `GET /__micro?piece=<name>&n=<N>` runs the piece N times and answers 204;
// bench/lib/diagnose.mjs times the request by workerd's CPU clock against `piece=none`, so the
// difference ÷ N is the piece's cost per request. (A Worker cannot time itself: its clocks stand
// still while JavaScript runs.)
import { drizzle } from "drizzle-orm/d1";
import { and, eq } from "drizzle-orm";
import { Router } from "itty-router";
import * as schema from "../../schema/schema";
import { objects } from "../../schema/schema";
import { accessLine, logAccess, noteAccess, openAccessNote } from "../../src/core/access-log";
import { countedRequest, countedResponse } from "../../src/core/counted-body";
import { controlSignature, dataStringToSign, hmacSha1Base64 } from "../../src/signing.mjs";
import edgefile from "../../src/index";
import baseline from "../baseline/worker.js";
import { d1Bindings } from "./d1-model.js";
import { parseKey, parseQuery } from "../../src/data/context";
import { withCors } from "../../src/core/cors";
import { objectHeaders } from "../../src/core/object-headers";
import { meterRequest } from "../../src/metering/events";
import { newRequestIds, withIds, json } from "../../src/responses";
import { database } from "../../src/store/db";
import { withIndexTotals } from "../../src/store/buckets";
import { forgetReleasedBlobs, getObject } from "../../src/store/objects";
import { openSession } from "../../src/store/sessions";
import { indexDb, notePlacement, shardOf } from "../../src/store/shards";

const row = {
  bucketId: "oss-abcdef",
  key: "get/4k/3",
  blobId: "0f8fad5b-d9cb-469f-a165-70867728950e",
  size: 4096,
  etag: "AAAAANo5o-5ea0sNMlW_75VgGJCv2AcJ",
  mime: "application/octet-stream",
  storageClass: "STANDARD",
  userMeta: "{}",
  createdAt: 1764600000,
  modifiedAt: 1764600000,
  restoreReadyAt: null,
  restoreExpiresAt: null,
  acl: "default",
  tags: "[]",
};
const bucket = { id: "oss-abcdef", name: "bench", projectId: "org-edgefile", region: "cn-bj", owe: 0 };
const url = "http://bench.localhost/get/4k/3";
const router = Router({ before: [() => undefined], finally: [(r) => r] });
router.all("*", () => new Response(null));
/** The seeded object's row as the store reads it, once known. */
let seeded = null;
const noQueue = { send: async () => undefined, sendBatch: async () => undefined };
let meterEnv;
const accessRequest = new Request(url, { headers: { "CF-Connecting-IP": "203.0.113.7" } });
const accessResponse = new Response(null, { status: 200, headers: { "Content-Length": "4096" } });
const accessIds = { sessionId: "6f1c2a9e-4b7d-4c0e-9a51-3d2f8e7b6a10", debugId: "mg3k2x1a-9f8e7d6c5b4a3921" };
const body4k = new Uint8Array(4096);
const body1m = new Uint8Array(1024 * 1024);
/** Reads a response body to its end natively, as the runtime does when it sends one. */
const sendBody = (response) => response.arrayBuffer();
async function sendCounted(response) {
  const counted = countedResponse(response, "GET", { bytes: 0 });
  await counted.response.arrayBuffer();
  await counted.sent;
}
/** A 1 MiB upload as a front reads it: BYOB reads of up to 1 MiB into one buffer (as core/upload.ts pumps it to R2). */
async function readUpload(request) {
  const reader = request.body.getReader({ mode: "byob" });
  let buffer = new ArrayBuffer(1024 * 1024);
  for (;;) {
    const { done, value } = await reader.readAtLeast(buffer.byteLength, new Uint8Array(buffer));
    if (done) break;
    buffer = value.buffer;
  }
}
const upload1m = () => new Request(url, { method: "PUT", body: body1m, headers: { "Content-Length": String(body1m.byteLength) } });
const tokenPrincipal = { kind: "token", publicKey: "TOKEN_x", scope: { tokenId: "tok_0123456789abcdef" } };

// The bench bucket's placement, as a request that read its bucket row leaves it in the isolate.
notePlacement({ id: bucket.id, shard: "INDEX_1" });

// The object read in each form a Worker can make it (bench/results.md "The D1 read, form by form"):
// on the binding or on a D1 session, `.first()` (rows as objects) or `.raw()` (rows as arrays),
// then edgefile's own path. The binding is the shard holding the bench bucket's index.
const OBJECT_SQL = "SELECT * FROM objects WHERE bucket_id = ? AND key = ?";
let shardD1 = null;
/** A bookmark of that shard, as a read that starts from a kept write's bookmark passes it. */
let bookmark = null;
async function findShard(env) {
  const name = await shardOf(database(env.DB), row.bucketId);
  shardD1 = env[name];
  const session = shardD1.withSession("first-primary");
  await session.prepare("SELECT 1").first();
  bookmark = session.getBookmark();
}
const objectStatement = (d1) => d1.prepare(OBJECT_SQL).bind(row.bucketId, row.key);
/** The same read as edgefile's store/objects.ts builds it with Drizzle (every column named, quoted). */
let drizzleSql = null;
const drizzleStatement = (d1) =>
  d1
    .prepare((drizzleSql ??= database(d1).select().from(objects).where(and(eq(objects.bucketId, row.bucketId), eq(objects.key, row.key))).toSQL().sql))
    .bind(row.bucketId, row.key);

/**
 * A D1 binding (or session) whose answers are memoized: the first run of each (SQL, values, method)
 * asks the real database, every later one gets that answer back at once. A whole request through
 * it costs its Worker's own work without the D1 round trip (the runtime's D1 client and the local
 * simulator), which is most of a HEAD's CPU and moves a lot from run to run; so two Workers' own
 * costs can be compared closely. Writes (`batch`, `exec`) go to the real database.
 */
function memoD1(d1) {
  const answers = new Map();
  const statement = (sql, values) => {
    const memo = (method) => (arg) => {
      const key = `${method}\n${arg ?? ""}\n${sql}\n${values.join("\n")}`;
      let answer = answers.get(key);
      if (!answer) answers.set(key, (answer = d1.prepare(sql).bind(...values)[method](arg)));
      return answer;
    };
    return { bind: (...v) => statement(sql, v), first: memo("first"), raw: memo("raw"), all: memo("all"), run: memo("run") };
  };
  const session = { prepare: (sql) => statement(sql, []), batch: (s) => d1.batch(s), getBookmark: () => bookmark };
  return { ...session, exec: (q) => d1.exec(q), withSession: () => session };
}
let memoEnv;
/** HEAD requests of the 16 seeded 4 KiB objects, signed as the SDKs sign them. */
let heads;
async function wholeRequests(env) {
  memoEnv = { ...env, ...Object.fromEntries(d1Bindings(env).map((name) => [name, memoD1(env[name])])) };
  heads = await Promise.all(
    Array.from({ length: 16 }, async (_, i) => {
      const key = `get/4k/${i}`;
      const signature = await hmacSha1Base64(env.ROOT_PRIVATE_KEY, dataStringToSign({ method: "HEAD", bucket: bucket.name, key, contentType: "" }));
      return [`http://${bucket.name}.localhost/${key}`, { method: "HEAD", headers: { Authorization: `UCloud ${env.ROOT_PUBLIC_KEY}:${signature}` } }];
    }),
  );
}
let headSeq = 0;
async function head(worker, ctx) {
  const response = await worker.fetch(new Request(...heads[headSeq++ % heads.length]), memoEnv, ctx);
  if (response.status !== 200) throw new Error(`HEAD answered ${response.status}`);
}
/** DescribeBucket of the bench bucket, signed as the SDKs sign it (the bench's control request). */
let describe;
async function describeRequest(env) {
  const params = { Action: "DescribeBucket", BucketName: bucket.name, PublicKey: env.ROOT_PUBLIC_KEY };
  const Signature = await controlSignature(Object.entries(params), env.ROOT_PRIVATE_KEY);
  describe = `http://api.localhost/?${new URLSearchParams({ ...params, Signature })}`;
}
async function describeBucket(worker, ctx) {
  const response = await worker.fetch(new Request(describe), memoEnv, ctx);
  const body = await response.json();
  if (body.RetCode !== 0) throw new Error(`DescribeBucket answered ${JSON.stringify(body)}`);
}

/** Each piece: one request's worth of that work. Async ones are awaited. `slow`: fewer iterations. */
const PIECES = {
  none: () => undefined,
  "itty router dispatch (src/index.ts no longer uses it)": () => router.fetch(new Request(url)),
  "request ids + id headers": () => withIds(new Response(null), newRequestIds()),
  "CORS headers": () => withCors(new Response(null)),
  "object headers (GET/HEAD)": () => objectHeaders(seeded ?? row, 1764600000),
  "URL, query and key parsing": () => {
    const u = new URL(url + "?list&prefix=a&limit=10");
    parseQuery(u);
    parseKey(u);
  },
  "Drizzle: build getObject SQL": (env) =>
    database(env.DB)
      .select()
      .from(objects)
      .where(and(eq(objects.bucketId, row.bucketId), eq(objects.key, row.key)))
      .toSQL(),
  "Drizzle: a handle with the schema": (env) => drizzle(env.DB, { schema }),
  "Drizzle: a handle without the schema": (env) => drizzle(env.DB),
  "HMAC-SHA1 (import + sign)": () => hmacSha1Base64("46f09bb9fab4f12dfc160dae12273d5332b5debe", "GET\n\n\n\n/bench/get/4k/3"),
  // A token's GET as the access log sees it (src/core/access-log.ts): the note opened by the entry, the
  // front's two notes, and the line added to the isolate's window of lines (written at its end, as deployed).
  "access log line": (env, ctx) => {
    const note = openAccessNote(accessRequest);
    noteAccess(accessRequest, { bucket: bucket.name, operation: "GetFile", key: row.key });
    noteAccess(accessRequest, { principal: tokenPrincipal });
    const now = Date.now();
    logAccess(env, ctx, accessLine(accessRequest, accessResponse, "ufile", note, accessIds, { startedAt: now, headersAt: now, bytesIn: { bytes: 0 }, bytesOut: { bytes: 4096 } }));
  },
  // A response body sent to the client (read to its end natively, as the runtime's socket pump
  // reads it), plainly and through the access log's byte counter (src/core/counted-body.ts): the
  // difference of each pair is the counter's cost. Both declare their length, so the counter takes
  // it and leaves the body alone (it streams only a body of no declared length).
  "4 KiB response body, sent": () => sendBody(new Response(body4k, { headers: { "Content-Length": "4096" } })),
  "4 KiB response body, sent through the byte counter": () => sendCounted(new Response(body4k, { headers: { "Content-Length": "4096" } })),
  "1 MiB response body, sent": () => sendBody(new Response(body1m, { headers: { "Content-Length": String(body1m.byteLength) } })),
  "1 MiB response body, sent through the byte counter": () => sendCounted(new Response(body1m, { headers: { "Content-Length": String(body1m.byteLength) } })),
  // The same for a 1 MiB request body, read as the upload path reads it.
  "1 MiB request body, read": () => readUpload(upload1m()),
  "1 MiB request body, read through the byte counter": () => readUpload(countedRequest(upload1m(), { bytes: 0 })),
  "metering fold": (env, ctx) => meterRequest((meterEnv ??= { ...env, USAGE_QUEUE: noQueue, USAGE_FLUSH_MS: "1000" }), ctx, bucket, 4096),
  "JSON response (DescribeBucket size)": () => json({ RetCode: 0, Action: "DescribeBucketResponse", DataSet: [{ ...bucket, Domain: { Src: ["bench.localhost"] } }] }),
  // A read's D1 sessions without a query, then with its bucket's shard found (placement cached) and its
  // session and handle made: their difference is what index shards add to a request.
  "D1 sessions: open and finish": (env) => openSession(env, { scopes: [bucket.name], writes: false, clientBookmark: null }).finish(),
  "D1 sessions + shard lookup (placement cached)": async (env) => {
    const session = openSession(env, { scopes: [bucket.name], writes: false, clientBookmark: null });
    await indexDb(session.db, bucket.id);
    return session.finish();
  },
  // A bucket row's byte and object counts from its anchor on its index shard (DescribeBucket of a
  // bucket on a shard other than DB), D1 memoized: the statement's preparation and the row mapping.
  "bucket totals from its shard's anchor, D1 memoized": (env) => {
    const session = openSession(memoEnv, { scopes: [bucket.name], writes: false, clientBookmark: null });
    return withIndexTotals(session.db, [{ id: bucket.id, shard: "INDEX_1", storedBytes: 0, objectCount: 0, iaBytes: 0, archiveBytes: 0 }]);
  },
  // The delete of a released blob's row that follows every overwrite (PutFile of an existing key), on
  // each shard (an isolate that did not settle the release asks them all), D1 memoized.
  "forget a released blob, D1 memoized": () =>
    forgetReleasedBlobs(openSession(memoEnv, { scopes: [bucket.name], writes: true, clientBookmark: null }).db, [row.blobId]),
  // These two include a D1 query each; their difference is Drizzle's share of a row read.
  "getObject through Drizzle (D1 query)": (env) => getObject(database(env.DB), row.bucketId, row.key),
  "the same query, raw D1": (env) => env.DB.prepare("SELECT * FROM objects WHERE bucket_id = ? AND key = ?").bind(row.bucketId, row.key).first(),
  // A whole HEAD of a 4 KiB object through each Worker, D1 memoized (memoD1): their difference is
  // edgefile's own work on a HEAD, without the D1 round trip both make.
  "HEAD through edgefile, D1 memoized": (_env, ctx) => head(edgefile, ctx),
  "HEAD through the baseline, D1 memoized": (_env, ctx) => head(baseline, ctx),
  // The same for the control plane's DescribeBucket (the response body read as a client reads it).
  "DescribeBucket through edgefile, D1 memoized": (_env, ctx) => describeBucket(edgefile, ctx),
  "DescribeBucket through the baseline, D1 memoized": (_env, ctx) => describeBucket(baseline, ctx),
  "D1 read: binding .first()": () => objectStatement(shardD1).first(),
  "D1 read: binding .raw()": () => objectStatement(shardD1).raw(),
  "D1 read: session (first-unconstrained) .first()": () => objectStatement(shardD1.withSession("first-unconstrained")).first(),
  "D1 read: session (first-unconstrained) .raw()": () => objectStatement(shardD1.withSession("first-unconstrained")).raw(),
  "D1 read: session (bookmark) .first()": () => objectStatement(shardD1.withSession(bookmark)).first(),
  "D1 read: session (bookmark) .raw()": () => objectStatement(shardD1.withSession(bookmark)).raw(),
  "D1 read: binding .raw(), edgefile's SQL text": () => drizzleStatement(shardD1).raw(),
  "D1 read: getObject on the binding": () => getObject(database(shardD1), row.bucketId, row.key),
  "D1 read: openSession + getObject + finish": async (env) => {
    const session = openSession(env, { scopes: [bucket.name], writes: false, clientBookmark: null });
    await getObject(session.db, row.bucketId, row.key);
    return session.finish();
  },
};

export const MICRO_PIECES = Object.keys(PIECES);

export async function micro(request, env, ctx) {
  const q = new URL(request.url).searchParams;
  if (!q.has("piece")) return Response.json(MICRO_PIECES);
  const piece = PIECES[q.get("piece")];
  if (!piece) return new Response(`unknown piece; one of: ${MICRO_PIECES.join(", ")}`, { status: 400 });
  const n = Math.min(Number(q.get("n")) || 1000, 100_000);
  if (q.get("bucketId")) {
    // A real bucket, so the D1 pieces find a row, and the real row (every column the schema has) for the headers.
    row.bucketId = q.get("bucketId");
    seeded ??= await getObject(database(env.DB), row.bucketId, row.key);
    if (!shardD1) await findShard(env);
    if (!heads) await wholeRequests(env);
    if (!describe) await describeRequest(env);
  }
  for (let i = 0; i < n; i++) {
    const out = piece(env, ctx);
    if (out instanceof Promise) await out;
  }
  return new Response(null, { status: 204 });
}
