import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { forgetBucket } from "../src/store/buckets";
import { BOOKMARK_HEADER, forgetBookmarks } from "../src/store/sessions";
import { presignUrl } from "../src/s3/sigv4";
import { API, bucketOn, callWithEnv, file, newBucket, PRIVATE_KEY, PUBLIC_KEY, signControl, toQuery, uniqueName } from "./helpers";

/**
 * D1 read replicas (store/sessions.ts): reads through a session never show a writer an older
 * version than the one it wrote.
 *
 * Local D1 has no replicas, so this test builds one: a second D1 database (REPLICA in
 * test/vitest.config.ts) that holds a copy of the primary's rows as of its last `replicate()`,
 * and a D1 binding whose sessions behave as D1's do — a read goes to the replica when the replica
 * is at least as new as the session's bookmark (the one it was opened with, or from its own
 * queries), otherwise to the primary; writes and `first-primary` first queries go to the primary.
 * The stale replica is real: without a bookmark, a read does see the old version (the control case).
 */

const READ = /^\s*select\b/i;
const TABLES = ["buckets", "quotas", "objects"];

const newer = (a: string, b: string | null) => (b && a.localeCompare(b) < 0 ? b : a);

async function primaryBookmark(db: D1Database): Promise<string> {
  const s = db.withSession("first-primary");
  await s.prepare("SELECT 1").first();
  return s.getBookmark()!;
}

function laggingD1(primary: D1Database, replica: D1Database) {
  let replicaAt = "";
  const opened: string[] = [];
  const served = { replica: 0, primary: 0 };

  function session(constraint: string) {
    opened.push(constraint);
    const real = primary.withSession(constraint);
    let first = constraint === "first-primary";
    let needs = constraint.startsWith("first-") ? "" : constraint;
    const toReplica = (sqls: string[]) => !first && sqls.every((q) => READ.test(q)) && needs.localeCompare(replicaAt) <= 0;
    const after = () => {
      first = false;
      needs = newer(needs, real.getBookmark());
    };
    const statement = (sql: string, args: unknown[] = []) => ({
      sql,
      args,
      bind: (...values: unknown[]) => statement(sql, values),
      on: (db: D1Database | D1DatabaseSession) => db.prepare(sql).bind(...args),
      async exec<T>(method: "first" | "all" | "run" | "raw", extra?: unknown): Promise<T> {
        const where = toReplica([sql]) ? "replica" : "primary";
        served[where]++;
        const stmt = this.on(where === "replica" ? replica : real) as unknown as Record<string, (x?: unknown) => Promise<T>>;
        const out = await stmt[method](extra);
        if (where === "primary") after();
        else first = false;
        return out;
      },
      first(column?: string) {
        return this.exec("first", column);
      },
      all() {
        return this.exec("all");
      },
      run() {
        return this.exec("run");
      },
      raw(options?: unknown) {
        return this.exec("raw", options);
      },
    });
    type S = ReturnType<typeof statement>;
    return {
      prepare: (sql: string) => statement(sql),
      async batch(statements: S[]) {
        const where = toReplica(statements.map((s) => s.sql)) ? "replica" : "primary";
        served[where]++;
        const out = await (where === "replica" ? replica : real).batch(statements.map((s) => s.on(where === "replica" ? replica : real)));
        if (where === "primary") after();
        return out;
      },
      getBookmark: () => real.getBookmark(),
    };
  }

  return {
    d1: new Proxy(primary, {
      get: (target, prop) => (prop === "withSession" ? session : Reflect.get(target, prop)),
    }) as D1Database,
    opened,
    served,
    /** Copies the primary's rows into the replica: it is now as new as the primary. */
    async replicate() {
      for (const table of TABLES) {
        const { results } = await primary.prepare(`SELECT * FROM ${table}`).all<Record<string, unknown>>();
        await replica.prepare(`DELETE FROM ${table}`).run();
        for (const row of results) {
          const cols = Object.keys(row);
          await replica.prepare(`INSERT INTO ${table} (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`).bind(...Object.values(row)).run();
        }
      }
      replicaAt = await primaryBookmark(primary);
    },
  };
}

const text = (s: string) => ({ method: "PUT", body: s, headers: { "Content-Type": "text/plain" } });

describe("reads through D1 read replicas (sessions with bookmarks)", () => {
  let lag: ReturnType<typeof laggingD1>;
  let bucket: string;
  beforeAll(async () => {
    await applyD1Migrations(env.REPLICA, env.TEST_MIGRATIONS);
  });
  beforeEach(async () => {
    lag = laggingD1(env.DB, env.REPLICA);
    bucket = await newBucket();
    forgetBookmarks();
  });
  const get = (key: string, headers: Record<string, string> = {}, method = "GET") => {
    forgetBucket(bucket); // the bucket lookup goes through the session too
    return file(bucket, key, { method, headers, env: { DB: lag.d1 } });
  };

  it("a writer reads the version it wrote, although the replica still holds the previous one", async () => {
    const first = await file(bucket, "k.txt", { ...text("version 1"), env: { DB: lag.d1 } });
    expect(first.status).toBe(200);
    await lag.replicate();
    const write = await file(bucket, "k.txt", { ...text("version 2"), env: { DB: lag.d1 } });
    expect(write.status).toBe(200);
    const written = write.headers.get(BOOKMARK_HEADER)!;
    expect(written).toMatch(/^[0-9a-f]+(-[0-9a-f]+)+$/);
    expect(lag.opened.at(-1)).toBe("first-primary"); // a write's session starts at the primary

    // This isolate kept the bucket's bookmark: the read's session starts from it, so D1 may not
    // answer from the stale replica.
    const read = await get("k.txt");
    expect(read.status).toBe(200);
    expect(await read.text()).toBe("version 2");
    expect(lag.opened.at(-1)!.localeCompare(written)).toBeGreaterThanOrEqual(0);
    const head = await get("k.txt", {}, "HEAD");
    expect(head.headers.get("ETag")).toBe(write.headers.get("ETag"));

    // Control case, a new isolate: no bookmark, so the lagging replica answers, with version 1's row.
    forgetBookmarks();
    const stale = await get("k.txt", {}, "HEAD");
    expect(stale.headers.get("ETag")).toBe(first.headers.get("ETag"));
    expect(lag.opened.at(-1)).toBe("first-unconstrained");
    // A GET of that stale row finds its blob released by version 2's write, and re-reads the row
    // at the primary: it never fails, and never serves bytes of a version already replaced.
    const staleGet = await get("k.txt");
    expect(staleGet.status).toBe(200);
    expect(await staleGet.text()).toBe("version 2");

    // A client that echoes the bookmark reads its write in any isolate.
    const echoed = await get("k.txt", { [BOOKMARK_HEADER]: written });
    expect(await echoed.text()).toBe("version 2");

    // Once the replica has caught up, reads with the bookmark are served by the replica.
    await lag.replicate();
    const before = lag.served.replica;
    expect(await (await get("k.txt", { [BOOKMARK_HEADER]: written })).text()).toBe("version 2");
    expect(lag.served.replica).toBeGreaterThan(before);
  });

  it("a deletion is never undone by a stale replica for its writer", async () => {
    expect((await file(bucket, "gone.txt", { ...text("here"), env: { DB: lag.d1 } })).status).toBe(200);
    await lag.replicate();
    expect((await file(bucket, "gone.txt", { method: "DELETE", env: { DB: lag.d1 } })).status).toBe(204);
    expect((await get("gone.txt")).status).toBe(404);
    expect((await get("gone.txt", {}, "HEAD")).status).toBe(404);
  });

  it("writes act on the primary's state, never on a stale replica's", async () => {
    expect((await file(bucket, "a.txt", { ...text("v1"), env: { DB: lag.d1 } })).status).toBe(200);
    await lag.replicate();
    expect((await file(bucket, "a.txt", { ...text("v2"), env: { DB: lag.d1 } })).status).toBe(200);
    forgetBookmarks(); // even in an isolate that never saw the write
    const rename = await file(bucket, "a.txt", { method: "PUT", query: "rename&newFileName=b.txt", env: { DB: lag.d1 } });
    expect(rename.status).toBe(200);
    expect(await (await get("b.txt", { [BOOKMARK_HEADER]: rename.headers.get(BOOKMARK_HEADER)! })).text()).toBe("v2");
  });

  it("ignores a malformed client bookmark", async () => {
    expect((await file(bucket, "m.txt", { ...text("m"), env: { DB: lag.d1 } })).status).toBe(200);
    const res = await get("m.txt", { [BOOKMARK_HEADER]: "not a bookmark'; --" });
    expect(res.status).toBe(200);
    expect(lag.opened.at(-1)!.localeCompare(res.headers.get(BOOKMARK_HEADER)!)).toBeLessThanOrEqual(0);
  });

  it("a read opens a session only on the databases it queries, and hands back the client's bookmark for the others", async () => {
    const b = await bucketOn("INDEX_1");
    expect((await file(b, "w.txt", text("w"))).status).toBe(200);
    expect((await file(b, "w.txt", { method: "HEAD" })).status).toBe(200); // the bucket row is now cached
    const opened: string[] = [];
    const watched = (name: string, d1: D1Database) =>
      new Proxy(d1, {
        get(target, prop) {
          if (prop === "withSession") return (constraint?: string) => (opened.push(name), target.withSession(constraint));
          const value: unknown = Reflect.get(target, prop);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    const controlBookmark = await primaryBookmark(env.DB);
    const head = await file(b, "w.txt", { method: "HEAD", headers: { [BOOKMARK_HEADER]: controlBookmark }, env: { DB: watched("DB", env.DB), INDEX_1: watched("INDEX_1", env.INDEX_1!) } });
    expect(head.status).toBe(200);
    // The object row is on the bucket's shard; the bucket row came from the isolate's cache.
    expect(opened).toEqual(["INDEX_1"]);
    const entries = head.headers.get(BOOKMARK_HEADER)!.split(",");
    expect(entries[0]).toBe(controlBookmark);
    expect(entries.slice(1)).toEqual([expect.stringMatching(/^INDEX_1=[0-9a-f]+(-[0-9a-f]+)+$/)]);

    // A cold bucket cache: the bucket row is read from the control database, which then opens too.
    forgetBucket(b);
    opened.length = 0;
    expect((await file(b, "w.txt", { method: "HEAD", env: { DB: watched("DB", env.DB), INDEX_1: watched("INDEX_1", env.INDEX_1!) } })).status).toBe(200);
    expect(opened).toEqual(["DB", "INDEX_1"]);
  });

  it("the S3 front reads through the same sessions: replicas for GET, HEAD and listings, read-your-writes by the kept or echoed bookmark", async () => {
    const keys = { accessKeyId: PUBLIC_KEY, secret: PRIVATE_KEY };
    const s3 = async (method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}) => {
      if (method === "GET" || method === "HEAD") forgetBucket(bucket); // the bucket lookup goes through the session too
      return callWithEnv({ DB: lag.d1 }, await presignUrl(method, `http://localhost/${bucket}${path}`, keys), { method, ...init });
    };
    const first = await s3("PUT", "/k.txt", { body: "version 1" });
    expect(first.status).toBe(200);
    await lag.replicate();
    const write = await s3("PUT", "/k.txt", { body: "version 2" });
    expect(write.status).toBe(200);
    const written = write.headers.get(BOOKMARK_HEADER)!;
    expect(written).toMatch(/^[0-9a-f]+(-[0-9a-f]+)+$/);
    expect(lag.opened.at(-1)).toBe("first-primary"); // a write's session starts at the primary

    // This isolate kept the bucket's bookmark: GET, HEAD and a listing start from it.
    const read = await s3("GET", "/k.txt");
    expect(await read.text()).toBe("version 2");
    expect(lag.opened.at(-1)!.localeCompare(written)).toBeGreaterThanOrEqual(0);
    expect((await s3("HEAD", "/k.txt")).headers.get("ETag")).toBe(write.headers.get("ETag"));
    expect(lag.opened.at(-1)!.localeCompare(written)).toBeGreaterThanOrEqual(0);
    const listed = await s3("GET", "?list-type=2");
    expect(await listed.text()).toContain(`<Size>${"version 2".length}</Size>`);
    expect(lag.opened.at(-1)!.localeCompare(written)).toBeGreaterThanOrEqual(0);

    // A new isolate without the bookmark: the lagging replica answers, with version 1's row.
    forgetBookmarks();
    const stale = await s3("HEAD", "/k.txt");
    expect(lag.opened.at(-1)).toBe("first-unconstrained");
    expect(stale.headers.get("ETag")).toBe(first.headers.get("ETag"));

    // A client that echoes the bookmark reads its write in any isolate; once the replica has caught
    // up, the replica serves it.
    expect((await s3("HEAD", "/k.txt", { headers: { [BOOKMARK_HEADER]: written } })).headers.get("ETag")).toBe(write.headers.get("ETag"));
    await lag.replicate();
    const before = lag.served.replica;
    expect(await (await s3("GET", "/k.txt", { headers: { [BOOKMARK_HEADER]: written } })).text()).toBe("version 2");
    expect(lag.served.replica).toBeGreaterThan(before);
  });

  const ctl = async (params: Record<string, string>) => {
    const res = await callWithEnv({ DB: lag.d1 }, `${API}/?${toQuery(await signControl(params))}`);
    return (await res.json()) as Record<string, any>;
  };

  it("a UFile CreateBucket and DeleteBucket keep their bookmark account-wide: the isolate's next DescribeBucket without a name lists the change", async () => {
    const listed = async () => ((await ctl({ Action: "DescribeBucket", Limit: "1000" })).DataSet as { BucketName: string }[]).map((b) => b.BucketName);
    const name = uniqueName("acct");
    await lag.replicate();
    expect((await ctl({ Action: "CreateBucket", BucketName: name })).RetCode).toBe(0);
    const created = lag.opened.length;
    expect(await listed()).toContain(name);
    expect(lag.opened[created]).not.toBe("first-unconstrained"); // the listing started from the kept bookmark
    // The control case: a new isolate without the bookmark reads the lagging replica, which has no such bucket.
    forgetBookmarks();
    expect(await listed()).not.toContain(name);

    await lag.replicate();
    expect((await ctl({ Action: "DeleteBucket", BucketName: name })).RetCode).toBe(0);
    expect(await listed()).not.toContain(name);
    forgetBookmarks();
    expect(await listed()).toContain(name);
  });

  it("DescribeBucket naming its bucket by the alias Name reads from the bucket's kept bookmark, as with BucketName", async () => {
    await lag.replicate();
    expect((await ctl({ Action: "UpdateBucket", BucketName: bucket, Type: "public" })).RetCode).toBe(0);
    for (const param of ["BucketName", "Name"]) {
      forgetBucket(bucket);
      expect((await ctl({ Action: "DescribeBucket", [param]: bucket })).DataSet[0].Type, param).toBe("public");
    }
    // The control case: without the bookmark the lagging replica still has the bucket private.
    forgetBookmarks();
    forgetBucket(bucket);
    expect((await ctl({ Action: "DescribeBucket", Name: bucket })).DataSet[0].Type).toBe("private");
  });
});
