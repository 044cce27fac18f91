import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { expect } from "vitest";
import { env, exports } from "cloudflare:workers";
import worker from "../src/index";
import { ApiError } from "../src/errors";
import { encodeValue, Params, type ParamValue } from "../src/control/params";
import { authorization as signedAuthorization, controlSignature, dataStringToSign, hmacSha1Base64 } from "../src/signing.mjs";
import { pythonBody } from "./sdk-forms";

/** The docs/protocol.md test key pair, configured as the root keys in test/vitest.config.ts. */
export const PUBLIC_KEY = "ucloudsomeone@example.com1296235120854146120";
export const PRIVATE_KEY = "46f09bb9fab4f12dfc160dae12273d5332b5debe";

export const API = "http://api.localhost";

/** Fetch through the Worker's own fetch handler, as a client over HTTP would. */
export function call(input: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(input, init);
}

/**
 * Calls the worker's fetch handler directly with some bindings or settings overridden (a fresh
 * env object gets fresh settings), and waits for its waitUntil work.
 */
export async function callWithEnv(overrides: Record<string, unknown>, url: string, init?: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request(url, init) as Request<unknown, IncomingRequestCfProperties>, { ...env, ...overrides }, ctx);
  // The access log's line waits (in waitUntil) until the body was taken: read it first, as a client does.
  const body = res.body ? await res.arrayBuffer() : null;
  await waitOnExecutionContext(ctx);
  return new Response(body, res);
}

/**
 * The control-plane `Signature` of parameters as the Worker reads them (src/control/signature.ts
 * verifies the same text): each value as sent on the wire (`encodeValue`).
 */
export const controlSignatureOf = (params: Params, privateKey: string): Promise<string> => controlSignature(params.raw, privateKey, encodeValue);

/** Signs control-plane parameters the way the UCloud API SDKs do. */
export async function signControl(
  params: Record<string, ParamValue>,
  keys: { publicKey: string; privateKey: string } = { publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY },
): Promise<Record<string, ParamValue>> {
  const withKey = { ...params, PublicKey: keys.publicKey };
  const Signature = await controlSignatureOf(new Params(new Map(Object.entries(withKey))), keys.privateKey);
  return { ...withKey, Signature };
}

const toQuery = (p: Record<string, ParamValue>) =>
  new URLSearchParams(Object.entries(p).map(([k, v]) => [k, String(v)])).toString();

/** A signed control-plane GET (Python BucketManager / Go / C style); returns the parsed envelope. */
export async function control(params: Record<string, ParamValue>, keys?: { publicKey: string; privateKey: string }) {
  const res = await call(`${API}/?${toQuery(await signControl(params, keys))}`);
  return { res, body: (await res.json()) as Record<string, any> };
}

export { toQuery };

let counter = 0;
/** A bucket name unique within the test run. */
export function uniqueName(prefix = "b"): string {
  return `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

// ───────────────────────── data plane ─────────────────────────


export interface Keys {
  publicKey: string;
  privateKey: string;
}
const ROOT: Keys = { publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY };

/** `UCloud <pub>:<sig>` over VERB\nMD5\nType\nDate\n[x-ucloud headers]/bucket/key, as the SDKs sign. */
export async function authorization(
  method: string,
  bucket: string,
  key: string,
  opts: { contentType?: string; contentMd5?: string; date?: string; canonicalHeaders?: string; keys?: Keys } = {},
): Promise<string> {
  const keys = opts.keys ?? ROOT;
  return signedAuthorization(keys.publicKey, keys.privateKey, { method, bucket, key, ...opts });
}

/** The URL of a key, path-encoded the way Go and Java encode it (`/` kept). */
export const fileUrl = (bucket: string, key: string, query = "") =>
  `http://${bucket}.localhost/${key.split("/").map(encodeURIComponent).join("/")}${query ? `?${query}` : ""}`;

export interface FileRequest {
  method?: string;
  body?: BodyInit | null;
  headers?: Record<string, string>;
  query?: string;
  /** The key whose resource is signed, when it differs from the path (listings sign ""). */
  signedKey?: string;
  keys?: Keys;
  /** Send no Authorization header. */
  anonymous?: boolean;
  /**
   * Bindings or settings to override: the request then goes straight to the worker's fetch handler
   * (this isolate's modules, so `forgetBucket` reaches its cache) and waits for its waitUntil work.
   */
  env?: Record<string, unknown>;
}

/** A data-plane request signed with the root (or given) keys. */
export async function file(bucket: string, key: string, req: FileRequest = {}): Promise<Response> {
  const method = req.method ?? "GET";
  const headers = new Headers(req.headers);
  // fetch adds this to string bodies; the SDKs send (and sign) their Content-Type explicitly.
  if (typeof req.body === "string" && !headers.has("Content-Type")) headers.set("Content-Type", "text/plain;charset=UTF-8");
  if (!req.anonymous) {
    headers.set(
      "Authorization",
      await authorization(method, bucket, req.signedKey ?? key, {
        contentType: headers.get("Content-Type") ?? "",
        contentMd5: headers.get("Content-MD5") ?? "",
        keys: req.keys,
      }),
    );
  }
  const url = fileUrl(bucket, key, req.query);
  const init = { method, headers, body: req.body };
  return req.env ? callWithEnv(req.env, url, init) : call(url, init);
}

/** A bucket created through the control plane (default private). */
export async function newBucket(type: "public" | "private" = "private", projectId?: string): Promise<string> {
  const name = uniqueName("bkt");
  const { body } = await control({ Action: "CreateBucket", BucketName: name, Type: type, ...(projectId ? { ProjectId: projectId } : {}) });
  if (body.RetCode !== 0) throw new Error(`CreateBucket failed: ${JSON.stringify(body)}`);
  return name;
}

/** PutFile of `body` under `key`; asserts success and returns the ETag. */
export async function put(bucket: string, key: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<string> {
  const res = await file(bucket, key, { method: "PUT", body, headers: { "Content-Type": "text/plain", ...headers } });
  if (res.status !== 200) throw new Error(`PutFile ${key}: ${res.status} ${await res.text()}`);
  return res.headers.get("ETag")!;
}

/** Bytes (i*7)&255, docs/protocol.md §4.4's pattern. */
export function pattern(size: number, seed = 7): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * seed) & 255;
  return out;
}

/**
 * A query-signed URL (docs/protocol.md §2.5): `?UCloudPublicKey=&Expires=&Signature=`, the signature
 * over VERB\nMD5\nType\nExpires\n/bucket/key. `rawSignature` leaves the base64 unencoded (Python, C).
 */
export async function presignedUrl(
  bucket: string,
  key: string,
  opts: { method?: string; expires: number; keys?: Keys; contentType?: string; rawSignature?: boolean },
): Promise<string> {
  const keys = opts.keys ?? ROOT;
  const s = dataStringToSign({ method: opts.method ?? "GET", bucket, key, contentType: opts.contentType, date: String(opts.expires) });
  const sig = await hmacSha1Base64(keys.privateKey, s);
  const query = `UCloudPublicKey=${encodeURIComponent(keys.publicKey)}&Expires=${opts.expires}&Signature=${opts.rawSignature ? sig : encodeURIComponent(sig)}`;
  return fileUrl(bucket, key, query);
}

/**
 * PostFile as ufile-sdk-python sends it (docs/protocol.md §5.4): fields FileName, Authorization, then
 * the file part with its MIME, and no closing delimiter. The signature covers POST, the file's
 * MIME and `/bucket/<FileName>`; `signedKey` signs another key instead.
 */
export async function postFile(
  bucket: string,
  key: string,
  content: string,
  opts: { keys?: Keys; mime?: string; signedKey?: string } = {},
): Promise<Response> {
  const mime = opts.mime ?? "text/plain";
  const auth = await authorization("POST", bucket, opts.signedKey ?? key, { contentType: mime, keys: opts.keys });
  const B = "5c8b8f1e2a7d4e8fa3b2c1d0e9f8a7b6";
  const body = pythonBody(B, key, auth, new TextEncoder().encode(content), mime, "/tmp/upload");
  return call(`http://${bucket}.localhost/`, { method: "POST", headers: { "Content-Type": `multipart/form-data; boundary=${B}` }, body });
}

/** SHA-1 hex of a stream or bytes, to compare large bodies without holding two copies as strings. */
export async function sha1Hex(data: ReadableStream<Uint8Array> | Uint8Array | ArrayBuffer): Promise<string> {
  let digest: ArrayBuffer;
  if (data instanceof ReadableStream) {
    const stream = new crypto.DigestStream("SHA-1");
    await data.pipeTo(stream);
    digest = await stream.digest;
  } else {
    digest = await crypto.subtle.digest("SHA-1", data);
  }
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Asserts a data-plane error as the SDKs read it: the HTTP status, exactly
 * `Content-Type: application/json`, the session id, and `{RetCode, ErrMsg}`. Returns the body.
 */
export async function expectError(res: Response, status: number, code: number): Promise<Record<string, any>> {
  expect(res.status).toBe(status);
  expect(res.headers.get("Content-Type")).toBe("application/json");
  expect(res.headers.get("X-SessionId")).toBeTruthy();
  const body = (await res.json()) as Record<string, any>;
  expect(body.RetCode, body.ErrMsg).toBe(code);
  expect(typeof body.ErrMsg).toBe("string");
  return body;
}

/** The index shards (src/store/shards.ts) as the tests bind them: `DB` and every `INDEX_*` D1 binding. */
export function shards(): [name: string, d1: D1Database][] {
  return Object.entries(env)
    .filter(([name]) => name === "DB" || /^INDEX_[A-Z0-9_]+$/.test(name))
    .sort(([a], [b]) => (a === "DB" ? -1 : b === "DB" ? 1 : a.localeCompare(b))) as [string, D1Database][];
}

/**
 * The reference invariant over every shard: a blob row's refcount is the number of object rows on
 * its shard pointing at it plus the number of proxy rows on other shards naming that shard as home;
 * every referenced blob has its bytes in R2.
 */
export async function expectExactReferences(): Promise<void> {
  for (const [name, d1] of shards()) {
    const { results } = await d1.prepare("SELECT id, refcount FROM blobs WHERE refcount > 0").all<{ id: string; refcount: number }>();
    for (const blob of results) {
      let expected = (await d1.prepare("SELECT COUNT(*) AS n FROM objects WHERE blob_id = ?").bind(blob.id).first<{ n: number }>())!.n;
      for (const [other, o] of shards()) {
        if (other === name) continue;
        expected += (await o.prepare("SELECT COUNT(*) AS n FROM blobs WHERE id = ? AND home_shard = ?").bind(blob.id, name).first<{ n: number }>())!.n;
      }
      expect({ shard: name, blob: blob.id, refcount: blob.refcount }).toEqual({ shard: name, blob: blob.id, refcount: expected });
      expect(await env.BLOBS.head(`blobs/${blob.id}`), `bytes of blob ${blob.id}`).not.toBeNull();
    }
  }
}

/** The index shard holding bucket `bucketName`: its binding name, its D1 database, and the bucket's id. */
export async function indexOf(bucketName: string): Promise<{ shard: string; d1: D1Database; id: string }> {
  const row = await env.DB.prepare("SELECT id, shard FROM buckets WHERE name = ?").bind(bucketName).first<{ id: string; shard: string }>();
  if (!row) throw new Error(`no bucket ${bucketName}`);
  const d1 = shards().find(([name]) => name === row.shard)?.[1];
  if (!d1) throw new Error(`bucket ${bucketName} is on ${row.shard}, which the tests do not bind`);
  return { shard: row.shard, d1, id: row.id };
}

/**
 * A new private bucket on index shard `shard`: created with a region only that shard serves
 * (SHARD_REGIONS, docs/deploy.md "Index shards"), so placement does not depend on how full each is.
 */
export async function bucketOn(shard: string): Promise<string> {
  const BucketName = uniqueName("sh");
  const region = `pin-${shard.toLowerCase().replaceAll("_", "-")}`;
  const res = await callWithEnv({ SHARD_REGIONS: `${shard}=${region}` }, `${API}/?${toQuery(await signControl({ Action: "CreateBucket", BucketName, Region: region }))}`);
  const body = (await res.json()) as { RetCode: number; Message?: string };
  if (body.RetCode !== 0) throw new Error(`CreateBucket on ${shard}: ${JSON.stringify(body)}`);
  return BucketName;
}

/** Every row of the bucket on every shard, as [shard, key]. */
export async function rowsEverywhere(bucketName: string): Promise<[string, string][]> {
  const { id } = await indexOf(bucketName);
  const out: [string, string][] = [];
  for (const [name, d1] of shards()) {
    const { results } = await d1.prepare("SELECT key FROM objects WHERE bucket_id = ? ORDER BY key").bind(id).all<{ key: string }>();
    out.push(...results.map((r) => [name, r.key] as [string, string]));
  }
  return out;
}

/** A read run on every shard, its rows concatenated. */
export async function onEveryShard<T>(query: string, ...values: unknown[]): Promise<T[]> {
  const rows: T[] = [];
  for (const [, d1] of shards()) rows.push(...(await d1.prepare(query).bind(...values).all<T>()).results);
  return rows;
}

/** A bucket's counters as its index shard keeps them (its anchor row there, or its own row on DB). */
export interface BucketCounters {
  stored_bytes: number;
  object_count: number;
  ia_bytes: number;
  archive_bytes: number;
}

/**
 * Checks that a bucket's counters equal a recount of its rows (docs/design.md §4; store/class-bytes.ts):
 * bytes and rows of its objects plus its open uploads' parts, in total and per storage class (IA; ARCHIVE
 * and COLD). Returns the counters.
 */
export async function expectExactCounters(bucketName: string): Promise<BucketCounters> {
  const { d1, id } = await indexOf(bucketName);
  const counters = (await d1
    .prepare("SELECT stored_bytes, object_count, ia_bytes, archive_bytes FROM buckets WHERE id = ?")
    .bind(id)
    .first<BucketCounters>())!;
  const byClass = (classes: string) =>
    `(SELECT COALESCE(SUM(size), 0) FROM objects WHERE bucket_id = ?1 AND storage_class IN (${classes}))
     + (SELECT COALESCE(SUM(p.size), 0) FROM upload_parts p JOIN uploads u ON u.id = p.upload_id WHERE u.bucket_id = ?1 AND u.storage_class IN (${classes}))`;
  const recount = await d1
    .prepare(
      `SELECT (SELECT COALESCE(SUM(size), 0) FROM objects WHERE bucket_id = ?1)
          + (SELECT COALESCE(SUM(p.size), 0) FROM upload_parts p JOIN uploads u ON u.id = p.upload_id WHERE u.bucket_id = ?1) AS stored_bytes,
        (SELECT COUNT(*) FROM objects WHERE bucket_id = ?1) AS object_count,
        ${byClass("'IA'")} AS ia_bytes,
        ${byClass("'ARCHIVE', 'COLD'")} AS archive_bytes`,
    )
    .bind(id)
    .first<BucketCounters>();
  expect(counters).toEqual(recount);
  return counters;
}

/** "ok" when `p` resolves, else the name of the ApiError it rejects with (the error table's row). */
export async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    return err instanceof ApiError ? err.name : String(err);
  }
}
