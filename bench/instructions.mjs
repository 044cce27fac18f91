#!/usr/bin/env node
// `npm run bench:instructions [-- options]`: machine instructions per request, counted by valgrind's
// callgrind in the whole workerd process (edgefile, the baseline and the local D1/R2 simulators),
// for the working tree's edgefile (A), edgefile at a git ref (B) and the baseline Worker. An
// instruction count does not move with the machine's speed or a neighbour's load, so a change of
// 1 % shows in three rounds where `npm run bench:ab` needs a hundred; and callgrind names every
// native function, so the difference between two Workers can be read by what the runtime did
// (garbage collection, headers, strings, JSON, our own JIT-compiled JavaScript, …).
//
// The counts are not CPU time: an instruction of a cache miss costs more than one of a tight loop,
// and the targets are judged by CPU in `npm run bench`. Use this to find and size the pieces.
// Needs valgrind (`apt-get install valgrind`); everything runs about 50 times slower under it, so a
// round of 300 requests per side takes about a minute.
//
//   --ref R              B: the commit to compare with (HEAD)
//   --workload id[,id]   head-4k get-4k describe-bucket put-4k … (head-4k)
//   --requests N (300)   requests per side and round, 8 in flight    --rounds N (3)
//   --warmup N (1500)    requests per side before measuring, three times over (JIT tiers)
//   --categories         also A's instructions against the baseline's by what the runtime did
//   --floor              a fourth side: the baseline doing the API's work besides storage (as
//                        `npm run bench:floor`), and how close A is to it
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values: opt } = parseArgs({
  options: {
    ref: { type: "string", default: "HEAD" },
    workload: { type: "string", default: "head-4k" },
    requests: { type: "string", default: "300" },
    rounds: { type: "string", default: "3" },
    warmup: { type: "string", default: "1500" },
    categories: { type: "boolean", default: false },
    floor: { type: "boolean", default: false },
  },
});
const TMP = resolve("bench/.tmp/instructions");
const DUMPS = join(TMP, "dumps");
rmSync(TMP, { recursive: true, force: true });
mkdirSync(DUMPS, { recursive: true });
process.on("exit", () => rmSync(TMP, { recursive: true, force: true }));
const log = (s) => console.log(s);

// Miniflare starts workerd through this script: under callgrind, counting nothing until told
// (`callgrind_control -i on`), and checking for the JIT's self-modifying code.
const wrapper = join(TMP, "workerd-under-callgrind.sh");
writeFileSync(
  wrapper,
  `#!/bin/sh\nexec valgrind --tool=callgrind --instr-atstart=no --smc-check=all-non-file --dump-instr=no --callgrind-out-file=${DUMPS}/cg.%p ${resolve("node_modules/@cloudflare/workerd-linux-64/bin/workerd")} "$@"\n`,
);
chmodSync(wrapper, 0o755);
process.env.MINIFLARE_WORKERD_PATH = wrapper;

const { newAgent, send, ufileRequest } = await import("./lib/load.mjs");
const { applyMigrations, buildAtRef, buildWorker, runCommand, startWorkers } = await import("./lib/servers.mjs");
const { BUCKET, seed, smallWorkloads } = await import("./lib/workloads.mjs");

log(`[instructions] A: the working tree; B: ${opt.ref} (${runCommand("git", ["rev-parse", "--short", opt.ref]).trim()})`);
const a = buildWorker(join(TMP, "a"));
const b = buildAtRef(opt.ref, TMP);
// The isolates' usage and access-log windows (src/isolate-window.ts) close on time: at callgrind's
// speed a 1 s window would hold a hundred times fewer requests than at full speed, and its flush
// weigh a hundred times more on each. Long windows leave them the share they have at full speed.
const slowWindows = { USAGE_FLUSH_MS: "1000000000", ACCESS_LOG_FLUSH_MS: "1000000000" };
const workers = await startWorkers({ script: a, diagScript: b, persistDir: join(TMP, "state"), bindings: slowWindows });

/** Writes callgrind's counts since the last dump to a file and starts again from zero; the file's total. */
function dump() {
  execFileSync("callgrind_control", ["-d", String(workers.workerdPid)], { stdio: "ignore" });
  const files = readdirSync(DUMPS).filter((f) => f.startsWith(`cg.${workers.workerdPid}.`)); // cg.<pid>.<dump number>
  const newest = files.sort((x, y) => Number(x.split(".").pop()) - Number(y.split(".").pop())).pop();
  const file = join(DUMPS, newest);
  return { file, total: Number(/^totals: (\d+)/m.exec(readFileSync(file, "utf8"))[1]) };
}
const counting = (on) => execFileSync("callgrind_control", ["-i", on ? "on" : "off", String(workers.workerdPid)], { stdio: "ignore" });

/** `n` requests of workload `w` through `port`, 8 in flight on keep-alive sockets. */
async function run(port, w, who, n) {
  const agent = newAgent(8);
  let next = 0;
  const one = async () => {
    for (let i = next++; i < n; i = next++) {
      const request = who === "floor" ? w.build.floor(i, i) : w.build.ufile(i, i, who === "baseline" ? "baseline" : `edgefile-${who}`);
      const res = await send(agent, port, request, false);
      if (res.status >= 300) throw new Error(`${w.id} through ${who}: ${res.status} ${res.text}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, one));
  agent.destroy();
}

/** What the runtime's native functions did, by the name callgrind gives them (first match wins). */
const CATEGORIES = [
  ["garbage collection", /Scaveng|TracedHandles|MarkCompact|Heap::|heap::|Weak|GlobalHandles|IsUnmodifiedApiObject|Sweeper|Marking|cppgc|Evacuat|SizeFromMap|BodyDescriptor|Minor/],
  ["malloc and free", /tcmalloc|operator new|operator delete|:free$|malloc|HeapArrayDisposer/],
  ["JIT-compiled JavaScript", /\?\?\?:0x0000/],
  ["JSON", /Json/],
  ["strings and UTF-8", /String::|Utf8|utf8|simdutf|memcpy|memmove|strlen|JsString|StringAdd|NewString|Internaliz/],
  ["headers and HTTP", /Header|http::|hyper|HttpHeaders|normalizeHeader|toLower|strcaseeq/],
  ["SQLite", /sqlite/],
  ["V8 interpreter", /Builtins_.*Handler|InterpreterEntry|BaselineOutOfLine/],
  ["V8 built-ins", /Builtins_/],
  ["V8, other", /v8::/],
  ["workerd", /workerd::/],
  ["kj (I/O, promises)", /kj::/],
  ["dates and printf", /printf|Date/],
];

function selfCosts(file) {
  const text = execFileSync("callgrind_annotate", ["--threshold=100", file], { encoding: "utf8", maxBuffer: 1 << 28 });
  const byCategory = new Map();
  for (const line of text.split("\n")) {
    const m = /^\s*([\d,]+) \(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (!m || line.includes("PROGRAM TOTALS")) continue;
    const name = CATEGORIES.find(([, re]) => re.test(m[2]))?.[0] ?? "other";
    byCategory.set(name, (byCategory.get(name) ?? 0) + Number(m[1].replaceAll(",", "")));
  }
  return byCategory;
}

function categories(fileA, fileBaseline, n) {
  const [a, base] = [selfCosts(fileA), selfCosts(fileBaseline)];
  const names = [...new Set([...a.keys(), ...base.keys()])].sort((x, y) => (a.get(y) ?? 0) - (base.get(y) ?? 0) - ((a.get(x) ?? 0) - (base.get(x) ?? 0)));
  log(`\n  by what the runtime did (self instructions per request, each side's lowest round): A, baseline, A − baseline`);
  for (const name of names) {
    const [x, y] = [(a.get(name) ?? 0) / n, (base.get(name) ?? 0) / n];
    log(`    ${name.padEnd(26)} ${k(x).padStart(6)} ${k(y).padStart(6)} ${(x >= y ? "+" : "−") + k(Math.abs(x - y))}`);
  }
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const k = (x) => `${(x / 1000).toFixed(0)}k`;
try {
  await applyMigrations(workers.mf);
  await seed({ edgefilePort: workers.edgefilePort });
  const ports = { A: workers.edgefilePort, B: workers.diagPort, baseline: workers.baselinePort, floor: workers.baselinePort };
  // One write through each edgefile isolate, so both read with a kept bookmark, as a busy isolate does.
  const agent = newAgent(1);
  for (const who of ["A", "B"]) await send(agent, ports[who], ufileRequest("PUT", BUCKET, `instructions/${who}`, { contentType: "text/plain", body: Buffer.from(who) }), true);
  agent.destroy();
  const n = Number(opt.requests);
  for (const id of opt.workload.split(",")) {
    const w = smallWorkloads({ listKeys: 0 }).find((x) => x.id === id);
    if (!w) throw new Error(`unknown workload ${id}`);
    if (opt.floor && !w.build.floor) throw new Error(`${id} has no floor (head-4k, get-4k, describe-bucket have)`);
    const sides = ["A", "B", "baseline", ...(opt.floor ? ["floor"] : [])];
    for (let pass = 0; pass < 3; pass++) for (const who of sides) await run(ports[who], w, who, Number(opt.warmup));
    const per = Object.fromEntries(sides.map((who) => [who, []]));
    for (let r = 0; r < Number(opt.rounds); r++) {
      for (const who of r % 2 ? [...sides].reverse() : sides) {
        dump();
        counting(true);
        await run(ports[who], w, who, n);
        counting(false);
        const { file, total } = dump();
        const gc = selfCosts(file).get("garbage collection") ?? 0;
        per[who].push({ perRequest: total / n, withoutGc: (total - gc) / n, file });
      }
    }
    const values = (who, field = "perRequest") => per[who].map((x) => x[field]);
    const best = (who) => per[who].reduce((x, y) => (y.perRequest < x.perRequest ? y : x));
    log(`\n${w.label}: instructions per request over ${opt.rounds} rounds of ${n} (median; lowest; every round)`);
    for (const who of sides) log(`  ${who.padEnd(8)} ${k(median(values(who)))}; ${k(best(who).perRequest)}; ${values(who).map(k).join(" ")}`);
    const ratio = (x, y) => `${(median(values(x)) / median(values(y))).toFixed(3)} (lowest ${(best(x).perRequest / best(y).perRequest).toFixed(3)})`;
    log(`  baseline ÷ A ${ratio("baseline", "A")}   baseline ÷ B ${ratio("baseline", "B")}   B ÷ A ${ratio("B", "A")}`);
    // Without the collector's own instructions: when a major GC falls is what moves a round most, so
    // this is the steadier figure for a change to what a request does (judge its allocation apart).
    log(`  without garbage collection (median; every round):`);
    for (const who of sides) log(`  ${who.padEnd(8)} ${k(median(values(who, "withoutGc")))}; ${values(who, "withoutGc").map(k).join(" ")}`);
    const bare = (x, y) => (median(values(x, "withoutGc")) / median(values(y, "withoutGc"))).toFixed(3);
    log(`  baseline ÷ A ${bare("baseline", "A")}   baseline ÷ B ${bare("baseline", "B")}   B ÷ A ${bare("B", "A")}`);
    if (opt.floor) {
      log(`  the floor (the baseline doing the API's work): baseline ÷ floor ${ratio("baseline", "floor")}, floor ÷ A ${ratio("floor", "A")}`);
      log(`    without garbage collection: baseline ÷ floor ${bare("baseline", "floor")}, floor ÷ A ${bare("floor", "A")}`);
    }
    // A round's count includes whatever the runtime did meanwhile (a major GC, a cache refill), so
    // the categories compare each side's lowest round.
    if (opt.categories) categories(best("A").file, best("baseline").file, n);
  }
} finally {
  await workers.mf.dispose();
}
