// @ts-check
// HTTP for the CLI: node:http/https with keep-alive, a resolver that maps *.localhost to the loopback
// address (glibc does not, so Node's default lookup fails with ENOTFOUND), retries with exponential
// backoff on network errors and 5xx, and an optional one-line-per-request log (--debug).
import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import { CliError, EXIT } from "./errors.mjs";

/**
 * `localhost` and `*.localhost` are loopback names (RFC 6761 §6.3): answer them here, everything
 * else goes to the system resolver.
 * @type {import("node:net").LookupFunction}
 */
export function lookup(hostname, options, callback) {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) {
    const family = options.family === 6 ? 6 : 4;
    const address = family === 6 ? "::1" : "127.0.0.1";
    // Node's connection code asks with {all: true} (happy eyeballs) and expects a list.
    if (options.all) return /** @type {any} */ (callback)(null, [{ address, family }]);
    return callback(null, address, family);
  }
  return dns.lookup(hostname, options, callback);
}

const agentOptions = { keepAlive: true, maxSockets: 32, lookup };
const agents = { "http:": new http.Agent(agentOptions), "https:": new https.Agent(agentOptions) };

/** Settings shared by every request of one CLI run (set from the global options). */
export const netSettings = { retries: 3, debug: false, timeoutMs: 120_000 };

const RETRYABLE_CODES = new Set([
  "ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "ENETUNREACH", "EHOSTUNREACH", "ECONNABORTED",
]);

/**
 * @typedef {{ status: number, headers: import("node:http").IncomingHttpHeaders, stream: import("node:http").IncomingMessage }} Response
 * @typedef {{
 *   method: string, url: string, headers?: Record<string, string>,
 *   body?: Buffer | string | (() => Buffer | Readable),
 *   retries?: number,
 * }} RequestOptions
 */

/**
 * Sends a request, retrying network errors and 5xx/429 answers with backoff while the body can be
 * replayed (a Buffer, a string or a factory). Resolves with the response headers; the body is a stream.
 * @param {RequestOptions} opts
 * @returns {Promise<Response>}
 */
export async function request(opts) {
  const retries = opts.retries ?? netSettings.retries;
  for (let attempt = 0; ; attempt++) {
    const started = Date.now();
    try {
      const res = await once(opts);
      debugLine(opts, String(res.status), started);
      if ((res.status >= 500 || res.status === 429) && attempt < retries) {
        res.stream.resume();
        await sleep(backoff(attempt));
        continue;
      }
      return res;
    } catch (error) {
      const code = /** @type {NodeJS.ErrnoException} */ (error).code ?? "";
      debugLine(opts, code || "error", started);
      if (!RETRYABLE_CODES.has(code) || attempt >= retries) throw networkError(opts.url, error);
      await sleep(backoff(attempt));
    }
  }
}

/** @param {RequestOptions} opts @returns {Promise<Response>} */
function once(opts) {
  const url = new URL(opts.url);
  const transport = url.protocol === "https:" ? https : http;
  const agent = agents[/** @type {"http:"|"https:"} */ (url.protocol)];
  if (!agent) throw new CliError(`unsupported URL scheme in ${opts.url} (use http:// or https://)`, EXIT.usage);
  const body = typeof opts.body === "function" ? opts.body() : opts.body;
  const headers = { ...opts.headers };
  if (typeof body === "string" || Buffer.isBuffer(body)) headers["Content-Length"] = String(Buffer.byteLength(body));
  return new Promise((resolve, reject) => {
    const req = transport.request(url, { method: opts.method, headers, agent, timeout: netSettings.timeoutMs });
    req.on("timeout", () => req.destroy(Object.assign(new Error("timed out"), { code: "ETIMEDOUT" })));
    req.on("error", reject);
    req.on("response", (stream) => resolve({ status: stream.statusCode ?? 0, headers: stream.headers, stream }));
    if (body instanceof Readable) {
      body.on("error", (e) => req.destroy(e));
      body.pipe(req);
    } else {
      req.end(body);
    }
  });
}

/** @param {import("node:stream").Readable} stream */
export async function readAll(stream) {
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Parses a JSON body; null when it is empty or not JSON. @param {import("node:stream").Readable} stream */
export async function readJson(stream) {
  const text = (await readAll(stream)).toString("utf8");
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/** @param {string} url @param {unknown} error */
function networkError(url, error) {
  if (error instanceof CliError) return error;
  const e = /** @type {NodeJS.ErrnoException} */ (error);
  const origin = new URL(url).origin;
  const local = /^(localhost|.*\.localhost|127\.[\d.]+|\[::1\])$/.test(new URL(url).hostname);
  const reasons = /** @type {Record<string, string>} */ ({
    ECONNREFUSED: local ? "connection refused; is the server running (npm start)?" : "connection refused",
    ENOTFOUND: "host not found",
    EAI_AGAIN: "DNS lookup failed",
    ETIMEDOUT: "timed out",
    ECONNRESET: "connection reset",
  });
  const reason = reasons[e.code ?? ""] ?? (e.code ? `${e.code}: ${e.message}` : e.message);
  return new CliError(`cannot reach ${origin}: ${reason}`, EXIT.unreachable);
}

/** 250 ms, 500 ms, 1 s, 2 s, … (±25 %), at most 8 s. @param {number} attempt */
export function backoff(attempt) {
  return Math.min(8000, 250 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One line per attempt on stderr with --debug; signatures are left out. @param {RequestOptions} opts @param {string} outcome @param {number} started */
function debugLine(opts, outcome, started) {
  if (!netSettings.debug) return;
  const url = opts.url.replace(/([?&](Signature|UCloudPublicKey)=)[^&]*/g, "$1…");
  process.stderr.write(`edgefile: ${opts.method} ${url} -> ${outcome} (${Date.now() - started} ms)\n`);
}
