#!/usr/bin/env node
// What part of a small request is the API's own work, measured without edgefile: the baseline Worker
// answers a GET, HEAD or DescribeBucket plainly and, asked to, does more (bench/baseline/worker.js):
//   --with headers    (`npm run bench:headers-ab`) edgefile's other response headers, values of the
//                     same length;
//   --with protocol   (`npm run bench:floor`) everything edgefile's API and promises require besides
//                     the storage read, in the fewest steps: the UFile signature checked, a D1 session
//                     and its bookmark, edgefile's response headers, an access-log line, a usage event.
// Mirrored rounds of the two in one workerd, as `npm run bench` runs its sides; the ratio per round is
// the plain answer's workerd CPU per request ÷ the other's. With `protocol` the ratio is the floor:
// what any implementation that does the API's work can reach against the bare baseline.
//
//   --rounds N (60)   --workload head-4k|get-4k (head-4k; describe-bucket too with `protocol`)
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { closedLoop, mirroredRound } from "./lib/load.mjs";
import { applyMigrations, buildWorker, startWorkers } from "./lib/servers.mjs";
import { median, ratioSummary } from "./lib/stats.mjs";
import { seed, smallWorkloads } from "./lib/workloads.mjs";

const { values: opt } = parseArgs({
  options: {
    rounds: { type: "string", default: "60" },
    with: { type: "string", default: "headers" },
    workload: { type: "string", default: "head-4k" },
  },
});
/** Per diagnostic: the request of its side, from the workload's plain one. */
const DIAGNOSTICS = {
  headers: {
    label: "with edgefile's headers",
    request: (w, n, seq) => {
      const request = w.build.ufile(n, seq, "baseline");
      request.headers["x-bench-headers"] = "edgefile";
      return request;
    },
  },
  protocol: { label: "doing the API's work", request: (w, n, seq) => w.build.floor(n, seq) },
};
const diagnostic = DIAGNOSTICS[opt.with];
if (!diagnostic) throw new Error(`--with is one of ${Object.keys(DIAGNOSTICS).join(", ")}`);
const TMP = resolve("bench/.tmp/baseline-ab");
rmSync(TMP, { recursive: true, force: true });
mkdirSync(TMP, { recursive: true });
process.on("exit", () => rmSync(TMP, { recursive: true, force: true }));
const script = buildWorker(join(TMP, "build"));
const workers = await startWorkers({ script, diagScript: script, persistDir: join(TMP, "state") });
try {
  await applyMigrations(workers.mf);
  await seed({ edgefilePort: workers.edgefilePort });
  const workload = smallWorkloads({ listKeys: 0 }).find((w) => w.id === opt.workload);
  const allowed = opt.with === "headers" ? ["head-4k", "get-4k"] : ["head-4k", "get-4k", "describe-bucket"];
  if (!workload || !allowed.includes(workload.id)) throw new Error(`--workload is one of ${allowed.join(", ")}`);
  const runs = { plain: [], more: [] };
  for (let r = 0; r < Number(opt.rounds); r++) {
    const order = r % 2 ? ["plain", "more"] : ["more", "plain"];
    const round = await mirroredRound(order, (side) =>
      closedLoop({
        port: workers.baselinePort,
        cpuPid: workers.workerdPid,
        concurrency: 16,
        durationMs: 500,
        warmupMs: 200,
        build: (n, seq) => (side === "more" ? diagnostic.request(workload, n, seq) : workload.build.ufile(n, seq, "baseline")),
      }),
    );
    for (const side of ["plain", "more"]) runs[side].push(round[side].cpuMsPerRequest);
  }
  const s = ratioSummary(runs.plain.map((plain, i) => plain / runs.more[i]));
  console.log(`${workload.label} through the baseline, ${opt.rounds} rounds: CPU ms per request, median: plain ${median(runs.plain).toFixed(3)}, ${diagnostic.label} ${median(runs.more).toFixed(3)}`);
  console.log(`  plain ÷ ${diagnostic.label} (by CPU)  ${s.median.toFixed(3)} [${s.lo.toFixed(3)}–${s.hi.toFixed(3)}]`);
} finally {
  await workers.mf.dispose();
}
