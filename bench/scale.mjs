#!/usr/bin/env node
// `npm run bench:scale [-- --max-objects N --seconds S --samples N --rounds N --index-only]`: the index-shard figures of issue 21
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
// - scale.index: one bucket split into two key ranges on two shards (INDEX_1, INDEX_2), its rows
//   seeded directly into the shards' local D1 SQLite files (node:sqlite, the real migrations, sorted
//   bulk transactions), 10,000 up to --max-objects rows. Each size is kept as a copy; then every
//   size is measured in the same interleaved rounds: HEAD's and GET's object read (the point select
//   of store/objects.ts, on random keys, on the key's range's shard) and a listing page (100 keys
//   after a random marker, listObjects' query, going on into the next range at a range's end),
//   timed through the D1 bindings inside workerd, p50 of each.
// - scale.geo: three modeled regions, each with its own shard (primary there) and D1 read replicas
//   everywhere; clients in each region. PutFile = one round trip to the bucket's shard primary plus its
//   service time; GET/HEAD = one round trip to the nearest replica plus the read service time. A
//   region's local round trip, the yardstick of both, is one read query to a database in the region.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { unstable_splitSqlQuery } from "wrangler";
import { serialDatabase } from "./lib/d1-model.js";
import { measureEngines } from "./lib/engines.mjs";
import { SCALE_HEADING } from "./lib/report.mjs";

const requireFromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler"));
const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = requireFromWrangler("miniflare");

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const MAX_OBJECTS = arg("max-objects", 10_000_000);
const SECONDS = arg("seconds", 4);
const SAMPLES = arg("samples", 400);
const ROUNDS = arg("rounds", 10);
const GEO_SAMPLES = 51;
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
//
// One bucket whose key space is split into two ranges on two shards (INDEX_1 holds keys before
// SPLIT_KEY, INDEX_2 the rest), with its bucket row and range rows in the control database `DB`
// and an anchor row on each shard (src/store/shards.ts, ranges.ts). Keys are spread uniformly by a
// hash, so neither the key order nor the ranges follow the order rows were added in.

const BUCKET = "oss-scale1";
const SHARDS = ["INDEX_1", "INDEX_2"];
const SPLIT_KEY = "photos/80000000";
const hashOf = (i) => ((i * 2654435761) >>> 0).toString(16).padStart(8, "0");
const keyOf = (i) => `photos/${hashOf(i)}/${i}.jpg`;
/** The range of a key: its index in SHARDS (keys before SPLIT_KEY on the first). */
const rangeOf = (key) => (key < SPLIT_KEY ? 0 : 1);
/** Queries per timed sample (workerd's clock has a resolution of 1 ms). */
const PER_SAMPLE = 10;

// The Worker that times the index statements through the D1 bindings. Its SQL is what
// src/store/objects.ts sends (getObject's precompiled select; listObjects with one lower bound: a
// marker after the prefix), selecting every column of `objects` as Drizzle's select() does, on the
// shard of the key's range; a page that reaches the end of a range goes on in the next one, as a
// listing over ranges does.
const measureScript = (select) => `
const HEAD = 'select ${select} from "objects" where ("objects"."bucket_id" = ? and "objects"."key" = ?)';
const LIST_AFTER = 'select ${select} from "objects" where ("objects"."bucket_id" = ? and "objects"."key" > ? and "objects"."key" < ?) order by "objects"."key" asc limit ?';
const LIST_FROM = 'select ${select} from "objects" where ("objects"."bucket_id" = ? and "objects"."key" >= ? and "objects"."key" < ?) order by "objects"."key" asc limit ?';
const SHARDS = ${JSON.stringify(SHARDS)};
const SPLIT_KEY = ${JSON.stringify(SPLIT_KEY)};
const hashOf = ${hashOf.toString()};
const keyOf = ${keyOf.toString()};
const UPPER = "photos0"; // prefixUpperBound("photos/")
const PER_SAMPLE = ${PER_SAMPLE};
export default {
  async fetch(request, env) {
    const u = new URL(request.url);
    if (u.pathname === "/sql") {
      const { binding, statements } = await request.json();
      for (const s of statements) await env[binding].prepare(s).run();
      return new Response("ok");
    }
    const n = Number(u.searchParams.get("n")), samples = Number(u.searchParams.get("samples"));
    const pick = () => keyOf(Math.floor(Math.random() * n));
    const ranges = await rangesOf(env);
    const rangeAt = (key) => ranges.findLastIndex((r) => r.start <= key);
    const point = (key) => env[ranges[rangeAt(key)].shard].prepare(HEAD).bind("${BUCKET}", key);
    /** A listing page of 100 keys after \`marker\`, going on into the next ranges; with the rows SQLite read for it. */
    const page = async (marker) => {
      let r = rangeAt(marker);
      const first = await env[ranges[r].shard].prepare(LIST_AFTER).bind("${BUCKET}", marker, ranges[r].end ?? UPPER, 100).all();
      const rows = first.results;
      let read = first.meta.rows_read;
      while (rows.length < 100 && ++r < ranges.length) {
        const next = await env[ranges[r].shard].prepare(LIST_FROM).bind("${BUCKET}", ranges[r].start, ranges[r].end ?? UPPER, 100 - rows.length).all();
        rows.push(...next.results);
        read += next.meta.rows_read;
      }
      return { rows, read };
    };
    // workerd's clock moves in whole milliseconds: a sample is the mean of PER_SAMPLE queries in a row.
    const timed = async (f) => {
      const out = [];
      for (let i = 0; i < samples; i++) {
        const keys = Array.from({ length: PER_SAMPLE }, pick);
        const t0 = performance.now();
        for (const key of keys) if (!(await f(key))) throw new Error("missing row " + key);
        out.push((performance.now() - t0) / PER_SAMPLE);
      }
      return out;
    };
    if (u.searchParams.has("rows")) {
      // Rows SQLite read (D1's meta.rows_read) per HEAD and per listing page: what the plans cost, free of timing noise.
      let head = 0, list = 0;
      for (let i = 0; i < samples; i++) {
        const key = pick();
        head += (await point(key).all()).meta.rows_read;
        list += (await page(key)).read;
      }
      return Response.json({ head: head / samples, list: list / samples, ranges });
    }
    const read = (key) => point(key).raw().then((r) => r[0]);
    const head = await timed(read);
    const get = await timed(read);
    const list = await timed((key) => page(key).then((p) => p.rows[0] ?? { end: true }));
    return Response.json({ head, get, list });
  },
};

/**
 * The bucket's ranges, as the control database's range table holds them (read once, as an isolate
 * caches them), or the bench's own two when the schema has no range table.
 */
let cachedRanges;
async function rangesOf(env) {
  if (cachedRanges) return cachedRanges;
  let rows = [];
  try {
    rows = (await env.DB.prepare("SELECT start_key AS start, shard FROM bucket_ranges WHERE bucket_id = ? ORDER BY start_key").bind("${BUCKET}").all()).results;
  } catch {}
  if (rows.length === 0) rows = SHARDS.map((shard, i) => ({ start: i === 0 ? "" : SPLIT_KEY, shard }));
  return (cachedRanges = rows.map((r, i) => ({ start: r.start, end: rows[i + 1]?.start ?? null, shard: r.shard })));
}`;

/** A Miniflare running the measuring Worker (selecting `select`) over the databases persisted under `dir`. */
async function indexWorker(dir, select = '"key"') {
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      script: measureScript(select),
      compatibilityDate: "2026-10-01",
      d1Databases: Object.fromEntries(["DB", ...SHARDS].map((b) => [b, `scale-${b.toLowerCase()}`])),
      resourcePersistencePath: dir,
      cf: false,
      log: new Log(LogLevel.WARN),
    }),
  );
  await mf.ready;
  return mf;
}

const sql = async (mf, binding, statements) => {
  const res = await mf.dispatchFetch("http://index/sql", { method: "POST", body: JSON.stringify({ binding, statements }) });
  if (!res.ok) throw new Error(`${binding}: ${await res.text()}`);
};

/** Each binding's SQLite file: the one whose marker row (written by `createIndex`) names it. */
function sqliteFiles(dir) {
  const files = readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.includes("D1DatabaseObject") && f.endsWith(".sqlite") && !f.endsWith("metadata.sqlite"))
    .map((f) => join(dir, f));
  const byBinding = {};
  for (const file of files) {
    const db = new DatabaseSync(file, { readOnly: true });
    const row = db.prepare("SELECT name FROM buckets WHERE id = 'bench-marker'").get();
    db.close();
    if (row) byBinding[row.name] = file;
  }
  for (const b of ["DB", ...SHARDS]) if (!byBinding[b]) throw new Error(`no SQLite file for ${b} under ${dir}`);
  return byBinding;
}

/**
 * The control database and both shards, through the real migrations; the bucket row in the
 * control database with its two ranges (when the schema has the range table), an anchor row on
 * each shard.
 */
async function createIndex(dir) {
  const migrations = readdirSync("schema/migrations").filter((f) => f.endsWith(".sql")).sort();
  const statements = migrations.flatMap((f) => unstable_splitSqlQuery(readFileSync(join("schema/migrations", f), "utf8").replaceAll("--> statement-breakpoint", "")));
  const row = (id, name, shard) => `INSERT INTO buckets (id, name, project_id, region, type, created_at, modified_at, shard) VALUES ('${id}', '${name}', 'org-bench', 'cn-bj', 'private', 0, 0, '${shard}')`;
  const mf = await indexWorker(dir);
  try {
    for (const b of ["DB", ...SHARDS]) {
      // A marker row names each database, so that its SQLite file can be found (sqliteFiles).
      const own = b === "DB" ? row(BUCKET, BUCKET, SHARDS[0]) : row(BUCKET, BUCKET, b);
      await sql(mf, b, [...statements, own, row("bench-marker", b, b)]);
    }
    const ranges = statements.some((s) => /CREATE TABLE `bucket_ranges`/.test(s));
    if (ranges) await sql(mf, "DB", SHARDS.map((shard, i) => `INSERT INTO bucket_ranges (bucket_id, start_key, shard) VALUES ('${BUCKET}', '${i === 0 ? "" : SPLIT_KEY}', '${shard}')`));
    return { rangeTable: ranges };
  } finally {
    await mf.dispose();
  }
}

/**
 * Adds keys [from, to) to the bucket, straight into the shards' SQLite files (the Worker is not
 * running): each shard's rows in key order, in transactions of 200,000, with the bucket's anchor
 * totals. Blob ids and ETags follow the key's hash, so that every index of the two tables grows
 * by sorted runs too. Synchronous writes are off for the seed only.
 */
function seed(files, from, to) {
  const perShard = SHARDS.map(() => []);
  for (let i = from; i < to; i++) perShard[rangeOf(keyOf(i))].push((BigInt(parseInt(hashOf(i), 16)) << 32n) | BigInt(i));
  SHARDS.forEach((shard, s) => {
    const order = BigUint64Array.from(perShard[s]).sort();
    const db = new DatabaseSync(files[shard]);
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -1000000; PRAGMA temp_store = MEMORY");
    const object = db.prepare(
      "INSERT INTO objects (bucket_id, key, blob_id, size, etag, s3_etag, mime, storage_class, user_meta, http_headers, created_at, modified_at) VALUES (?, ?, ?, 4096, ?, ?, 'image/jpeg', 'STANDARD', '{}', '{}', 1764547200, 1764547200)",
    );
    const blob = db.prepare("INSERT INTO blobs (id, bucket_id, size, etag, refcount, created_at) VALUES (?, ?, 4096, ?, 1, 1764547200)");
    const TX = 200_000;
    for (let start = 0; start < order.length; start += TX) {
      db.exec("BEGIN");
      for (const packed of order.subarray(start, start + TX)) {
        const i = Number(packed & 0xffffffffn);
        const h = hashOf(i);
        const id = `b${h}${i.toString(36).padStart(5, "0")}`;
        const etag = `Fv${h}${i.toString(36).padStart(5, "0")}QNRFZ1CrDYPwPJKSHlSjTq`;
        blob.run(id, BUCKET, etag);
        object.run(BUCKET, keyOf(i), id, etag, `${h}${i.toString(16).padStart(24, "0")}`);
      }
      db.exec("COMMIT");
    }
    db.prepare("UPDATE buckets SET object_count = object_count + ?, stored_bytes = stored_bytes + ? WHERE id = ?").run(order.length, order.length * 4096, BUCKET);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    db.close();
  });
}

/** p50 of HEAD, GET and a listing page at each size; sizes measured in interleaved rounds. */
async function indexScaling(maxObjects, samples, rounds) {
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });
  const live = join(TMP, "state");
  const { rangeTable } = await createIndex(live);
  const files = sqliteFiles(live);
  const schema = new DatabaseSync(files[SHARDS[0]], { readOnly: true });
  const select = schema.prepare("SELECT name FROM pragma_table_info('objects') ORDER BY cid").all().map((c) => `"${c.name}"`).join(", ");
  schema.close();
  const sizes = [];
  for (let n = 10_000; n <= maxObjects; n *= 10) sizes.push(n);
  const dirs = [];
  const seedSeconds = {};
  let seeded = 0;
  for (const n of sizes) {
    const t0 = Date.now();
    seed(files, seeded, n);
    seeded = n;
    seedSeconds[n] = round((Date.now() - t0) / 1000, 1);
    console.log(`scale.index seeded ${n.toLocaleString("en")} objects in ${seedSeconds[n]} s`);
    // Each smaller size is kept as a copy, so that every size is measured in the same rounds.
    if (n === sizes[sizes.length - 1]) dirs.push(live);
    else {
      const copy = join(TMP, `at-${n}`);
      cpSync(live, copy, { recursive: true });
      dirs.push(copy);
    }
  }
  const bytes = Object.values(files).reduce((sum, f) => sum + statSync(f).size, 0);
  const workers = [];
  for (const dir of dirs) workers.push(await indexWorker(dir, select));
  const times = sizes.map(() => ({ head: [], get: [], list: [] }));
  const rowsRead = {};
  let ranges;
  try {
    for (const [i, mf] of workers.entries()) {
      await (await mf.dispatchFetch(`http://index/?n=${sizes[i]}&samples=30`)).json(); // warm up
      const { ranges: read, ...rows } = await (await mf.dispatchFetch(`http://index/?n=${sizes[i]}&samples=200&rows`)).json();
      rowsRead[sizes[i]] = rows;
      ranges = read;
      console.log(`scale.index rows read at ${sizes[i].toLocaleString("en")}: ${JSON.stringify(rowsRead[sizes[i]])}`);
    }
    // Round r measures every size in turn (in an order rotated by r), so load on the shared machine
    // falls on all sizes alike.
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < sizes.length; k++) {
        const i = (k + r) % sizes.length;
        const out = await (await workers[i].dispatchFetch(`http://index/?n=${sizes[i]}&samples=${Math.ceil(samples / rounds)}`)).json();
        for (const f of ["head", "get", "list"]) times[i][f].push(...out[f]);
      }
    }
  } finally {
    for (const mf of workers) await mf.dispose();
  }
  const rows = sizes.map((n, i) => ({ objects: n, headP50Ms: round(p50(times[i].head), 3), getP50Ms: round(p50(times[i].get), 3), listP50Ms: round(p50(times[i].list), 3) }));
  for (const row of rows) console.log(`scale.index ${JSON.stringify(row)}`);
  rmSync(TMP, { recursive: true, force: true });
  return { rows, bytesPerObject: round(bytes / seeded, 0), seedSeconds, rangeTable, rowsRead, ranges };
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
  // A region's local round trip: one read query to a database in the region (the network there plus a
  // read's service time), timed with the same timers as the figures it is the yardstick of, in the same loop.
  const locals = Object.fromEntries(REGIONS.map((r) => [r, serialDatabase(readServiceMs)]));
  const timed = async (ms, db) => {
    const t0 = performance.now();
    await sleep(ms);
    await db.query();
    return performance.now() - t0;
  };
  const rows = [];
  for (const client of REGIONS) {
    for (const bucketRegion of REGIONS) {
      const put = [];
      const read = [];
      const local = [];
      for (let i = 0; i < samples; i++) {
        put.push(await timed(rtt(client, bucketRegion), primaries[bucketRegion]));
        // The nearest replica of the bucket's shard is in the client's region.
        read.push(await timed(rtt(client, client), replicas[client]));
        local.push(await timed(LOCAL_RTT_MS, locals[client]));
      }
      rows.push({ clientRegion: client, bucketRegion, localRoundTripMs: round(p50(local)), putP50Ms: round(p50(put)), getHeadP50Ms: round(p50(read)) });
    }
  }
  return rows;
}

// ── run ───────────────────────────────────────────────────────────────────────────────────────

const started = Date.now();
const loadBefore = os.loadavg();
if (process.argv.includes("--index-only")) {
  // Development runs of the index part alone: printed, nothing recorded.
  console.log(JSON.stringify(await indexScaling(MAX_OBJECTS, SAMPLES, ROUNDS), null, 1));
  process.exit(0);
}
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
const geoRows = await geo(serviceMs, readServiceMs, GEO_SAMPLES);
for (const r of geoRows) console.log(`scale.geo ${JSON.stringify(r)}`);
const index = await indexScaling(MAX_OBJECTS, SAMPLES, ROUNDS);

const command = `npm run bench:scale${process.argv.length > 2 ? " -- " + process.argv.slice(2).join(" ") : ""}`;
const scale = {
  info: {
    command,
    date: new Date().toISOString(),
    minutes: round((Date.now() - started) / 60000),
    serviceTimeMs: { d1Publish: round(serviceMs, 3), d1Read: round(readServiceMs, 3), measuredBy: "bench/lib/engines.mjs, local workerd" },
    engines: Object.fromEntries(Object.entries(engines).map(([k, v]) => [k, round(v, 3)])),
    indexBytesPerObject: index.bytesPerObject,
    indexSeedSeconds: index.seedSeconds,
    indexRowsRead: index.rowsRead,
    indexRanges: { ranges: index.ranges, inRangeTable: index.rangeTable },
    indexSamples: { perFigure: SAMPLES, rounds: ROUNDS },
    machineLoad: { before: loadBefore.map((x) => round(x)), after: os.loadavg().map((x) => round(x)), cores: os.cpus().length },
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
const inRegion = geoRows.filter((r) => r.clientRegion === r.bucketRegion);
const last = index.rows[index.rows.length - 1];
const ratio = (a, b) => (a / b).toFixed(2);
const md = `${SCALE_HEADING}

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

**Index size** (one bucket in two key ranges on two shards, ${SHARDS.join(" and ")}, split at \`${SPLIT_KEY}\`${index.rangeTable ? " (rows in the control database's range table)" : ""};
seeded straight into the shards' SQLite files, ${index.bytesPerObject} bytes per object with its indexes and blob row; p50 ms through the D1 bindings
inside workerd, ${SAMPLES} samples per figure, each the mean of ${PER_SAMPLE} queries in a row on random keys (workerd's clock moves in whole ms),
every size measured in the same ${ROUNDS} interleaved rounds; load average ${scale.info.machineLoad.before[0]} before, ${scale.info.machineLoad.after[0]} after, on ${scale.info.machineLoad.cores} cores):

| Objects | HEAD p50 | GET p50 | List p50 (100 keys) |
|---:|---:|---:|---:|
${index.rows.map((r) => `| ${r.objects.toLocaleString("en")} | ${r.headP50Ms} | ${r.getP50Ms} | ${r.listP50Ms} |`).join("\n")}

At ${last.objects.toLocaleString("en")} against ${first.objects.toLocaleString("en")}: HEAD ${ratio(last.headP50Ms, first.headP50Ms)}×, GET ${ratio(last.getP50Ms, first.getP50Ms)}×, list ${ratio(last.listP50Ms, first.listP50Ms)}× (target ≤ 1.2×).
Rows SQLite read (D1's \`rows_read\`, mean of 200): ${index.rows.map((r) => `${r.objects.toLocaleString("en")}: HEAD ${index.rowsRead[r.objects].head}, list page ${index.rowsRead[r.objects].list}`).join("; ")}.

**Geo** (modeled: a shard per region with its primary there, D1 read replicas in every region, ${LOCAL_RTT_MS} ms within a region,
${Object.entries(RTT_MS).map(([k, v]) => `${k.replace("|", "↔")} ${v} ms`).join(", ")}; ${GEO_SAMPLES} samples per cell, the local round trip timed in the same loop):

| Client | Bucket | PutFile p50 | GET/HEAD p50 | Local round trip |
|---|---|---:|---:|---:|
${geoRows.map((r) => `| ${r.clientRegion} | ${r.bucketRegion} | ${r.putP50Ms} | ${r.getHeadP50Ms} | ${r.localRoundTripMs} |`).join("\n")}

**Targets:** 16 shards ${ratio(tp[tp.length - 1].writesPerSec, tp[0].writesPerSec)}× one shard (≥ 12×);
index at ${last.objects.toLocaleString("en")} ÷ at ${first.objects.toLocaleString("en")}: HEAD ${ratio(last.headP50Ms, first.headP50Ms)}, GET ${ratio(last.getP50Ms, first.getP50Ms)}, list ${ratio(last.listP50Ms, first.listP50Ms)} (≤ 1.2 each);
in-region PutFile ÷ local round trip at most ${Math.max(...inRegion.map((r) => r.putP50Ms / r.localRoundTripMs)).toFixed(2)} (≤ 1.2);
GET/HEAD ÷ local round trip at most ${Math.max(...geoRows.map((r) => r.getHeadP50Ms / r.localRoundTripMs)).toFixed(2)} anywhere (one replica round trip: the model makes both the same
trip, so what differs is timer noise on this machine).
`;
const resultsMd = readFileSync("bench/results.md", "utf8");
const at = resultsMd.indexOf(SCALE_HEADING);
writeFileSync("bench/results.md", (at < 0 ? resultsMd.trimEnd() + "\n\n" : resultsMd.slice(0, at)) + md);
console.log(md);
