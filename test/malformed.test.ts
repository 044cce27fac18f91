import { describe, expect, it } from "vitest";
import { call } from "./helpers";

/**
 * Requests too malformed for any front (src/malformed.ts): two Host headers (which arrive joined as
 * `a, b`) or a Host that names no host get 400 in the client's own format, never a bare 500. Over
 * HTTP, `wrangler dev`'s own proxy answers such a request before the Worker runs (see
 * test/wire/isolation.test.ts), so the Worker's answer is tested here, in the runtime.
 */
describe("malformed requests", () => {
  it("answers two Host headers with the UFile data plane's 400", async () => {
    for (const host of ["localhost, evil.localhost", "demo.localhost,demo.localhost", "a b"]) {
      const res = await call("http://localhost/demo/key", { headers: { Host: host } });
      expect(res.status, host).toBe(400);
      expect(res.headers.get("Content-Type")).toBe("application/json");
      const body = (await res.json()) as { RetCode: number; ErrMsg: string };
      expect(body.RetCode).toBe(-90001);
      expect(body.ErrMsg).toMatch(/malformed request: the (request has more than one Host header|Host header does not name a host)/);
      expect(res.headers.get("X-SessionId")).toBeTruthy();
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    }
  });

  it("answers a SigV4 request with S3's XML 400", async () => {
    const res = await call("http://localhost/demo/key", {
      headers: { Host: "localhost, localhost", Authorization: "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00" },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("Content-Type")).toBe("application/xml");
    expect(await res.text()).toContain("<Code>InvalidRequest</Code>");
  });

  it("accepts every well-formed Host: names, ports, IPv4 and IPv6 addresses", async () => {
    for (const host of ["localhost", "localhost:8787", "127.0.0.1:8787", "[::1]:8787", "demo.localhost"]) {
      const res = await call("http://localhost/", { headers: { Host: host } });
      expect(res.status, host).not.toBe(400);
    }
  });
});
