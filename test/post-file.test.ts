import { describe, expect, it } from "vitest";
import { ufileEtagOf } from "../src/core/etag";
import { authorization, call, expectError, file, newBucket, pattern, sha1Hex } from "./helpers";
import { bytes, field, goBody, pythonBody } from "./sdk-forms";

/** PostFile (`POST /` multipart form) end to end, with the bodies the SDKs really send. */

const B = "0f8e3a2b9c1d4e5f6a7b8c9d0e1f2a3b";
const post = (bucket: string, body: Uint8Array, headers: Record<string, string> = {}) =>
  call(`http://${bucket}.localhost/`, {
    method: "POST",
    headers: { "Content-Type": `multipart/form-data; boundary=${B}`, "Content-Length": String(body.byteLength), ...headers },
    body,
  });


describe("PostFile", () => {
  it("Python SDK body (no closing delimiter; signs the file part's Content-Type)", async () => {
    const b = await newBucket();
    const content = new TextEncoder().encode("hello ufile\n");
    const auth = await authorization("POST", b, "py/hello.txt", { contentType: "text/plain" });
    const res = await post(b, pythonBody(B, "py/hello.txt", auth, content, "text/plain"));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
    expect(res.headers.get("ETag")).toBe("AQAAAI3mCYmPuciV8wTC_djV1TsKEiwA");
    const got = await file(b, "py/hello.txt");
    expect(await got.text()).toBe("hello ufile\n");
    expect(got.headers.get("Content-Type")).toBe("text/plain");
  });

  it("Go SDK body (form Content-Type and Content-MD5 fields, empty part before the close)", async () => {
    const b = await newBucket();
    const content = pattern(300_000);
    const md5 = [...new Uint8Array(await crypto.subtle.digest("MD5", content))].map((x) => x.toString(16).padStart(2, "0")).join("");
    const auth = await authorization("POST", b, "go/p.png", { contentType: "image/png", contentMd5: md5 });
    const res = await post(b, goBody(B, "go/p.png", auth, content, "image/png", md5), { "Content-MD5": md5 });
    expect(res.status).toBe(200);
    expect(res.headers.get("ETag")).toBe(await ufileEtagOf(content));
    const got = await file(b, "go/p.png");
    expect(got.headers.get("Content-Type")).toBe("image/png");
    expect(await sha1Hex(await got.arrayBuffer())).toBe(await sha1Hex(content));
  });

  it("a 20 MiB file spills into R2 multipart parts and reads back byte for byte", async () => {
    const b = await newBucket();
    const content = pattern(20 * 1024 * 1024 + 11, 13);
    const auth = await authorization("POST", b, "big.bin", { contentType: "application/octet-stream" });
    const res = await post(b, pythonBody(B, "big.bin", auth, content, "application/octet-stream"));
    expect(res.status).toBe(200);
    expect(res.headers.get("ETag")).toBe(await ufileEtagOf(content));
    const got = await file(b, "big.bin");
    expect(got.headers.get("Content-Length")).toBe(String(content.byteLength));
    expect(await sha1Hex(got.body!)).toBe(await sha1Hex(content));
  });

  it("a well-formed body (browser FormData) with storage class and meta from the request headers", async () => {
    const b = await newBucket();
    const form = new FormData();
    form.append("FileName", "browser.txt");
    form.append("Authorization", await authorization("POST", b, "browser.txt", { contentType: "text/csv" }));
    form.append("file", new File(["a,b\n"], "local.csv", { type: "text/csv" }));
    const res = await call(`http://${b}.localhost/`, {
      method: "POST",
      body: form,
      headers: { "X-Ufile-Storage-Class": "IA", "X-Ufile-Meta-Src": "web" },
    });
    expect(res.status).toBe(200);
    const head = await file(b, "browser.txt", { method: "HEAD" });
    expect(head.headers.get("Content-Type")).toBe("text/csv");
    expect(head.headers.get("X-Ufile-Storage-Class")).toBe("IA");
    expect(head.headers.get("X-Ufile-Meta-src")).toBe("web");
  });

  it("a wrong signature or a signature for another key stores nothing", async () => {
    const b = await newBucket();
    const content = new TextEncoder().encode("x");
    const forOther = await authorization("POST", b, "other", { contentType: "text/plain" });
    await expectError(await post(b, pythonBody(B, "k", forOther, content)), 403, -148658);
    await expectError(await post(b, pythonBody(B, "k", "UCloud nobody:abc=", content)), 403, -148658);
    await expectError(await file(b, "k"), 404, -148654);
  });

  it("no Authorization field → 403 -148643; no FileName or no file part → 400 -90011", async () => {
    const b = await newBucket();
    const noAuth = bytes(`--${B}\r\n`, field("FileName", "k"), `--${B}\r\n`, `Content-Disposition: form-data; name="file"; filename="f"\r\n\r\n`, "x", `\r\n--${B}--\r\n`);
    await expectError(await post(b, noAuth), 403, -148643);
    const noName = bytes(`--${B}\r\n`, field("Authorization", "UCloud a:b"), `--${B}\r\n`, `Content-Disposition: form-data; name="file"; filename="f"\r\n\r\n`, "x", `\r\n--${B}--\r\n`);
    await expectError(await post(b, noName), 400, -90011);
    const noFile = bytes(`--${B}\r\n`, field("FileName", "k"), `--${B}\r\n`, field("Authorization", "UCloud a:b"), `--${B}--\r\n`);
    await expectError(await post(b, noFile), 400, -90011);
  });

  it("a Content-MD5 mismatch stores nothing", async () => {
    const b = await newBucket();
    const wrong = "00000000000000000000000000000000";
    const auth = await authorization("POST", b, "m", { contentType: "image/png", contentMd5: wrong });
    await expectError(await post(b, goBody(B, "m", auth, new TextEncoder().encode("data"), "image/png", wrong), { "Content-MD5": wrong }), 400, -90004);
    await expectError(await file(b, "m"), 404, -148654);
  });

  it("a refusal before the file part reads the rest of the body (bounded) before it answers", async () => {
    const b = await newBucket();
    const big = new Uint8Array(2 * 1024 * 1024).fill(120);
    // The body arrives a chunk per pull, as from a client still sending: `pulled` is how much the Worker read.
    const refused = async (body: Uint8Array, headers: Record<string, string> = {}) => {
      let pulled = 0;
      const stream = new ReadableStream<Uint8Array>(
        {
          pull(ctrl) {
            if (pulled >= body.byteLength) return ctrl.close();
            const chunk = body.slice(pulled, pulled + 64 * 1024);
            pulled += chunk.byteLength;
            ctrl.enqueue(chunk);
          },
        },
        { highWaterMark: 0 },
      );
      const res = await call(`http://${b}.localhost/`, { method: "POST", headers: { "Content-Type": `multipart/form-data; boundary=${B}`, ...headers }, body: stream, duplex: "half" } as RequestInit);
      return { res, pulled, size: body.byteLength };
    };
    const forged = await refused(pythonBody(B, "big", "UCloud nobody:abc=", big));
    await expectError(forged.res, 403, -148658);
    expect(forged.pulled).toBe(forged.size);
    const auth = await authorization("POST", b, "big", { contentType: "image/png", contentMd5: "not-an-md5" });
    const badMd5 = await refused(goBody(B, "big", auth, big, "image/png", "not-an-md5"));
    await expectError(badMd5.res, 400, -90001);
    expect(badMd5.pulled).toBe(badMd5.size);
    await expectError(await file(b, "big"), 404, -148654);
  });
});
