#!/usr/bin/env node
// `npm run bench:headers-ab [-- --rounds N]`: what edgefile's response headers cost a HEAD, without
// edgefile. The baseline Worker answers the HEAD workload plainly (its three headers) and, asked
// with `x-bench-headers: edgefile`, with edgefile's other response headers too (values of the same
// length: bench/baseline/worker.js). Mirrored rounds of the two in one workerd, as `npm run bench`
// runs its sides; the ratio per round is the plain answer's workerd CPU per request ÷ the other's.
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { closedLoop, mirroredRound } from "./lib/load.mjs";
import { applyMigrations, buildWorker, startWorkers } from "./lib/servers.mjs";
import { median, ratioSummary } from "./lib/stats.mjs";
import { seed, smallWorkloads } from "./lib/workloads.mjs";

const { values: opt } = parseArgs({ options: { rounds: { type: "string", default: "60" } } });
const TMP = resolve("bench/.tmp/headers-ab");
rmSync(TMP, { recursive: true, force: true });
mkdirSync(TMP, { recursive: true });
process.on("exit", () => rmSync(TMP, { recursive: true, force: true }));
const script = buildWorker(join(TMP, "build"));
const workers = await startWorkers({ script, diagScript: script, persistDir: join(TMP, "state") });
try {
  await applyMigrations(workers.mf);
  await seed({ edgefilePort: workers.edgefilePort });
  const head = smallWorkloads({ listKeys: 0 }).find((w) => w.id === "head-4k");
  const runs = { plain: [], headers: [] };
  for (let r = 0; r < Number(opt.rounds); r++) {
    const order = r % 2 ? ["plain", "headers"] : ["headers", "plain"];
    const round = await mirroredRound(order, (side) =>
      closedLoop({
        port: workers.baselinePort,
        cpuPid: workers.workerdPid,
        concurrency: 16,
        durationMs: 500,
        warmupMs: 200,
        build: (n, seq) => {
          const request = head.build.ufile(n, seq, "baseline");
          if (side === "headers") request.headers = { ...request.headers, "x-bench-headers": "edgefile" };
          return request;
        },
      }),
    );
    for (const side of ["plain", "headers"]) runs[side].push(round[side].cpuMsPerRequest);
  }
  const s = ratioSummary(runs.plain.map((plain, i) => plain / runs.headers[i]));
  console.log(`HEAD 4 KiB through the baseline, ${opt.rounds} rounds: CPU ms per request, median: plain ${median(runs.plain).toFixed(3)}, with edgefile's headers ${median(runs.headers).toFixed(3)}`);
  console.log(`  plain ÷ with edgefile's headers (by CPU)  ${s.median.toFixed(3)} [${s.lo.toFixed(3)}–${s.hi.toFixed(3)}]`);
} finally {
  await workers.mf.dispose();
}
