#!/usr/bin/env node
// `npm run bench [-- options]`: edgefile against a bare baseline Worker doing the same D1/R2 calls,
// both in one workerd, driven by the same closed-loop load from this process; s3rver as a peer.
// Writes bench/results.md, bench/results.png and the raw figures in bench/results.json; about
// 11 minutes on 2 cores. Loopback only; every loop and request is bounded in time.
//
//   --duration S       measured seconds per run (4)      --warmup S      unmeasured seconds before (1)
//   --concurrency N    requests in flight (16)           --rounds N      alternations, E B S / S B E … (3)
//   --quick            no 1 GiB transfers, 5 000 listing keys instead of 100 000, one multipart round
//                      (with e.g. --rounds 1 --duration 2: a ~4-minute smoke run)
//   --only a,b         only these parts: put-4k put-1m get-4k get-1m head-4k list-1000
//                      describe-bucket multipart diagnose large
//   --large-mib N      size of the large transfers (1024)
//   --keep             keep bench/.tmp (the persisted D1/R2 state) afterwards
//   --report-only      no run: rewrite results.md/.png from bench/results.json (the last run's figures)
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { ablations, countCalls } from "./lib/diagnose.mjs";
import { isolateHeap } from "./lib/memory.mjs";
import { newAgent, send } from "./lib/load.mjs";
import { writeReport } from "./lib/report.mjs";
import { applyMigrations, buildWorker, startS3rver, startWorkers, versions } from "./lib/servers.mjs";
import { fillListBucket, largeTransfer, runMultipart, runSmall, seed, smallWorkloads } from "./lib/workloads.mjs";

const RESULTS_JSON = "bench/results.json";
const { values: opt } = parseArgs({
  options: {
    duration: { type: "string", default: "4" },
    warmup: { type: "string", default: "1" },
    concurrency: { type: "string", default: "16" },
    rounds: { type: "string", default: "3" },
    quick: { type: "boolean", default: false },
    only: { type: "string", default: "" },
    keep: { type: "boolean", default: false },
    "large-mib": { type: "string", default: "1024" },
    "report-only": { type: "boolean", default: false },
  },
});
// --report-only: rewrite results.md and results.png from the figures of the last run (results.json).
if (opt["report-only"]) {
  console.log(writeReport(JSON.parse(readFileSync(RESULTS_JSON, "utf8"))).join(", "));
  process.exit(0);
}
const settings = {
  durationMs: Number(opt.duration) * 1000,
  warmupMs: Number(opt.warmup) * 1000,
  concurrency: Number(opt.concurrency),
  rounds: Number(opt.rounds),
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
  const db = await applyMigrations(workers.mf);
  const s3 = await startS3rver(`${TMP}/s3rver`);
  cleanup.push(async () => s3.stop());
  log(`workerd pid ${workers.workerdPid}: edgefile :${workers.edgefilePort}, baseline :${workers.baselinePort}, diag :${workers.diagPort}; s3rver :${s3.port}`);

  await seed({ edgefilePort: workers.edgefilePort, s3rverPort: s3.port });
  const t0 = performance.now();
  const listKeys = wanted("list-1000") || wanted("diagnose") ? await fillListBucket({ edgefilePort: workers.edgefilePort, db }, settings.listKeys) : 0;
  const listFillSeconds = (performance.now() - t0) / 1000;
  log(`listing bucket holds ${listKeys} keys (inserted in ${listFillSeconds.toFixed(1)} s)`);

  const targets = {
    edgefile: { name: "edgefile", port: workers.edgefilePort },
    baseline: { name: "baseline", port: workers.baselinePort },
    s3rver: { name: "s3rver", port: s3.port },
  };

  // Small objects, listing, control plane: each round runs every target, the order reversed every other round.
  const small = [];
  for (const w of smallWorkloads({ listKeys: settings.listKeys }).filter((w) => wanted(w.id))) {
    const names = ["edgefile", "baseline", ...(w.build.s3 ? ["s3rver"] : [])];
    const runs = Object.fromEntries(names.map((n) => [n, []]));
    for (let r = 0; r < settings.rounds; r++) {
      for (const n of r % 2 === 0 ? names : [...names].reverse()) {
        const res = await runSmall(w, targets[n], settings);
        runs[n].push(res);
        const errors = res.errors ? `  ${res.errors} errors, first: ${res.firstError}` : "";
        log(`${w.id.padEnd(16)} ${n.padEnd(9)} ${res.rps.toFixed(0).padStart(6)} req/s  p50 ${res.p50.toFixed(1)} ms  p99 ${res.p99.toFixed(1)} ms${errors}`);
      }
    }
    small.push({ ...w, runs });
  }

  let multipart = null;
  if (wanted("multipart")) {
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
  if (wanted("diagnose")) {
    const agent = newAgent(1);
    const sha1 = JSON.parse((await send(agent, workers.baselinePort, { method: "GET", path: "/__sha1?mib=256", headers: { host: "x" } }, true)).text);
    agent.destroy();
    log(`SHA-1 (crypto.DigestStream) in this workerd: ${(sha1.mib / (sha1.ms / 1000)).toFixed(0)} MiB/s`);
    const calls = await countCalls(workers.diagPort);
    diagnostics = { sha1, calls, ablations: await ablations(workers.diagPort, settings, log) };
  }

  // Large transfers: each group in a fresh workerd (same persisted state), so every RSS figure
  // starts from an unwarmed process. edgefile PUTs twice in one process (does growth repeat per
  // object?); the last two groups are diagnostics: the baseline hashing as edgefile does, and via BYOB reads.
  let large = null;
  if (!settings.quick && wanted("large")) {
    large = { edgefile: {}, baseline: {}, hashing: [] };
    s3.stop();
    const plan = [
      { who: "edgefile", steps: ["put", "put again"] },
      { who: "edgefile", steps: ["get"] },
      { who: "baseline", steps: ["put"] },
      { who: "baseline", steps: ["get"] },
      { who: "baseline", steps: ["put"], pipe: "js" },
      { who: "baseline", steps: ["put"], pipe: "byob" },
    ];
    for (const { who, steps, pipe } of plan) {
      await workers.mf.dispose();
      workers = await startWorkers({ ...scripts, persistDir, inspector: true });
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
      ...versions(),
    },
    settings,
    listKeys,
    listFillSeconds,
  };
  const results = { info, small, multipart, large, diagnostics };
  writeFileSync(RESULTS_JSON, JSON.stringify(results, null, 1) + "\n");
  const files = [RESULTS_JSON, ...writeReport(results)];
  log(`wrote ${files.join(", ")}`);
} catch (err) {
  console.error(err);
  process.exitCode = 1;
} finally {
  await stopAll();
  if (!opt.keep) rmSync(TMP, { recursive: true, force: true });
}
