// The access log (docs/operations.md "Access log"): one JSON line per request on the Worker's console,
// read here from the wire harness's copy of that console (server().logFile), as `wrangler tail` shows it.
import { readFileSync } from "node:fs";
import http from "node:http";
import { DeleteObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { ALL_RIGHTS, authorization, control, eventually, file, keyPath, newBucket, pattern, PRIVATE_KEY, PUBLIC_KEY, putFile, server, uniqueName } from "./client";
import { s3Client } from "./s3-helpers";

interface AccessLine {
  time: string;
  requestId: string;
  debugId: string;
  front: string;
  operation: string | null;
  method: string;
  bucket: string | null;
  key: string | null;
  principal: string;
  client: string | null;
  status: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
}

/** Every access-log line of this run so far (other lines of the console are skipped). */
function accessLines(): AccessLine[] {
  const out: AccessLine[] = [];
  for (const line of readFileSync(server().logFile, "utf8").split("\n")) {
    const start = line.indexOf('{"time":');
    if (start < 0) continue;
    out.push(JSON.parse(line.slice(start)));
  }
  return out;
}

/** The line of the response with this X-SessionId (the log is written as the response leaves). */
const lineOf = (requestId: string) => eventually(() => {
  const found = accessLines().find((l) => l.requestId === requestId);
  if (!found) throw new Error(`no access-log line for ${requestId}`);
  return found;
}, 10_000);

describe("access log", () => {
  it("answers who deleted an object: a token's delete names the token, never a key", async () => {
    const bucket = await newBucket();
    await putFile(bucket, "reports/q3.csv", "a,b\n1,2\n");
    const { body } = await control({
      Action: "CreateUFileToken", TokenName: uniqueName("t"), ExpireTime: Math.floor(Date.now() / 1000) + 3600, ...ALL_RIGHTS,
    });
    expect(body.RetCode).toBe(0);
    const keys = { publicKey: body.UFileTokenSet.PublicKey, privateKey: body.UFileTokenSet.PrivateKey };

    const del = await file(bucket, "reports/q3.csv", { method: "DELETE", sign: { keys } });
    expect(del.status).toBe(204);
    const line = await lineOf(String(del.headers["x-sessionid"]));
    expect(line).toMatchObject({
      front: "ufile", operation: "DeleteFile", method: "DELETE", bucket, key: "reports/q3.csv",
      principal: `token:${body.TokenId}`, status: 204, debugId: del.headers["x-bce-debug-id"],
    });
    expect(line.client).toMatch(/^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
    expect(Date.parse(line.time)).toBeGreaterThan(Date.now() - 60_000);
    expect(line.durationMs).toBeGreaterThanOrEqual(0);

    // The filter docs/operations.md gives: every DeleteFile of that key, with who and when.
    const who = accessLines().filter((l) => l.operation === "DeleteFile" && l.bucket === bucket && l.key === "reports/q3.csv");
    expect(who.map((l) => l.principal)).toEqual([`token:${body.TokenId}`]);
    // No key of either pair appears anywhere in the log.
    const log = readFileSync(server().logFile, "utf8");
    for (const secret of [keys.publicKey, keys.privateKey, PUBLIC_KEY, PRIVATE_KEY]) expect(log).not.toContain(secret);
  });

  it("counts bytes in and out, and records refusals with the signer and the status", async () => {
    const bucket = await newBucket();
    const put = await file(bucket, "b.bin", { method: "PUT", body: new Uint8Array(1234) });
    expect(await lineOf(String(put.headers["x-sessionid"]))).toMatchObject({ operation: "PutFile", principal: "root", status: 200, bytesIn: 1234 });
    const get = await file(bucket, "b.bin");
    expect(await lineOf(String(get.headers["x-sessionid"]))).toMatchObject({ operation: "GetFile", status: 200, bytesIn: 0, bytesOut: 1234 });
    const head = await file(bucket, "b.bin", { method: "HEAD" });
    expect(await lineOf(String(head.headers["x-sessionid"]))).toMatchObject({ operation: "HeadFile", bytesOut: 0 });

    // A refused upload of a declared length counts that length: its body passes the Worker untouched.
    const refusedPut = await file(bucket, "big.bin", { method: "PUT", body: pattern(200_000), auth: "none" });
    expect(refusedPut.status).toBe(403);
    expect(await lineOf(String(refusedPut.headers["x-sessionid"]))).toMatchObject({ principal: "anonymous", status: 403, bytesIn: 200_000 });

    const anonymous = await file(bucket, "b.bin", { auth: "none" });
    expect(anonymous.status).toBe(403);
    expect(await lineOf(String(anonymous.headers["x-sessionid"]))).toMatchObject({ operation: "GetFile", principal: "anonymous", status: 403 });
    const missing = await file(uniqueName(), "x");
    expect(await lineOf(String(missing.headers["x-sessionid"]))).toMatchObject({ front: "ufile", operation: null, principal: "anonymous", status: missing.status });
  });

  it("counts the bytes read and sent: a chunked upload, a range, a download the client left", { timeout: 120_000 }, async () => {
    const bucket = await newBucket();
    // Chunked: no Content-Length to declare it; the line counts what the Worker read.
    const chunked = await file(bucket, "chunked.bin", { method: "PUT", body: pattern(300_000), chunked: true });
    expect(chunked.status).toBe(200);
    expect(await lineOf(String(chunked.headers["x-sessionid"]))).toMatchObject({ operation: "PutFile", status: 200, bytesIn: 300_000 });

    const range = await file(bucket, "chunked.bin", { headers: { Range: "bytes=1000-1099" } });
    expect(range.status).toBe(206);
    expect(range.body.byteLength).toBe(100);
    expect(await lineOf(String(range.headers["x-sessionid"]))).toMatchObject({ operation: "GetFile", status: 206, bytesOut: 100 });

    // A download the client abandons after its first bytes still has its line. A body of a declared
    // length goes to the client untouched (src/core/counted-body.ts): the line counts that length.
    const size = 24 * 1024 * 1024;
    await putFile(bucket, "big.bin", pattern(size));
    const { sessionId, received } = await abandonedDownload(bucket, "big.bin");
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(size);
    expect(await lineOf(sessionId)).toMatchObject({ operation: "GetFile", status: 200, bytesOut: size });
  });

  it("names the control action and the S3 operation", async () => {
    const name = uniqueName();
    const { res } = await control({ Action: "CreateBucket", BucketName: name, Type: "private" });
    expect(await lineOf(String(res.headers["x-sessionid"]))).toMatchObject({ front: "control", operation: "CreateBucket", bucket: name, principal: "root", status: 200 });
    const bad = await control({ Action: "DescribeBucket", BucketName: name }, { keys: { publicKey: PUBLIC_KEY, privateKey: "wrong" } });
    expect(bad.body.RetCode).not.toBe(0);
    expect(await lineOf(String(bad.res.headers["x-sessionid"]))).toMatchObject({ front: "control", operation: "DescribeBucket", principal: "anonymous" });

    const s3 = s3Client();
    const sent: string[] = [];
    s3.middlewareStack.add((next) => async (args) => {
      const out = await next(args);
      sent.push(String((out.response as { headers: Record<string, string> }).headers["x-sessionid"]));
      return out;
    }, { step: "deserialize", name: "sessionId" });
    await s3.send(new PutObjectCommand({ Bucket: name, Key: "s3/k.txt", Body: "hello" }));
    await s3.send(new DeleteObjectCommand({ Bucket: name, Key: "s3/k.txt" }));
    expect(await lineOf(sent[0])).toMatchObject({ front: "s3", operation: "PutObject", bucket: name, key: "s3/k.txt", principal: "root", bytesIn: 5 });
    expect(await lineOf(sent[1])).toMatchObject({ front: "s3", operation: "DeleteObject", bucket: name, key: "s3/k.txt", principal: "root", status: 204 });
  });
});

/** A signed GET whose client reads its first bytes, then closes the connection. */
function abandonedDownload(bucket: string, key: string): Promise<{ sessionId: string; received: number }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: "127.0.0.1", port: server().port, path: keyPath(key), agent: false, headers: { Host: `${bucket}.localhost:${server().port}`, Authorization: authorization("GET", bucket, key) } },
      (res) => {
        let received = 0;
        res.once("data", (chunk: Buffer) => {
          received += chunk.byteLength;
          res.pause();
          setTimeout(() => {
            req.destroy();
            resolve({ sessionId: String(res.headers["x-sessionid"]), received });
          }, 300);
        });
      },
    );
    req.on("error", (err) => (req.destroyed ? undefined : reject(err)));
  });
}
