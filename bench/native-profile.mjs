#!/usr/bin/env node
// `npm run bench:native [-- options]`: where workerd's CPU time goes for one workload, native code
// included, edgefile against the baseline. bench:profile sees only the JavaScript of one isolate;
// this samples the whole workerd process with Linux `perf` (call graphs: workerd ships its symbols),
// so the runtime's own work a request causes shows too: building and sending headers, Web Crypto,
// promise continuations, garbage collection of JavaScript and of the runtime's C++ objects, the D1
// and R2 simulators. Each side runs the same closed loop as `npm run bench` while perf records.
//
// The sides take turns in mirrored windows (edgefile, baseline, baseline, edgefile, …), each window
// recorded on its own, so a drift in the machine's speed weighs on both alike; the simulators' work
// (SQLite, fsync), the same for both, shows what drift is left.
//
// Prints, per request and for both Workers, the CPU time of the stacks that pass through each
// category's frames (a stack can count in several), then the frames just under the runtime's
// microtask and request entry points where the two differ most. Needs `perf` (Debian: linux-perf)
// and permission to trace the process (root, or kernel.perf_event_paranoid ≤ 1).
//
//   --workload id (head-4k)   --seconds S per side (10)   --windows N per side (4)
//   --frequency HZ (2999)     --concurrency N (16)
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { closedLoop, newAgent, send, ufileRequest } from "./lib/load.mjs";
import { applyMigrations, buildWorker, startWorkers } from "./lib/servers.mjs";
import { BUCKET, seed, smallWorkloads } from "./lib/workloads.mjs";

const { values: opt } = parseArgs({
  options: {
    workload: { type: "string", default: "head-4k" },
    seconds: { type: "string", default: "10" },
    windows: { type: "string", default: "4" },
    frequency: { type: "string", default: "2999" },
    concurrency: { type: "string", default: "16" },
  },
});
if (spawnSync("perf", ["--version"]).status !== 0) {
  console.error("bench:native needs Linux perf: apt-get install linux-perf");
  process.exit(1);
}

/** Categories by the frames a stack passes through (substrings of symbol names). */
const CATEGORIES = [
  ["garbage collection, JavaScript heap", ["v8::internal::Heap::CollectGarbage", "Scavenger", "MarkCompactCollector"]],
  ["garbage collection, runtime C++ objects", ["cppgc::internal"]],
  ["Headers (build, set, get, copy)", ["workerd::api::Headers::"]],
  ["Response objects", ["workerd::api::Response::"]],
  ["Web Crypto", ["workerd::api::SubtleCrypto", "workerd::api::Crypto::"]],
  ["URL parsing", ["workerd::api::url::"]],
  ["console output", ["workerd::api::Console", "ConsoleMode", "handleLog"]],
  ["D1 and R2 calls (the binding's fetch)", ["workerd::api::Fetcher::fetch"]],
  ["SQLite (the D1 simulator)", ["sqlite3_step", "sqlite3_prepare"]],
  ["fsync (simulators' storage)", ["fsync"]],
  ["promise continuations (C++)", ["workerd::jsg::promiseContinuation"]],
  ["kernel", ["entry_SYSCALL", "exc_page_fault", "asm_sysvec"]],
];

/** The stacks of a perf data file, each a list of symbol names from the leaf up. */
function stacks(file) {
  const text = execFileSync("perf", ["script", "-i", file, "-F", "ip,sym"], { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "ignore"] }).toString();
  return text
    .split("\n\n")
    .map((block) =>
      block
        .split("\n")
        .map((line) => line.trim().replace(/^[0-9a-f]+ /, ""))
        .filter(Boolean),
    )
    .filter((s) => s.length > 0);
}

/** The frame just under the outermost `entry` frame, templates and arguments cut, or null. */
function under(stack, entries) {
  const at = stack.findLastIndex((f) => entries.some((e) => f.includes(e)));
  if (at <= 0) return null;
  const inner = stack.slice(0, at).findLast((f) => /workerd::api::|CollectGarbage|Function::New/.test(f)) ?? (stack[0].includes("[unknown]") ? "JavaScript (JIT code)" : stack[0]);
  let name = inner;
  for (let i = 0; i < 4; i++) name = name.replace(/<[^<>]*>/g, "");
  return name.replace(/\(.*$/, "").slice(0, 90);
}

const TMP = resolve("bench/.tmp/native");
rmSync(TMP, { recursive: true, force: true });
mkdirSync(TMP, { recursive: true });
const script = buildWorker(join(TMP, "build"));
const workers = await startWorkers({ script, diagScript: script, persistDir: join(TMP, "state") });
const per = {};
try {
  await applyMigrations(workers.mf);
  await seed({ edgefilePort: workers.edgefilePort });
  const agent = newAgent(1);
  await send(agent, workers.edgefilePort, ufileRequest("PUT", BUCKET, "native/warm", { contentType: "text/plain", body: Buffer.from("w") }), true);
  agent.destroy();
  const workload = smallWorkloads({ listKeys: 0 }).find((w) => w.id === opt.workload);
  if (!workload) throw new Error(`unknown workload ${opt.workload}`);
  const ports = { edgefile: workers.edgefilePort, baseline: workers.baselinePort };
  const run = (who, ms, cpuPid = 0) =>
    closedLoop({ port: ports[who], cpuPid, concurrency: Number(opt.concurrency), durationMs: ms, warmupMs: 300, build: (n, seq) => workload.build.ufile(n, seq, who) });
  for (const who of ["edgefile", "baseline"]) {
    await run(who, 2000);
    per[who] = { requests: 0, cpuMs: 0, cpuRequests: 0, stacks: [] };
  }
  const windows = Number(opt.windows);
  const order = Array.from({ length: windows }, (_, i) => (i % 2 ? ["baseline", "edgefile"] : ["edgefile", "baseline"])).flat();
  for (const [i, who] of order.entries()) {
    const file = join(TMP, `${i}-${who}.data`);
    const perf = spawn("perf", ["record", "-F", opt.frequency, "-g", "-p", String(workers.workerdPid), "-o", file], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 500));
    const result = await run(who, (Number(opt.seconds) * 1000) / windows, workers.workerdPid);
    perf.kill("SIGINT");
    await new Promise((r) => perf.on("exit", r));
    if (result.errors) throw new Error(`${who}: ${result.errors} errors, first: ${result.firstError}`);
    // The recording spans the warm-up and the window (and a little more): its samples are divided by
    // the requests it saw, counted over the same span.
    per[who].requests += result.total;
    per[who].cpuMs += result.cpuMsPerRequest * result.requests;
    per[who].cpuRequests += result.requests;
    per[who].stacks.push(...stacks(file));
  }
} finally {
  await workers.mf.dispose();
}

const usPerSample = 1e6 / Number(opt.frequency);
const perRequest = (who, count) => (count * usPerSample) / per[who].requests;
console.log(`\n## ${opt.workload}: workerd CPU per request (µs), perf at ${opt.frequency} Hz for ${opt.seconds} s per side\n`);
console.log(`| | edgefile | baseline |\n|---|---:|---:|`);
const cpu = (who) => ((per[who].cpuMs / per[who].cpuRequests) * 1000).toFixed(0);
console.log(`| CPU per request (workerd's clock, measured windows) | ${cpu("edgefile")} | ${cpu("baseline")} |`);
console.log(`| all samples | ${perRequest("edgefile", per.edgefile.stacks.length).toFixed(0)} | ${perRequest("baseline", per.baseline.stacks.length).toFixed(0)} |`);
for (const [label, frames] of CATEGORIES) {
  const count = (who) => per[who].stacks.filter((s) => s.some((f) => frames.some((m) => f.includes(m)))).length;
  console.log(`| ${label} | ${perRequest("edgefile", count("edgefile")).toFixed(1)} | ${perRequest("baseline", count("baseline")).toFixed(1)} |`);
}

const ENTRIES = ["workerd::jsg::Lock::runMicrotasks", "workerd::api::ServiceWorkerGlobalScope::request"];
const tally = (who) => {
  const counts = new Map();
  for (const s of per[who].stacks) {
    const key = under(s, ENTRIES);
    if (key) counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
};
const [e, b] = [tally("edgefile"), tally("baseline")];
const rows = [...new Set([...e.keys(), ...b.keys()])]
  .map((k) => [k, perRequest("edgefile", e.get(k) ?? 0), perRequest("baseline", b.get(k) ?? 0)])
  .sort((x, y) => Math.abs(y[1] - y[2]) - Math.abs(x[1] - x[2]))
  .slice(0, 20);
console.log(`\nUnder the runtime's request and microtask entry points, where the two differ most (µs per request):\n`);
console.log(`| Frame | edgefile | baseline |\n|---|---:|---:|`);
for (const [k, x, y] of rows) console.log(`| ${k} | ${x.toFixed(1)} | ${y.toFixed(1)} |`);
