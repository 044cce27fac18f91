// What the bench runs: setup (buckets, seed objects, the 100 000-key bucket) and the workloads.
// edgefile and the baseline get byte-identical requests (the baseline ignores the signature);
// s3rver gets the same operations as S3 requests.
import { createHash, randomBytes } from "node:crypto";
import { closedLoop, controlRequest, newAgent, s3Request, send, ufileRequest } from "./load.mjs";
import { sampleMemory } from "./memory.mjs";

export const BUCKET = "bench";
export const LIST_BUCKET = "benchlist";
export const PUBLIC_BUCKET = "benchpub"; // anonymous reads, for the diagnostics
const OCTET = "application/octet-stream";
const SEEDS = 16; // objects per size that GET/HEAD cycle through
const KiB = 1024;
const MiB = 1024 * KiB;

const SIZES = { "4k": 4 * KiB, "1m": MiB };
export const bodies = Object.fromEntries(Object.entries(SIZES).map(([name, size]) => [name, randomBytes(size)]));
export const seedKey = (size, i) => `get/${size}/${i % SEEDS}`;

function expectOk(res, what) {
  if (res.status !== 200) throw new Error(`${what}: HTTP ${res.status} ${res.text}`);
  return res;
}

async function createBucket(port, agent, name, type = "private") {
  const res = await send(agent, port, controlRequest({ Action: "CreateBucket", BucketName: name, Type: type }), true);
  const body = JSON.parse(res.text);
  if (res.status !== 200 || body.RetCode !== 0) throw new Error(`CreateBucket ${name}: ${res.status} ${res.text}`);
  return body;
}

/** Buckets and seed objects through edgefile's own API; the GET seeds also into s3rver when it runs. */
export async function seed({ edgefilePort, s3rverPort }) {
  const agent = newAgent(4);
  for (const name of [BUCKET, LIST_BUCKET]) await createBucket(edgefilePort, agent, name);
  await createBucket(edgefilePort, agent, PUBLIC_BUCKET, "public");
  for (const [size, body] of Object.entries(bodies)) {
    for (let i = 0; i < SEEDS; i++) {
      const key = seedKey(size, i);
      expectOk(await send(agent, edgefilePort, ufileRequest("PUT", BUCKET, key, { contentType: OCTET, body })), "seed PutFile");
      if (s3rverPort) expectOk(await send(agent, s3rverPort, s3Request("PUT", BUCKET, key, { contentType: OCTET, body })), "seed s3rver PUT");
      if (size === "4k") expectOk(await send(agent, edgefilePort, ufileRequest("PUT", PUBLIC_BUCKET, key, { contentType: OCTET, body })), "seed public");
    }
  }
  agent.destroy();
}

/** The id of the bench bucket (DescribeBucket). */
export async function benchBucketId(port) {
  const agent = newAgent(1);
  const res = await send(agent, port, controlRequest({ Action: "DescribeBucket", BucketName: BUCKET }), true);
  agent.destroy();
  return JSON.parse(res.text).DataSet[0].BucketId;
}

/**
 * The listing bucket: one real 4 KiB object put through edgefile, then `count` index rows
 * pointing at its blob, inserted by one recursive INSERT … SELECT straight into local D1 (a
 * listing only reads D1). Refcount and byte total are kept consistent.
 */
export async function fillListBucket({ edgefilePort, db }, count) {
  const agent = newAgent(1);
  expectOk(await send(agent, edgefilePort, ufileRequest("PUT", LIST_BUCKET, "seed", { contentType: OCTET, body: bodies["4k"] })), "list seed");
  agent.destroy();
  const row = await db
    .prepare("SELECT o.bucket_id, o.blob_id, o.etag, o.size FROM objects o JOIN buckets b ON b.id = o.bucket_id WHERE b.name = ? AND o.key = 'seed'")
    .bind(LIST_BUCKET)
    .first();
  if (!row) throw new Error(`the ${LIST_BUCKET} bucket's seed object is not in DB: the bench's buckets must be placed on DB (servers.mjs)`);
  const now = Math.floor(Date.now() / 1000);
  await db.batch([
    db
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?1)
         INSERT INTO objects (bucket_id, key, blob_id, size, etag, mime, storage_class, user_meta, created_at, modified_at)
         SELECT ?2, printf('file-%06d', i), ?3, ?4, ?5, '${OCTET}', 'STANDARD', '{}', ?6, ?6 FROM n`,
      )
      .bind(count, row.bucket_id, row.blob_id, row.size, row.etag, now),
    db.prepare("UPDATE blobs SET refcount = refcount + ?1 WHERE id = ?2").bind(count, row.blob_id),
    db.prepare("UPDATE buckets SET stored_bytes = stored_bytes + ?1 * ?2 WHERE id = ?3").bind(count, row.size, row.bucket_id),
  ]);
  const { n } = await db.prepare("SELECT COUNT(*) AS n FROM objects WHERE bucket_id = ?").bind(row.bucket_id).first();
  return n;
}

/**
 * The closed-loop workloads. `target`: the ratio edgefile ÷ baseline must reach (issue 14; GetFile
 * 1 MiB keeps the earlier 0.8; null: none set). `build[kind](worker, seq, who)` makes one request; `who` names the target
 * ("edgefile" | "baseline") so PUTs of each go to their own keys. `minSeconds`: the shortest measured
 * window for a workload of few requests a second, so that each window still holds enough of them.
 */
export function smallWorkloads({ listKeys }) {
  const put = (size) => ({
    ufile: (w, _seq, who) => ufileRequest("PUT", BUCKET, `put/${who}/${size}/${w}`, { contentType: OCTET, body: bodies[size] }),
    s3: (w) => s3Request("PUT", BUCKET, `put/s3rver/${size}/${w}`, { contentType: OCTET, body: bodies[size] }),
  });
  // `floor`: the request for the baseline doing the API's work besides storage (bench/baseline/worker.js
  // `x-bench-headers: protocol`, DescribeBucketWithProtocol; `npm run bench:floor`).
  const get = (size, method = "GET") => ({
    ufile: (w, seq) => ufileRequest(method, BUCKET, seedKey(size, w + seq)),
    s3: (w, seq) => s3Request(method, BUCKET, seedKey(size, w + seq)),
    floor: (w, seq) => {
      const request = ufileRequest(method, BUCKET, seedKey(size, w + seq));
      request.headers["x-bench-headers"] = "protocol";
      return request;
    },
  });
  // Pages of 1 000 keys starting at a different marker each time, always with ≥ 1 000 keys after it.
  const pages = Math.max(1, listKeys - 1000);
  const list = {
    ufile: (w, seq) => {
      const marker = `file-${String((w * 7919 + seq * 104729) % pages).padStart(6, "0")}`;
      return ufileRequest("GET", LIST_BUCKET, "", { query: `list&prefix=file-&marker=${marker}&limit=1000` });
    },
  };
  const describe = {
    ufile: () => controlRequest({ Action: "DescribeBucket", BucketName: BUCKET }),
    floor: () => controlRequest({ Action: "DescribeBucketWithProtocol", BucketName: BUCKET }),
  };
  return [
    { id: "put-4k", label: "PutFile 4 KiB", target: 0.85, build: put("4k") },
    { id: "put-1m", label: "PutFile 1 MiB", target: 0.9, build: put("1m"), minSeconds: 1.5 },
    { id: "get-4k", label: "GetFile 4 KiB", target: 0.92, build: get("4k") },
    { id: "get-1m", label: "GetFile 1 MiB", target: 0.8, build: get("1m"), minSeconds: 1.5 },
    { id: "head-4k", label: "HEAD 4 KiB", target: 0.92, build: get("4k", "HEAD") },
    { id: "list-1000", label: `PrefixFileList 1000 of ${listKeys}`, target: null, build: list, minSeconds: 1.5 },
    { id: "describe-bucket", label: "DescribeBucket (control)", target: 0.92, build: describe },
  ];
}

/** One closed-loop run of a workload against one target. */
export function runSmall(workload, target, { concurrency, durationMs, warmupMs }) {
  const kind = target.name === "s3rver" ? "s3" : "ufile";
  const build = workload.build[kind];
  return closedLoop({ port: target.port, cpuPid: target.pid, concurrency, durationMs, warmupMs, build: (w, seq) => build(w, seq, target.name) });
}

/**
 * Multipart upload of `totalBytes` in 8 MiB parts, `concurrency` parts in flight: Initiate, the
 * parts (each worker takes the next part number), Finish with the comma-joined part ETags.
 */
export async function runMultipart(port, who, { totalBytes, concurrency }) {
  const partSize = 8 * MiB;
  const chunk = randomBytes(MiB);
  const key = `multipart/${who}`;
  const agent = newAgent(concurrency);
  const t0 = performance.now();
  const init = expectOk(await send(agent, port, ufileRequest("POST", BUCKET, key, { query: "uploads" }), true), "Initiate");
  const { UploadId, BlkSize } = JSON.parse(init.text);
  if (BlkSize !== partSize) throw new Error(`BlkSize ${BlkSize}, expected ${partSize}`);
  const count = Math.ceil(totalBytes / partSize);
  const etags = new Array(count);
  const partMs = [];
  let next = 0;
  const worker = async () => {
    for (let n = next++; n < count; n = next++) {
      const size = Math.min(partSize, totalBytes - n * partSize);
      const p0 = performance.now();
      const req = ufileRequest("PUT", BUCKET, key, { query: `uploadId=${UploadId}&partNumber=${n}`, contentType: OCTET, size, body: { size, chunk } });
      const res = expectOk(await send(agent, port, req), `UploadPart ${n}`);
      partMs.push(performance.now() - p0);
      etags[n] = res.headers.etag;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const body = Buffer.from(etags.join(","));
  const fin = await send(agent, port, ufileRequest("POST", BUCKET, key, { query: `uploadId=${UploadId}`, contentType: "text/plain", body }));
  expectOk(fin, "Finish");
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  partMs.sort((a, b) => a - b);
  return { seconds, mibps: totalBytes / MiB / seconds, partP50: partMs[Math.floor(partMs.length / 2)], parts: count };
}

/**
 * One `size`-byte PutFile streamed from a repeated 1 MiB chunk, or a GetFile of it read and
 * counted, while memory is sampled (memory.mjs). `pipe` picks a diagnostic body path of the baseline.
 */
export async function largeTransfer(port, who, op, size, pid, heap, pipe) {
  const key = `large/${who}`;
  const chunk = randomBytes(MiB);
  const req =
    op === "get" ? ufileRequest("GET", BUCKET, key) : ufileRequest("PUT", BUCKET, key, { contentType: OCTET, size, body: { size, chunk } });
  if (pipe) req.headers["x-bench-pipe"] = pipe; // the baseline's diagnostic body paths (bench/baseline/worker.js)
  const agent = newAgent(1);
  try {
    const m = await sampleMemory(pid, heap, async () => {
      const t0 = performance.now();
      const res = expectOk(await send(agent, port, req), `${op} ${size} bytes`);
      if (op === "get" && res.bytes !== size) throw new Error(`GetFile returned ${res.bytes} of ${size} bytes`);
      return (performance.now() - t0) / 1000;
    });
    const out = { seconds: m.result, mibps: size / MiB / m.result, ...m };
    if (heap) {
      await heap.collectGarbage();
      out.heapAfter = await heap.usage();
    }
    if (pipe && op === "put") out.intact = await intact(agent, port, key, size, chunk);
    return out;
  } finally {
    agent.destroy();
  }
}

/** Reads the object back and compares its SHA-1 with that of the bytes sent (`size` bytes of `chunk` repeated). */
async function intact(agent, port, key, size, chunk) {
  const sent = createHash("sha1");
  for (let n = 0; n < size; n += chunk.length) sent.update(size - n >= chunk.length ? chunk : chunk.subarray(0, size - n));
  const got = createHash("sha1");
  const res = await send(agent, port, ufileRequest("GET", BUCKET, key), false, (c) => got.update(c));
  return res.status === 200 && res.bytes === size && got.digest("hex") === sent.digest("hex");
}
