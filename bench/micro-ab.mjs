#!/usr/bin/env node
// `npm run bench:micro-ab -- [options]`: pieces of bench/lib/micro.js (a whole HEAD or DescribeBucket
// with D1 answered from memory, a session, a signature, …) timed in the working tree's Worker (A)
// and in the same Worker at a git ref (B), both as the diagnostic Worker in ONE workerd, rounds
// interleaved (A, B, then B, A, …). Each figure is workerd's CPU time for N runs of the piece minus N
// runs of nothing, ÷ N, so a change of a few µs of a request's own work can be judged in the same
// machine state as the code before it. B runs the working tree's micro.js on its own src/.
//
//   --ref R              the commit to compare with (HEAD)
//   --pieces "a;b"       micro.js piece names, `;`-separated (the whole HEAD through edgefile)
//   --rounds N (12)      --n N runs per piece and round (2000)
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { newAgent, send } from "./lib/load.mjs";
import { processCpuNs } from "./lib/machine.mjs";
import { applyMigrations, buildAtRef, buildWorker, runCommand, startWorkers } from "./lib/servers.mjs";
import { median, quantile } from "./lib/stats.mjs";
import { benchBucketId, seed } from "./lib/workloads.mjs";

const { values: opt } = parseArgs({
  options: {
    ref: { type: "string", default: "HEAD" },
    pieces: { type: "string", default: "HEAD through edgefile, D1 memoized" },
    rounds: { type: "string", default: "12" },
    n: { type: "string", default: "2000" },
  },
});
const TMP = resolve("bench/.tmp/micro-ab");
rmSync(TMP, { recursive: true, force: true });
mkdirSync(TMP, { recursive: true });
process.on("exit", () => rmSync(TMP, { recursive: true, force: true }));
console.log(`[micro-ab] A: the working tree; B: ${opt.ref} (${runCommand("git", ["rev-parse", "--short", opt.ref]).trim()})`);
const a = buildWorker(join(TMP, "a"), "bench/lib/diag-entry.js");
// The diagnostic Worker with src/ as committed at `ref` and the working tree's micro.js.
const b = buildAtRef(opt.ref, TMP, { entry: "bench/lib/diag-entry.js", keep: ["bench/lib/micro.js"] });
// A in edgefile's slot, B in the diagnostic Worker's: the same bindings, each its own isolate and socket.
const workers = await startWorkers({ script: a, diagScript: b, persistDir: join(TMP, "state") });
try {
  await applyMigrations(workers.mf);
  await seed({ edgefilePort: workers.edgefilePort });
  const bucketId = await benchBucketId(workers.edgefilePort);
  const agent = newAgent(1);
  const cpuOf = async (port, piece, n) => {
    const path = `/__micro?piece=${encodeURIComponent(piece)}&n=${n}&bucketId=${encodeURIComponent(bucketId)}`;
    const before = processCpuNs(workers.workerdPid);
    const res = await send(agent, port, { method: "GET", path, headers: { host: "x" } }, true);
    if (res.status !== 204) throw new Error(`micro ${piece}: ${res.status} ${res.text}`);
    return processCpuNs(workers.workerdPid) - before;
  };
  const n = Number(opt.n);
  const ports = { A: workers.edgefilePort, B: workers.diagPort };
  for (const piece of opt.pieces.split(";")) {
    for (const port of Object.values(ports)) await cpuOf(port, piece, n); // warm both isolates
    const us = { A: [], B: [] };
    for (let r = 0; r < Number(opt.rounds); r++) {
      for (const side of r % 2 ? ["A", "B"] : ["B", "A"]) {
        const cost = await cpuOf(ports[side], piece, n);
        us[side].push((cost - (await cpuOf(ports[side], "none", n))) / n / 1000);
      }
    }
    const ratios = us.A.map((x, i) => us.B[i] / x).sort((x, y) => x - y);
    console.log(
      `${piece}: µs per run, median: A ${median(us.A).toFixed(1)}, B ${median(us.B).toFixed(1)}; ` +
        `B ÷ A ${median(ratios).toFixed(3)} (inner 80 % of rounds ${quantile(ratios, 0.1).toFixed(2)}–${quantile(ratios, 0.9).toFixed(2)})`,
    );
  }
  agent.destroy();
} finally {
  await workers.mf.dispose();
}
