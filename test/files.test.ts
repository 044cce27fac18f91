import { describe, expect, it } from "vitest";
import { ufileEtagOf } from "../src/core/etag";
import { r2StorageClass } from "../src/store/blobs";
import { env } from "cloudflare:workers";
import { authorization, call, expectError, file, fileUrl, indexOf, newBucket, pattern, presignedUrl, put, sha1Hex } from "./helpers";

const md5Hex = async (s: string) =>
  [...new Uint8Array(await crypto.subtle.digest("MD5", new TextEncoder().encode(s)))].map((b) => b.toString(16).padStart(2, "0")).join("");
const md5Base64 = async (s: string) => btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("MD5", new TextEncoder().encode(s)))));


describe("PutFile", () => {
  it("stores bytes and answers 200, empty body, the UFile ETag", async () => {
    const b = await newBucket();
    const res = await file(b, "docs/hello.txt", { method: "PUT", body: "hello ufile\n", headers: { "Content-Type": "text/plain" } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    expect(res.headers.get("ETag")).toBe("AQAAAI3mCYmPuciV8wTC_djV1TsKEiwA");
  });

  it("a 16 MiB + 3 upload downloads byte for byte, with the independent ETag", async () => {
    const b = await newBucket();
    const bytes = pattern(16 * 1024 * 1024 + 3);
    const etag = await put(b, "big.bin", bytes, { "Content-Type": "application/octet-stream" });
    expect(etag).toBe(await ufileEtagOf(bytes));
    expect(etag.startsWith("BQAAA")).toBe(true); // uint32_le(5): five 4 MiB blocks
    const res = await file(b, "big.bin");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Length")).toBe(String(bytes.byteLength));
    expect(await sha1Hex(res.body!)).toBe(await sha1Hex(bytes));
  });

  it("overwrites atomically: the new bytes and ETag replace the old", async () => {
    const b = await newBucket();
    await put(b, "k", "first");
    const etag = await put(b, "k", "second version");
    const res = await file(b, "k");
    expect(await res.text()).toBe("second version");
    expect(res.headers.get("ETag")).toBe(etag);
  });

  it("an overwrite releases the replaced blob: its row and its bytes go, the new ones stay", async () => {
    const b = await newBucket();
    const { d1, id } = await indexOf(b);
    const blobOf = async () => (await d1.prepare("SELECT blob_id FROM objects WHERE bucket_id = ? AND key = 'k'").bind(id).first<{ blob_id: string }>())!.blob_id;
    await put(b, "k", "first");
    const first = await blobOf();
    await put(b, "k", "second version");
    const second = await blobOf();
    expect(second).not.toBe(first);
    expect(await d1.prepare("SELECT id FROM blobs WHERE id = ?").bind(first).first()).toBeNull();
    expect(await env.BLOBS.head(`blobs/${first}`)).toBeNull();
    expect(await d1.prepare("SELECT refcount FROM blobs WHERE id = ?").bind(second).first()).toEqual({ refcount: 1 });
    expect(await env.BLOBS.head(`blobs/${second}`)).not.toBeNull();
  });

  it("verifies Content-MD5 in hex and base64; a mismatch stores nothing", async () => {
    const b = await newBucket();
    expect((await file(b, "hex", { method: "PUT", body: "abc", headers: { "Content-MD5": await md5Hex("abc") } })).status).toBe(200);
    expect((await file(b, "b64", { method: "PUT", body: "abc", headers: { "Content-MD5": await md5Base64("abc") } })).status).toBe(200);
    const bad = await file(b, "bad", { method: "PUT", body: "abc", headers: { "Content-MD5": await md5Hex("abd") } });
    await expectError(bad, 400, -90004);
    await expectError(await file(b, "bad"), 404, -148654);
    await expectError(await file(b, "bad2", { method: "PUT", body: "abc", headers: { "Content-MD5": "nope" } }), 400, -90001);
    // An overwrite with a wrong MD5 leaves the previous version.
    const again = await file(b, "hex", { method: "PUT", body: "xyz", headers: { "Content-MD5": await md5Hex("abc") } });
    expect(again.status).toBe(400);
    expect(await (await file(b, "hex")).text()).toBe("abc");
  });

  it("user metadata from X-Ufile-Meta-* and x-bce-meta-*, keys lowercased, 2 KiB at most", async () => {
    const b = await newBucket();
    await put(b, "m", "x", { "X-Ufile-Meta-Color": "Blue", "x-bce-meta-DeMo": "value" });
    const head = await file(b, "m", { method: "HEAD" });
    expect(head.headers.get("X-Ufile-Meta-color")).toBe("Blue");
    expect(head.headers.get("x-bce-meta-demo")).toBe("value");
    const big = await file(b, "m2", { method: "PUT", body: "x", headers: { "X-Ufile-Meta-big": "v".repeat(2046) } });
    await expectError(big, 400, -90002);
    expect((await file(b, "m3", { method: "PUT", body: "x", headers: { "X-Ufile-Meta-ab": "v".repeat(2046) } })).status).toBe(200);
  });

  it("non-ASCII metadata: a Headers value reaches the Worker as the same string and comes back unchanged; U+FFFD (undecodable bytes) → 400 -90001", async () => {
    // In the pool the request never crosses a socket: the test's string is what the Worker sees
    // (test/wire/unicode-metadata.test.ts checks the bytes over HTTP).
    const b = await newBucket();
    await put(b, "u", "x", { "X-Ufile-Meta-Note": "caf\u00e9 \u20ac \u{1f600}" });
    expect((await file(b, "u", { method: "HEAD" })).headers.get("X-Ufile-Meta-note")).toBe("caf\u00e9 \u20ac \u{1f600}");
    await expectError(await file(b, "bad", { method: "PUT", body: "x", headers: { "X-Ufile-Meta-Note": "caf\uFFFD" } }), 400, -90001);
    expect((await file(b, "bad", { method: "HEAD" })).status).toBe(404);
  });

  it("storage class from X-Ufile-Storage-Class or x-bce-storage-class; unknown → 400", async () => {
    const b = await newBucket();
    await put(b, "ia", "x", { "X-Ufile-Storage-Class": "STANDARD_IA" });
    await put(b, "cold", "x", { "x-bce-storage-class": "COLD" });
    const ia = await file(b, "ia", { method: "HEAD" });
    expect(ia.headers.get("X-Ufile-Storage-Class")).toBe("IA");
    expect(ia.headers.get("x-bce-storage-class")).toBe("STANDARD_IA");
    expect((await file(b, "cold", { method: "HEAD" })).headers.get("X-Ufile-Storage-Class")).toBe("COLD");
    await expectError(await file(b, "x", { method: "PUT", body: "x", headers: { "X-Ufile-Storage-Class": "GLACIER" } }), 400, -90003);
    // R2 itself gets Standard or InfrequentAccess (the local simulator does not record it, so check the mapping).
    expect(["STANDARD", "IA", "ARCHIVE", "COLD"].map(r2StorageClass)).toEqual(["Standard", "InfrequentAccess", "InfrequentAccess", "InfrequentAccess"]);
  });

  it("MIME defaults to application/octet-stream", async () => {
    const b = await newBucket();
    await file(b, "nomime", { method: "PUT", body: new Uint8Array([1, 2, 3]) });
    expect((await file(b, "nomime", { method: "HEAD" })).headers.get("Content-Type")).toBe("application/octet-stream");
  });

  it("a chunked body without Content-Length is buffered up to the bound, else 411", async () => {
    const b = await newBucket();
    const stream = (bytes: Uint8Array) =>
      new ReadableStream({
        start(c) {
          c.enqueue(bytes);
          c.close();
        },
      });
    // Python sends an empty file chunked.
    const empty = await file(b, "empty", { method: "PUT", body: stream(new Uint8Array(0)) });
    expect(empty.status).toBe(200);
    expect(empty.headers.get("ETag")).toBe("AAAAANo5o-5ea0sNMlW_75VgGJCv2AcJ");
    expect((await file(b, "small", { method: "PUT", body: stream(pattern(1000)) })).status).toBe(200);
    expect((await file(b, "small")).headers.get("Content-Length")).toBe("1000");
    const tooBig = await file(b, "huge", { method: "PUT", body: stream(pattern(8 * 1024 * 1024 + 1)) });
    await expectError(tooBig, 411, -90014);
    await expectError(await file(b, "huge"), 404, -148654);
  });

  it("refuses keys with . or .. segments (sent as %2F..%2F), which no URL could address again", async () => {
    const b = await newBucket();
    for (const key of ["a/../b", "./x", "a/."]) {
      const path = key.split("/").map(encodeURIComponent).join("%2F");
      const res = await call(`http://${b}.localhost/${path}`, {
        method: "PUT",
        body: "x",
        headers: { "Content-Type": "text/plain", Authorization: await authorization("PUT", b, key, { contentType: "text/plain" }) },
      });
      await expectError(res, 400, -90001);
    }
  });
});

describe("the key rule (src/core/keys.ts)", () => {
  it("takes keys of exactly 1024 bytes of UTF-8; refuses longer ones (-91022) and control characters (-90001)", async () => {
    const b = await newBucket();
    const exact = "é".repeat(512); // 1024 bytes in 512 characters
    expect((await file(b, exact, { method: "PUT", body: "x", headers: { "Content-Type": "text/plain" } })).status).toBe(200);
    await expectError(await file(b, exact + "a", { method: "PUT", body: "x", headers: { "Content-Type": "text/plain" } }), 400, -91022);
    await expectError(await file(b, "a".repeat(2000), { method: "PUT", body: "x", headers: { "Content-Type": "text/plain" } }), 400, -91022);
    for (const key of ["tab\there", "bell\u0007", "c1\u0085"]) {
      await expectError(await file(b, key, { method: "PUT", body: "x", headers: { "Content-Type": "text/plain" } }), 400, -90001);
    }
  });

  it("bounds the stored Content-Type (-90020) and OpMeta's MIME type", async () => {
    const b = await newBucket();
    await expectError(await file(b, "t", { method: "PUT", body: "x", headers: { "Content-Type": "a/" + "b".repeat(1023) } }), 400, -90020);
    expect((await file(b, "t", { method: "PUT", body: "x", headers: { "Content-Type": "a/" + "b".repeat(1022) } })).status).toBe(200);
    const opmeta = (metav: string) =>
      file(b, "t", { method: "POST", query: "opmeta", body: JSON.stringify({ op: "set", metak: "mimetype", metav }), headers: { "Content-Type": "application/json" } });
    await expectError(await opmeta("x/" + "y".repeat(2000)), 400, -90020);
    expect((await file(b, "t")).headers.get("Content-Type")).toBe("a/" + "b".repeat(1022));
  });
});

describe("GetFile and HEAD", () => {
  it("GET headers: ETag, Content-Type, Content-Length, Last-Modified, Accept-Ranges, X-Ufile-Create-Time", async () => {
    const b = await newBucket();
    const etag = await put(b, "g.txt", "0123456789", { "Content-Type": "text/csv" });
    const res = await file(b, "g.txt");
    expect(res.status).toBe(200);
    expect(res.headers.get("ETag")).toBe(etag);
    expect(res.headers.get("Content-Type")).toBe("text/csv");
    expect(res.headers.get("Content-Length")).toBe("10");
    expect(res.headers.get("Accept-Ranges")).toBe("bytes");
    expect(Date.parse(res.headers.get("Last-Modified")!)).toBeGreaterThan(Date.now() - 60_000);
    expect(Number(res.headers.get("X-Ufile-Create-Time"))).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(res.headers.get("X-Ufile-Storage-Class")).toBe("STANDARD");
    expect(await res.text()).toBe("0123456789");
  });

  it("HEAD: same headers, no body, Content-Length the object size", async () => {
    const b = await newBucket();
    const etag = await put(b, "h", "0123456789", { "X-Ufile-Meta-Owner": "ann" });
    const res = await file(b, "h", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Length")).toBe("10");
    expect(res.headers.get("ETag")).toBe(etag);
    expect(res.headers.get("Content-Type")).toBe("text/plain");
    expect(res.headers.get("Accept-Ranges")).toBe("bytes");
    expect(res.headers.get("X-Ufile-Meta-owner")).toBe("ann");
    expect(await res.text()).toBe("");
    const missing = await file(b, "nope", { method: "HEAD" });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe("");
  });

  it.each([
    ["bytes=0-3", 206, "0123", "bytes 0-3/10"],
    ["bytes=7-", 206, "789", "bytes 7-9/10"],
    ["bytes=-2", 206, "89", "bytes 8-9/10"],
    ["bytes=5-100", 206, "56789", "bytes 5-9/10"],
    ["bytes=0-", 206, "0123456789", "bytes 0-9/10"],
  ])("Range %s → %i", async (range, status, body, contentRange) => {
    const b = await newBucket();
    await put(b, "r", "0123456789");
    const res = await file(b, "r", { headers: { Range: range } });
    expect(res.status).toBe(status);
    expect(res.headers.get("Content-Range")).toBe(contentRange);
    expect(res.headers.get("Content-Length")).toBe(String(body.length));
    expect(await res.text()).toBe(body);
  });

  it("unsatisfiable range → 416 with Content-Range bytes */size; invalid or multi ranges are ignored", async () => {
    const b = await newBucket();
    await put(b, "r", "0123456789");
    const res = await file(b, "r", { headers: { Range: "bytes=10-20" } });
    expect(res.headers.get("Content-Range")).toBe("bytes */10");
    await expectError(res, 416, -90010);
    expect((await file(b, "r", { headers: { Range: "bytes=0-1,4-5" } })).status).toBe(200);
    expect((await file(b, "r", { headers: { Range: "items=0-1" } })).status).toBe(200);
    await put(b, "empty", "");
    expect((await file(b, "empty", { headers: { Range: "bytes=0-" } })).status).toBe(200);
  });

  it("If-Modified-Since not exceeded → 304 without a body", async () => {
    const b = await newBucket();
    await put(b, "ims", "x");
    const later = new Date(Date.now() + 60_000).toUTCString();
    const res = await file(b, "ims", { headers: { "If-Modified-Since": later } });
    expect(res.status).toBe(304);
    expect(await res.text()).toBe("");
    expect((await file(b, "ims", { headers: { "If-Modified-Since": new Date(Date.now() - 3_600_000).toUTCString() } })).status).toBe(200);
  });

  it("?ufileattname sets Content-Disposition", async () => {
    const b = await newBucket();
    await put(b, "a", "x");
    const res = await file(b, "a", { query: "ufileattname=report%202024.txt" });
    expect(res.headers.get("Content-Disposition")).toBe(`attachment; filename="report 2024.txt"; filename*=UTF-8''report%202024.txt`);
  });

  it("keys are percent-decoded once; + stays +; unicode keys work", async () => {
    const b = await newBucket();
    await put(b, "dir/a b+c 文件.txt", "x");
    const path = "dir/a%20b+c%20%E6%96%87%E4%BB%B6.txt";
    const res = await call(`http://${b}.localhost/${path}`, { headers: { Authorization: await authorization("GET", b, "dir/a b+c 文件.txt") } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("x");
    expect((await file(b, "dir/a b c 文件.txt")).status).toBe(404);
  });

  it("missing file → 404 -148654; unknown bucket → 404 -30010", async () => {
    const b = await newBucket();
    await expectError(await file(b, "nope"), 404, -148654);
    await expectError(await file("no-such-bucket-here", "x"), 404, -30010);
  });
});

describe("DeleteFile", () => {
  it("204 and gone; a missing key → 404", async () => {
    const b = await newBucket();
    await put(b, "d", "x");
    const res = await file(b, "d", { method: "DELETE" });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    await expectError(await file(b, "d"), 404, -148654);
    await expectError(await file(b, "d", { method: "DELETE" }), 404, -148654);
  });
});

describe("data-plane auth through HTTP", () => {
  it("private buckets refuse anonymous reads; public buckets serve GET/HEAD anonymously, nothing else", async () => {
    const priv = await newBucket("private");
    const pub = await newBucket("public");
    await put(priv, "p", "secret");
    await put(pub, "p", "hello");
    await expectError(await call(fileUrl(priv, "p")), 403, -148643);
    const anon = await call(fileUrl(pub, "p"));
    expect(anon.status).toBe(200);
    expect(await anon.text()).toBe("hello");
    expect((await call(fileUrl(pub, "p"), { method: "HEAD" })).status).toBe(200);
    await expectError(await call(fileUrl(pub, "p"), { method: "PUT", body: "evil" }), 403, -148643);
    await expectError(await call(fileUrl(pub, "p"), { method: "DELETE" }), 403, -148643);
    await expectError(await call(fileUrl(pub, "", "list")), 403, -148643);
    expect(await (await file(pub, "p")).text()).toBe("hello");
  });

  it("a wrong signature is 403 -148658, on a public bucket too", async () => {
    const pub = await newBucket("public");
    await put(pub, "p", "hello");
    const res = await call(fileUrl(pub, "p"), { headers: { Authorization: "UCloud someone:AAAAAAAAAAAAAAAAAAAAAAAAAAA=" } });
    await expectError(res, 403, -148658);
    const wrongKey = await file(pub, "p", { keys: { publicKey: "ucloudsomeone@example.com1296235120854146120", privateKey: "wrong" } });
    await expectError(wrongKey, 403, -148658);
  });

  it("a signature for another key or verb is refused", async () => {
    const b = await newBucket();
    await put(b, "a", "x");
    await put(b, "b", "y");
    const signedForA = (await import("./helpers")).authorization("GET", b, "a");
    await expectError(await call(fileUrl(b, "b"), { headers: { Authorization: await signedForA } }), 403, -148658);
    await expectError(await call(fileUrl(b, "a"), { method: "DELETE", headers: { Authorization: await signedForA } }), 403, -148658);
    expect((await file(b, "a")).status).toBe(200);
  });

  it("presigned URLs work until Expires, then 403 -148660", async () => {
    const b = await newBucket();
    await put(b, "shared.txt", "shared");
    const ok = await call(await presignedUrl(b, "shared.txt", { expires: Math.floor(Date.now() / 1000) + 600 }));
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe("shared");
    await expectError(await call(await presignedUrl(b, "shared.txt", { expires: Math.floor(Date.now() / 1000) - 1 })), 403, -148660);
  });

  it("the Inspur prefix is accepted", async () => {
    const { authorization } = await import("./helpers");
    const b = await newBucket();
    await put(b, "i", "x");
    const auth = (await authorization("GET", b, "i")).replace(/^UCloud /, "Inspur ");
    expect((await call(fileUrl(b, "i"), { headers: { Authorization: auth } })).status).toBe(200);
  });
});

describe("routing", () => {
  it("unsupported sub-resources, a bad tagging body and a GET of / without a flag → 400 -90001", async () => {
    const b = await newBucket();
    await put(b, "k", "x");
    await expectError(await file(b, "k", { method: "PUT", query: "append&position=0", body: "y" }), 400, -90001);
    await expectError(await file(b, "k", { method: "PUT", query: "tagging", body: "" }), 400, -90001);
    await expectError(await file(b, "", {}), 400, -90001);
  });

  it("dotted bucket names route by the whole host minus FILE_DOMAIN", async () => {
    const { control } = await import("./helpers");
    const name = `dotted.${Date.now().toString(36)}.bucket`;
    expect((await control({ Action: "CreateBucket", BucketName: name })).body.RetCode).toBe(0);
    await put(name, "k", "dots");
    expect(await (await file(name, "k")).text()).toBe("dots");
  });

  it("OPTIONS preflight answers CORS; responses expose ETag and X-SessionId", async () => {
    const b = await newBucket();
    const pre = await call(fileUrl(b, "k"), {
      method: "OPTIONS",
      headers: { Origin: "http://app.example", "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "authorization,content-type" },
    });
    expect(pre.status).toBe(200);
    expect(pre.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(pre.headers.get("Access-Control-Allow-Headers")).toBe("authorization,content-type");
    const res = await file(b, "k", { method: "PUT", body: "x" });
    expect(res.headers.get("Access-Control-Expose-Headers")).toContain("ETag");
    expect(res.headers.get("Access-Control-Expose-Headers")).toContain("X-SessionId");
    // Errors too, or a browser sees a network error instead of the JSON.
    const refused = await call(fileUrl(b, "k"), { method: "PUT", body: "x", headers: { Origin: "http://app.example" } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("Access-Control-Allow-Origin")).toBe("*");
  });

  it("error responses carry the id headers and exactly application/json", async () => {
    const b = await newBucket();
    const res = await file(b, "missing");
    expect(res.headers.get("Content-Type")).toBe("application/json");
    expect(res.headers.get("x-bce-request-id")).toBe(res.headers.get("X-SessionId"));
    expect(res.headers.get("x-bce-debug-id")).toBeTruthy();
  });
});
