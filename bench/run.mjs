#!/usr/bin/env node
// `npm run bench [-- options]`: edgefile against a bare baseline Worker doing the same D1/R2 calls,
// both in one workerd, driven by the same closed-loop load from this process; s3rver as a peer.
// Ratios come from many short mirrored rounds (edgefile, baseline, baseline, edgefile, …), each
// with its 95 % interval; one whose interval is wider than ±0.05 is flagged as not a result. The
// machine's load is sampled throughout and reported. About 25 minutes on 2 cores (more when busy).
// Loopback only; every loop and request is bounded in time.
//
//   --rounds N           mirrored rounds per workload (32)   --duration S   measured seconds per window (0.5;
//                        the 1 MiB and listing workloads take at least 1.5)
//   --warmup S           unmeasured seconds before each window (0.2) --concurrency N requests in flight (16)
//   --latency-rounds N   rounds per distance in the latency model (2), --latency-duration S (2)
//   --distances a,b,…    modeled round trips to D1's primary, ms (0,20,80,150)
//   --replica-ms N       modeled round trip to a nearby read replica (10)
//   --quick              no 1 GiB transfers, 5 000 listing keys instead of 100 000, one multipart round
//   --only a,b           only these parts: put-4k put-1m get-4k get-1m head-4k list-1000
//                        describe-bucket latency multipart diagnose large; `micro` alone runs only
//                        diagnose's CPU-per-piece step (a few minutes)
//   --large-mib N        size of the large transfers (1024)
//   --hashing-diagnostics  also the baseline's large PutFile with TransformStream and BYOB hashing
//   --keep               keep bench/.tmp (the persisted D1/R2 state) afterwards
//   --write-results      write bench/results.{md,png,json} even for a partial run (--quick, --only)
//   --report-only        no run: rewrite results.md/.png from the results.json of the output folder
//
// A full run (no --quick, no --only) writes the committed bench/results.*; any other run writes
// into bench/out/ (git-ignored) unless --write-results says otherwise.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { ablations, countCalls, microCosts } from "./lib/diagnose.mjs";
import { runLatencyModel } from "./lib/latency.mjs";
import { startLoadSampler } from "./lib/machine.mjs";
import { ratioSummary } from "./lib/stats.mjs";
import { isolateHeap } from "./lib/memory.mjs";
import { mirroredRound, newAgent, send } from "./lib/load.mjs";
import { writeReport } from "./lib/report.mjs";
import { applyMigrations, buildWorker, startS3rver, startWorkers, versions } from "./lib/servers.mjs";
import { benchBucketId, fillListBucket, largeTransfer, runMultipart, runSmall, seed, smallWorkloads } from "./lib/workloads.mjs";
import { runS3Comparison, s3Workloads } from "./lib/s3-workloads.mjs";

const { values: opt } = parseArgs({
  options: {
    duration: { type: "string", default: "0.5" },
    warmup: { type: "string", default: "0.2" },
    concurrency: { type: "string", default: "16" },
    rounds: { type: "string", default: "32" },
    "latency-rounds": { type: "string", default: "2" },
    "latency-duration": { type: "string", default: "2" },
    distances: { type: "string", default: "0,20,80,150" },
    "replica-ms": { type: "string", default: "10" },
    "write-results": { type: "boolean", default: false },
    "hashing-diagnostics": { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    only: { type: "string", default: "" },
    keep: { type: "boolean", default: false },
    "large-mib": { type: "string", default: "1024" },
    "report-only": { type: "boolean", default: false },
  },
});
// The committed bench/results.* only come from a full run (or when asked); the rest go to bench/out/.
const full = !opt.quick && !opt.only;
const OUT = full || opt["write-results"] ? "bench" : "bench/out";
const RESULTS_JSON = `${OUT}/results.json`;
// --report-only: rewrite results.md and results.png from the figures of the last run (results.json).
if (opt["report-only"]) {
  console.log(writeReport(JSON.parse(readFileSync(RESULTS_JSON, "utf8")), OUT).join(", "));
  process.exit(0);
}
const settings = {
  durationMs: Number(opt.duration) * 1000,
  warmupMs: Number(opt.warmup) * 1000,
  concurrency: Number(opt.concurrency),
  rounds: Number(opt.rounds),
  ablationRounds: Math.max(4, Math.ceil(Number(opt.rounds) / 3)),
  latency: {
    distances: opt.distances.split(",").map(Number),
    replicaMs: Number(opt["replica-ms"]),
    rounds: Number(opt["latency-rounds"]),
    durationMs: Number(opt["latency-duration"]) * 1000,
    warmupMs: 300,
    concurrency: 4,
  },
  listKeys: opt.quick ? 5_000 : 100_000,
  multipart: { totalBytes: 256 * 1024 * 1024, concurrency: 4, rounds: opt.quick ? 1 : Math.min(2, Number(opt.rounds)) },
  largeBytes: Number(opt["large-mib"]) * 1024 * 1024,
  quick: opt.quick,
};
const only = new Set(opt.only.split(",").filter(Boolean));
const wanted = (id) => only.size === 0 || only.has(id);
const sizeLabel = (bytes) => (bytes >= 2 ** 30 ? `${bytes / 2 ** 30} GiB` : `${bytes / 2 ** 20} MiB`);
const log = (...a) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

const TMP = "bench/.tmp";
const started = Date.now();
const loadBefore = os.loadavg();
const sampler = startLoadSampler();
const cleanup = [];
const stopAll = async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
};
process.on("SIGINT", () => stopAll().finally(() => process.exit(130)));
// Also on Ctrl-C, where Miniflare's own signal handler ends the process first.
process.on("exit", () => opt.keep || rmSync(TMP, { recursive: true, force: true }));

rmSync(TMP, { recursive: true, force: true });
mkdirSync(TMP, { recursive: true });
try {
  log("building edgefile and the diagnostic Worker (wrangler deploy --dry-run)…");
  const scripts = { script: buildWorker(`${TMP}/build`), diagScript: buildWorker(`${TMP}/build-diag`, "bench/lib/diag-entry.js") };
  const persistDir = `${TMP}/state`;
  let workers = await startWorkers({ ...scripts, persistDir });
  cleanup.push(() => workers.mf.dispose());
  sampler.track(workers.workerdPid);
  const db = await applyMigrations(workers.mf);
  const s3 = await startS3rver(`${TMP}/s3rver`);
  cleanup.push(async () => s3.stop());
  sampler.track(s3.pid);
  log(`workerd pid ${workers.workerdPid}: edgefile :${workers.edgefilePort}, baseline :${workers.baselinePort}, diag :${workers.diagPort}; s3rver :${s3.port}`);

  await seed({ edgefilePort: workers.edgefilePort, s3rverPort: s3.port });
  const t0 = performance.now();
  const listKeys = wanted("list-1000") || wanted("diagnose") || wanted("latency") ? await fillListBucket({ edgefilePort: workers.edgefilePort, db }, settings.listKeys) : 0;
  const listFillSeconds = (performance.now() - t0) / 1000;
  log(`listing bucket holds ${listKeys} keys (inserted in ${listFillSeconds.toFixed(1)} s)`);

  // pid: the process whose CPU time per request is measured (edgefile and the baseline share workerd).
  const targets = {
    edgefile: { name: "edgefile", port: workers.edgefilePort, pid: workers.workerdPid },
    baseline: { name: "baseline", port: workers.baselinePort, pid: workers.workerdPid },
    s3rver: { name: "s3rver", port: s3.port, pid: s3.pid },
  };

  // Small objects, listing, control plane: each round runs edgefile and the baseline in a mirrored
  // order, edgefile baseline baseline edgefile (the next round baseline edgefile edgefile baseline), and
  // each side's figures for the round are its two windows together (load.mjs mirroredRound). A drift of the
  // machine's speed within the round then weighs on both sides alike.
  // s3rver (no target, a peer for scale) runs one window in every fourth round.
  const small = [];
  for (const w of smallWorkloads({ listKeys: settings.listKeys }).filter((w) => wanted(w.id))) {
    sampler.phase(w.id);
    const names = ["edgefile", "baseline", ...(w.build.s3 ? ["s3rver"] : [])];
    const runs = Object.fromEntries(names.map((n) => [n, []]));
    const s3Rounds = [];
    const windowMs = Math.max(settings.durationMs, (w.minSeconds ?? 0) * 1000);
    for (let r = 0; r < settings.rounds; r++) {
      const pair = r % 2 === 0 ? ["edgefile", "baseline"] : ["baseline", "edgefile"];
      const round = await mirroredRound(pair, (n) => runSmall(w, targets[n], { ...settings, durationMs: windowMs }));
      for (const n of pair) runs[n].push(round[n]);
      if (names.includes("s3rver") && r % 4 === 0) {
        s3Rounds.push(r);
        runs.s3rver.push(await runSmall(w, targets.s3rver, { ...settings, durationMs: windowMs }));
      }
      for (const n of names.filter((n) => n !== "s3rver" || r % 4 === 0)) {
        const res = runs[n].at(-1);
        const errors = res.errors ? `  ${res.errors} errors, first: ${res.firstError}` : "";
        log(`${w.id.padEnd(16)} ${n.padEnd(9)} ${res.rps.toFixed(0).padStart(6)} req/s  p50 ${res.p50.toFixed(1)} ms  p99 ${res.p99.toFixed(1)} ms  CPU ${res.cpuMsPerRequest.toFixed(2)} ms/req${errors}`);
      }
    }
    const ratios = (a, b) => runs[a].map((x, i) => x.rps / runs[b][i].rps);
    const others = sampler.others(w.id);
    const vsBase = ratioSummary(ratios("edgefile", "baseline"), others);
    // The same comparison from CPU time per request: baseline's ÷ edgefile's (higher = edgefile cheaper).
    const vsBaseCpu = ratioSummary(runs.edgefile.map((x, i) => runs.baseline[i].cpuMsPerRequest / x.cpuMsPerRequest), others);
    const show = (r) => `${r.median.toFixed(2)} [${r.lo.toFixed(2)}–${r.hi.toFixed(2)}]${r.result ? "" : " (not a result)"}`;
    log(`${w.id.padEnd(16)} edgefile ÷ baseline: req/s ${show(vsBase)}, CPU per request ${show(vsBaseCpu)}${vsBaseCpu.result ? "" : `; ${vsBaseCpu.advice}`}`);
    small.push({
      ...w,
      runs,
      vsBase,
      vsBaseCpu,
      ...(runs.s3rver
        ? {
            s3Rounds,
            vsS3: ratioSummary(runs.s3rver.map((x, i) => runs.edgefile[s3Rounds[i]].rps / x.rps), others),
            baseVsS3: ratioSummary(runs.s3rver.map((x, i) => runs.baseline[s3Rounds[i]].rps / x.rps), others),
          }
        : {}),
    });
  }

  // The S3 front against the UFile plane on the same Worker (bench/lib/s3-workloads.mjs).
  const s3front = [];
  for (const w of s3Workloads().filter((w) => wanted(w.id))) {
    sampler.phase(w.id);
    const { runs, ratios } = await runS3Comparison(w, targets.edgefile, settings, log);
    const s3VsUfile = ratioSummary(ratios, sampler.others(w.id));
    log(`${w.id.padEnd(16)} S3 ÷ UFile: req/s ${s3VsUfile.median.toFixed(2)} [${s3VsUfile.lo.toFixed(2)}–${s3VsUfile.hi.toFixed(2)}] (target ≥ ${w.target})`);
    s3front.push({ id: w.id, label: w.label, target: w.target, runs, s3VsUfile });
  }

  let latency = null;
  if (wanted("latency")) {
    latency = await runLatencyModel(workers.diagPort, { ...settings.latency, listKeys: settings.listKeys }, log, sampler);
  }

  let multipart = null;
  if (wanted("multipart")) {
    sampler.phase("multipart");
    multipart = { edgefile: [], baseline: [] };
    for (let r = 0; r < settings.multipart.rounds; r++) {
      for (const n of r % 2 === 0 ? ["edgefile", "baseline"] : ["baseline", "edgefile"]) {
        const res = await runMultipart(targets[n].port, n, settings.multipart);
        multipart[n].push(res);
        log(`multipart 256 MiB ${n.padEnd(9)} ${res.seconds.toFixed(1)} s  ${res.mibps.toFixed(0)} MiB/s`);
      }
    }
  }

  let diagnostics = null;
  if (wanted("diagnose") || only.has("micro")) {
    sampler.phase("diagnose");
    const all = wanted("diagnose");
    let sha1 = null;
    if (all) {
      const agent = newAgent(1);
      sha1 = JSON.parse((await send(agent, workers.baselinePort, { method: "GET", path: "/__sha1?mib=256", headers: { host: "x" } }, true)).text);
      agent.destroy();
      log(`SHA-1 (crypto.DigestStream) in this workerd: ${(sha1.mib / (sha1.ms / 1000)).toFixed(0)} MiB/s`);
    }
    // A diagnostic that fails is logged and left out: it never costs the run its results.
    const attempt = async (what, fn) => {
      try {
        return await fn();
      } catch (err) {
        log(`diagnostic "${what}" failed, left out: ${err instanceof Error ? err.message : err}`);
        return null;
      }
    };
    const calls = all ? await attempt("storage calls", () => countCalls(workers.diagPort)) : null;
    const bucketId = await benchBucketId(workers.edgefilePort);
    const micro = await attempt("CPU per piece", () => microCosts(workers.diagPort, workers.workerdPid, bucketId));
    for (const [piece, c] of Object.entries(micro ?? {})) log(`CPU per request: ${c.us.toFixed(1).padStart(7)} µs  ${piece}`);
    const abl = all ? await attempt("ablations", () => ablations(workers.diagPort, workers.workerdPid, settings, log, sampler)) : null;
    diagnostics = { sha1, calls, micro, ablations: abl };
  }

  // Large transfers: each group in a fresh workerd (same persisted state), so every RSS figure
  // starts from an unwarmed process. edgefile PUTs twice in one process (does growth repeat per
  // object?); the last two groups are diagnostics: the baseline hashing as edgefile does, and via BYOB reads.
  let large = null;
  if (!settings.quick && wanted("large")) {
    sampler.phase("large");
    large = { edgefile: {}, baseline: {}, hashing: [] };
    s3.stop();
    const plan = [
      { who: "edgefile", steps: ["put", "put again"] },
      { who: "edgefile", steps: ["get"] },
      { who: "baseline", steps: ["put"] },
      { who: "baseline", steps: ["get"] },
      // The baseline hashing as edgefile's upload path once did, and as it does now (--hashing-diagnostics).
      ...(opt["hashing-diagnostics"]
        ? [
            { who: "baseline", steps: ["put"], pipe: "js" },
            { who: "baseline", steps: ["put"], pipe: "byob" },
          ]
        : []),
    ];
    for (const { who, steps, pipe } of plan) {
      await workers.mf.dispose();
      sampler.untrack(workers.workerdPid);
      workers = await startWorkers({ ...scripts, persistDir, inspector: true });
      sampler.track(workers.workerdPid);
      const heap = await isolateHeap(workers.mf, who);
      const port = who === "edgefile" ? workers.edgefilePort : workers.baselinePort;
      for (const step of steps) {
        const x = await largeTransfer(port, who, step.split(" ")[0], settings.largeBytes, workers.workerdPid, heap, pipe);
        if (pipe) large.hashing.push({ pipe, ...x });
        else large[who][step] = x;
        const what = `${who}${pipe ? ` (${pipe} hashing)` : ""}`;
        log(`${sizeLabel(settings.largeBytes)} ${step.padEnd(9)} ${what.padEnd(22)} ${x.mibps.toFixed(0)} MiB/s  workerd RSS ${x.rssBefore.toFixed(0)} → ${x.rssPeak.toFixed(0)} MiB (+${x.rssGrowth.toFixed(0)}), isolate heap peak ${x.heapPeak.toFixed(1)} MiB${x.intact === undefined ? "" : x.intact ? ", read back intact" : ", READ BACK CORRUPT"}`);
      }
      heap.close();
    }
  }

  await stopAll();
  sampler.stop();
  const info = {
    command: `npm run bench${process.argv.length > 2 ? " -- " + process.argv.slice(2).join(" ") : ""}`,
    date: new Date().toISOString(),
    minutes: (Date.now() - started) / 60000,
    machine: {
      cpu: os.cpus()[0]?.model ?? "unknown",
      cores: os.cpus().length,
      memoryGiB: os.totalmem() / 2 ** 30,
      kernel: `${os.type()} ${os.release()}`,
      loadBefore,
      loadAfter: os.loadavg(),
      load: sampler.summary(),
      ...versions(),
    },
    settings,
    full,
    listKeys,
    listFillSeconds,
  };
  // `scale` comes from its own run (npm run bench:scale) and stays as it was.
  const { scale } = existsSync(RESULTS_JSON) ? JSON.parse(readFileSync(RESULTS_JSON, "utf8")) : {};
  const results = { info, small, s3front, latency, multipart, large, diagnostics, ...(scale ? { scale } : {}) };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(RESULTS_JSON, JSON.stringify(results, null, 1) + "\n");
  const files = [RESULTS_JSON, ...writeReport(results, OUT)];
  log(`wrote ${files.join(", ")}`);
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await stopAll();
  if (!opt.keep) rmSync(TMP, { recursive: true, force: true });
}
