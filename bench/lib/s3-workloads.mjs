// S3 front workloads (issue 15): S3 GetObject/PutObject at 4 KiB and 1 MiB against the same edgefile
// Worker as the UFile GetFile/PutFile of the same keys and bodies. Each round runs both, order
// alternating; the result is S3 req/s ÷ UFile req/s (target ≥ 0.95: "the S3 path costs at most 5%
// more than the UFile path on the same work"). S3 requests are path style, header-signed SigV4 with
// UNSIGNED-PAYLOAD (what clients send over TLS), so both sides do the same body work.
import { createHash, createHmac } from "node:crypto";
import { closedLoop, KEYS, mirroredRound, ufileRequest } from "./load.mjs";
import { BUCKET, bodies, seedKey } from "./workloads.mjs";

const OCTET = "application/octet-stream";
const hmac = (key, text) => createHmac("sha256", key).update(text).digest();
const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const encodeKey = (key) => key.split("/").map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase())).join("/");

/** Signing keys per day (the bench runs minutes). */
const signingKeys = new Map();
function signingKey(date) {
  if (!signingKeys.has(date)) {
    let k = hmac("AWS4" + KEYS.privateKey, date);
    for (const part of ["us-east-1", "s3", "aws4_request"]) k = hmac(k, part);
    signingKeys.set(date, k);
  }
  return signingKeys.get(date);
}

/** A SigV4 header-signed, path-style S3 request to edgefile (`port` only for the Host header). */
export function s3FrontRequest(method, bucket, key, { body, contentType = "" } = {}) {
  const amzDate = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
  const path = `/${bucket}/${encodeKey(key)}`;
  const headers = { host: "127.0.0.1", "x-amz-content-sha256": "UNSIGNED-PAYLOAD", "x-amz-date": amzDate };
  if (contentType) headers["content-type"] = contentType;
  const signed = Object.keys(headers).sort();
  const canonical = [method, path, "", ...signed.map((h) => `${h}:${headers[h]}`), "", signed.join(";"), "UNSIGNED-PAYLOAD"].join("\n");
  const scope = `${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request`;
  const sts = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256(canonical)}`;
  const signature = createHmac("sha256", signingKey(amzDate.slice(0, 8))).update(sts).digest("hex");
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${KEYS.publicKey}/${scope}, SignedHeaders=${signed.join(";")}, Signature=${signature}`;
  if (body) headers["content-length"] = String(body.length);
  return { method, path, headers, body };
}

export function s3Workloads() {
  const put = (size) => ({
    ufile: (w, seq) => ufileRequest("PUT", BUCKET, `s3cmp/ufile/${size}/${w}`, { contentType: OCTET, body: bodies[size] }),
    s3: (w, seq) => s3FrontRequest("PUT", BUCKET, `s3cmp/s3/${size}/${w}`, { contentType: OCTET, body: bodies[size] }),
  });
  const get = (size) => ({
    ufile: (w, seq) => ufileRequest("GET", BUCKET, seedKey(size, w + seq)),
    s3: (w, seq) => s3FrontRequest("GET", BUCKET, seedKey(size, w + seq)),
  });
  return [
    { id: "s3-put-4k", label: "S3 PutObject 4 KiB ÷ PutFile", target: 0.95, build: put("4k") },
    { id: "s3-put-1m", label: "S3 PutObject 1 MiB ÷ PutFile", target: 0.95, build: put("1m") },
    { id: "s3-get-4k", label: "S3 GetObject 4 KiB ÷ GetFile", target: 0.95, build: get("4k") },
    { id: "s3-get-1m", label: "S3 GetObject 1 MiB ÷ GetFile", target: 0.95, build: get("1m") },
  ];
}

/** Mirrored rounds of UFile and S3 on the edgefile target (UFile S3 S3 UFile, then S3 UFile UFile S3, …); returns the runs and the per-round ratios. */
export async function runS3Comparison(workload, edgefile, { rounds, concurrency, durationMs, warmupMs }, log) {
  const runs = { ufile: [], s3: [] };
  for (let r = 0; r < rounds; r++) {
    const round = await mirroredRound(r % 2 === 0 ? ["ufile", "s3"] : ["s3", "ufile"], (kind) =>
      closedLoop({ port: edgefile.port, cpuPid: edgefile.pid, concurrency, durationMs, warmupMs, build: workload.build[kind] }),
    );
    for (const kind of ["ufile", "s3"]) {
      const res = round[kind];
      runs[kind].push(res);
      const errors = res.errors ? `  ${res.errors} errors, first: ${res.firstError}` : "";
      log(`${workload.id.padEnd(16)} ${kind.padEnd(9)} ${res.rps.toFixed(0).padStart(6)} req/s  p50 ${res.p50.toFixed(1)} ms  CPU ${res.cpuMsPerRequest.toFixed(2)} ms/req${errors}`);
    }
  }
  return { runs, ratios: runs.s3.map((x, i) => x.rps / runs.ufile[i].rps) };
}
