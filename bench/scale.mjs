#!/usr/bin/env node
// `npm run bench:scale [-- --max-objects N --seconds S]`: the index-shard figures of issue 21
// (docs/design.md §9), written to bench/results.json under `scale` and to bench/results.md "Scale".
// Not run in CI. Three parts:
//
// - engines: a point read and a publish transaction through local D1 and through a SQLite Durable
//   Object, in one workerd (bench/lib/engines.mjs). The D1 publish time is the service time below.
// - scale.throughput: PutFile 4 KiB into 64 buckets placed over n = 1, 4, 16 shards by edgefile's own
//   rule (fewest objects, then fewest buckets), 4 writers per bucket, closed loop, through
//   bench/lib/d1-model.js `serialDatabase`: each shard runs one query at a time, for the measured
//   service time. A PutFile is one batch on its bucket's shard (the bucket lookup is cached; the R2 put
//   does not queue on the database and is left out).
// - scale.index: one bucket's index seeded directly into a local D1 database's SQLite file (node:sqlite,
//   the real migrations), 10,000 up to --max-objects rows; then HEAD's and GET's object read (the
//   precompiled point select of store/objects.ts, on random keys) and a listing page (100 keys after a
//   random marker, the query of listObjects) timed through the D1 binding inside workerd, p50 of each.
// - scale.geo: three modeled regions, each with its own shard (primary there) and D1 read replicas
//   everywhere; clients in each region. PutFile = one round trip to the bucket's shard primary plus its
//   service time; GET/HEAD = one round trip to the nearest replica plus the read service time. A
//   region's local round trip, the yardstick of both, is one read query to a database in the region.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { unstable_splitSqlQuery } from "wrangler";
import { serialDatabase } from "./lib/d1-model.js";
import { measureEngines } from "./lib/engines.mjs";

const requireFromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler"));
const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = requireFromWrangler("miniflare");

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const MAX_OBJECTS = arg("max-objects", 10_000_000);
const SECONDS = arg("seconds", 4);
const SAMPLES = arg("samples", 300);
const TMP = "bench/.tmp/scale";

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const p50 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, digits = 2) => Number(x.toFixed(digits));

// ── throughput ────────────────────────────────────────────────────────────────────────────────

/** edgefile's placement rule (src/store/buckets.ts chooseShard): fewest objects, then fewest buckets, then the first. */
function place(buckets, shards) {
  const fill = Array.from({ length: shards }, () => ({ objects: 0, buckets: 0 }));
  return Array.from({ length: buckets }, () => {
    let best = 0;
    for (let s = 1; s < shards; s++) if (fill[s].objects < fill[best].objects || (fill[s].objects === fill[best].objects && fill[s].buckets < fill[best].buckets)) best = s;
    fill[best].buckets++;
    return best;
  });
}

async function throughput(shards, serviceMs, seconds) {
  const dbs = Array.from({ length: shards }, () => serialDatabase(serviceMs));
  const placement = place(64, shards);
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const writer = async (bucket) => {
    while (performance.now() < end) {
      await dbs[placement[bucket]].query();
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(placement.flatMap((_, b) => [writer(b), writer(b), writer(b), writer(b)]));
  return done / ((performance.now() - t0) / 1000);
}

// ── index size ────────────────────────────────────────────────────────────────────────────────

const BUCKET = "oss-scale1";
const keyOf = (i) => `photos/${((i * 2654435761) >>> 0).toString(16).padStart(8, "0")}/${i}.jpg`;

const MEASURE = `
const HEAD = 'select "bucket_id", "key", "blob_id", "size", "etag", "s3_etag", "mime", "storage_class", "user_meta", "http_headers", "created_at", "modified_at", "restore_ready_at", "restore_expires_at", "acl", "tags" from "objects" where ("objects"."bucket_id" = ? and "objects"."key" = ?)';
const LIST = 'select * from "objects" where ("objects"."bucket_id" = ? and "objects"."key" >= ? and "objects"."key" > ?) order by "objects"."key" asc limit ?';
const keyOf = ${keyOf.toString()};
export default {
  async fetch(request, env) {
    const u = new URL(request.url);
    if (u.pathname === "/sql") {
      const statements = await request.json();
      for (const s of statements) await env.INDEX.prepare(s).run();
      return new Response("ok");
    }
    const n = Number(u.searchParams.get("n")), samples = Number(u.searchParams.get("samples"));
    const pick = () => keyOf(Math.floor(Math.random() * n));
    const timed = async (f) => { const out = []; for (let i = 0; i < samples; i++) { const t0 = performance.now(); const row = await f(); out.push(performance.now() - t0); if (!row) throw new Error("missing row"); } return out; };
    const head = await timed(() => env.INDEX.prepare(HEAD).bind("${BUCKET}", pick()).raw().then((r) => r[0]));
    const get = await timed(() => env.INDEX.prepare(HEAD).bind("${BUCKET}", pick()).raw().then((r) => r[0]));
    const list = await timed(() => env.INDEX.prepare(LIST).bind("${BUCKET}", "", pick(), 100).all().then((r) => r.results[0] ?? { end: true }));
    return Response.json({ head, get, list });
  },
};`;

async function withIndexWorker(run) {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script: MEASURE,
      compatibilityDate: "2026-10-01",
      d1Databases: { INDEX: "scale-index" },
      resourcePersistencePath: join(TMP, "state"),
      cf: false,
      log: new Log(LogLevel.WARN),
    }),
  );
  try {
    await mf.ready;
    return await run(mf);
  } finally {
    await mf.dispose();
  }
}

/** The local D1 database's SQLite file under the persistence directory. */
function sqliteFile() {
  const files = readdirSync(join(TMP, "state"), { recursive: true })
    .map(String)
    .filter((f) => f.includes("D1DatabaseObject") && f.endsWith(".sqlite") && !f.endsWith("metadata.sqlite"));
  if (files.length !== 1) throw new Error(`expected one D1 file under ${TMP}/state, found ${files.join(", ") || "none"}`);
  return join(TMP, "state", files[0]);
}

/** Adds rows [from, to) to the bucket, straight into the SQLite file (the Worker is not running). */
function seed(from, to) {
  const db = new DatabaseSync(sqliteFile());
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -400000");
  const object = db.prepare(
    "INSERT INTO objects (bucket_id, key, blob_id, size, etag, s3_etag, mime, storage_class, user_meta, http_headers, created_at, modified_at) VALUES (?, ?, ?, 4096, ?, '', 'image/jpeg', 'STANDARD', '{}', '{}', 1764547200, 1764547200)",
  );
  const blob = db.prepare("INSERT INTO blobs (id, bucket_id, size, etag, refcount, created_at) VALUES (?, ?, 4096, ?, 1, 1764547200)");
  const CHUNK = 50_000;
  for (let start = from; start < to; start += CHUNK) {
    db.exec("BEGIN");
    for (let i = start; i < Math.min(to, start + CHUNK); i++) {
      const id = `blob-${i.toString(36).padStart(8, "0")}`;
      const etag = `FvpzVqNRFZ1CrDYPwPJKSHlSjTqo${i.toString(36).padStart(8, "0")}`;
      blob.run(id, BUCKET, etag);
      object.run(BUCKET, keyOf(i), id, etag);
    }
    db.exec("COMMIT");
  }
  db.prepare("UPDATE buckets SET object_count = ?, stored_bytes = ? WHERE id = ?").run(to, to * 4096, BUCKET);
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
}

async function indexScaling(maxObjects, samples) {
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });
  const migrations = readdirSync("schema/migrations").filter((f) => f.endsWith(".sql")).sort();
  const statements = migrations.flatMap((f) => unstable_splitSqlQuery(readFileSync(join("schema/migrations", f), "utf8").replaceAll("--> statement-breakpoint", "")));
  statements.push(`INSERT INTO buckets (id, name, project_id, region, type, created_at, modified_at, shard) VALUES ('${BUCKET}', '${BUCKET}', 'org-bench', 'cn-bj', 'private', 0, 0, 'INDEX_1')`);
  await withIndexWorker(async (mf) => (await mf.dispatchFetch("http://index/sql", { method: "POST", body: JSON.stringify(statements) })).text());
  const sizes = [];
  for (let n = 10_000; n <= maxObjects; n *= 10) sizes.push(n);
  const out = [];
  let seeded = 0;
  for (const n of sizes) {
    const t0 = Date.now();
    seed(seeded, n);
    seeded = n;
    const seedSeconds = (Date.now() - t0) / 1000;
    const r = await withIndexWorker(async (mf) => {
      await (await mf.dispatchFetch(`http://index/?n=${n}&samples=${Math.min(50, samples)}`)).json(); // warm the page cache
      return (await mf.dispatchFetch(`http://index/?n=${n}&samples=${samples}`)).json();
    });
    const row = { objects: n, headP50Ms: round(p50(r.head), 3), getP50Ms: round(p50(r.get), 3), listP50Ms: round(p50(r.list), 3) };
    console.log(`scale.index ${JSON.stringify(row)} (seeded in ${seedSeconds.toFixed(0)} s)`);
    out.push(row);
  }
  const fileBytes = readFileSync(sqliteFile()).byteLength;
  rmSync(TMP, { recursive: true, force: true });
  return { rows: out, bytesPerObject: round(fileBytes / seeded, 0) };
}

// ── geo ───────────────────────────────────────────────────────────────────────────────────────

/** Modeled one-way-and-back round trips, ms: within a region, and between the three. */
const REGIONS = ["cn-bj", "us-ca", "eu-de"];
const LOCAL_RTT_MS = 5;
const RTT_MS = { "cn-bj|us-ca": 170, "cn-bj|eu-de": 220, "us-ca|eu-de": 150 };
const rtt = (a, b) => (a === b ? LOCAL_RTT_MS : RTT_MS[[a, b].sort((x, y) => REGIONS.indexOf(x) - REGIONS.indexOf(y)).join("|")]);

async function geo(writeServiceMs, readServiceMs, samples) {
  // One shard per region (its primary there), replicas in every region; 2 buckets per region.
  const primaries = Object.fromEntries(REGIONS.map((r) => [r, serialDatabase(writeServiceMs)]));
  const replicas = Object.fromEntries(REGIONS.map((r) => [r, serialDatabase(readServiceMs)]));
  // A region's local round trip: one query to a database in the region (the network there plus a read's service time).
  const localRoundTrip = LOCAL_RTT_MS + readServiceMs;
  const rows = [];
  for (const client of REGIONS) {
    for (const bucketRegion of REGIONS) {
      const put = [];
      const read = [];
      for (let i = 0; i < samples; i++) {
        let t0 = performance.now();
        await sleep(rtt(client, bucketRegion));
        await primaries[bucketRegion].query();
        put.push(performance.now() - t0);
        t0 = performance.now();
        await sleep(rtt(client, client)); // the nearest replica of the bucket's shard is in the client's region
        await replicas[client].query();
        read.push(performance.now() - t0);
      }
      rows.push({ clientRegion: client, bucketRegion, localRoundTripMs: round(localRoundTrip), putP50Ms: round(p50(put)), getHeadP50Ms: round(p50(read)) });
    }
  }
  return rows;
}

// ── run ───────────────────────────────────────────────────────────────────────────────────────

const started = Date.now();
console.log("engines: point read and publish, local D1 vs SQLite Durable Object …");
const engines = await measureEngines(300);
console.log(`engines ${JSON.stringify(engines)}`);
const serviceMs = engines.d1Publish;
const readServiceMs = engines.d1Read;

const tp = [];
for (const shards of [1, 4, 16]) {
  const writesPerSec = round(await throughput(shards, serviceMs, SECONDS), 1);
  console.log(`scale.throughput shards=${shards} writesPerSec=${writesPerSec}`);
  tp.push({ shards, writesPerSec });
}
const geoRows = await geo(serviceMs, readServiceMs, 21);
for (const r of geoRows) console.log(`scale.geo ${JSON.stringify(r)}`);
const index = await indexScaling(MAX_OBJECTS, SAMPLES);

const command = `npm run bench:scale${process.argv.length > 2 ? " -- " + process.argv.slice(2).join(" ") : ""}`;
const scale = {
  info: {
    command,
    date: new Date().toISOString(),
    minutes: round((Date.now() - started) / 60000),
    serviceTimeMs: { d1Publish: round(serviceMs, 3), d1Read: round(readServiceMs, 3), measuredBy: "bench/lib/engines.mjs, local workerd" },
    engines: Object.fromEntries(Object.entries(engines).map(([k, v]) => [k, round(v, 3)])),
    indexBytesPerObject: index.bytesPerObject,
    bucketsInThroughput: 64,
    writersPerBucket: 4,
    geoModel: { regions: REGIONS, localRttMs: LOCAL_RTT_MS, rttMs: RTT_MS },
  },
  throughput: tp,
  index: index.rows,
  geo: geoRows,
};
const results = JSON.parse(readFileSync("bench/results.json", "utf8"));
results.scale = scale;
writeFileSync("bench/results.json", JSON.stringify(results, null, 1) + "\n");

const first = index.rows[0];
const last = index.rows[index.rows.length - 1];
const ratio = (a, b) => (a / b).toFixed(2);
const md = `## Scale (index shards)

\`${command}\`, ${scale.info.date.slice(0, 10)}, ${scale.info.minutes} min, on the shared 2-core machine (figures are
from one run; see bench/scale.mjs for the method). \`bench/results.json\` \`scale\` holds every figure.

**Engines** (bench/lib/engines.mjs, mean ms per operation, ${300} sequential operations, timed inside the Worker, local workerd):
point read ${round(engines.d1Read)} (D1) / ${round(engines.doRead)} (DO stub) / ${round(engines.doReadInside, 3)} (inside the DO);
publish transaction ${round(engines.d1Publish)} (D1) / ${round(engines.doPublish)} (DO). Local D1 runs on Miniflare's own
simulation layer, so these say little about production latency; the D1 publish time is the service time of the model below.

**Throughput** (PutFile 4 KiB, 64 buckets, 4 writers each, each shard one query at a time for ${round(serviceMs)} ms):

| Shards | Writes/s | × one shard |
|---:|---:|---:|
${tp.map((r) => `| ${r.shards} | ${r.writesPerSec} | ${ratio(r.writesPerSec, tp[0].writesPerSec)} |`).join("\n")}

**Index size** (one bucket, seeded into one shard's SQLite file, ${index.bytesPerObject} bytes per object row with its indexes and blob row; p50 ms through the D1 binding, ${SAMPLES} samples each):

| Objects | HEAD p50 | GET p50 | List p50 (100 keys) |
|---:|---:|---:|---:|
${index.rows.map((r) => `| ${r.objects.toLocaleString("en")} | ${r.headP50Ms} | ${r.getP50Ms} | ${r.listP50Ms} |`).join("\n")}

At ${last.objects.toLocaleString("en")} against ${first.objects.toLocaleString("en")}: HEAD ${ratio(last.headP50Ms, first.headP50Ms)}×, GET ${ratio(last.getP50Ms, first.getP50Ms)}×, list ${ratio(last.listP50Ms, first.listP50Ms)}×.

**Geo** (modeled: a shard per region with its primary there, D1 read replicas in every region, ${LOCAL_RTT_MS} ms within a region,
${Object.entries(RTT_MS).map(([k, v]) => `${k.replace("|", "↔")} ${v} ms`).join(", ")}):

| Client | Bucket | PutFile p50 | GET/HEAD p50 | Local round trip |
|---|---|---:|---:|---:|
${geoRows.map((r) => `| ${r.clientRegion} | ${r.bucketRegion} | ${r.putP50Ms} | ${r.getHeadP50Ms} | ${r.localRoundTripMs} |`).join("\n")}
`;
const resultsMd = readFileSync("bench/results.md", "utf8");
const at = resultsMd.indexOf("## Scale (index shards)");
writeFileSync("bench/results.md", (at < 0 ? resultsMd.trimEnd() + "\n\n" : resultsMd.slice(0, at)) + md);
console.log(md);
