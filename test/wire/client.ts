/**
 * Node-side client for the wire tests: real HTTP to the Worker that ./global-setup.ts serves with
 * wrangler. Signing and the ETag are implemented here independently of src/ (node:crypto), the way
 * an SDK does it, on purpose: everything else (the Worker, the CLI, the console, the bench and the
 * workerd tests) signs with src/signing.mjs, so this is the one cross-check that the shared signer
 * itself follows docs/protocol.md. It is the one intended copy of that logic; keep it independent.
 *
 *   server()                       the Worker's address: {url, port, logFile}
 *   request(req)                   one node:http request with any Host header; nothing is decoded
 *                                  (no gzip inflation), so tests see the exact bytes and headers sent
 *   control(params, opts?)         a signed control-plane GET (docs/protocol.md §3.2) → {status, body: JSON}
 *   controlSignature(params, key)  hex SHA1 of the byte-sorted k+v pairs + private key
 *   authorization(...)             `UCloud <pub>:<sig>[:<policy>]`, HMAC-SHA1 header form (§2.1-2.3)
 *   presignedQuery(...)            `UCloudPublicKey=…&Expires=…&Signature=…` (§2.5)
 *   file(bucket, key, opts)        a data-plane request to `<bucket>.localhost:<port>` (connects to
 *                                  127.0.0.1: Node does not resolve *.localhost), signed with the
 *                                  header form (default), the query form, or not at all
 *   newBucket(type?)               CreateBucket with a unique name; putFile(...) PutFile → ETag
 *   ufileEtag(bytes), partEtag(bytes), pattern(size)   docs/protocol.md §4 values and test bytes
 *   triggerScheduled()             runs the Worker's cron handler now (wrangler's /__scheduled)
 *   eventually(check)              retries an assertion until it passes (usage queue batches)
 *
 * Raw sockets (keep-alive, Expect: 100-continue, chunked, HTTP/1.0): ./raw-http.ts.
 */
import { createHash, createHmac } from "node:crypto";
import http, { type IncomingHttpHeaders } from "node:http";
import { inject } from "vitest";
import { PRIVATE_KEY, PUBLIC_KEY, type WireServer } from "./context";

export { PRIVATE_KEY, PUBLIC_KEY };

export interface Keys {
  publicKey: string;
  privateKey: string;
}
export const ROOT_KEYS: Keys = { publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY };

export const server = (): WireServer => inject("wire");

// ───────────────────────── plain HTTP ─────────────────────────

export interface WireRequest {
  method?: string;
  /** Path and query, already encoded (default `/`). */
  path?: string;
  /** Host header (default `127.0.0.1:<port>`); the connection always goes to 127.0.0.1. */
  host?: string;
  headers?: Record<string, string>;
  /** Sent with an exact Content-Length unless `chunked` (then Transfer-Encoding: chunked). */
  body?: Uint8Array | string;
  chunked?: boolean;
  timeoutMs?: number;
}

export interface WireResponse {
  status: number;
  /** Lowercased names (node:http). */
  headers: IncomingHttpHeaders;
  /** Name/value pairs as they came on the wire, casing kept. */
  rawHeaders: [string, string][];
  body: Buffer;
  text(): string;
  json<T = Record<string, any>>(): T;
}

/** One HTTP/1.1 request over a fresh connection; resolves with the whole, undecoded response. */
export function request(req: WireRequest = {}): Promise<WireResponse> {
  const { port } = server();
  const body = typeof req.body === "string" ? Buffer.from(req.body) : req.body;
  const headers: Record<string, string> = { Host: req.host ?? `127.0.0.1:${port}`, ...req.headers };
  if (body && !req.chunked && !hasHeader(headers, "content-length")) headers["Content-Length"] = String(body.byteLength);
  return new Promise((resolve, reject) => {
    const out = http.request(
      { host: "127.0.0.1", port, method: req.method ?? "GET", path: req.path ?? "/", headers, agent: false, timeout: req.timeoutMs ?? 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const bytes = Buffer.concat(chunks);
          const rawHeaders: [string, string][] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) rawHeaders.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders,
            body: bytes,
            text: () => bytes.toString("utf8"),
            json: () => JSON.parse(bytes.toString("utf8")),
          });
        });
      },
    );
    out.on("timeout", () => out.destroy(new Error(`${req.method ?? "GET"} ${req.path ?? "/"}: no response within the timeout`)));
    out.on("error", reject);
    out.end(body);
  });
}

const hasHeader = (headers: Record<string, string>, name: string) => Object.keys(headers).some((k) => k.toLowerCase() === name);

// ───────────────────────── control plane ─────────────────────────

export type ControlValue = string | number | boolean;

/** docs/protocol.md §3.2: lowercase hex SHA1 over the byte-sorted `k + v` pairs, then the private key. */
export function controlSignature(params: Record<string, ControlValue>, privateKey: string): string {
  const names = Object.keys(params)
    .filter((k) => k !== "Signature")
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const text = names.map((k) => k + String(params[k])).join("") + privateKey;
  return createHash("sha1").update(text, "utf8").digest("hex");
}

/** The parameters with PublicKey and Signature added. */
export function signControl(params: Record<string, ControlValue>, keys: Keys = ROOT_KEYS): Record<string, ControlValue> {
  const withKey = { ...params, PublicKey: keys.publicKey };
  return { ...withKey, Signature: controlSignature(withKey, keys.privateKey) };
}

export const toQuery = (params: Record<string, ControlValue>): string =>
  new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();

/** A signed control-plane call as the Python BucketManager, Go and C SDKs send it (GET, query only). */
export async function control(params: Record<string, ControlValue>, opts: { keys?: Keys; headers?: Record<string, string> } = {}) {
  const res = await request({ path: `/?${toQuery(signControl(params, opts.keys))}`, host: "api.localhost", headers: opts.headers });
  return { res, body: res.json() };
}

let counter = 0;
/** A bucket name unique within the run (lowercase, valid per §3.5). */
export function uniqueName(prefix = "w"): string {
  return `${prefix}-${Date.now().toString(36)}-${process.pid.toString(36)}-${(counter++).toString(36)}`;
}

/** A new bucket (private unless told otherwise); throws when CreateBucket fails. */
export async function newBucket(type: "public" | "private" = "private"): Promise<string> {
  const name = uniqueName();
  const { body } = await control({ Action: "CreateBucket", BucketName: name, Type: type });
  if (body.RetCode !== 0) throw new Error(`CreateBucket ${name}: ${JSON.stringify(body)}`);
  return name;
}

/** READ, WRITE, DELETE and LIST, as CreateUFileToken's `AllowedOps.N` parameters. */
export const ALL_RIGHTS = { "AllowedOps.0": "TOKEN_ALLOW_READ", "AllowedOps.1": "TOKEN_ALLOW_WRITE", "AllowedOps.2": "TOKEN_ALLOW_DELETE", "AllowedOps.3": "TOKEN_ALLOW_LIST" };

/** A token made with the root keys (expiring in an hour unless `fields` says otherwise) → its key pair. */
export async function createToken(fields: Record<string, ControlValue>): Promise<Keys> {
  const { body } = await control({ Action: "CreateUFileToken", TokenName: uniqueName("t"), ExpireTime: Math.floor(Date.now() / 1000) + 3600, ...fields });
  if (body.RetCode !== 0) throw new Error(`CreateUFileToken: ${JSON.stringify(body)}`);
  return { publicKey: body.UFileTokenSet.PublicKey, privateKey: body.UFileTokenSet.PrivateKey };
}

// ───────────────────────── data plane ─────────────────────────

const hmacBase64 = (key: string, text: string) => createHmac("sha1", key).update(text, "utf8").digest("base64");

export interface SignOptions {
  contentType?: string;
  contentMd5?: string;
  date?: string;
  /** Canonicalized headers block, each line `name:value\n` (x-ucloud-*, and Java's copy-source lines). */
  canonicalHeaders?: string;
  /** base64 put-policy: appended to the string to sign and sent as the third field. */
  policy?: string;
  keys?: Keys;
}

/** `UCloud <pub>:<sig>[:<policy>]` over VERB\nMD5\nType\nDate\n<canonical>/bucket/key[policy]. */
export function authorization(method: string, bucket: string, key: string, opts: SignOptions = {}): string {
  const keys = opts.keys ?? ROOT_KEYS;
  const text =
    `${method}\n${opts.contentMd5 ?? ""}\n${opts.contentType ?? ""}\n${opts.date ?? ""}\n` +
    `${opts.canonicalHeaders ?? ""}/${bucket}/${key}${opts.policy ?? ""}`;
  return `UCloud ${keys.publicKey}:${hmacBase64(keys.privateKey, text)}${opts.policy ? `:${opts.policy}` : ""}`;
}

/** Query-signed URL parameters; the signature is percent-encoded as Go and Java send it. */
export function presignedQuery(method: string, bucket: string, key: string, expires: number, opts: SignOptions = {}): string {
  const keys = opts.keys ?? ROOT_KEYS;
  const text = `${method}\n${opts.contentMd5 ?? ""}\n${opts.contentType ?? ""}\n${expires}\n${opts.canonicalHeaders ?? ""}/${bucket}/${key}`;
  return `UCloudPublicKey=${encodeURIComponent(keys.publicKey)}&Expires=${expires}&Signature=${encodeURIComponent(hmacBase64(keys.privateKey, text))}`;
}

/** `/a/b c.txt` → `/a/b%20c.txt`: each segment percent-encoded, `/` kept (Go, Java). */
export const keyPath = (key: string): string => "/" + key.split("/").map(encodeURIComponent).join("/");

/** The canonical `x-ucloud-*` block of a request's headers (§2.2). */
export function canonicalUCloudHeaders(headers: Record<string, string>): string {
  return Object.entries(headers)
    .map(([k, v]) => [k.toLowerCase(), v.trim()] as const)
    .filter(([k]) => k.startsWith("x-ucloud-"))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}:${v}\n`)
    .join("");
}

export interface FileRequest {
  method?: string;
  /** Query without `?` (e.g. `uploads`, `list&prefix=a`). */
  query?: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  chunked?: boolean;
  /** `header` (default), `query` (presigned, Expires = now + 600 s), or `none` (anonymous). */
  auth?: "header" | "query" | "none";
  /** The key whose resource is signed when it differs from the path key (listings sign ""). */
  signedKey?: string;
  sign?: Omit<SignOptions, "contentType" | "contentMd5">;
}

/** A data-plane request to `<bucket>.localhost:<port>`, signed the way the SDKs sign it. */
export function file(bucket: string, key: string, req: FileRequest = {}): Promise<WireResponse> {
  const method = req.method ?? "GET";
  const headers = { ...req.headers };
  const header = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1] ?? "";
  const signing: SignOptions = {
    contentType: header("content-type"),
    contentMd5: header("content-md5"),
    canonicalHeaders: canonicalUCloudHeaders(headers),
    ...req.sign,
  };
  const signedKey = req.signedKey ?? key;
  const query: string[] = req.query ? [req.query] : [];
  if ((req.auth ?? "header") === "header") headers.Authorization = authorization(method, bucket, signedKey, signing);
  if (req.auth === "query") query.push(presignedQuery(method, bucket, signedKey, Math.floor(Date.now() / 1000) + 600, signing));
  return request({
    method,
    host: `${bucket}.localhost:${server().port}`,
    path: (key ? keyPath(key) : "/") + (query.length ? `?${query.join("&")}` : ""),
    headers,
    body: req.body,
    chunked: req.chunked,
  });
}

/** PutFile; asserts 200 and returns the ETag. */
export async function putFile(bucket: string, key: string, body: Uint8Array | string, contentType = "application/octet-stream"): Promise<string> {
  const res = await file(bucket, key, { method: "PUT", body, headers: { "Content-Type": contentType } });
  if (res.status !== 200) throw new Error(`PutFile ${key}: ${res.status} ${res.text()}`);
  return String(res.headers.etag);
}

// ───────────────────────── values ─────────────────────────

const sha1 = (bytes: Uint8Array) => createHash("sha1").update(bytes).digest();
const BLOCK = 4 * 1024 * 1024;

/** The UFile object ETag (docs/protocol.md §4.1): base64url(uint32le(n) ‖ SHA1 or SHA1 of block SHA1s). */
export function ufileEtag(bytes: Uint8Array): string {
  const n = Math.ceil(bytes.byteLength / BLOCK);
  let digest: Buffer;
  if (bytes.byteLength <= BLOCK) digest = sha1(bytes);
  else {
    const blocks: Buffer[] = [];
    for (let i = 0; i < n; i++) blocks.push(sha1(bytes.subarray(i * BLOCK, (i + 1) * BLOCK)));
    digest = sha1(Buffer.concat(blocks));
  }
  const head = Buffer.alloc(4);
  head.writeUInt32LE(n);
  return Buffer.concat([head, digest]).toString("base64url");
}

/** A part ETag (§4.2): base64url(SHA1(part)), padding kept. */
export const partEtag = (bytes: Uint8Array): string => sha1(bytes).toString("base64").replace(/\+/g, "-").replace(/\//g, "_");

/** Bytes `(i*seed)&255` (docs/protocol.md §4.4's pattern). */
export function pattern(size: number, seed = 7): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * seed) & 255;
  return out;
}

// ───────────────────────── cron and queue ─────────────────────────

/** Runs the Worker's `scheduled` handler now; resolves with wrangler's answer (200 when it succeeded). */
export function triggerScheduled(cron = "*/10 * * * *"): Promise<WireResponse> {
  return request({ path: `/__scheduled?cron=${encodeURIComponent(cron)}` });
}

/**
 * Retries `check` until it stops throwing (or the time is up, then its last error is thrown).
 * Usage events reach D1 through the local queue, which delivers a batch within its 5 s timeout.
 */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 20_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}
