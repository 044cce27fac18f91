#!/usr/bin/env node
// `npm run bench:ab -- --ref <git ref> [options]`: the working tree's edgefile (A) against the same
// Worker at a git ref (B), and the baseline, in ONE workerd with the same D1 and R2: each round runs
// A, B and the baseline back to back in a rotating order and then in the reverse order (A B C C B A),
// and the ratios are taken per round from workerd's CPU time per request, so a change can be judged on the same machine state as the code
// before it (the machine's speed moves more between minutes than most changes do).
//
//   --ref R              the commit to compare with (HEAD: the last commit, so A − B is what is
//                        not committed yet)
//   --workload id[,id]   put-4k put-1m get-4k get-1m head-4k describe-bucket … (head-4k)
//   --rounds N (16)      --duration S measured seconds per window (0.5)   --concurrency N (16)
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { closedLoop, mirroredRound, newAgent, send, ufileRequest } from "./lib/load.mjs";
import { applyMigrations, buildAtRef, buildWorker, runCommand, startWorkers } from "./lib/servers.mjs";
import { median, ratioSummary } from "./lib/stats.mjs";
import { BUCKET, seed, smallWorkloads } from "./lib/workloads.mjs";

const { values: opt } = parseArgs({
  options: {
    ref: { type: "string", default: "HEAD" },
    workload: { type: "string", default: "head-4k" },
    rounds: { type: "string", default: "16" },
    duration: { type: "string", default: "0.5" },
    concurrency: { type: "string", default: "16" },
  },
});
const TMP = resolve("bench/.tmp/ab");
const log = (s) => console.log(s);
rmSync(TMP, { recursive: true, force: true });
mkdirSync(TMP, { recursive: true });
process.on("exit", () => rmSync(TMP, { recursive: true, force: true }));
log(`[ab] A: the working tree; B: ${opt.ref} (${runCommand("git", ["rev-parse", "--short", opt.ref]).trim()})`);
const a = buildWorker(join(TMP, "a"));
const b = buildAtRef(opt.ref, TMP);
// B runs in the diagnostic Worker's slot: the same bindings as edgefile, its own isolate and socket.
const workers = await startWorkers({ script: a, diagScript: b, persistDir: join(TMP, "state") });
try {
  await applyMigrations(workers.mf);
  await seed({ edgefilePort: workers.edgefilePort });
  const ports = { A: workers.edgefilePort, B: workers.diagPort, baseline: workers.baselinePort };
  // One write through each edgefile isolate, so both read with a kept bookmark, as a busy isolate does.
  const agent = newAgent(1);
  for (const who of ["A", "B"]) {
    const res = await send(agent, ports[who], ufileRequest("PUT", BUCKET, `ab/${who}`, { contentType: "text/plain", body: Buffer.from(who) }), true);
    if (res.status !== 200) throw new Error(`warm-up PutFile through ${who}: ${res.status} ${res.text}`);
  }
  agent.destroy();
  const all = smallWorkloads({ listKeys: 0 });
  for (const id of opt.workload.split(",")) {
    const w = all.find((x) => x.id === id);
    if (!w) throw new Error(`unknown workload ${id}; one of ${all.map((x) => x.id).join(" ")}`);
    const runs = { A: [], B: [], baseline: [] };
    const sides = Object.keys(runs);
    for (let r = 0; r < Number(opt.rounds); r++) {
      const order = [...sides.slice(r % 3), ...sides.slice(0, r % 3)];
      const round = await mirroredRound(r % 2 ? order.reverse() : order, async (who) => {
        const res = await closedLoop({
          port: ports[who],
          cpuPid: workers.workerdPid,
          concurrency: Number(opt.concurrency),
          durationMs: Number(opt.duration) * 1000,
          warmupMs: 200,
          build: (n, seq) => w.build.ufile(n, seq, who === "baseline" ? "baseline" : `edgefile-${who}`),
        });
        if (res.errors) throw new Error(`${id} ${who}: ${res.errors} errors, first: ${res.firstError}`);
        return res;
      });
      for (const who of sides) runs[who].push(round[who].cpuMsPerRequest);
    }
    const per = (x, y) => ratioSummary(runs[x].map((v, i) => runs[y][i] / v));
    const fmt = (s) => `${s.median.toFixed(3)} [${s.lo.toFixed(3)}–${s.hi.toFixed(3)}]${s.result ? "" : " (not a result)"}`;
    log(`\n${w.label}, ${opt.rounds} rounds: CPU ms per request, median: A ${median(runs.A).toFixed(3)}, B ${median(runs.B).toFixed(3)}, baseline ${median(runs.baseline).toFixed(3)}`);
    log(`  baseline ÷ A (by CPU)  ${fmt(per("A", "baseline"))}`);
    log(`  baseline ÷ B (by CPU)  ${fmt(per("B", "baseline"))}`);
    log(`  B ÷ A (by CPU)         ${fmt(per("A", "B"))}   above 1: the working tree costs less than ${opt.ref}`);
  }
} finally {
  await workers.mf.dispose();
}
