// The load generator: keep-alive HTTP/1.1 over loopback (node:http, which sends our Host header
// as given), closed-loop workers, latency percentiles. Every loop ends by itself at its deadline.
import { createHash, createHmac } from "node:crypto";
import http from "node:http";
import { once } from "node:events";
import { localKeys } from "../../src/cli/keys.mjs";
import { controlSigningText, dataStringToSign } from "../../src/signing.mjs";
import { processCpuNs } from "./machine.mjs";
import { percentiles } from "./stats.mjs";

export const KEYS = localKeys();

/**
 * One request to 127.0.0.1:port, abandoned after `timeoutMs` without progress (so every run ends).
 * `body`: a Buffer, or `{ size, chunk }` streamed as `size` bytes
 * cut from the repeated `chunk` (never held whole). Resolves after the response body has been
 * read and discarded (counted, and passed to `onData` if given); the body text is kept for
 * errors, or when `keep` asks for it.
 */
export function send(agent, port, { method, path, headers, body, timeoutMs = 60_000 }, keep = false, onData = null) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, headers, agent, timeout: timeoutMs }, (res) => {
      let bytes = 0;
      const kept = [];
      res.on("data", (c) => {
        bytes += c.length;
        onData?.(c);
        if ((keep || res.statusCode >= 300) && bytes <= 1 << 20) kept.push(c);
      });
      res.on("end", () => resolve({ status: res.statusCode, bytes, headers: res.headers, text: Buffer.concat(kept).toString() }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    if (body && !Buffer.isBuffer(body)) streamBody(req, body).catch(reject);
    else req.end(body);
  });
}

async function streamBody(req, { size, chunk }) {
  for (let sent = 0; sent < size; sent += chunk.length) {
    const piece = size - sent >= chunk.length ? chunk : chunk.subarray(0, size - sent);
    if (!req.write(piece)) await once(req, "drain");
  }
  req.end();
}

export const newAgent = (sockets) => new http.Agent({ keepAlive: true, maxSockets: sockets });


/**
 * Closed loop: `concurrency` workers, each sending `build(worker, seq)` and waiting for the
 * answer before the next, first for `warmupMs` (not recorded), then for `durationMs`. Requests
 * completing inside the measured window count. Returns requests/s, p50/p99 latency (ms) and
 * errors (a status not in `ok`, or a failed connection); with `keepLatencies`, every latency too.
 * With `cpuPid`, also that process's CPU time (all threads) spent in the window per request
 * (`cpuMsPerRequest`): the server's cost of a request, which other processes on the machine
 * barely change, unlike req/s.
 */
export async function closedLoop({ port, concurrency, durationMs, warmupMs, build, ok = [200], keepLatencies = false, cpuPid = 0 }) {
  const agent = newAgent(concurrency);
  const latencies = [];
  const completed = [];
  let errors = 0;
  let firstError = "";
  const start = performance.now();
  let measureFrom = start + warmupMs;
  let end = measureFrom + durationMs;
  // The window's edges are where the CPU time is read, so requests and CPU cover the same span.
  const cpu = {};
  const edge = (name, at) =>
    new Promise((resolve) =>
      setTimeout(() => {
        cpu[name] = cpuPid ? processCpuNs(cpuPid) : 0;
        resolve(performance.now());
      }, Math.max(0, at - performance.now())),
    );
  const edges = Promise.all([edge("from", measureFrom), edge("to", end)]).then(([a, b]) => ([measureFrom, end] = [a, b]));
  const worker = async (w) => {
    for (let seq = 0; performance.now() < end; seq++) {
      const t0 = performance.now();
      const res = await send(agent, port, build(w, seq)).catch((err) => ({ status: 0, text: String(err) }));
      const t1 = performance.now();
      if (!ok.includes(res.status)) {
        errors++;
        firstError ||= `${res.status} ${res.text.slice(0, 200)}`;
      }
      completed.push([t0, t1]);
    }
  };
  await Promise.all([edges, ...Array.from({ length: concurrency }, (_, w) => worker(w))]);
  agent.destroy();
  // Completions inside the window: unbiased for slow requests.
  for (const [t0, t1] of completed) if (t1 >= measureFrom && t1 <= end) latencies.push(t1 - t0);
  const { n, p50, p99 } = percentiles(latencies);
  const seconds = (end - measureFrom) / 1000;
  const cpuMsPerRequest = cpuPid && n ? (cpu.to - cpu.from) / 1e6 / n : NaN;
  return { requests: n, total: completed.length, rps: n / seconds, p50, p99, cpuMsPerRequest, errors, firstError, ...(keepLatencies ? { latencies } : {}) };
}

/**
 * One round of closed-loop windows back to back in `order` and then in the reverse order (A B, B A:
 * A B B A), so a drift in the machine's speed during the round weighs on every side alike. Returns
 * each side's two windows merged into one result (see `mergeWindows`), keyed as `order` names them.
 */
export async function mirroredRound(order, runOne) {
  const windows = new Map(order.map((n) => [n, []]));
  for (const n of [...order, ...[...order].reverse()]) windows.get(n).push(await runOne(n));
  return Object.fromEntries([...windows].map(([n, ws]) => [n, mergeWindows(ws)]));
}

/** Windows of one side as one: requests, errors and CPU time added up; req/s over their measured time; p50/p99 the windows' mean. */
function mergeWindows(ws) {
  const add = (f) => ws.reduce((a, w) => a + f(w), 0);
  const requests = add((w) => w.requests);
  const seconds = add((w) => (w.rps > 0 ? w.requests / w.rps : 0));
  return {
    requests,
    total: add((w) => w.total),
    rps: seconds > 0 ? requests / seconds : 0,
    p50: add((w) => w.p50) / ws.length,
    p99: add((w) => w.p99) / ws.length,
    cpuMsPerRequest: requests ? add((w) => w.cpuMsPerRequest * w.requests) / requests : NaN,
    errors: add((w) => w.errors),
    firstError: ws.find((w) => w.firstError)?.firstError ?? "",
    ...(ws[0].latencies ? { latencies: ws.flatMap((w) => w.latencies) } : {}),
  };
}

// ───────────────────────── signing ─────────────────────────

/** Data plane (docs/protocol.md §2.1): `UCloud <pub>:base64(HMAC-SHA1(priv, VERB\nMD5\nType\nDate\n/bucket/key))`. */
export function ufileAuthorization(method, bucket, key, contentType = "") {
  // Node's synchronous HMAC over the signing module's string to sign: the load loop stays synchronous.
  const sig = createHmac("sha1", KEYS.privateKey).update(dataStringToSign({ method, bucket, key, contentType })).digest("base64");
  return `UCloud ${KEYS.publicKey}:${sig}`;
}

/** A UFile SDK request to `<bucket>.localhost`: signed, the key path-encoded as Go/Java do. */
export function ufileRequest(method, bucket, key, { query = "", contentType = "", body, size } = {}) {
  const headers = { host: `${bucket}.localhost`, authorization: ufileAuthorization(method, bucket, key, contentType) };
  if (contentType) headers["content-type"] = contentType;
  const length = size ?? body?.length;
  if (length !== undefined) headers["content-length"] = String(length);
  const path = "/" + key.split("/").map(encodeURIComponent).join("/") + (query ? `?${query}` : "");
  return { method, path, headers, body };
}

/** Control plane (docs/protocol.md §3.2): SHA1 over sorted name+value pairs plus the private key, as a GET query. */
export function controlRequest(params) {
  const all = { ...params, PublicKey: KEYS.publicKey };
  const Signature = createHash("sha1").update(controlSigningText(Object.entries(all), KEYS.privateKey)).digest("hex");
  return { method: "GET", path: `/?${new URLSearchParams({ ...all, Signature })}`, headers: { host: "api.localhost" } };
}

/**
 * s3rver: an S3 signature V2 request (HMAC-SHA1, which s3rver verifies), path-style `/bench/key`,
 * default S3RVER keys. s3rver 3.7.1 requires a Date header but leaves it out of the string it
 * signs for header credentials, so the Date slot is signed empty.
 */
export function s3Request(method, bucket, key, { contentType = "", body } = {}) {
  const date = new Date().toUTCString();
  const resource = `/${bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
  const sig = createHmac("sha1", "S3RVER").update(`${method}\n\n${contentType}\n\n${resource}`).digest("base64");
  const headers = { date, authorization: `AWS S3RVER:${sig}` };
  if (contentType) headers["content-type"] = contentType;
  if (body) headers["content-length"] = String(body.length);
  return { method, path: resource, headers, body };
}
