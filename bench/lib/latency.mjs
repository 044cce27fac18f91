// The global-latency model, driven from Node: edgefile and the baseline through the diagnostic
// Worker with D1 behind d1-model.js (`x-bench-model: primary/replica/lag`), at several modeled
// distances to D1's primary. Light load (a few requests in flight) so that the latencies are the
// request path's, not queueing; p50/p99 pooled over interleaved rounds (E B, B E, …).
import { randomBytes } from "node:crypto";
import { closedLoop, controlRequest, newAgent, send, ufileRequest } from "./load.mjs";
import { percentiles } from "./stats.mjs";
import { BUCKET, LIST_BUCKET } from "./workloads.mjs";

const OCTET = "application/octet-stream";
const small = randomBytes(4096);

/** What is timed at each distance; `who` keeps each target's PUT keys apart. */
export function latencyWorkloads(listKeys) {
  const pages = Math.max(1, listKeys - 100);
  return [
    { id: "get", label: "GetFile 4 KiB", build: (w, seq) => ufileRequest("GET", BUCKET, `get/4k/${(w + seq) % 16}`) },
    { id: "head", label: "HEAD", build: (w, seq) => ufileRequest("HEAD", BUCKET, `get/4k/${(w + seq) % 16}`) },
    { id: "put", label: "PutFile 4 KiB", build: (w, _seq, who) => ufileRequest("PUT", BUCKET, `latency/${who}/${w}`, { contentType: OCTET, body: small }) },
    {
      id: "list",
      label: "PrefixFileList 100",
      build: (w, seq) => {
        const marker = `file-${String((w * 7919 + seq * 104729) % pages).padStart(6, "0")}`;
        return ufileRequest("GET", LIST_BUCKET, "", { query: `list&prefix=file-&marker=${marker}&limit=100` });
      },
    },
    { id: "describe", label: "DescribeBucket", build: () => controlRequest({ Action: "DescribeBucket", BucketName: BUCKET }) },
  ];
}

/** The model at one distance: a nearby replica `replicaMs` away (never farther than the primary), `lagMs` behind. */
export const modelAt = (primaryMs, { replicaMs, lagMs }) => ({ primaryMs, replicaMs: Math.min(primaryMs, replicaMs), lagMs: primaryMs === 0 ? 0 : lagMs ?? primaryMs });

export async function runLatencyModel(port, { distances, replicaMs, lagMs, rounds, durationMs, warmupMs, concurrency, listKeys }, log, sampler) {
  const out = { distances, replicaMs, lagMs, concurrency, rounds, durationMs, ops: [] };
  const agent = newAgent(1);
  const modelStats = async () => JSON.parse((await send(agent, port, { method: "GET", path: "/__model", headers: { host: "x" } }, true)).text);
  for (const op of latencyWorkloads(listKeys)) {
    const row = { id: op.id, label: op.label, at: [] };
    for (const d of distances) {
      const m = modelAt(d, { replicaMs, lagMs });
      sampler?.phase(`latency ${op.id} ${d}`);
      const lat = { edgefile: [], baseline: [] };
      const errors = { edgefile: 0, baseline: 0 };
      const trips = { edgefile: { primary: 0, replica: 0, catchUpMs: 0, requests: 0 }, baseline: { primary: 0, replica: 0, catchUpMs: 0, requests: 0 } };
      // Per D1 database (DB, INDEX_*): queries and their locally measured service time (d1-model.js).
      const databases = { edgefile: {}, baseline: {} };
      for (let r = 0; r < rounds; r++) {
        for (const who of r % 2 === 0 ? ["edgefile", "baseline"] : ["baseline", "edgefile"]) {
          const headers = { "x-bench-target": who, "x-bench-model": `${m.primaryMs}/${m.replicaMs}/${m.lagMs}` };
          await modelStats(); // reset
          const res = await closedLoop({
            port,
            concurrency,
            durationMs,
            warmupMs,
            keepLatencies: true,
            build: (w, seq) => {
              const req = op.build(w, seq, who);
              return { ...req, headers: { ...req.headers, ...headers } };
            },
          });
          lat[who].push(...res.latencies);
          const t = await modelStats();
          for (const k of ["primary", "replica", "catchUpMs"]) trips[who][k] += t[k];
          for (const [name, d] of Object.entries(t.databases)) {
            const sum = (databases[who][name] ??= { queries: 0, serviceMs: 0 });
            sum.queries += d.queries;
            sum.serviceMs += d.serviceMs;
          }
          trips[who].requests += res.total;
          errors[who] += res.errors;
          if (res.errors) log(`latency ${op.label} ${who} @${d} ms: ${res.errors} errors, first: ${res.firstError}`);
        }
      }
      // Modeled D1 round trips per request (all requests of the runs, warm-up included).
      const per = (who) => ({ primary: trips[who].primary / trips[who].requests, replica: trips[who].replica / trips[who].requests, catchUpMs: trips[who].catchUpMs / trips[who].requests });
      const service = (who) =>
        Object.fromEntries(Object.entries(databases[who]).map(([name, d]) => [name, { queriesPerRequest: d.queries / trips[who].requests, meanServiceMs: d.queries === 0 ? 0 : d.serviceMs / d.queries }]));
      const at = {
        ...m,
        edgefile: { ...percentiles(lat.edgefile), errors: errors.edgefile, trips: per("edgefile"), databases: service("edgefile") },
        baseline: { ...percentiles(lat.baseline), errors: errors.baseline, trips: per("baseline"), databases: service("baseline") },
      };
      row.at.push(at);
      const tr = (x) => `${x.trips.primary.toFixed(2)} primary + ${x.trips.replica.toFixed(2)} replica trips`;
      log(`latency ${op.label.padEnd(18)} primary ${String(d).padStart(3)} ms: edgefile p50 ${at.edgefile.p50.toFixed(0)} p99 ${at.edgefile.p99.toFixed(0)} ms (${tr(at.edgefile)}), baseline p50 ${at.baseline.p50.toFixed(0)} p99 ${at.baseline.p99.toFixed(0)} ms (${tr(at.baseline)})`);
    }
    out.ops.push(row);
  }
  agent.destroy();
  return out;
}
