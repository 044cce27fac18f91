/**
 * S3 clients for the wire tests: @aws-sdk/client-s3 as users configure it against edgefile, with
 * the SDK's current default checksum behaviour. Path style connects to the server's address;
 * virtual-hosted style sends `Host: <bucket>.localhost:<port>` and resolves every name to
 * 127.0.0.1 (Node does not resolve *.localhost by itself).
 *
 * For requests no SDK sends (an unsigned header added after signing, a policy signature used as a
 * presigned one), SigV4 is also implemented here with node:crypto, independently of src/:
 *
 *   signV4(req, opts)          header form: Authorization over the headers it is told to sign
 *   presignV4(req, opts)       query form: the path with X-Amz-* parameters, UNSIGNED-PAYLOAD
 *   postPolicyFields(...)      a signed POST policy's form fields; multipartForm(...) the body
 */
import { createHash, createHmac } from "node:crypto";
import http from "node:http";
import { S3Client } from "@aws-sdk/client-s3";
import { PRIVATE_KEY, PUBLIC_KEY, server, uniqueName, type WireRequest } from "./client";

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
}
export const ROOT_ACCESS_KEY: AccessKey = { accessKeyId: PUBLIC_KEY, secretAccessKey: PRIVATE_KEY };

const loopback = new http.Agent({
  keepAlive: true,
  lookup: ((_host: string, opts: { all?: boolean }, cb: (...args: unknown[]) => void) =>
    opts?.all ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4)) as never,
});

export function s3Client(opts: { style?: "path" | "virtual"; key?: AccessKey; region?: string } = {}): S3Client {
  const style = opts.style ?? "path";
  return new S3Client({
    region: opts.region ?? "us-east-1",
    endpoint: style === "path" ? server().url : `http://localhost:${server().port}`,
    forcePathStyle: style === "path",
    credentials: opts.key ?? ROOT_ACCESS_KEY,
    requestHandler: { httpAgent: loopback },
    maxAttempts: 1,
  });
}

/** A bucket name unique in the run (S3 names: lower case, digits, dashes). */
export const s3BucketName = (prefix = "s3") => uniqueName(prefix).toLowerCase();

/** The error an SDK call failed with: name (the S3 code) and HTTP status. */
export async function s3Failure(p: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error("the call succeeded");
}

export const md5Hex = async (bytes: Uint8Array | string) => (await import("node:crypto")).createHash("md5").update(bytes).digest("hex");

// ───────────────────────── SigV4 by hand ─────────────────────────

const hmac = (key: string | Buffer, text: string) => createHmac("sha256", key).update(text).digest();
const sha256 = (data: string | Uint8Array) => createHash("sha256").update(data).digest("hex");

/** RFC 3986 as AWS encodes: unreserved kept, everything else %XX. */
const awsEncode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());

/** `/bucket/a b.txt` → `/bucket/a%20b.txt`. */
export const s3Path = (bucket: string, key = ""): string => `/${bucket}${key ? "/" + key.split("/").map(awsEncode).join("/") : ""}`;

export interface SigV4Options {
  key?: AccessKey;
  now?: Date;
  region?: string;
}

function scopeOf(opts: SigV4Options) {
  const now = opts.now ?? new Date();
  const amzDate = now.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const date = amzDate.slice(0, 8);
  const key = opts.key ?? ROOT_ACCESS_KEY;
  const scope = `${date}/${opts.region ?? "us-east-1"}/s3/aws4_request`;
  let signing: Buffer = hmac("AWS4" + key.secretAccessKey, date);
  for (const part of [opts.region ?? "us-east-1", "s3", "aws4_request"]) signing = hmac(signing, part);
  return { amzDate, scope, credential: `${key.accessKeyId}/${scope}`, signing };
}

function canonicalQuery(search: string): string {
  return [...new URLSearchParams(search)]
    .map(([k, v]) => [awsEncode(k), awsEncode(v)])
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
}

function signature(method: string, path: string, headers: Record<string, string>, signed: string[], payload: string, s: ReturnType<typeof scopeOf>): string {
  const [pathname, search = ""] = path.split("?");
  const lower = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v.trim().replace(/\s+/g, " ")]));
  const canonicalHeaders = signed.map((h) => `${h}:${lower.get(h) ?? ""}\n`).join("");
  const canonical = `${method}\n${pathname}\n${canonicalQuery(search)}\n${canonicalHeaders}\n${signed.join(";")}\n${payload}`;
  return createHmac("sha256", s.signing).update(`AWS4-HMAC-SHA256\n${s.amzDate}\n${s.scope}\n${sha256(canonical)}`).digest("hex");
}

/**
 * A header-signed request to the server's path-style address. Signed: host, x-amz-date,
 * x-amz-content-sha256 (the body's hash), and every header of `req.headers` (set `unsigned` to add
 * headers after signing, as a replay would).
 */
export function signV4(req: WireRequest & { method: string; path: string }, opts: SigV4Options & { unsigned?: Record<string, string> } = {}): WireRequest {
  const s = scopeOf(opts);
  const body = req.body ?? "";
  const headers: Record<string, string> = {
    ...req.headers,
    host: req.host ?? `127.0.0.1:${server().port}`,
    "x-amz-date": s.amzDate,
    "x-amz-content-sha256": sha256(body),
  };
  const signed = Object.keys(headers).map((h) => h.toLowerCase()).sort();
  const sig = signature(req.method, req.path, headers, signed, headers["x-amz-content-sha256"], s);
  const { host, ...rest } = headers;
  return {
    ...req,
    host,
    headers: { ...rest, ...opts.unsigned, Authorization: `AWS4-HMAC-SHA256 Credential=${s.credential}, SignedHeaders=${signed.join(";")}, Signature=${sig}` },
  };
}

/** A presigned request: the X-Amz-* parameters added to `req.path`, `host` and `req.headers` signed, UNSIGNED-PAYLOAD. */
export function presignV4(req: WireRequest & { method: string; path: string }, opts: SigV4Options & { expires?: number } = {}): WireRequest {
  const s = scopeOf(opts);
  const headers: Record<string, string> = { ...req.headers, host: req.host ?? `127.0.0.1:${server().port}` };
  const signed = Object.keys(headers).map((h) => h.toLowerCase()).sort();
  const params = new URLSearchParams({
    "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
    "X-Amz-Credential": s.credential,
    "X-Amz-Date": s.amzDate,
    "X-Amz-Expires": String(opts.expires ?? 600),
    "X-Amz-SignedHeaders": signed.join(";"),
  });
  const joined = req.path + (req.path.includes("?") ? "&" : "?") + params.toString().replace(/\+/g, "%20");
  const sig = signature(req.method, joined, headers, signed, "UNSIGNED-PAYLOAD", s);
  const { host, ...rest } = headers;
  return { ...req, host, headers: rest, path: `${joined}&X-Amz-Signature=${sig}` };
}

/** The form fields of a POST policy over `conditions` (plus bucket and the SigV4 fields), signed with the key. */
export function postPolicyFields(bucket: string, conditions: unknown[], opts: SigV4Options & { expiresInMs?: number } = {}): Record<string, string> {
  const s = scopeOf(opts);
  const policy = Buffer.from(
    JSON.stringify({
      expiration: new Date(Date.now() + (opts.expiresInMs ?? 600_000)).toISOString(),
      conditions: [{ bucket }, { "x-amz-algorithm": "AWS4-HMAC-SHA256" }, { "x-amz-credential": s.credential }, { "x-amz-date": s.amzDate }, ...conditions],
    }),
  ).toString("base64");
  return { Policy: policy, "X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Credential": s.credential, "X-Amz-Date": s.amzDate, "X-Amz-Signature": createHmac("sha256", s.signing).update(policy).digest("hex") };
}

/** A multipart/form-data body: the fields, then the file part. */
export function multipartForm(fields: Record<string, string>, file: string, filename = "photo.txt") {
  const boundary = "----edgefile" + Math.random().toString(16).slice(2);
  const parts = Object.entries(fields).map(([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: text/plain\r\n\r\n${file}\r\n--${boundary}--\r\n`);
  return { body: parts.join(""), contentType: `multipart/form-data; boundary=${boundary}` };
}
