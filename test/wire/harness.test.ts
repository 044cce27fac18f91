// The wire harness itself: the Worker served by wrangler dev, reached over real HTTP from Node.
import { describe, expect, it } from "vitest";
import { control, file, newBucket, pattern, putFile, server, triggerScheduled, ufileEtag } from "./client";
import { chunkedBody, RawConnection, rawRequest } from "./raw-http";

describe("control plane over HTTP", () => {
  it("CreateBucket then DescribeBucket", async () => {
    const name = await newBucket("public");
    const { res, body } = await control({ Action: "DescribeBucket", BucketName: name });
    expect(res.status).toBe(200);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(body.RetCode).toBe(0);
    expect(body.DataSet).toHaveLength(1);
    expect(body.DataSet[0]).toMatchObject({ BucketName: name, Type: "public", Domain: { Src: [`${name}.localhost`] } });
  });

  it("a wrong signature is refused in the control envelope", async () => {
    const { res, body } = await control({ Action: "DescribeBucket" }, { keys: { publicKey: "ucloudsomeone@example.com1296235120854146120", privateKey: "wrong" } });
    expect(res.status).toBe(200);
    expect(body.RetCode).not.toBe(0);
  });
});

describe("data plane over HTTP", () => {
  it("PutFile, GetFile and HEAD of a small file, addressed as <bucket>.localhost", async () => {
    const bucket = await newBucket();
    const bytes = pattern(1000, 13);
    const etag = await putFile(bucket, "dir/small file.bin", bytes);
    expect(etag).toBe(ufileEtag(bytes));

    const got = await file(bucket, "dir/small file.bin");
    expect(got.status).toBe(200);
    expect(got.headers["content-length"]).toBe("1000");
    expect(got.headers.etag).toBe(etag);
    expect(got.body.equals(bytes)).toBe(true);

    const head = await file(bucket, "dir/small file.bin", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers["content-length"]).toBe("1000");
    expect(head.headers.etag).toBe(etag);
    expect(head.body.byteLength).toBe(0);
  });

  it("a presigned GET and an anonymous GET of a private object", async () => {
    const bucket = await newBucket();
    await putFile(bucket, "p.bin", pattern(10));
    expect((await file(bucket, "p.bin", { auth: "query" })).status).toBe(200);
    const anonymous = await file(bucket, "p.bin", { auth: "none" });
    expect(anonymous.status).toBe(403);
    expect(anonymous.json().RetCode).toBe(-148643);
  });
});

describe("raw sockets", () => {
  it("keep-alive: several requests on one connection, HEAD included", async () => {
    const bucket = await newBucket("public");
    const bytes = pattern(300, 3);
    await putFile(bucket, "k.bin", bytes);
    const host = `${bucket}.localhost:${server().port}`;
    const conn = await RawConnection.open(server().port);
    try {
      for (let i = 0; i < 3; i++) {
        conn.write(rawRequest({ method: "GET", target: "/k.bin", host }));
        const res = await conn.readResponse();
        expect(res.status).toBe(200);
        expect(res.body.equals(bytes)).toBe(true);
      }
      conn.write(rawRequest({ method: "HEAD", target: "/k.bin", host }));
      const head = await conn.readResponse({ head: true });
      expect(head.status).toBe(200);
      expect(head.headers["content-length"]).toBe("300");
      conn.write(rawRequest({ method: "GET", target: "/k.bin", host }));
      expect((await conn.readResponse()).body.equals(bytes)).toBe(true);
    } finally {
      conn.close();
    }
  });

  it("HTTP/1.0 GET", async () => {
    const bucket = await newBucket("public");
    await putFile(bucket, "old.bin", pattern(50));
    const conn = await RawConnection.open(server().port);
    try {
      conn.write(rawRequest({ method: "GET", target: "/old.bin", host: `${bucket}.localhost`, version: "HTTP/1.0" }));
      const res = await conn.readResponse();
      expect(res.status).toBe(200);
      expect(res.chunked).toBe(false);
      expect(res.body.equals(pattern(50))).toBe(true);
    } finally {
      conn.close();
    }
  });

  it("a chunked PutFile body and Expect: 100-continue", async () => {
    const bucket = await newBucket("public");
    const host = `${bucket}.localhost:${server().port}`;
    const { authorization } = await import("./client");
    const conn = await RawConnection.open(server().port);
    try {
      const parts = [pattern(100, 1), pattern(200, 2)];
      conn.write(
        rawRequest({
          method: "PUT",
          target: "/chunked.bin",
          host,
          headers: { "Content-Type": "application/octet-stream", "Transfer-Encoding": "chunked", Authorization: authorization("PUT", bucket, "chunked.bin", { contentType: "application/octet-stream" }) },
          body: chunkedBody(parts),
        }),
      );
      const put = await conn.readResponse();
      expect(put.status).toBe(200);
      expect(put.headers.etag).toBe(ufileEtag(Buffer.concat(parts)));

      const body = pattern(5000, 5);
      conn.write(
        rawRequest({
          method: "PUT",
          target: "/expect.bin",
          host,
          headers: {
            "Content-Type": "application/octet-stream",
            "Content-Length": String(body.byteLength),
            Expect: "100-continue",
            Authorization: authorization("PUT", bucket, "expect.bin", { contentType: "application/octet-stream" }),
          },
        }),
      );
      const interim = await conn.readResponse();
      expect(interim.status).toBe(100);
      conn.write(body);
      const final = await conn.readResponse();
      expect(final.status).toBe(200);
      expect(final.headers.etag).toBe(ufileEtag(body));
    } finally {
      conn.close();
    }
  });
});

describe("cron", () => {
  it("/__scheduled runs the housekeeping handler", async () => {
    const res = await triggerScheduled();
    expect(res.status).toBe(200);
  });
});
