// The two candidate index engines of docs/design.md "Scale-out", measured side by side in one local
// workerd (Miniflare): a D1 database (what an `INDEX_*` shard is) and a SQLite-backed Durable Object
// (the alternative). Each runs the object index's hot statements on the same table: a HEAD/GET point
// read by (bucket, key), and a PutFile publish (an object upsert, a blob row, the bucket counters, in
// one transaction). Timed inside the Worker, so the figure is the engine's local service time plus
// its local call overhead, without HTTP. Local figures only: production adds the network round trip
// to wherever the database or object lives, which is what the geo model of bench/scale.mjs adds.
import { createRequire } from "node:module";

const requireFromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler"));
const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = requireFromWrangler("miniflare");

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS buckets (id TEXT PRIMARY KEY, stored_bytes INTEGER NOT NULL DEFAULT 0, object_count INTEGER NOT NULL DEFAULT 0)",
  "CREATE TABLE IF NOT EXISTS objects (bucket_id TEXT NOT NULL, key TEXT NOT NULL, blob_id TEXT NOT NULL, size INTEGER NOT NULL, etag TEXT NOT NULL, PRIMARY KEY (bucket_id, key))",
  "CREATE TABLE IF NOT EXISTS blobs (id TEXT PRIMARY KEY, size INTEGER NOT NULL, refcount INTEGER NOT NULL)",
];
const READ = "SELECT * FROM objects WHERE bucket_id = ? AND key = ?";
const PUBLISH = [
  "UPDATE buckets SET stored_bytes = stored_bytes + ?, object_count = object_count + 1 WHERE id = ?",
  "INSERT INTO objects (bucket_id, key, blob_id, size, etag) VALUES (?, ?, ?, ?, ?) ON CONFLICT (bucket_id, key) DO UPDATE SET blob_id = excluded.blob_id, size = excluded.size",
  "INSERT INTO blobs (id, size, refcount) VALUES (?, ?, 1)",
];

const SCRIPT = `
import { DurableObject } from "cloudflare:workers";
const SCHEMA = ${JSON.stringify(SCHEMA)};
const READ = ${JSON.stringify(READ)};
const PUBLISH = ${JSON.stringify(PUBLISH)};
const args = (i) => [[4096, "b"], ["b", "k" + i, "blob" + i, 4096, "e"], ["blob" + i, 4096]];

export class Index extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    for (const s of SCHEMA) ctx.storage.sql.exec(s);
    ctx.storage.sql.exec("INSERT OR IGNORE INTO buckets (id) VALUES ('b')");
  }
  read(key) {
    return this.ctx.storage.sql.exec(READ, "b", key).toArray()[0] ?? null;
  }
  publish(i) {
    this.ctx.storage.transactionSync(() => PUBLISH.forEach((s, n) => this.ctx.storage.sql.exec(s, ...args(i)[n])));
  }
  /** n reads inside the object: the engine alone, without the Worker-to-object call. */
  readLoop(n) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) this.read("k" + (i % 100));
    return performance.now() - t0;
  }
}

export default {
  async fetch(request, env) {
    const n = Number(new URL(request.url).searchParams.get("n"));
    for (const s of SCHEMA) await env.DB.prepare(s).run();
    await env.DB.prepare("INSERT OR IGNORE INTO buckets (id) VALUES ('b')").run();
    const stub = env.INDEX.get(env.INDEX.idFromName("shard"));
    const timed = async (f) => { const t0 = Date.now(); for (let i = 0; i < n; i++) await f(i); return (Date.now() - t0) / n; };
    const base = 1_000_000 * Math.floor(Math.random() * 1000);
    const d1Publish = await timed((i) => env.DB.batch(PUBLISH.map((s, k) => env.DB.prepare(s).bind(...args(base + i)[k]))));
    const doPublish = await timed((i) => stub.publish(base + i));
    const d1Read = await timed((i) => env.DB.prepare(READ).bind("b", "k" + (base + (i % 100))).first());
    const doRead = await timed((i) => stub.read("k" + (base + (i % 100))));
    const doReadInside = (await stub.readLoop(n)) / n;
    return Response.json({ d1Read, doRead, doReadInside, d1Publish, doPublish });
  },
};
`;

/** Mean ms per operation of each engine, over `n` sequential operations each (one warm-up pass first). */
export async function measureEngines(n = 300) {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script: SCRIPT,
      compatibilityDate: "2026-10-01",
      d1Databases: ["DB"],
      durableObjects: { INDEX: { className: "Index", useSQLite: true } },
      cf: false, // placeholder Request.cf: never fetched from the network
      log: new Log(LogLevel.WARN),
    }),
  );
  try {
    await (await mf.dispatchFetch(`http://engines/?n=${Math.min(n, 50)}`)).json(); // warm-up
    return await (await mf.dispatchFetch(`http://engines/?n=${n}`)).json();
  } finally {
    await mf.dispose();
  }
}
