// Issue 11: upload callbacks (Go PutFileWithPolicy / MPutWithPolicy / FinishMultipartUploadWithPolicy),
// against a callback server on the loopback, over real HTTP.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorization, file, newBucket, partEtag, pattern, server, ufileEtag } from "./client";

interface Received {
  path: string;
  contentType: string;
  body: string;
}

/** The callback server: answers each path its own way and records what it received. */
const received: Received[] = [];
let callbackServer: http.Server;
let base = "";

beforeAll(async () => {
  callbackServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      received.push({ path, contentType: req.headers["content-type"] ?? "", body: Buffer.concat(chunks).toString("utf8") });
      if (path.startsWith("/ok")) {
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ accepted: true, path }));
      } else if (path.startsWith("/fail")) {
        res.writeHead(500, { "Content-Type": "application/json" }).end('{"error":"no"}');
      } else if (path.startsWith("/text")) {
        res.writeHead(200, { "Content-Type": "text/plain" }).end("fine");
      } else if (path.startsWith("/huge")) {
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ pad: "x".repeat(100_000) }));
      }
      // "/slow": never answers (the Worker's timeout ends it).
    });
  });
  await new Promise<void>((resolve) => callbackServer.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  callbackServer.closeAllConnections();
  await new Promise((resolve) => callbackServer.close(resolve));
});

/** URL-safe base64 of the JSON, padding kept: Go's `base64.URLEncoding`, Java's `Base64.getUrlEncoder()`. */
const goPolicy = (policy: unknown) => Buffer.from(JSON.stringify(policy)).toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
/** The same without padding (Node's base64url). */
const unpaddedPolicy = (policy: unknown) => Buffer.from(JSON.stringify(policy)).toString("base64url");

const lastReceived = (path: string) => [...received].reverse().find((r) => r.path === path);

/** PutFileWithPolicy: a PUT whose Authorization carries the policy as its third field. */
function putWithPolicy(bucket: string, key: string, body: Uint8Array | string, policy: string, contentType = "text/plain") {
  return file(bucket, key, { method: "PUT", body, headers: { "Content-Type": contentType }, sign: { policy } });
}

describe("PutFile with an upload policy", () => {
  it("JSON callback: magic and custom variables substituted, the callback's answer returned with the ETag", async () => {
    const bucket = await newBucket();
    const policy = goPolicy({
      callbackUrl: `${base}/ok/json`,
      callbackBody: '{"bucket":$(bucket),"key":$(key),"size":$(fsize),"etag":"$(etag)","note":"file $(key) of $(fsize) bytes","who":$(x:name),"mime":$(mimeType)}',
      callbackBodyType: "application/json",
      callbackVar: { "x:name": 'Alice "A"' },
    });
    const res = await putWithPolicy(bucket, "docs/report 1.txt", "hello callback", policy);
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.json()).toEqual({ accepted: true, path: "/ok/json" });
    const etag = ufileEtag(Buffer.from("hello callback"));
    expect(res.headers.etag).toBe(etag);

    const got = lastReceived("/ok/json")!;
    expect(got.contentType).toBe("application/json");
    expect(JSON.parse(got.body)).toEqual({
      bucket,
      key: "docs/report 1.txt",
      size: 14,
      etag,
      note: "file docs/report 1.txt of 14 bytes",
      who: 'Alice "A"',
      mime: "text/plain",
    });
    expect((await file(bucket, "docs/report 1.txt")).text()).toBe("hello callback");
  });

  it("form callback (no callbackBodyType, Go's queryPolicy): URL-encoded values", async () => {
    const bucket = await newBucket();
    const policy = goPolicy({
      callbackUrl: `${base}/ok/form`,
      callbackBody: "Name=$(x:name)&Age=$(x:age)&key=$(key)&size=$(fsize)&missing=$(x:nope)&proto=$(constructor)",
      callbackVar: { "x:name": "Alice & Bob", "x:age": "20" },
    });
    const res = await putWithPolicy(bucket, "a b+c.txt", "12345", policy);
    expect(res.status).toBe(200);
    const got = lastReceived("/ok/form")!;
    expect(got.contentType).toBe("application/x-www-form-urlencoded");
    expect(Object.fromEntries(new URLSearchParams(got.body))).toEqual({ Name: "Alice & Bob", Age: "20", key: "a b+c.txt", size: "5", missing: "", proto: "" });
  });

  it("a failing callback → 502 -90018, a timeout → 504 -90019, a non-JSON or oversized answer → 502; the object stays published", async () => {
    const bucket = await newBucket();
    const cases: [string, number, number][] = [
      ["/fail", 502, -90018],
      ["/text", 502, -90018],
      ["/huge", 502, -90018],
      ["/slow", 504, -90019],
    ];
    for (const [path, status, code] of cases) {
      const key = `obj${path}.txt`;
      const started = Date.now();
      const res = await putWithPolicy(bucket, key, `body of ${path}`, goPolicy({ callbackUrl: `${base}${path}`, callbackBody: "k=$(key)" }));
      expect(res.status, path).toBe(status);
      expect(res.json().RetCode, path).toBe(code);
      expect(res.headers.etag).toBe(ufileEtag(Buffer.from(`body of ${path}`)));
      if (path === "/slow") expect(Date.now() - started).toBeGreaterThanOrEqual(4_500);
      expect(lastReceived(path)?.body).toBe(`k=${encodeURIComponent(key)}`);
      const stored = await file(bucket, key);
      expect(stored.status).toBe(200);
      expect(stored.text()).toBe(`body of ${path}`);
    }
    // An unreachable callback server fails the same way.
    const closed = await putWithPolicy(bucket, "closed.txt", "x", goPolicy({ callbackUrl: "http://127.0.0.1:9/", callbackBody: "" }));
    expect(closed.status).toBe(502);
    expect(closed.json().RetCode).toBe(-90018);
  });

  it("refuses, before storing anything, a policy that is malformed or calls the service itself", async () => {
    const bucket = await newBucket();
    const self = [
      `http://${bucket}.localhost:${server().port}/`,
      `http://other.localhost:${server().port}/x`,
      `http://127.0.0.1:${server().port}/`,
    ];
    const bad = [
      ...self.map((callbackUrl) => goPolicy({ callbackUrl, callbackBody: "" })),
      goPolicy({ callbackUrl: "ftp://example.com/", callbackBody: "" }),
      goPolicy({ callbackBody: "no url" }),
      goPolicy({ callbackUrl: `${base}/ok`, callbackVar: { "x:n": 1 } }),
      unpaddedPolicy("just a string"),
      "not*base64",
    ];
    for (const policy of bad) {
      const res = await putWithPolicy(bucket, "never.txt", "x", policy);
      expect(res.status, Buffer.from(policy, "base64url").toString()).toBe(400);
      expect(res.json().ErrMsg).toContain("invalid upload policy");
    }
    expect((await file(bucket, "never.txt")).status).toBe(404);
  });

  it("the signature covers the policy: a policy swapped after signing is refused", async () => {
    const bucket = await newBucket();
    const signed = goPolicy({ callbackUrl: `${base}/ok/a`, callbackBody: "" });
    const swapped = goPolicy({ callbackUrl: `${base}/ok/b`, callbackBody: "" });
    const auth = authorization("PUT", bucket, "p.txt", { contentType: "text/plain", policy: signed }).replace(signed, swapped);
    const res = await file(bucket, "p.txt", { method: "PUT", body: "x", auth: "none", headers: { "Content-Type": "text/plain", Authorization: auth } });
    expect(res.status).toBe(403);
    expect(res.json().RetCode).toBe(-148658);
    expect(lastReceived("/ok/b")).toBeUndefined();
  });
});

describe("FinishMultipartUpload with an upload policy (MPutWithPolicy)", () => {
  it("calls back with the whole object's key, size and ETag once the upload is published", async () => {
    const bucket = await newBucket();
    const init = await file(bucket, "mp.bin", { method: "POST", query: "uploads", headers: { "Content-Type": "application/octet-stream" } });
    const id = init.json().UploadId as string;
    const parts = [pattern(8 * 1024 * 1024, 3), pattern(1000, 5)];
    const etags: string[] = [];
    for (const [n, bytes] of parts.entries()) {
      const res = await file(bucket, "mp.bin", { method: "PUT", query: `uploadId=${id}&partNumber=${n}`, body: bytes, headers: { "Content-Type": "application/octet-stream" } });
      expect(res.headers.etag).toBe(partEtag(bytes));
      etags.push(String(res.headers.etag));
    }
    const policy = goPolicy({ callbackUrl: `${base}/ok/finish`, callbackBody: '{"key":$(key),"size":$(fsize),"etag":$(etag)}', callbackBodyType: "application/json" });
    const res = await file(bucket, "mp.bin", {
      method: "POST",
      query: `uploadId=${id}`,
      body: etags.join(","),
      headers: { "Content-Type": "application/octet-stream" },
      sign: { policy },
    });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ accepted: true, path: "/ok/finish" });
    const whole = Buffer.concat(parts);
    expect(res.headers.etag).toBe(ufileEtag(whole));
    expect(JSON.parse(lastReceived("/ok/finish")!.body)).toEqual({ key: "mp.bin", size: whole.byteLength, etag: ufileEtag(whole) });
    expect((await file(bucket, "mp.bin")).body.equals(whole)).toBe(true);
  });
});
