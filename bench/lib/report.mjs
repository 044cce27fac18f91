// results.md and results.png from one run's figures. Every ratio is the median over mirrored
// rounds of edgefile ÷ other (A B B A, each side's two windows together), with its 95 % interval
// (stats.mjs); a ratio whose interval is wider than ±0.05 is reported as not a result.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { chart } from "./chart.mjs";
import { RESOLUTION, median, ratioSummary } from "./stats.mjs";

/** The heading of the section bench/scale.mjs writes at the end of results.md (a run of its own, kept by a bench run). */
export const SCALE_HEADING = "## Scale (index shards)";

const f0 = (v) => (Number.isFinite(v) ? v.toFixed(0) : "–");
const f1 = (v) => (Number.isFinite(v) ? v.toFixed(1) : "–");
const f2 = (v) => (Number.isFinite(v) ? v.toFixed(2) : "–");
const pct = (v) => (Number.isFinite(v) ? `${(v * 100).toFixed(0)} %` : "–");
const yes = (ok) => (ok === null ? "–" : ok ? "✅ yes" : "❌ no");
const table = (head, rows) => [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
/** "0.93 [0.90–0.95]" */
const ci = (r) => (r ? `${f2(r.median)} [${f2(r.lo)}–${f2(r.hi)}]` : "–");
/** A target check that refuses to call it when the interval is too wide. */
const verdict = (r, target) => {
  if (target === null || target === undefined) return r && !r.result ? "not a result" : "–";
  if (!r?.result) return `⚠️ not a result (${r ? `±${f2(r.halfWidth)}` : "no data"})`;
  return yes(r.median >= target);
};

/** Per target: median req/s, p50, p99 over the rounds; the ratio summaries come from run.mjs. */
function summarize(w) {
  const stat = (runs) =>
    runs && {
      rps: median(runs.map((r) => r.rps)),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      cpu: median(runs.map((r) => r.cpuMsPerRequest)),
      errors: runs.reduce((n, r) => n + r.errors, 0),
    };
  const { edgefile, baseline, s3rver } = w.runs;
  return {
    ...w,
    e: stat(edgefile),
    b: stat(baseline),
    s: stat(s3rver),
    // The headline: from CPU time per request (robust to a busy machine); req/s beside it.
    ratio: w.vsBaseCpu ?? w.vsBase,
    rpsRatio: w.vsBase,
    vsBase: (w.vsBaseCpu ?? w.vsBase).median,
    vsS3: w.vsS3?.median,
    baseVsS3: w.baseVsS3?.median,
    s3Ratio: w.vsS3,
    baseS3Ratio: w.baseVsS3,
    met: w.target === null ? null : (w.vsBaseCpu ?? w.vsBase).result ? (w.vsBaseCpu ?? w.vsBase).median >= w.target : null,
  };
}

/** Isolate heap growth a 1 GiB PutFile may cause (issue 14). */
const HEAP_TARGET = 8;
const sizeLabel = (bytes) => (bytes >= 2 ** 30 ? `${bytes / 2 ** 30} GiB` : `${bytes / 2 ** 20} MiB`);

/**
 * The S3 front against the UFile plane on the same work (issue 15: "costs at most 5% more"): per
 * round, UFile's CPU time per request ÷ S3's (the headline, as for the baseline) and S3 req/s ÷ UFile's.
 */
function summarizeS3(w) {
  const { ufile, s3 } = w.runs;
  const cpu = ratioSummary(s3.map((x, i) => ufile[i].cpuMsPerRequest / x.cpuMsPerRequest));
  return {
    ...w,
    u: { rps: median(ufile.map((r) => r.rps)), cpu: median(ufile.map((r) => r.cpuMsPerRequest)), errors: ufile.reduce((n, r) => n + r.errors, 0) },
    s: { rps: median(s3.map((r) => r.rps)), cpu: median(s3.map((r) => r.cpuMsPerRequest)), errors: s3.reduce((n, r) => n + r.errors, 0) },
    cpu,
    rps: w.s3VsUfile,
    met: cpu.result ? cpu.median >= w.target : null,
  };
}

/** How much one server's own CPU time per request moved between its runs of a workload (the machine, not the code). */
function selfSpread(runs) {
  const cpu = runs.map((r) => r.cpuMsPerRequest);
  const mid = median(cpu);
  return { min: Math.min(...cpu), max: Math.max(...cpu), median: mid, plusMinus: Math.max(mid - Math.min(...cpu), Math.max(...cpu) - mid) / mid };
}

/** The "Scale" section `npm run bench:scale` (bench/scale.mjs) wrote at the end of results.md: its own run, kept. */
function scaleSection(file) {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const at = text.indexOf(SCALE_HEADING);
  return at < 0 ? "" : "\n" + text.slice(at);
}

export function writeReport({ info, small, s3front = [], latency, multipart, large, diagnostics }, dir = "bench") {
  const rows = small.map(summarize);
  const s3Rows = s3front.map(summarizeS3);
  const big = sizeLabel(info.settings.largeBytes);
  const mp = multipart && {
    e: median(multipart.edgefile.map((r) => r.mibps)),
    b: median(multipart.baseline.map((r) => r.mibps)),
    es: median(multipart.edgefile.map((r) => r.seconds)),
    bs: median(multipart.baseline.map((r) => r.seconds)),
    ep: median(multipart.edgefile.map((r) => r.partP50)),
    bp: median(multipart.baseline.map((r) => r.partP50)),
    ratio: ratioSummary(multipart.edgefile.map((r, i) => r.mibps / multipart.baseline[i].mibps)),
  };
  const md = [];
  const m = info.machine;
  const s = info.settings;
  const load = m.load?.all;
  md.push(
    "# edgefile benchmarks",
    "",
    `Written by \`npm run bench\` (bench/run.mjs) on ${info.date.slice(0, 16).replace("T", " ")} UTC in ${info.minutes.toFixed(1)} min${info.full ? "" : " (a partial run: see the command)"}. Every figure below comes from that one run; run it again to refresh this file and [results.png](results.png).`,
    "",
    `- **Command:** \`${info.command}\``,
    `- **Machine:** ${m.cpu}, ${m.cores} cores, ${m.memoryGiB.toFixed(1)} GiB RAM, ${m.kernel}; load average ${m.loadBefore.map(f2).join(" ")} at the start, ${m.loadAfter.map(f2).join(" ")} at the end.${
      load ? ` During the run (${load.samples} samples, every 0.5 s): 1-minute load ${f2(load.load1.min)}–${f2(load.load1.max)} (median ${f2(load.load1.median)}), CPU busy ${pct(load.busy)}, of which the bench's own processes ${pct(load.ours)} and **other processes ${pct(load.others)}**, steal ${pct(load.steal)}. See "Machine load" below.` : ""
    }`,
    `- **Software:** Node ${m.node}, workerd ${m.workerd}, wrangler ${m.wrangler}, miniflare ${m.miniflare}, s3rver ${m.s3rver}.`,
    `- **Method:** edgefile (bundled by \`wrangler deploy --dry-run\`, bindings from wrangler.toml) and the baseline Worker (bench/baseline/worker.js: the same D1 and R2 calls per request, none of edgefile's logic) run in **one workerd** (Miniflare, local D1 and R2 persisted on disk under bench/.tmp), each on its own loopback socket; both share the same D1 database and R2 bucket. s3rver runs in its own Node process. One Node process drives all three with keep-alive HTTP/1.1 closed loops: ${s.concurrency} requests in flight, ${s.warmupMs / 1000} s warm-up + ${s.durationMs / 1000} s measured per window (1.5 s for the 1 MiB transfers and the listing), **${s.rounds} mirrored rounds** per workload: each round runs edgefile, the baseline, the baseline, edgefile (the next: baseline, edgefile, edgefile, baseline), and each side's figures for the round are its two windows together, so a drift in the machine's speed within the round weighs on both alike; s3rver runs one window in every fourth round. Requests to edgefile are signed as the SDKs sign them (\`Authorization: UCloud …\`, Host \`<bucket>.localhost\`); the baseline gets the same bytes; s3rver gets S3 V2-signed requests.`,
    `- **Ratios:** two per round, each from the round's two windows of each side. **By CPU:** the baseline's workerd CPU time per request ÷ edgefile's (all workerd threads, /proc/<pid>/task/*/schedstat, over the measured window): the throughput ratio a CPU-bound workerd reaches, and what other processes on the machine change least. **By req/s:** edgefile's requests per second ÷ the baseline's, which a busy neighbour moves a lot. Each figure is the median over the rounds with its distribution-free 95 % interval (order statistics of the per-round ratios) and their min–max. **A ratio whose interval reaches further than ±${RESOLUTION} from its median is not a result**: it is flagged, with the rounds that would be needed at that spread, or the machine's load, as the reason. Targets are judged on the CPU ratio.`,
    "",
    "![edgefile ÷ baseline with 95 % intervals, latency against modeled distance to D1, and memory during the large transfers](results.png)",
    "",
  );

  // ── targets
  const targetRows = rows.map((r) => [
    r.label,
    r.target === null ? "none set" : `≥ ${r.target}`,
    ci(r.ratio),
    `${f2(r.ratio.min)}–${f2(r.ratio.max)}`,
    ci(r.rpsRatio) + (r.rpsRatio.result ? "" : " ⚠️"),
    String(r.ratio.n),
    verdict(r.ratio, r.target),
  ]);
  if (mp) targetRows.push(["Multipart 256 MiB (MiB/s)", "none set", "–", "–", ci(mp.ratio), String(mp.ratio.n), "–"]);
  md.push("## Targets: edgefile ÷ baseline", "", table(["Workload", "Target", "by CPU [95 % interval]", "min–max", "by req/s [95 %]", "rounds", "Met (by CPU)"], targetRows), "");
  const unsure = rows.filter((r) => !r.ratio.result);
  if (unsure.length) {
    md.push(`**Not results** (interval wider than ±${RESOLUTION}): ${unsure.map((r) => `${r.label}: ${r.ratio.advice}`).join("; ")}.`, "");
  }
  if (large) {
    const e = large.edgefile;
    const growth = (x) => x.heapPeak - x.heapBefore;
    md.push(
      table(
        ["Memory", "Target", "Result", "Met"],
        [
          [`${big} PutFile: isolate heap growth`, `< ${HEAP_TARGET} MiB`, `+${f1(growth(e.put))} MiB`, yes(growth(e.put) < HEAP_TARGET)],
          [`second ${big} PutFile: heap after it (after GC) vs after the first`, "no ratchet (≤ +1 MiB)", Number.isFinite(e["put again"]?.heapAfter) ? `${f1(e.put.heapAfter)} → ${f1(e["put again"].heapAfter)} MiB` : "–", Number.isFinite(e["put again"]?.heapAfter) ? yes(e["put again"].heapAfter - e.put.heapAfter <= 1) : "–"],
          [`${big} GetFile: isolate heap growth`, `< ${HEAP_TARGET} MiB`, `+${f1(growth(e.get))} MiB`, yes(growth(e.get) < HEAP_TARGET)],
        ],
      ),
      "",
    );
  }

  // ── machine load
  if (m.load) {
    md.push(
      "## Machine load",
      "",
      "Sampled every 0.5 s from /proc: the 1-minute load average, the share of all CPU time that was busy, the bench's own processes (this Node process, workerd, s3rver), everything else, and steal (time a hypervisor gave to other guests). On a quiet machine \"others\" is near 0 %.",
      "",
      table(
        ["Phase", "samples", "load 1 min (min–max)", "busy", "bench", "others", "steal"],
        Object.entries(m.load).map(([phase, x]) => [phase, String(x.samples), `${f2(x.load1.min)}–${f2(x.load1.max)}`, pct(x.busy), pct(x.ours), pct(x.others), pct(x.steal)]),
      ),
      "",
    );
  }

  // ── small objects
  md.push(
    "## Small objects, listing, control plane (edgefile vs baseline)",
    "",
    table(
      ["Workload", "edgefile req/s", "p50 ms", "p99 ms", "CPU ms/req", "baseline req/s", "p50 ms", "p99 ms", "CPU ms/req"],
      rows.map((r) => [r.label, f0(r.e.rps), f1(r.e.p50), f1(r.e.p99), f2(r.e.cpu), f0(r.b.rps), f1(r.b.p50), f1(r.b.p99), f2(r.b.cpu)]),
    ),
    "",
    `req/s, p50 and p99 are medians over the rounds. The listing bucket held ${info.listKeys.toLocaleString("en")} keys (inserted straight into local D1 in ${info.listFillSeconds.toFixed(1)} s); each request asks for a page of 1 000 (\`?list&prefix=file-&marker=…&limit=1000\`) from a different marker. DescribeBucket is a signed control-plane GET. Errors (non-200 answers): ${rows.map((r) => r.e.errors + r.b.errors + (r.s?.errors ?? 0)).reduce((a, b) => a + b, 0)}.`,
    "",
    "### Per-round ratios (edgefile ÷ baseline, in the order measured)",
    "",
    table(
      ["Workload", "by", "ratios"],
      rows.flatMap((r) => [
        [r.label, "CPU", r.runs.edgefile.map((x, i) => f2(r.runs.baseline[i].cpuMsPerRequest / x.cpuMsPerRequest)).join(" ")],
        [r.label, "req/s", r.runs.edgefile.map((x, i) => f2(x.rps / r.runs.baseline[i].rps)).join(" ")],
      ]),
    ),
    "",
  );

  // ── s3rver
  const s3rows = rows.filter((r) => r.s);
  if (s3rows.length) {
    md.push(
      "## Against s3rver (the npm local S3 emulator)",
      "",
      table(
        ["Workload", "edgefile req/s", "s3rver req/s", "s3rver p50 ms", "s3rver p99 ms", "edgefile ÷ s3rver", "baseline ÷ s3rver", "edgefile ahead"],
        s3rows.map((r) => [r.label, f0(r.e.rps), f0(r.s.rps), f1(r.s.p50), f1(r.s.p99), ci(r.s3Ratio), ci(r.baseS3Ratio), yes(r.vsS3 > 1)]),
      ),
      "",
      "baseline ÷ s3rver is the floor: what any Worker doing these D1 + R2 calls reaches in local workerd.",
      "",
    );
  }

  // ── S3 front
  if (s3Rows.length) {
    md.push(
      "## The S3 front against the UFile plane",
      "",
      "The same work through both protocols on the same edgefile Worker (bench/lib/s3-workloads.mjs): S3 requests are path style, header-signed SigV4 with `UNSIGNED-PAYLOAD`; the UFile requests are GetFile/PutFile of the same sizes. Each round runs both back to back, order alternating. Ratios: by CPU, UFile's workerd CPU time per request ÷ S3's; by req/s, S3's ÷ UFile's. Target: S3 costs at most 5 % more (≥ 0.95).",
      "",
      table(
        ["Workload", "Target", "by CPU [95 %]", "min–max", "by req/s [95 %]", "UFile req/s", "S3 req/s", "UFile CPU ms/req", "S3 CPU ms/req", "rounds", "Met (by CPU)"],
        s3Rows.map((r) => [r.label, `≥ ${r.target}`, ci(r.cpu), `${f2(r.cpu.min)}–${f2(r.cpu.max)}`, ci(r.rps) + (r.rps.result ? "" : " ⚠️"), f0(r.u.rps), f0(r.s.rps), f2(r.u.cpu), f2(r.s.cpu), String(r.cpu.n), verdict(r.cpu, r.target)]),
      ),
      "",
      `Errors (non-200 answers): ${s3Rows.reduce((n, r) => n + r.u.errors + r.s.errors, 0)}.`,
      "",
    );
  }

  // ── latency model
  if (latency) {
    md.push(
      "## Global latency: modeled distance to D1's primary",
      "",
      `Deployed, edgefile answers in every Cloudflare location while D1's primary sits in one region. The bench models that distance by wrapping the D1 binding (bench/lib/d1-model.js, through the diagnostic Worker): every query first waits a modeled round trip, then runs on the local D1 as usual. Without a D1 session a query goes to the primary (${latency.distances.join(", ")} ms round trip); through \`withSession\` (D1 read replication) a read goes to a nearby replica (${latency.replicaMs} ms, never more than the primary) that applies each commit one primary round trip after the primary made it, and waits for the replica to catch up when the session's bookmark is newer; writes go to the primary. R2 and the usage queue are not delayed. ${latency.concurrency} requests in flight, ${latency.rounds} interleaved rounds of ${latency.durationMs / 1000} s per target and distance; p50/p99 over all of a target's requests at that distance (n = requests). The baseline makes the same D1 calls without sessions, so every one of them pays the primary's round trip.`,
      "",
      table(
        ["Workload", "primary RTT ms", "replica RTT ms", "edgefile p50", "p99", "n", "D1 trips (replica + primary)", "baseline p50", "p99", "n", "D1 trips"],
        latency.ops.flatMap((op) =>
          op.at.map((a) => [
            op.label,
            String(a.primaryMs),
            String(a.replicaMs),
            f1(a.edgefile.p50),
            f1(a.edgefile.p99),
            String(a.edgefile.n),
            a.edgefile.trips ? `${f2(a.edgefile.trips.replica)} + ${f2(a.edgefile.trips.primary)}` : "–",
            f1(a.baseline.p50),
            f1(a.baseline.p99),
            String(a.baseline.n),
            a.baseline.trips ? `${f2(a.baseline.trips.replica)} + ${f2(a.baseline.trips.primary)}` : "–",
          ]),
        ),
      ),
      "",
    );
  }

  // ── multipart
  if (mp) {
    md.push(
      "## Multipart upload: 256 MiB in 8 MiB parts, 4 in flight",
      "",
      "Initiate, 32 UploadParts (each worker takes the next part number), Finish with the comma-joined part ETags; the time covers all of it.",
      "",
      table(
        ["", "seconds", "MiB/s", "part p50 ms"],
        [
          ["edgefile", f1(mp.es), f0(mp.e), f0(mp.ep)],
          ["baseline", f1(mp.bs), f0(mp.b), f0(mp.bp)],
        ],
      ),
      "",
      `edgefile ÷ baseline (MiB/s): **${ci(mp.ratio)}** over ${mp.ratio.n} rounds (no target set).`,
      "",
    );
  }

  // ── large
  if (large) {
    const lrows = [];
    const heap = (x) => `${f1(x.heapBefore)} → ${f1(x.heapPeak)} (+${f1(x.heapPeak - x.heapBefore)})${Number.isFinite(x.heapAfter) ? `, ${f1(x.heapAfter)} after GC` : ""}`;
    for (const who of ["edgefile", "baseline"]) {
      for (const [step, x] of Object.entries(large[who])) lrows.push([who, step, f0(x.mibps), f0(x.rssBefore), f0(x.rssPeak), `+${f0(x.rssGrowth)}`, heap(x)]);
    }
    for (const x of large.hashing ?? []) {
      lrows.push([`baseline + ${x.pipe === "js" ? "TransformStream hashing" : "BYOB hashing"} (diagnostic)`, "put", f0(x.mibps), f0(x.rssBefore), f0(x.rssPeak), `+${f0(x.rssGrowth)}`, heap(x)]);
    }
    const e = large.edgefile;
    const b = large.baseline;
    md.push(
      `## ${big} PutFile and GetFile streamed through the Worker`,
      "",
      "Each group of rows runs in a fresh workerd (same persisted state): edgefile's two PutFiles in one process, every other row in its own. The body is generated as a stream by the client and the download is read and counted, never held. RSS of the workerd process is sampled every 100 ms, peak also from VmHWM after resetting it; the isolate heap (V8 heap in use + ArrayBuffer backing stores of the Worker's own isolate, what the 128 MB isolate limit counts) is read through workerd's DevTools inspector, and once more after a forced garbage collection when the transfer is over (\"after GC\": what the transfer left behind).",
      "",
      table(["Worker", "Transfer", "MiB/s", "RSS before MiB", "RSS peak MiB", "RSS growth MiB", "isolate heap MiB: before → peak (growth), after GC"], lrows),
      "",
      `**RSS growth, edgefile beside the baseline:** PutFile +${f0(e.put.rssGrowth)} MiB vs +${f0(b.put.rssGrowth)} MiB, GetFile +${f0(e.get.rssGrowth)} MiB vs +${f0(b.get.rssGrowth)} MiB. The baseline's upload bytes never enter its JS (a native pipe to R2), so its growth is the **local simulators'**: the R2 simulator runs in the same workerd process and its JS checksums and buffers every uploaded byte. edgefile's own share is its isolate heap (last column); the rest of its RSS growth is that same simulator. Throughput edgefile ÷ baseline: PutFile ${f2(e.put.mibps / b.put.mibps)}, GetFile ${f2(e.get.mibps / b.get.mibps)} (one transfer each, so mostly noise).`,
      "",
    );
  }

  // ── diagnostics
  if (diagnostics) {
    const { calls, ablations, sha1 } = diagnostics;
    const fmtCalls = (c) =>
      Object.entries(c)
        .filter(([, n]) => n >= 0.05)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, n]) => `${k} ${Math.abs(n - Math.round(n)) < 0.05 ? Math.round(n) : n.toFixed(1)}`)
        .join(", ");
    md.push(
      "## Diagnostics",
      "",
      "### Storage calls per request",
      "",
      "Counted by wrapping the D1, R2 and Queue bindings (bench/lib/diag-entry.js), mean of 10 sequential requests, work done after the response (waitUntil) included. `D1.raw`/`D1.first`/`D1.all`/`D1.run` = one query round trip, `D1.batch` = one batch (a transaction of several statements). A fraction of `D1.raw` is edgefile's 5-second bucket cache being refilled.",
      "",
      calls ? table(["Request", "edgefile", "baseline"], Object.keys(calls.edgefile).map((op) => [op, fmtCalls(calls.edgefile[op]), fmtCalls(calls.baseline[op])])) : "(not measured: the diagnostic failed, see the run's log)",
      "",
      ...(diagnostics.micro
        ? [
            "### CPU per request, piece by piece",
            "",
            "Each piece of the request path run N times inside the diagnostic Worker (bench/lib/micro.js); workerd's CPU time for that, minus N runs of nothing, ÷ N. Median of 5 interleaved rounds (min–max). The pieces that name D1 include a D1 query each (the runtime's D1 client and the local simulator's work too): \"getObject through Drizzle\" against \"the same query, raw D1\" is what Drizzle adds to a row read, and the \"D1 read\" rows make one object read in each form a Worker can (on the binding or a D1 session; rows as objects or arrays; edgefile's own). The two whole HEADs answer D1 from memory after the first query, so their difference is edgefile's own work on a HEAD.",
            "",
            table(["Piece", "µs per request", "min–max"], Object.entries(diagnostics.micro).map(([k, v]) => [k, f1(v.us), `${f1(v.min)}–${f1(v.max)}`])),
            "",
          ]
        : []),
      "### Ablations",
      "",
      `Through the diagnostic Worker with edgefile's real bindings (the env of each variant is built once and reused, as workerd does), ${info.settings.ablationRounds} mirrored rounds per workload (every variant, then every variant in the reverse order). Each variant switches one of edgefile's costs off, or gives the baseline edgefile's way of doing something; the ratios are to the workload's first row, per round (by CPU: the first row's workerd CPU time per request ÷ the variant's), each with its 95 % interval; ⚠️ = not a result.`,
      "",
      table(
        ["Workload", "Variant", "req/s", "p50 ms", "vs first row by CPU [95 %]", "by req/s [95 %]"],
        Object.entries(ablations ?? {}).flatMap(([wl, vs]) =>
          vs.map((v) => [wl, v.label, f0(v.rps), f1(v.p50), ci(v.vsFirst) + (v.vsFirst.result ? "" : " ⚠️"), v.vsFirstRps ? ci(v.vsFirstRps) + (v.vsFirstRps.result ? "" : " ⚠️") : "–"]),
        ),
      ),
      "",
      sha1 ? `SHA-1 through \`crypto.DigestStream\` in this workerd, 64 KiB writes: ${f0(sha1.mib / (sha1.ms / 1000))} MiB/s.` : "(SHA-1 speed not measured in this run)",
      "",
    );
  }

  md.push("## Findings", "", ...findings({ rows, s3Rows, mp, large, diagnostics, big, latency, info }), "");
  writeFileSync(`${dir}/results.md`, md.join("\n") + scaleSection(`${dir}/results.md`));

  const sections = [
    {
      title: "EDGEFILE ÷ BASELINE BY CPU PER REQUEST (95% INTERVAL)",
      minScale: 1.2,
      rows: [
        ...rows.map((r) => ({ label: r.label.replace(/ of \d+/, ""), value: r.ratio.median, lo: r.ratio.lo, hi: r.ratio.hi, target: r.target ?? NaN, unsure: !r.ratio.result })),
        ...(mp ? [{ label: "Multipart 256 MiB", value: mp.ratio.median, lo: mp.ratio.lo, hi: mp.ratio.hi, target: NaN }] : []),
      ],
    },
    ...(s3Rows.length
      ? [
          {
            title: "S3 FRONT ÷ UFILE PLANE BY CPU PER REQUEST (95% INTERVAL)",
            minScale: 1.2,
            rows: s3Rows.map((r) => ({ label: r.label.replace(/ ÷ .*/, ""), value: r.cpu.median, lo: r.cpu.lo, hi: r.cpu.hi, target: r.target, unsure: !r.cpu.result })),
          },
        ]
      : []),
  ];
  if (large) {
    sections.push({
      title: `${big}: ISOLATE HEAP GROWTH, MIB (TARGET < ${HEAP_TARGET})`,
      rows: ["put", "put again", "get"].filter((step) => large.edgefile[step]).map((step) => ({ label: `edgefile ${step === "get" ? "GetFile" : step === "put" ? "PutFile" : "PutFile again"}`, value: large.edgefile[step].heapPeak - large.edgefile[step].heapBefore, target: HEAP_TARGET, lowerIsBetter: true })),
    });
    sections.push({
      title: `${big}: WORKERD RSS GROWTH, MIB (SIMULATORS INCLUDED)`,
      rows: ["edgefile", "baseline"].flatMap((who) => ["put", "get"].map((op) => ({ label: `${who} ${op === "put" ? "PutFile" : "GetFile"}`, value: large[who][op].rssGrowth, target: NaN }))),
    });
  }
  const colors = [[31, 119, 180], [214, 39, 40], [44, 160, 44], [148, 103, 189], [255, 127, 14]];
  const curves = latency && {
    title: "P50 LATENCY VS ROUND TRIP TO D1 PRIMARY",
    xLabel: "MODELED ROUND TRIP TO THE PRIMARY, MS",
    yLabel: "P50 MS",
    xs: latency.distances,
    series: latency.ops.flatMap((op, i) => [
      { label: `${op.label} edgefile`, ys: op.at.map((a) => a.edgefile.p50), color: colors[i % colors.length] },
      { label: `${op.label} baseline`, ys: op.at.map((a) => a.baseline.p50), color: colors[i % colors.length], dashed: true },
    ]),
  };
  writeFileSync(`${dir}/results.png`, chart("EDGEFILE BENCHMARK", sections, curves));
  return [`${dir}/results.md`, `${dir}/results.png`];
}

/** What the figures say, target by target, with the diagnostics that explain a miss. */
function findings({ rows, s3Rows, mp, large, diagnostics, big, latency, info }) {
  const out = [];
  const met = rows.filter((r) => r.met === true);
  const missed = rows.filter((r) => r.met === false);
  const unsure = rows.filter((r) => r.target !== null && r.met === null);
  const load = info.machine.load?.all;
  out.push(
    `- **Targets (by CPU per request):** met ${met.map((r) => `${r.label} ${f2(r.vsBase)}`).join(", ") || "none"}; missed ${missed.map((r) => `${r.label} ${f2(r.vsBase)} < ${r.target}`).join(", ") || "none"}; **not results** (interval wider than ±${RESOLUTION}) ${unsure.map((r) => `${r.label} ${ci(r.ratio)}`).join(", ") || "none"}.`,
    `- **How far to trust them.** ${load ? `Other processes used ${pct(load.others)} of the machine's CPU during this run (1-minute load ${f2(load.load1.min)}–${f2(load.load1.max)} on ${info.machine.cores} cores). ` : ""}req/s moves with every neighbour's burst, so the per-round req/s ratios spread widely; CPU time per request in workerd depends much less on what else runs, so the CPU ratios are the headline, each with its interval. edgefile, the baseline and the local D1, R2 and Queue simulators share one workerd process, so the simulators' work (the same for both Workers) is in both CPU figures: the ratios compare edgefile's whole request cost with the bare minimum for the same storage calls. Deployed, the simulators' share is gone and edgefile's own work is a larger fraction of a smaller total.`,
    `- **Why the intervals stay wide.** The same server's own CPU time per request moved this much between its runs of one workload (min–max, ± around its median): ${rows
      .filter((r) => r.target !== null)
      .map((r) => {
        const b = selfSpread(r.runs.baseline);
        return `${r.label} baseline ${f2(b.min)}–${f2(b.max)} ms (±${pct(b.plusMinus)})`;
      })
      .join(", ")}. The baseline's code is the same in every run, so that movement is the machine's (a shared virtual machine whose CPU speed varies from second to second), and it is several times the ±${RESOLUTION} asked of a ratio. Mirrored rounds of short windows cancel the slow part of it, not the rest.`,
  );

  const micro = diagnostics?.micro;
  if (micro) {
    const pieces = Object.entries(micro).filter(([k]) => !/D1 query|raw D1|D1 read|D1 memoized/.test(k)).sort((a, b) => b[1].us - a[1].us);
    const forms = Object.entries(micro).filter(([k]) => k.startsWith("D1 read: "));
    const heads = ["edgefile", "the baseline"].map((w) => micro[`HEAD through ${w}, D1 memoized`]);
    const drizzle = micro["getObject through Drizzle (D1 query)"];
    const raw = micro["the same query, raw D1"];
    out.push(
      `- **Per-request CPU, piece by piece** (bench/lib/micro.js): ${pieces.map(([k, v]) => `${k} ${f1(v.us)} µs`).join("; ")}. Building a query with Drizzle's query builder costs more than any other piece, so the statements on every request's path are compiled once per isolate (store/db.ts \`precompiled\`: the object by (bucket, key), the bucket by name, PutFile's publish batch) and run as raw D1 statements: \`getObject\` costs ${f1(drizzle?.us)} µs against ${f1(raw?.us)} µs for the same query written by hand (both include the D1 simulator's work). The itty router (one route) was replaced by a plain function. What remains per request is small pieces: the request-id headers, CORS headers, the object headers, HMAC-SHA1 (its imported key cached per private key), and the metering fold (under 1 µs: the queue send happens once per window).`,
    );
    if (forms.length > 0) {
      out.push(
        `- **The D1 read, form by form** (one object row, the local simulator's work included): ${forms.map(([k, v]) => `${k.slice("D1 read: ".length)} ${f1(v.us)} µs (${f1(v.min)}–${f1(v.max)})`).join("; ")}. A D1 session adds one header to the query and reads the bookmark back; the simulator does the same work either way. The spread between runs of one form is wider than the differences between forms.`,
      );
    }
    if (heads.every(Boolean)) {
      out.push(
        `- **A whole HEAD without its D1 round trip** (D1 answered from memory): edgefile ${f1(heads[0].us)} µs, the baseline ${f1(heads[1].us)} µs. The difference is edgefile's own work per HEAD (signature, sessions, access rules, 16 headers, access log, metering fold), against the baseline's whole HEAD cost in the main table.`,
      );
    }
  }

  if (latency) {
    const far = Math.max(...latency.distances);
    const at = (id) => latency.ops.find((o) => o.id === id)?.at.find((a) => a.primaryMs === far);
    const reads = ["get", "head"].map(at).filter(Boolean);
    // Each read makes at least one replica trip; a mean below 1.5 with no primary trip means the
    // median request makes exactly one (fewer than half can make two or more).
    const ok = reads.length > 0 && reads.every((a) => a.edgefile.trips.primary === 0 && a.edgefile.trips.replica < 1.5);
    const trips = (a) => (a ? `${f2(a.trips.replica)} replica + ${f2(a.trips.primary)} primary` : "–");
    const p50 = (id, who) => f0(at(id)?.[who].p50);
    out.push(
      `- **Global latency (modeled).** At ${far} ms to D1's primary, p50 edgefile vs baseline: GetFile ${p50("get", "edgefile")} vs ${p50("get", "baseline")} ms, HEAD ${p50("head", "edgefile")} vs ${p50("head", "baseline")} ms, PrefixFileList ${p50("list", "edgefile")} vs ${p50("list", "baseline")} ms, DescribeBucket ${p50("describe", "edgefile")} vs ${p50("describe", "baseline")} ms. edgefile's reads run in a D1 session, so a nearby replica (${latency.replicaMs} ms) answers them, while the baseline pays the primary's round trip on every query. Modeled D1 round trips per request: GetFile ${trips(at("get")?.edgefile)}, HEAD ${trips(at("head")?.edgefile)} (target: the p50 request makes at most one replica round trip: ${yes(ok)}; no request reached the primary, and a mean below 1.5 means the median request made exactly one); the fraction above 1 is the 5-second bucket cache being refilled. PutFile goes to the primary: ${trips(at("put")?.edgefile)} (the publish batch, and the replaced blob's row removed after the response). The p50s include local processing on this busy machine (compare the 0 ms rows), which is why the round-trip counts are the cleaner measure.`,
    );
  }

  const calls = diagnostics?.calls?.edgefile;
  if (calls?.UploadPart) {
    const fmt = (c) =>
      Object.entries(c ?? {})
        .filter(([k, n]) => k.startsWith("D1") && n >= 0.05)
        .map(([k, n]) => `${k} ${f1(n)}`)
        .join(", ");
    out.push(
      `- **Multipart round trips.** UploadPart: ${fmt(calls.UploadPart)} (one statement before the bytes reads the upload and applies the part-size rule; one batch records the part). Finish: ${fmt(calls["Finish multipart"])} (one batch touches the upload and reads its parts; one batch publishes the object and removes the upload's rows, so there is no moment at which both or neither exist).${mp ? ` 256 MiB in 8 MiB parts: edgefile ÷ baseline ${ci(mp.ratio)} MiB/s.` : ""}`,
    );
  }

  if (large) {
    const e = large.edgefile;
    const b = large.baseline;
    const g = (x) => x.heapPeak - x.heapBefore;
    out.push(
      `- **Memory.** edgefile's isolate heap grew by ${f1(g(e.put))} MiB during the ${big} PutFile (target < ${HEAP_TARGET}: ${yes(g(e.put) < HEAP_TARGET)}) and by ${f1(g(e.get))} MiB during the GetFile. ${
        Number.isFinite(e["put again"]?.heapAfter)
          ? `After a garbage collection the heap was ${f1(e.put.heapAfter)} MiB after the first PutFile and ${f1(e["put again"].heapAfter)} MiB after the second: ${e["put again"].heapAfter - e.put.heapAfter <= 1 ? "nothing ratchets" : "it grew"}. `
          : ""
      }workerd's RSS grew by ${f0(e.put.rssGrowth)} MiB (baseline: ${f0(b.put.rssGrowth)} MiB) on the PutFile and ${f0(e.get.rssGrowth)} MiB (baseline ${f0(b.get.rssGrowth)} MiB) on the GetFile: the baseline never touches the bytes in JS, so its growth is the local R2 simulator's, which runs in the same process; deployed, R2 is not in the Worker's process.`,
    );
  }

  if (s3Rows.length) {
    out.push(
      `- **The S3 front** (issue 15, S3 costs at most 5 % more than UFile on the same work; by CPU per request): ${s3Rows.map((r) => `${r.label.replace(/ ÷ .*/, "")} ${ci(r.cpu)}${r.met === null ? " (not a result)" : r.met ? " ✅" : " ❌"}`).join(", ")}; by req/s ${s3Rows.map((r) => f2(r.rps.median)).join(", ")}. The bodies and the storage path are the same code through both fronts; what differs is the signature (SigV4: a SHA-256 of the canonical request and an HMAC-SHA256 with a cached signing key, against one HMAC-SHA1) and the response headers.`,
    );
  }

  const s3 = rows.filter((r) => r.s);
  if (s3.length) {
    out.push(
      `- **s3rver** (no target in issue 14): edgefile ÷ s3rver req/s ${s3.map((r) => `${r.label} ${f2(r.vsS3)}`).join(", ")}; the bare baseline ÷ s3rver ${s3.map((r) => f2(r.baseVsS3)).join(", ")}. Where the baseline is behind too, the floor is local workerd's simulation of D1 and R2 (each query and blob call a request to a simulator inside the same process), not edgefile.`,
    );
  }
  return out;
}
