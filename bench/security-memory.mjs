#!/usr/bin/env node
// `npm run bench:security`: what issue 10 asks to be measured, not asserted in tests.
//
//  1. A 400 MiB unauthenticated chunked POST with `Content-Type: application/json` and no
//     Content-Length (the control plane's parameter body) must grow edgefile's isolate heap by less
//     than 8 MiB: the body is read bounded (1 MiB) and never buffered whole.
//  2. 20,000 mixed small requests (GET, HEAD, PutFile, listings, control calls, bad signatures,
//     anonymous refusals) must leave the isolate heap flat: the heap after a forced GC is sampled
//     every 2,000 requests and after idling. workerd's RSS growth is reported beside the same number
//     of requests to the bare baseline Worker (bench/baseline) in the same process, whose growth is the
//     local D1/R2 simulators' and workerd's own, not edgefile's.
//
// Everything runs on loopback in one workerd (Miniflare, as `npm run bench`); results are printed and
// written to bench/out/security-memory.md (git-ignored).
import { createHash, createHmac } from "node:crypto";
import http from "node:http";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { isolateHeap, sampleMemory } from "./lib/memory.mjs";
import { applyMigrations, buildWorker, startWorkers } from "./lib/servers.mjs";
import { localKeys } from "../src/cli/keys.mjs";

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
    const req = http.request({ host: "127.0.0.1", port, method, path, headers: { Host: host, ...headers }, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body && typeof body[Symbol.asyncIterator] === "function") {
      (async () => {
        for await (const chunk of body) if (!req.write(chunk)) await new Promise((r) => req.once("drain", r));
        req.end();
      })().catch((e) => req.destroy(e));
    } else req.end(body);
  });
}

const sign = (method, bucket, key, contentType = "") =>
  `UCloud ${keys.publicKey}:${createHmac("sha1", keys.privateKey).update(`${method}\n\n${contentType}\n\n/${bucket}/${key}`).digest("base64")}`;

function controlQuery(params) {
  const all = { ...params, PublicKey: keys.publicKey };
  const text = Object.keys(all).sort().map((k) => k + all[k]).join("") + keys.privateKey;
  return new URLSearchParams({ ...all, Signature: createHash("sha1").update(text).digest("hex") }).toString();
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
    await applyMigrations(workers.mf);
    const port = workers.edgefilePort;
    const bucket = `sec-${process.pid}`;
    const created = await send(port, { host: "api.localhost", path: `/?${controlQuery({ Action: "CreateBucket", BucketName: bucket, Type: "public" })}` });
    if (JSON.parse(created.body).RetCode !== 0) throw new Error(`CreateBucket: ${created.body}`);
    const body4k = Buffer.alloc(4096, 1);
    await send(port, { method: "PUT", host: `${bucket}.localhost`, path: "/obj", headers: { Authorization: sign("PUT", bucket, "obj", "application/octet-stream"), "Content-Type": "application/octet-stream" }, body: body4k });
    const heap = await isolateHeap(workers.mf, "edgefile");

    // 1. The unauthenticated flood.
    await heap.collectGarbage();
    const floodRun = await sampleMemory(workers.workerdPid, heap, () =>
      send(port, { method: "POST", host: "api.localhost", path: "/", headers: { "Content-Type": "application/json", "Transfer-Encoding": "chunked" }, body: flood(FLOOD_MIB) }),
    );
    const floodGrowth = floodRun.heapPeak - floodRun.heapBefore;
    lines.push(
      `## ${FLOOD_MIB} MiB unauthenticated chunked JSON POST`,
      "",
      `Answered ${floodRun.result.status} (${floodRun.result.body.toString().slice(0, 120)}).`,
      `Isolate heap: ${fmt(floodRun.heapBefore)} before, peak ${fmt(floodRun.heapPeak)}: growth **${fmt(floodGrowth)}** (target < 8 MiB: ${floodGrowth < 8 ? "met" : "MISSED"}).`,
      `workerd RSS: ${fmt(floodRun.rssBefore)} before, peak ${fmt(floodRun.rssPeak)} (growth ${fmt(floodRun.rssGrowth)}).`,
      "",
    );

    // 2. Mixed small requests, edgefile then the baseline, with the heap after GC sampled along the way.
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
            return { host: "api.localhost", path: `/?${controlQuery({ Action: "DescribeBucket", BucketName: bucket })}` };
          case 18:
            return { method: "PUT", host: `${bucket}.localhost`, path: `/${k}`, body: body4k }; // anonymous write: refused
          default:
            return { host: `${bucket}.localhost`, path: "/obj", headers: { Authorization: `UCloud ${keys.publicKey}:bm90IGl0` } }; // bad signature
        }
      },
      baseline: (i) => {
        const k = `k${i % 50}`;
        switch (i % 20) {
          case 12: case 13: case 14: case 18:
            return { method: "PUT", host: `${bucket}.localhost`, path: `/${k}`, headers: { "Content-Type": "application/octet-stream" }, body: body4k };
          case 8: case 9: case 10: case 11:
            return { method: "HEAD", host: `${bucket}.localhost`, path: "/obj" };
          default:
            return { host: `${bucket}.localhost`, path: "/obj" };
        }
      },
    };
    const results = {};
    for (const [name, mix] of Object.entries(mixes)) {
      const target = name === "edgefile" ? port : workers.baselinePort;
      await heap.collectGarbage();
      const samples = [await heap.usage()];
      const run = await sampleMemory(workers.workerdPid, null, async () => {
        let next = 0;
        let failures = 0;
        const worker = async () => {
          while (next < MIXED) {
            const i = next++;
            const res = await send(target, mix(i));
            if (res.status >= 500) failures++;
            if (name === "edgefile" && i > 0 && i % 2000 === 0) {
              await heap.collectGarbage();
              samples.push(await heap.usage());
            }
          }
        };
        await Promise.all(Array.from({ length: 8 }, worker));
        return failures;
      });
      await new Promise((r) => setTimeout(r, 5000));
      await heap.collectGarbage();
      samples.push(await heap.usage());
      results[name] = { run, samples };
    }
    const e = results.edgefile;
    const b = results.baseline;
    lines.push(
      `## ${MIXED} mixed small requests`,
      "",
      `edgefile isolate heap after a forced GC, every 2,000 requests then after 5 s idle (MiB): ${e.samples.map((s) => s.toFixed(2)).join(", ")}.`,
      `Growth from first to last sample: **${fmt(e.samples.at(-1) - e.samples[0])}**; 5xx answers: ${e.run.result}.`,
      "",
      "| Worker | workerd RSS before | peak | growth |",
      "|---|---|---|---|",
      `| edgefile (${MIXED} requests) | ${fmt(e.run.rssBefore)} | ${fmt(e.run.rssPeak)} | ${fmt(e.run.rssGrowth)} |`,
      `| baseline, same count afterwards | ${fmt(b.run.rssBefore)} | ${fmt(b.run.rssPeak)} | ${fmt(b.run.rssGrowth)} |`,
      "",
      "The baseline makes the same D1/R2 calls with none of edgefile's logic; its RSS growth is the local simulators' and workerd's own.",
    );
    heap.close();
  } finally {
    await workers.mf.dispose();
    rmSync(TMP, { recursive: true, force: true });
    agent.destroy();
  }
  const report = `# edgefile security memory measurements (${new Date().toISOString()})\n\n${lines.join("\n")}\n`;
  writeFileSync(`${OUT}/security-memory.md`, report);
  console.log(report);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
