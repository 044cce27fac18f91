#!/usr/bin/env node
// `npm run bench:security`: what issue 10 asks to be measured, not asserted in tests.
//
//  1. A 400 MiB unauthenticated chunked POST with `Content-Type: application/json` and no
//     Content-Length (the control plane's parameter body) must grow edgefile's isolate heap by less
//     than 8 MiB: the body is read bounded (1 MiB) and never buffered whole.
//  2. 20,000 mixed small requests (GET, HEAD, PutFile, listings, control calls, bad signatures,
//     anonymous refusals) must leave the isolate heap flat: the heap after a forced GC is sampled
//     every 2,000 requests and after idling. workerd's RSS growth is reported beside it: whatever the
//     isolate heap does not account for is workerd's own and the local D1/R2 simulators' (same process).
//
// Everything runs on loopback in one workerd (Miniflare, as `npm run bench`); results are printed and
// written to bench/out/security-memory.md (git-ignored).
//
// Environment: FLOOD_MIB (400), MIXED_REQUESTS (20000), IDLE_MS (idle waits before the last samples,
// "5000,10000"), SNAP=<file>: after the idle samples, save a V8 heap snapshot of edgefile's isolate
// there (open it in Chrome DevTools' Memory tab) to see what the heap holds.
import { createHash, createHmac } from "node:crypto";
import http from "node:http";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { isolateHeap, sampleMemory } from "./lib/memory.mjs";
import { inspectorSession } from "./lib/inspector.mjs";
import { applyMigrations, buildWorker, startWorkers } from "./lib/servers.mjs";
import { localKeys } from "../src/cli/keys.mjs";
import { controlSigningText, dataStringToSign } from "../src/signing.mjs";

const TMP = `bench/.tmp/security-${process.pid}`;
const OUT = "bench/out";
const MiB = 1024 * 1024;
const FLOOD_MIB = Number(process.env.FLOOD_MIB ?? 400);
const MIXED = Number(process.env.MIXED_REQUESTS ?? 20_000);
const keys = localKeys();

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** One request; resolves with {status, body} once the response has ended. `body` may be an async iterable (streamed, chunked). */
function send(port, { method = "GET", host, path = "/", headers = {}, body }) {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request({ host: "127.0.0.1", port, method, path, headers: { Host: host, ...headers }, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        answered = true;
        resolve({ status: res.statusCode, body: Buffer.concat(chunks) });
      });
      res.on("error", reject);
    });
    req.on("error", (e) => (answered ? undefined : reject(e)));
    req.setTimeout(60_000, () => req.destroy(new Error(`${method} ${host}${path}: no answer within 60 s`)));
    if (body && typeof body[Symbol.asyncIterator] === "function") {
      // A streamed body: stop sending once the server has answered (it may refuse without reading it all).
      (async () => {
        for await (const chunk of body) {
          if (answered) return req.destroy();
          if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
        }
        req.end();
      })().catch((e) => req.destroy(e));
    } else req.end(body);
  });
}

// Node's synchronous hashes over the signing module's texts: the request builders stay synchronous.
const sign = (method, bucket, key, contentType = "") =>
  `UCloud ${keys.publicKey}:${createHmac("sha1", keys.privateKey).update(dataStringToSign({ method, bucket, key, contentType })).digest("base64")}`;

function controlQuery(params) {
  const all = { ...params, PublicKey: keys.publicKey };
  const Signature = createHash("sha1").update(controlSigningText(Object.entries(all), keys.privateKey)).digest("hex");
  return new URLSearchParams({ ...all, Signature }).toString();
}

async function* flood(totalMiB) {
  const chunk = Buffer.alloc(MiB, 0x78);
  yield Buffer.from('{"Pad":"');
  for (let i = 0; i < totalMiB; i++) yield chunk;
  yield Buffer.from('"}');
}

const fmt = (n) => `${n.toFixed(2)} MiB`;

async function main() {
  rmSync(TMP, { recursive: true, force: true });
  mkdirSync(TMP, { recursive: true });
  mkdirSync(OUT, { recursive: true });
  console.log("building edgefile (wrangler deploy --dry-run)…");
  const script = buildWorker(`${TMP}/build`);
  const workers = await startWorkers({ script, diagScript: script, persistDir: `${TMP}/state`, inspector: true });
  const lines = [];
  try {
    console.log("applying migrations…");
    await applyMigrations(workers.mf);
    const port = workers.edgefilePort;
    const bucket = `sec-${process.pid}`;
    const created = await send(port, { host: "localhost", path: `/?${controlQuery({ Action: "CreateBucket", BucketName: bucket, Type: "public" })}` });
    if (JSON.parse(created.body).RetCode !== 0) throw new Error(`CreateBucket: ${created.body}`);
    const body4k = Buffer.alloc(4096, 1);
    await send(port, { method: "PUT", host: `${bucket}.localhost`, path: "/obj", headers: { Authorization: sign("PUT", bucket, "obj", "application/octet-stream"), "Content-Type": "application/octet-stream" }, body: body4k });
    const heap = await isolateHeap(workers.mf, "edgefile");
    // The heap after a forced GC, through a fresh DevTools session each time (an idle one may be
    // dropped), one at a time: the inspector serves a single session per isolate.
    let inspectorQueue = Promise.resolve();
    const heldHeap = () => {
      const sample = inspectorQueue.then(async () => {
        const session = await isolateHeap(workers.mf, "edgefile");
        try {
          await session.collectGarbage();
          return await session.usage();
        } finally {
          session.close();
          await new Promise((r) => setTimeout(r, 200)); // let the socket close before the next session
        }
      });
      inspectorQueue = sample.then(() => undefined, () => undefined);
      return sample;
    };

    // 1. The unauthenticated flood.
    console.log(`sending ${FLOOD_MIB} MiB of unauthenticated chunked JSON…`);
    await heap.collectGarbage();
    const floodRun = await sampleMemory(workers.workerdPid, heap, () =>
      send(port, { method: "POST", host: "localhost", path: "/", headers: { "Content-Type": "application/json", "Transfer-Encoding": "chunked" }, body: flood(FLOOD_MIB) }),
    );
    heap.close(); // one DevTools session at a time: heldHeap opens its own
    const floodGrowth = floodRun.heapPeak - floodRun.heapBefore;
    const floodRetained = (await heldHeap()) - floodRun.heapBefore;
    lines.push(
      `## ${FLOOD_MIB} MiB unauthenticated chunked JSON POST`,
      "",
      `Answered ${floodRun.result.status} (${floodRun.result.body.toString().slice(0, 120)}).`,
      `Isolate heap: ${fmt(floodRun.heapBefore)} before, peak ${fmt(floodRun.heapPeak)} (garbage not yet collected included): growth **${fmt(floodGrowth)}** (target < 8 MiB: ${floodGrowth < 8 ? "met" : "MISSED"}); after a forced GC ${fmt(floodRetained)} above the start.`,
      `workerd RSS: ${fmt(floodRun.rssBefore)} before, peak ${fmt(floodRun.rssPeak)} (growth ${fmt(floodRun.rssGrowth)}).`,
      "",
    );

    // 2. Mixed small requests, with the heap after a forced GC sampled along the way.
    const mixes = {
      edgefile: (i) => {
        const k = `k${i % 50}`;
        switch (i % 20) {
          case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
            return { host: `${bucket}.localhost`, path: "/obj", headers: { Authorization: sign("GET", bucket, "obj") } };
          case 8: case 9: case 10: case 11:
            return { method: "HEAD", host: `${bucket}.localhost`, path: "/obj", headers: { Authorization: sign("HEAD", bucket, "obj") } };
          case 12: case 13: case 14:
            return { method: "PUT", host: `${bucket}.localhost`, path: `/${k}`, headers: { Authorization: sign("PUT", bucket, k, "application/octet-stream"), "Content-Type": "application/octet-stream" }, body: body4k };
          case 15: case 16:
            return { host: `${bucket}.localhost`, path: "/?list&limit=20", headers: { Authorization: sign("GET", bucket, "") } };
          case 17:
            return { host: "localhost", path: `/?${controlQuery({ Action: "DescribeBucket", BucketName: bucket })}` };
          case 18:
            return { method: "PUT", host: `${bucket}.localhost`, path: `/${k}`, body: body4k }; // anonymous write: refused
          default:
            return { host: `${bucket}.localhost`, path: "/obj", headers: { Authorization: `UCloud ${keys.publicKey}:bm90IGl0` } }; // bad signature
        }
      },
    };
    const results = {};
    for (const [name, mix] of Object.entries(mixes)) {
      console.log(`${MIXED} mixed requests to ${name}…`);
      const target = port;
      const samples = [await heldHeap()];
      console.log(`  heap after GC: ${fmt(samples[0])}`);
      const run = await sampleMemory(workers.workerdPid, null, async () => {
        let next = 0;
        let failures = 0;
        const inFlight = new Map();
        const watchdog = setInterval(() => {
          for (const [i, at] of inFlight) if (Date.now() - at > 20_000) console.log(`  request ${i} (${JSON.stringify({ ...mix(i), body: undefined })}) open for ${Math.round((Date.now() - at) / 1000)} s`);
        }, 20_000);
        const worker = async () => {
          while (next < MIXED) {
            const i = next++;
            inFlight.set(i, Date.now());
            const res = await send(target, mix(i));
            inFlight.delete(i);
            if (res.status >= 500) failures++;
            if (i % 5000 === 0) console.log(`  request ${i}: ${res.status}`);
            if (i > 0 && i % 2000 === 0) samples.push(await heldHeap());
          }
        };
        await Promise.all(Array.from({ length: 8 }, worker));
        clearInterval(watchdog);
        return failures;
      });
      for (const idle of (process.env.IDLE_MS ?? "5000,10000").split(",").map(Number)) {
        await new Promise((r) => setTimeout(r, idle));
        samples.push(await heldHeap());
      }
      if (process.env.SNAP && name === "edgefile") {
        const s = await inspectorSession(workers.mf, "edgefile");
        const chunks = [];
        s.onEvent = (m) => m.method === "HeapProfiler.addHeapSnapshotChunk" && chunks.push(m.params.chunk);
        await s.call("HeapProfiler.enable");
        await s.call("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
        writeFileSync(process.env.SNAP, chunks.join(""));
        s.close();
      }
      results[name] = { run, samples };
    }
    const e = results.edgefile;
    const heapGrowth = e.samples.at(-1) - e.samples[0];
    lines.push(
      `## ${MIXED} mixed small requests`,
      "",
      `edgefile isolate heap after a forced GC, every 2,000 requests, then after 5 s and 15 s idle (MiB): ${e.samples.map((v) => v.toFixed(2)).join(", ")}.`,
      `Growth from first to last sample: **${fmt(heapGrowth)}**; 5xx answers: ${e.run.result}.`,
      "",
      `workerd RSS: ${fmt(e.run.rssBefore)} before, peak ${fmt(e.run.rssPeak)}: growth ${fmt(e.run.rssGrowth)}.`,
      `Of that, edgefile's isolate accounts for at most its heap growth (${fmt(Math.max(0, heapGrowth))}); the rest`,
      `(${fmt(e.run.rssGrowth - Math.max(0, heapGrowth))}) is workerd's own and the local D1 (SQLite) and R2 simulators', which run in the same process.`,
    );
  } finally {
    agent.destroy(); // first: Miniflare's dispose waits for open keep-alive connections
    await workers.mf.dispose();
    rmSync(TMP, { recursive: true, force: true });
  }
  const report = `# edgefile security memory measurements (${new Date().toISOString()})\n\n${lines.join("\n")}\n`;
  writeFileSync(`${OUT}/security-memory.md`, report);
  console.log(report);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
