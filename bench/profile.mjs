#!/usr/bin/env node
// `npm run bench:profile [-- options]`: where a request's JavaScript time goes. Runs a closed-loop
// workload against edgefile and against the baseline Worker (the same workerd set-up as
// `npm run bench`) while V8's sampling profiler records in that Worker's isolate (DevTools
// `Profiler` domain), then prints per request the JavaScript time by source module (edgefile's
// src/ folders, Drizzle, the runtime's own D1 client and built-ins) for both sides, and the
// Worker's heaviest functions by self time. S3 workloads compare edgefile's S3 front with its
// UFile plane instead.
//
// Only samples that landed in JavaScript (or a built-in it called) are counted. `(program)` is left
// out: all isolates of a workerd share one thread, and an isolate's profiler reports time the
// thread spent on another isolate (the D1 and R2 simulators, say) as its own `(program)`. Profiling
// also slows everything down: compare the two sides of one run with each other, not with
// `npm run bench`'s CPU figures.
//
//   --workload id[,id]   head-4k get-4k get-1m put-4k put-1m describe-bucket s3-get-4k s3-put-4k … (head-4k)
//   --seconds S          profiled seconds per side (6)       --top N   functions listed (25)
//   --interval US        sampling interval in µs (250)       --concurrency N (16)
//   --save DIR           also write each .cpuprofile there (open it in Chrome DevTools)
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { inspectorSession } from "./lib/inspector.mjs";
import { closedLoop } from "./lib/load.mjs";
import { applyMigrations, buildWorker, startWorkers } from "./lib/servers.mjs";
import { s3Workloads } from "./lib/s3-workloads.mjs";
import { seed, smallWorkloads } from "./lib/workloads.mjs";

const { values: opt } = parseArgs({
  options: {
    workload: { type: "string", default: "head-4k" },
    seconds: { type: "string", default: "6" },
    top: { type: "string", default: "25" },
    interval: { type: "string", default: "250" },
    concurrency: { type: "string", default: "16" },
    save: { type: "string", default: "" },
  },
});
const TMP = "bench/.tmp-profile";
const log = (s) => console.log(s);

/** Maps a line of the bundle to its source module: esbuild starts each module with a `// path` comment. */
function moduleStarts(bundle) {
  const starts = [];
  readFileSync(bundle, "utf8")
    .split("\n")
    .forEach((line, i) => {
      const m = /^\/\/ ((?:src|node_modules|schema|bench)\/\S+)$/.exec(line);
      if (m) starts.push([i, m[1].replace(/^node_modules\//, "")]);
    });
  return (line) => {
    let found = "(bundle)";
    for (const [at, name] of starts) if (at <= line) found = name;
    return found;
  };
}

/**
 * Self time per function of a V8 .cpuprofile, in µs, named `function · module`. `(idle)` is
 * waiting, `(program)` native work outside JS, `(garbage collector)` GC.
 */
function selfTimes(profile, moduleAtLine) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  profile.samples.forEach((id, i) => {
    const f = byId.get(id).callFrame;
    const where = !f.url ? "" : /(index|worker)\.js$/.test(f.url) ? moduleAtLine(f.lineNumber) : f.url.replace(/^.*\//, "");
    const name = `${f.functionName || "(anonymous)"}${where ? ` · ${where}` : ""}`;
    self.set(name, (self.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return self;
}

/** Not JavaScript: waiting, and native time that may belong to another isolate on the thread (see the top). */
const NOT_JS = new Set(["(idle)", "(program)"]);

/** The module group of a `function · module` name: a src/ folder, a package, or the runtime. */
function moduleGroup(name) {
  const mod = name.split(" · ")[1];
  if (!mod && name.startsWith("(")) return name;
  if (!mod) return "runtime built-ins (Headers, Response, fetch, text, …)";
  if (mod.startsWith("cloudflare-internal:")) return `${mod} (the runtime's own JS)`;
  const src = /^src\/([^/]+)\/|^src\/([^/]+)$/.exec(mod);
  if (src) return src[1] ? `src/${src[1]}/` : "src/ (entry, responses, crypto, …)";
  return mod.split("/")[0];
}

rmSync(TMP, { recursive: true, force: true });
mkdirSync(TMP, { recursive: true });
process.on("exit", () => rmSync(TMP, { recursive: true, force: true }));
const script = buildWorker(`${TMP}/build`);
const modules = { edgefile: moduleStarts(script), baseline: () => "bench/baseline/worker.js" };
const workers = await startWorkers({ script, diagScript: buildWorker(`${TMP}/build-diag`, "bench/lib/diag-entry.js"), persistDir: `${TMP}/state`, inspector: true });
try {
  await applyMigrations(workers.mf);
  await seed({ edgefilePort: workers.edgefilePort });
  const all = [...smallWorkloads({ listKeys: 0 }), ...s3Workloads()];
  for (const id of opt.workload.split(",")) {
    const w = all.find((x) => x.id === id);
    if (!w) throw new Error(`unknown workload ${id}; one of ${all.map((x) => x.id).join(" ")}`);
    const sides = id.startsWith("s3-")
      ? [["edgefile S3", "edgefile", w.build.s3], ["edgefile UFile", "edgefile", w.build.ufile]]
      : ["edgefile", "baseline"].map((who) => [who, who, (n, seq) => w.build.ufile(n, seq, who)]);
    const rows = [];
    for (const [label, worker, build] of sides) {
      const port = worker === "edgefile" ? workers.edgefilePort : workers.baselinePort;
      const load = { port, concurrency: Number(opt.concurrency), warmupMs: 0, build };
      await closedLoop({ ...load, durationMs: 1000 }); // a warm isolate
      const session = await inspectorSession(workers.mf, worker);
      await session.call("Profiler.enable");
      await session.call("Profiler.setSamplingInterval", { interval: Number(opt.interval) });
      await session.call("Profiler.start");
      const run = await closedLoop({ ...load, durationMs: Number(opt.seconds) * 1000 });
      const { profile } = await session.call("Profiler.stop");
      session.close();
      if (opt.save) {
        mkdirSync(opt.save, { recursive: true });
        writeFileSync(`${opt.save}/${id}-${label.replace(/\W+/g, "-")}.cpuprofile`, JSON.stringify(profile));
      }
      const self = selfTimes(profile, modules[worker]);
      rows.push({ label, run, self });
    }
    report(w, rows);
  }
} finally {
  await workers.mf.dispose();
}

function report(w, rows) {
  const per = (r, us) => (us / r.run.total).toFixed(1);
  const [a, b] = rows;
  const byModule = rows.map((r) => {
    const m = new Map();
    for (const [name, us] of r.self) if (!NOT_JS.has(name)) m.set(moduleGroup(name), (m.get(moduleGroup(name)) ?? 0) + us);
    return m;
  });
  const total = (i) => [...byModule[i].values()].reduce((x, y) => x + y, 0);
  log(`\n## ${w.label}: JavaScript time per request in the Worker's isolate (µs), sampled every ${opt.interval} µs for ${opt.seconds} s\n`);
  log(`| Module | ${a.label} | ${b.label} |`);
  log("|---|---:|---:|");
  const names = [...new Set(byModule.flatMap((m) => [...m.keys()]))].sort((x, y) => (byModule[0].get(y) ?? 0) - (byModule[0].get(x) ?? 0));
  for (const n of names) log(`| ${n} | ${per(a, byModule[0].get(n) ?? 0)} | ${per(b, byModule[1].get(n) ?? 0)} |`);
  log(`| **all JavaScript** | **${per(a, total(0))}** | **${per(b, total(1))}** |`);
  log(`| requests (req/s) | ${a.run.total} (${a.run.rps.toFixed(0)}) | ${b.run.total} (${b.run.rps.toFixed(0)}) |`);
  log(`\n${a.label}'s heaviest functions by self time (µs per request; ${b.label} beside it):\n`);
  log(`| Function · module | ${a.label} | ${b.label} |`);
  log("|---|---:|---:|");
  const ranked = [...a.self].filter(([n]) => !NOT_JS.has(n)).sort((x, y) => y[1] - x[1]).slice(0, Number(opt.top));
  for (const [name, us] of ranked) log(`| ${name.replaceAll("|", "\\|")} | ${per(a, us)} | ${per(b, b.self.get(name) ?? 0)} |`);
}
