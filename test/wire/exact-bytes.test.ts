// Issue 11: exact bytes and Content-Length over HTTP for clients that ask for compression (Go always
// sends `Accept-Encoding: gzip`). The local runtime compresses text/* and JSON like Cloudflare's edge
// does unless the response says otherwise; edgefile's answers must arrive unencoded, with the exact
// Content-Length and the strong, unquoted UFile ETag.
import { describe, expect, it } from "vitest";
import { control, file, newBucket, putFile, server, ufileEtag } from "./client";
import { RawConnection, rawRequest } from "./raw-http";

const ACCEPT = ["gzip", "gzip, br", "br", "gzip, deflate, br, zstd", "*"];
const text = Buffer.from("hello ufile\n".repeat(400)); // 4 800 bytes of text/plain: well above 48 bytes

/** Not encoded: no Content-Encoding, or `identity` (the RFC 9110 name for "no encoding"). */
function expectUnencoded(headers: Record<string, unknown>): void {
  expect([undefined, "identity"]).toContain(headers["content-encoding"]);
}

describe("no compression, whatever the client accepts", () => {
  it.each(ACCEPT)("text/plain GetFile with Accept-Encoding: %s → exact bytes, Content-Length, strong ETag", async (accept) => {
    const bucket = await newBucket();
    const etag = await putFile(bucket, "a.txt", text, "text/plain");
    const res = await file(bucket, "a.txt", { headers: { "Accept-Encoding": accept } });
    expect(res.status).toBe(200);
    expectUnencoded(res.headers);
    expect(res.headers["transfer-encoding"]).toBeUndefined();
    expect(res.headers["content-length"]).toBe(String(text.byteLength));
    expect(res.headers["content-type"]).toBe("text/plain");
    expect(res.headers.etag).toBe(etag);
    expect(etag).toBe(ufileEtag(text));
    expect(res.body.equals(text)).toBe(true);
  });

  it("HEAD of a text object: the object's Content-Length, no encoding", async () => {
    const bucket = await newBucket();
    await putFile(bucket, "h.txt", text, "text/plain");
    const res = await file(bucket, "h.txt", { method: "HEAD", headers: { "Accept-Encoding": "gzip" } });
    expect(res.status).toBe(200);
    expectUnencoded(res.headers);
    expect(res.headers["content-length"]).toBe(String(text.byteLength));
    expect(res.headers.etag).toBe(ufileEtag(text));
  });

  it("206: a range of a text object is the exact slice with its own Content-Length", async () => {
    const bucket = await newBucket();
    await putFile(bucket, "r.txt", text, "text/plain");
    const res = await file(bucket, "r.txt", { headers: { "Accept-Encoding": "gzip, br", Range: "bytes=100-2099" } });
    expect(res.status).toBe(206);
    expectUnencoded(res.headers);
    expect(res.headers["content-length"]).toBe("2000");
    expect(res.headers["content-range"]).toBe(`bytes 100-2099/${text.byteLength}`);
    expect(res.body.equals(text.subarray(100, 2100))).toBe(true);
  });

  it("JSON answers (listing, errors, control plane) arrive unencoded with Content-Length", async () => {
    const bucket = await newBucket();
    for (let i = 0; i < 30; i++) await putFile(bucket, `list/${i}.txt`, "x", "text/plain");
    const list = await file(bucket, "", { query: "list&prefix=list/&limit=30", headers: { "Accept-Encoding": "gzip" } });
    expect(list.status).toBe(200);
    expectUnencoded(list.headers);
    expect(Number(list.headers["content-length"])).toBe(list.body.byteLength);
    expect(list.json().DataSet).toHaveLength(30);

    const missing = await file(bucket, "no-such-key-with-a-long-name.txt", { headers: { "Accept-Encoding": "gzip" } });
    expect(missing.status).toBe(404);
    expectUnencoded(missing.headers);
    expect(Number(missing.headers["content-length"])).toBe(missing.body.byteLength);
    expect(missing.json().RetCode).toBe(-148654);

    const denied = await file(bucket, "list/1.txt", { auth: "none", headers: { "Accept-Encoding": "gzip" } });
    expect(denied.status).toBe(403);
    expectUnencoded(denied.headers);
    expect(denied.json().RetCode).toBe(-148643);

    const { res, body } = await control({ Action: "DescribeBucket", BucketName: bucket }, { headers: { "Accept-Encoding": "gzip, br" } });
    expectUnencoded(res.headers);
    expect(Number(res.headers["content-length"])).toBe(res.body.byteLength);
    expect(body.RetCode).toBe(0);
  });

  it("keep-alive and HTTP/1.0 clients that accept gzip get the same exact bytes", async () => {
    const bucket = await newBucket("public");
    await putFile(bucket, "k.txt", text, "text/plain");
    const host = `${bucket}.localhost:${server().port}`;
    const conn = await RawConnection.open(server().port);
    try {
      for (const version of ["HTTP/1.1", "HTTP/1.1", "HTTP/1.0"] as const) {
        conn.write(rawRequest({ method: "GET", target: "/k.txt", host, version, headers: { "Accept-Encoding": "gzip, br" } }));
        const res = await conn.readResponse();
        expect(res.status).toBe(200);
        expectUnencoded(res.headers);
        expect(res.chunked).toBe(false);
        expect(res.headers["content-length"]).toBe(String(text.byteLength));
        expect(res.body.equals(text)).toBe(true);
      }
    } finally {
      conn.close();
    }
  });
});
