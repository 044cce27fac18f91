// Diagnostics behind the findings, all through the diagnostic Worker (diag-entry.js, same workerd,
// same storage): storage round trips per request, and ablations that switch one of edgefile's
// costs off (metering, the signature check) or put edgefile's way of hashing into the baseline.
import { randomBytes } from "node:crypto";
import { BUCKET, LIST_BUCKET, PUBLIC_BUCKET } from "./workloads.mjs";
import { closedLoop, controlRequest, mirroredRound, newAgent, send, ufileRequest } from "./load.mjs";
import { processCpuNs } from "./machine.mjs";
import { median, ratioSummary } from "./stats.mjs";

const REPEAT = 10;
const OCTET = "application/octet-stream";
const small = randomBytes(4096);
const mib = randomBytes(1024 * 1024);
const pause = (ms) => new Promise((r) => setTimeout(r, ms));
const as = (who, req, extra = {}) => ({ ...req, headers: { ...req.headers, "x-bench-target": who, ...extra } });

/** Operations for the call count, each (who, i) → request; multipart steps share `mp`. */
function operations() {
  const mp = {};
  return {
    "PutFile 4 KiB": (who, i) => ufileRequest("PUT", BUCKET, `calls/${who}/${i % 2}`, { contentType: OCTET, body: small }),
    "GetFile 4 KiB": () => ufileRequest("GET", BUCKET, "get/4k/0"),
    HEAD: () => ufileRequest("HEAD", BUCKET, "get/4k/0"),
    "PrefixFileList 1000": () => ufileRequest("GET", LIST_BUCKET, "", { query: "list&prefix=file-&limit=1000" }),
    DescribeBucket: () => controlRequest({ Action: "DescribeBucket", BucketName: BUCKET }),
    "Initiate multipart": (who, i) => ((mp.key = `calls/mp/${who}/${i}`), ufileRequest("POST", BUCKET, mp.key, { query: "uploads" })),
    UploadPart: () => ufileRequest("PUT", BUCKET, mp.key, { query: `uploadId=${mp.id}&partNumber=0`, contentType: OCTET, body: small }),
    "Finish multipart": () => ufileRequest("POST", BUCKET, mp.key, { query: `uploadId=${mp.id}`, contentType: "text/plain", body: Buffer.from(mp.etag) }),
    after(name, res) {
      if (name === "Initiate multipart") mp.id = JSON.parse(res.text).UploadId;
      if (name === "UploadPart") mp.etag = res.headers.etag;
    },
  };
}

/**
 * Storage calls of one request per operation and target (mean of REPEAT sequential requests,
 * after one warm-up pass), work done in waitUntil included. Keys: "D1.raw", "R2.put", "Queue.send", …
 */
export async function countCalls(port) {
  const agent = newAgent(1);
  const counts = async () => JSON.parse((await send(agent, port, { method: "GET", path: "/__calls", headers: { host: "x" } }, true)).text);
  const out = {};
  for (const who of ["edgefile", "baseline"]) {
    const ops = operations();
    const names = Object.keys(ops).filter((n) => n !== "after");
    out[who] = Object.fromEntries(names.map((n) => [n, {}]));
    for (let i = -1; i < REPEAT; i++) {
      for (const name of names) {
        await counts(); // reset
        const res = await send(agent, port, as(who, ops[name](who, i), { "x-bench-count": "on" }), true);
        if (res.status !== 200) throw new Error(`${who} ${name}: ${res.status} ${res.text}`);
        ops.after(name, res);
        await pause(100); // waitUntil work (usage event, blob release) lands in this request's count
        if (i < 0) continue;
        for (const [call, n] of Object.entries(await counts())) out[who][name][call] = (out[who][name][call] ?? 0) + n / REPEAT;
      }
    }
  }
  agent.destroy();
  return out;
}

/** Variants per workload: the first is the reference the others are compared with. */
function variants() {
  const head = (method) => (w, seq) => ufileRequest(method, BUCKET, `get/4k/${(w + seq) % 16}`);
  const anonymous = (method) => (w, seq) => ({ method, path: `/get/4k/${(w + seq) % 16}`, headers: { host: `${PUBLIC_BUCKET}.localhost` } });
  const describe = () => controlRequest({ Action: "DescribeBucket", BucketName: BUCKET });
  const put = (body) => (w) => ufileRequest("PUT", BUCKET, `ablation/${body.length}/${w}`, { contentType: OCTET, body });
  const baseline = (build) => ({ id: "baseline", label: "baseline", who: "baseline", build });
  const edgefile = (build) => ({ id: "edgefile", label: "edgefile", who: "edgefile", build });
  const meterOff = (build) => ({ id: "meter-off", label: "edgefile, metering off (no queue send)", who: "edgefile", extra: { "x-bench-queue": "off" }, build });
  const noSessions = (build) => ({ id: "no-sessions", label: "edgefile, no D1 sessions (no read replicas, no bookmark)", who: "edgefile", extra: { "x-bench-d1": "primary" }, build });
  const getLike = (method) => [
    baseline(head(method)),
    edgefile(head(method)),
    meterOff(head(method)),
    noSessions(head(method)),
    { id: "headers", label: "baseline + the response headers edgefile sends", who: "baseline", extra: { "x-bench-headers": "edgefile" }, build: head(method) },
    { id: "anonymous", label: "edgefile, anonymous on a public bucket (no HMAC)", who: "edgefile", build: anonymous(method) },
  ];
  return {
    "HEAD 4 KiB": getLike("HEAD"),
    "GetFile 4 KiB": getLike("GET"),
    DescribeBucket: [baseline(describe), edgefile(describe), noSessions(describe)],
    "PutFile 4 KiB": [baseline(put(small)), edgefile(put(small)), meterOff(put(small))],
    "PutFile 1 MiB": [
      { ...baseline(put(mib)), label: "baseline (native pipe to R2)" },
      { id: "js", label: "baseline + hashing in a JS TransformStream, chunk by chunk", who: "baseline", extra: { "x-bench-pipe": "js" }, build: put(mib) },
      { id: "byob", label: "baseline + hashing via BYOB reads into one 256 KiB buffer", who: "baseline", extra: { "x-bench-pipe": "byob" }, build: put(mib) },
      edgefile(put(mib)),
    ],
  };
}

/**
 * Each variant against the workload's first row (the reference), in mirrored rounds: every round
 * runs the reference and each variant back to back and then in the reverse order (load.mjs
 * mirroredRound), the order itself reversed every other round.
 * Per variant: median req/s and p50, and the ratios to the reference by workerd CPU time per
 * request and by req/s, each the median with its interval.
 */
export async function ablations(port, pid, settings, log, sampler) {
  const out = {};
  const rounds = settings.ablationRounds;
  for (const [workload, list] of Object.entries(variants())) {
    sampler?.phase(`ablation ${workload}`);
    const runs = list.map(() => []);
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? [...list.keys()] : [...list.keys()].reverse();
      const round = await mirroredRound(order, (i) =>
        closedLoop({ port, cpuPid: pid, ...settings, build: (w, seq) => as(list[i].who, list[i].build(w, seq), list[i].extra) }),
      );
      list.forEach((_, i) => runs[i].push(round[i]));
    }
    const others = sampler?.others(`ablation ${workload}`);
    out[workload] = list.map((v, i) => {
      const rs = runs[i];
      const res = {
        id: v.id,
        label: v.label,
        rps: median(rs.map((x) => x.rps)),
        p50: median(rs.map((x) => x.p50)),
        // The first row's workerd CPU time per request ÷ this variant's (as the main table's "by CPU").
        vsFirst: ratioSummary(rs.map((x, r) => runs[0][r].cpuMsPerRequest / x.cpuMsPerRequest), others),
        vsFirstRps: ratioSummary(rs.map((x, r) => x.rps / runs[0][r].rps), others),
        errors: rs.reduce((n, x) => n + x.errors, 0),
        firstError: rs.find((x) => x.firstError)?.firstError ?? "",
      };
      const v0 = res.vsFirst;
      log(`ablation ${workload.padEnd(14)} ${res.rps.toFixed(0).padStart(5)} req/s  ÷ first ${v0.median.toFixed(2)} [${v0.lo.toFixed(2)}–${v0.hi.toFixed(2)}]  ${v.label}${res.errors ? `  ${res.errors} errors: ${res.firstError}` : ""}`);
      return res;
    });
  }
  return out;
}

/**
 * CPU cost per request of each piece of edgefile's request path (micro.js), in µs: workerd's
 * CPU time for N runs of the piece minus N runs of nothing, interleaved, median of `rounds`.
 */
export async function microCosts(port, pid, bucketId, rounds = 5) {
  const agent = newAgent(1);
  const cpuOf = async (piece, n) => {
    const path = `/__micro?piece=${encodeURIComponent(piece)}&n=${n}&bucketId=${encodeURIComponent(bucketId)}`;
    const before = processCpuNs(pid);
    const res = await send(agent, port, { method: "GET", path, headers: { host: "x" } }, true);
    if (res.status !== 204) throw new Error(`micro ${piece}: ${res.status} ${res.text}`);
    return processCpuNs(pid) - before;
  };
  const pieces = JSON.parse((await send(agent, port, { method: "GET", path: "/__micro", headers: { host: "x" } }, true)).text);
  const out = {};
  for (const piece of pieces.filter((p) => p !== "none")) {
    const n = /D1(?! memoized)|HMAC|MiB/.test(piece) ? 300 : 3000; // fewer runs of the slow pieces (a D1 query, a MiB)
    const costs = [];
    for (let r = 0; r < rounds; r++) {
      let a, b;
      if (r % 2 === 0) [a, b] = [await cpuOf(piece, n), await cpuOf("none", n)];
      else [b, a] = [await cpuOf("none", n), await cpuOf(piece, n)];
      costs.push((a - b) / n / 1000);
    }
    out[piece] = { us: median(costs), min: Math.min(...costs), max: Math.max(...costs) };
  }
  agent.destroy();
  return out;
}
