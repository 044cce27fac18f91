import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { UsageEvent } from "../src/metering/events";
import { forgetBucket } from "../src/store/buckets";
import { database } from "../src/store/db";
import { advanceMove, startMove } from "../src/store/range-move";
import { API, bucketOn, callWithEnv, file, indexOf, newBucket, pattern, shards, signControl, toQuery, uniqueName } from "./helpers";

/**
 * D1 budget per data-plane request (docs/design.md §8): GET/HEAD of an object = one D1 read besides
 * the isolate-cached bucket lookup; PutFile = at most one read and one batch. And the hot path
 * writes no usage to D1 (docs/design.md §7): its one usage event goes to the queue. DeleteBucket
 * (control plane) makes only the statements its guards need (docs/design.md §9).
 *
 * The counting D1 is a thin proxy over the real binding: every statement still runs against the
 * real database; the proxy only records what was executed, and how (one statement or one batch).
 * The usage queue is a recorder: it keeps what the data plane sent instead of delivering it.
 */

interface Executed {
  /** `batch`, or the method that ran one statement. */
  via: "batch" | "first" | "all" | "run" | "raw" | "exec";
  sql: string[];
  /** The values bound to a single statement. */
  values?: unknown[];
  /** The database it ran on (`DB` or an `INDEX_*` shard). */
  db: string;
}

class CountingStatement {
  constructor(
    private readonly log: Executed[],
    private readonly db: string,
    readonly sql: string,
    readonly real: D1PreparedStatement,
    readonly values: unknown[] = [],
  ) {}
  bind(...values: unknown[]): CountingStatement {
    return new CountingStatement(this.log, this.db, this.sql, this.real.bind(...values), values);
  }
  first(column?: string) {
    this.log.push({ via: "first", sql: [this.sql], values: this.values, db: this.db });
    return column === undefined ? this.real.first() : this.real.first(column);
  }
  all() {
    this.log.push({ via: "all", sql: [this.sql], values: this.values, db: this.db });
    return this.real.all();
  }
  run() {
    this.log.push({ via: "run", sql: [this.sql], values: this.values, db: this.db });
    return this.real.run();
  }
  raw(options?: { columnNames?: boolean }) {
    this.log.push({ via: "raw", sql: [this.sql], values: this.values, db: this.db });
    return options?.columnNames ? this.real.raw({ columnNames: true }) : this.real.raw();
  }
}

/** Statements and batches of the binding or of a session on it (requests run their queries in one). */
function counting<T extends D1Database | D1DatabaseSession>(target: T, log: Executed[], db: string) {
  return {
    prepare: (sql: string) => new CountingStatement(log, db, sql, target.prepare(sql)),
    batch: (statements: CountingStatement[]) => {
      log.push({ via: "batch", sql: statements.map((s) => s.sql), db });
      return target.batch(statements.map((s) => s.real));
    },
  };
}

function countingD1(real: D1Database, log: Executed[], db: string): D1Database {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "prepare" || prop === "batch") return counting(target, log, db)[prop];
      if (prop === "withSession") {
        return (constraint?: string) => {
          const session = target.withSession(constraint);
          return { ...counting(session, log, db), getBookmark: () => session.getBookmark() };
        };
      }
      if (prop === "exec") {
        return (sql: string) => {
          log.push({ via: "exec", sql: [sql], db });
          return target.exec(sql);
        };
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A recording env: the real bindings, D1 counted, the usage queue recorded. */
function instrumented() {
  const log: Executed[] = [];
  const sent: UsageEvent[] = [];
  const queue = {
    send: async (body: UsageEvent) => void sent.push(structuredClone(body)),
    sendBatch: async (messages: Iterable<{ body: UsageEvent }>) => {
      for (const m of messages) sent.push(structuredClone(m.body));
    },
  };
  // Every index shard is counted: a bucket's object statements run on its shard (src/store/shards.ts).
  const databases = Object.fromEntries(shards().map(([name, d1]) => [name, countingD1(d1, log, name)]));
  return { log, sent, env: { ...databases, USAGE_QUEUE: queue } };
}

const WRITE = /^\s*(insert|update|delete|replace)\b/i;
const USAGE_TABLES = /\b(usage_daily|usage_messages|quotas)\b/i;

/** Round trips to D1 and what they did. */
function summary(log: Executed[]) {
  const singles = log.filter((e) => e.via !== "batch");
  const statements = log.flatMap((e) => e.sql);
  return {
    reads: singles.filter((e) => !WRITE.test(e.sql[0])).length,
    singleWrites: singles.filter((e) => WRITE.test(e.sql[0])).length,
    batches: log.filter((e) => e.via === "batch").length,
    writeStatements: statements.filter((s) => WRITE.test(s)).length,
  };
}

const bytes = pattern(3000);

describe("D1 queries per data-plane request", () => {
  it("GET and HEAD of an object: one read each, no write; the usage goes to the queue", async () => {
    const project = uniqueName("org");
    const bucket = await newBucket("private", project);
    const bucketId = await env.DB.prepare("SELECT id FROM buckets WHERE name = ?").bind(bucket).first<string>("id");
    const seed = instrumented();
    const put = await file(bucket, "k.bin", {
      method: "PUT",
      body: bytes,
      headers: { "Content-Type": "application/octet-stream", "Content-Length": String(bytes.byteLength) },
      env: seed.env,
    });
    expect(put.status).toBe(200);

    // Cold cache: the bucket (joined with its quota state) and the object, one read each.
    forgetBucket(bucket);
    const cold = instrumented();
    const first = await file(bucket, "k.bin", { env: cold.env });
    expect(first.status).toBe(200);
    expect((await first.arrayBuffer()).byteLength).toBe(3000);
    expect(summary(cold.log)).toEqual({ reads: 2, singleWrites: 0, batches: 0, writeStatements: 0 });
    expect(cold.log[0].sql[0]).toMatch(/from ["`]buckets["`] left join ["`]quotas["`]/i);
    expect(cold.log[1].sql[0]).toMatch(/from ["`]objects["`]/i);

    // Warm cache (the request above filled it): the object row only.
    const get = instrumented();
    const res = await file(bucket, "k.bin", { env: get.env });
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(3000);
    expect(summary(get.log)).toEqual({ reads: 1, singleWrites: 0, batches: 0, writeStatements: 0 });
    expect(get.log[0].sql[0]).toMatch(/from ["`]objects["`]/i);
    expect(get.log.flatMap((e) => e.sql).filter((s) => USAGE_TABLES.test(s))).toEqual([]);
    expect(get.sent).toEqual([{ projectId: project, region: "cn-bj", bucketId, requests: 1, downloadBytes: 3000, iaGetBytes: 0, restoreBytes: 0, at: expect.any(Number), day: expect.any(Number) }]);

    const range = instrumented();
    const partial = await file(bucket, "k.bin", { headers: { Range: "bytes=10-19" }, env: range.env });
    expect(partial.status).toBe(206);
    expect((await partial.arrayBuffer()).byteLength).toBe(10);
    expect(summary(range.log)).toEqual({ reads: 1, singleWrites: 0, batches: 0, writeStatements: 0 });
    expect(range.sent.map((e) => [e.bucketId, e.requests, e.downloadBytes])).toEqual([[bucketId, 1, 10]]);

    const head = instrumented();
    const h = await file(bucket, "k.bin", { method: "HEAD", env: head.env });
    expect(h.status).toBe(200);
    expect(h.headers.get("Content-Length")).toBe("3000");
    expect(summary(head.log)).toEqual({ reads: 1, singleWrites: 0, batches: 0, writeStatements: 0 });
    // HEAD sends no body: a request, no download traffic.
    expect(head.sent.map((e) => [e.bucketId, e.requests, e.downloadBytes])).toEqual([[bucketId, 1, 0]]);
  });

  it("PutFile: one batch (the index write), no read, no usage write; the usage goes to the queue", async () => {
    const bucket = await newBucket("private", uniqueName("org"));
    const warm = instrumented();
    expect((await file(bucket, "absent", { method: "HEAD", env: warm.env })).status).toBe(404);

    const fresh = instrumented();
    const res = await file(bucket, "new.bin", {
      method: "PUT",
      body: bytes,
      headers: { "Content-Type": "application/octet-stream", "Content-Length": String(bytes.byteLength) },
      env: fresh.env,
    });
    expect(res.status).toBe(200);
    // Budget: at most one read and one batch. Measured: no read at all.
    expect(summary(fresh.log)).toEqual({ reads: 0, singleWrites: 0, batches: 1, writeStatements: 4 });
    expect(fresh.log.flatMap((e) => e.sql).filter((s) => USAGE_TABLES.test(s))).toEqual([]);
    expect(fresh.sent.map((e) => [e.requests, e.downloadBytes])).toEqual([[1, 0]]);

    // An overwrite is the same batch; releasing the replaced blob's row happens after the
    // response (waitUntil, after its R2 delete): one more statement, never a usage write.
    const again = instrumented();
    const over = await file(bucket, "new.bin", {
      method: "PUT",
      body: bytes.subarray(0, 100),
      headers: { "Content-Type": "application/octet-stream", "Content-Length": "100" },
      env: again.env,
    });
    expect(over.status).toBe(200);
    expect(again.log.map((e) => e.via)).toEqual(["batch", "run"]);
    expect(again.log[1].sql[0]).toMatch(/^delete from ["`]blobs["`]/i);
    expect(again.log.flatMap((e) => e.sql).filter((s) => USAGE_TABLES.test(s))).toEqual([]);
    expect(again.sent.map((e) => [e.requests, e.downloadBytes])).toEqual([[1, 0]]);
    // The bucket totals moved inside that same batch: no extra statement for object_count.
    const index = await indexOf(bucket);
    const totals = await index.d1.prepare("SELECT stored_bytes, object_count FROM buckets WHERE id = ?").bind(index.id).first();
    expect(totals).toEqual({ stored_bytes: 100, object_count: 1 });
  });

  it("multipart: UploadPart makes one D1 statement before its bytes; Finish publishes and closes the upload in one batch", async () => {
    const bucket = await newBucket("private", uniqueName("org"));
    const init = await file(bucket, "mp.bin", { method: "POST", query: "uploads" });
    expect(init.status).toBe(200);
    const { UploadId } = (await init.json()) as { UploadId: string };

    const part = instrumented();
    const res = await file(bucket, "mp.bin", {
      method: "PUT",
      query: `uploadId=${UploadId}&partNumber=0`,
      body: bytes,
      headers: { "Content-Type": "application/octet-stream", "Content-Length": String(bytes.byteLength) },
      env: part.env,
    });
    expect(res.status).toBe(200);
    // Before the bytes: the upload and the part-size rule in one read; after: the part recorded in one batch.
    expect(part.log.map((e) => e.via)).toEqual(["raw", "batch"]);
    expect(part.log[0].sql[0]).toMatch(/from ["`]uploads["`]/i);
    expect(part.log[0].sql[0]).toMatch(/from ["`]upload_parts["`]/i);

    const finish = instrumented();
    const done = await file(bucket, "mp.bin", { method: "POST", query: `uploadId=${UploadId}`, body: res.headers.get("ETag")!, env: finish.env });
    expect(done.status).toBe(200);
    // The upload touched and its parts read in one batch; the object published and the upload's
    // rows removed in one more: no window with both, or neither.
    expect(finish.log.map((e) => e.via)).toEqual(["batch", "batch"]);
    const publish = finish.log[1].sql;
    expect(publish.some((q) => /^\s*insert into ["`]objects["`]/i.test(q))).toBe(true);
    expect(publish.some((q) => /^\s*delete from ["`]uploads["`]/i.test(q))).toBe(true);
    expect(await (await file(bucket, "mp.bin")).arrayBuffer()).toEqual(bytes.buffer);
    expect((await file(bucket, "mp.bin", { method: "POST", query: `uploadId=${UploadId}`, body: res.headers.get("ETag")! })).status).toBe(404);
  });

  it("a listing page and an object read cost the rows they return, however large the bucket", async () => {
    const bucket = await newBucket("private", uniqueName("org"));
    const index = await indexOf(bucket);
    // 3,000 rows straight into the bucket's shard, 30 "directories" d00/ … d29/ of 100 keys each,
    // all on one blob row that counts them, with the bucket's totals to match.
    const ROWS = 3000;
    await index.d1.batch([
      index.d1
        .prepare(
          `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS - 1})
           INSERT INTO objects (bucket_id, key, blob_id, size, etag, mime, storage_class, created_at, modified_at)
           SELECT ?1, printf('d%02d/k%04d', i / 100, i), ?2, 1, 'seeded', 'text/plain', 'STANDARD', 0, 0 FROM n`,
        )
        .bind(index.id, `seed-${index.id}`),
      index.d1.prepare("INSERT INTO blobs (id, bucket_id, size, etag, refcount, created_at) VALUES (?, ?, 1, 'seeded', ?, 0)").bind(`seed-${index.id}`, index.id, ROWS),
      index.d1.prepare("UPDATE buckets SET stored_bytes = stored_bytes + ?1, object_count = object_count + ?1 WHERE id = ?2").bind(ROWS, index.id),
    ]);

    /** Rows the index statements of one request read (D1's `rows_read`, each logged read run again). */
    const rowsRead = async (query: string, key = "", method = "GET") => {
      const run = instrumented();
      const res = await file(bucket, key, { method, query, signedKey: query ? "" : key, env: run.env });
      expect(res.status).toBe(200);
      let rows = 0;
      for (const e of run.log) {
        expect(e.via).not.toBe("batch");
        const again = await index.d1.prepare(e.sql[0]).bind(...e.values!).all();
        rows += again.meta.rows_read;
      }
      return { rows, queries: run.log.length, body: method === "HEAD" ? null : ((await res.json()) as Record<string, unknown>) };
    };

    // A page of 10 after a marker deep in the bucket reads about 10 rows, not the keys before the marker.
    const deep = await rowsRead("listobjects&marker=d25%2Fk2550&max-keys=10");
    expect((deep.body!.Contents as { Key: string }[]).map((c) => c.Key)).toEqual(Array.from({ length: 10 }, (_, i) => `d25/k${2551 + i}`));
    expect(deep.rows).toBeLessThanOrEqual(12);
    const prefixed = await rowsRead("list&prefix=d2&marker=d27%2Fk2790&limit=10");
    expect((prefixed.body!.DataSet as { FileName: string }[])[0].FileName).toBe("d27/k2791");
    expect(prefixed.rows).toBeLessThanOrEqual(12);
    // With a delimiter each common prefix costs one seek past it, which reads at most the rows the
    // page still wants (11 here), not the 100 keys under the prefix it skips.
    const dirs = await rowsRead("listobjects&marker=d05%2F&delimiter=%2F&max-keys=10");
    expect((dirs.body!.CommonPrefixes as { Prefix: string }[]).map((c) => c.Prefix)).toEqual(Array.from({ length: 10 }, (_, i) => `d${String(6 + i).padStart(2, "0")}/`));
    expect(dirs.rows).toBeLessThanOrEqual(11 * dirs.queries);
    // HEAD of one key: one row.
    expect((await rowsRead("", "d17/k1777", "HEAD")).rows).toBe(1);
  });
});

/** Each round trip as `<database> <verb> <table>`, a batch's statements joined by ` + `. Identifiers come quoted "…" (Drizzle) or `…` (store/db.ts precompiled statements). */
const shapes = (log: Executed[]) =>
  log.map((e) => {
    const statements = e.sql.map((q) => {
      const m = /^\s*(?:(select)\b.*?\bfrom|(insert)\s+into|(delete)\s+from|(update))\s+["`]?(\w+)/is.exec(q);
      return m ? `${(m[1] ?? m[2] ?? m[3] ?? m[4]).toLowerCase()} ${m[5]}` : q.slice(0, 40);
    });
    return `${e.db} ${statements.join(" + ")}`;
  });

describe("D1 statements per DeleteBucket", () => {
  /** DeleteBucket of `bucket` through the control plane, every statement on every shard logged. */
  async function deleteLogged(bucket: string) {
    const run = instrumented();
    const res = await callWithEnv(run.env, `${API}/?${toQuery(await signControl({ Action: "DeleteBucket", BucketName: bucket }))}`);
    return { retCode: ((await res.json()) as { RetCode: number }).RetCode, shapes: shapes(run.log) };
  }
  const [[FIRST], [SECOND]] = shards();
  /** Aborting the deleted bucket's open uploads on its home shard (store/uploads.ts), after the deletion. */
  const abortUploads = (shard: string) => `${shard} update buckets + delete upload_parts + delete uploads`;

  it("a bucket never split: its row (and anchor) deleted by guarded statements on its own shard and DB only, nothing read about ranges or moves", async () => {
    const onControl = await bucketOn(FIRST);
    const ids = [(await indexOf(onControl)).id];
    expect(await deleteLogged(onControl)).toEqual({
      retCode: 0,
      shapes: [
        `${FIRST} select buckets`, // the control plane's lookup
        `${FIRST} delete buckets`, // one statement: only while no object and no range row of it exist
        abortUploads(FIRST),
      ],
    });
    const onIndex = await bucketOn(SECOND);
    ids.push((await indexOf(onIndex)).id);
    expect(await deleteLogged(onIndex)).toEqual({
      retCode: 0,
      shapes: [
        `${FIRST} select buckets`,
        `${SECOND} delete buckets`, // the anchor, only while the shard holds no object of it
        `${FIRST} delete buckets`, // the control row, only while it has no range row
        abortUploads(SECOND),
      ],
    });
    for (const [, d1] of shards()) for (const id of ids) expect(await d1.prepare("SELECT 1 AS x FROM buckets WHERE id = ?").bind(id).first()).toBeNull();
  });

  it("a split bucket: refused while a move is unfinished, from the read that finds it split; else its anchors, then the control row with its range rows in one batch, then its move records on every shard", async () => {
    const bucket = await bucketOn(FIRST);
    const { id } = await indexOf(bucket);
    const now = Math.floor(Date.now() / 1000);
    await startMove(database(env.DB), id, "m", SECOND);
    await advanceMove(env, id, "m", now, 0); // fenced, not switched
    // Not known to be split in this isolate (a move forgets the cached ranges): the short path's guarded
    // delete changes nothing, and one read says why: the row is there, with its ranges, one moving.
    expect(await deleteLogged(bucket)).toEqual({
      retCode: -90022,
      shapes: [`${FIRST} select buckets`, `${FIRST} delete buckets`, `${FIRST} select buckets`],
    });
    const switched = await advanceMove(env, id, "m", now, 5);
    expect((await advanceMove(env, id, "m", switched.drainAfter!, 5)).drainShard).toBeNull();
    // Known to be split (a read of the bucket cached its ranges): its ranges read afresh, once.
    expect((await file(bucket, "absent", { method: "HEAD" })).status).toBe(404);
    expect(await deleteLogged(bucket)).toEqual({
      retCode: 0,
      shapes: [
        `${FIRST} select buckets`,
        `${FIRST} select bucket_ranges`,
        `${SECOND} delete buckets`, // the anchor of the range's shard, only while it holds no object of the bucket
        `${FIRST} delete buckets + delete bucket_ranges`, // the control row, only while no move is unfinished; the range rows once it is gone
        // A shard a range left keeps its fence, and no range row names it: every shard is swept.
        `${FIRST} delete range_fences + delete range_arrivals`,
        `${SECOND} delete range_fences + delete range_arrivals`,
        abortUploads(FIRST),
      ],
    });
  });
});
