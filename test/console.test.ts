import { describe, expect, it } from "vitest";
import { call, control, file, newBucket, put } from "./helpers";

/** A host that names no bucket (FILE_DOMAIN is `localhost`: `api.localhost` would be bucket `api`). */
const HOST = "http://localhost";

/**
 * The console's place in the entry (src/console.ts): static files at /ui/ of hosts that name no
 * bucket; a bucket host keeps every path for its objects, `ui/…` included. The console itself is
 * tested in a browser by test/e2e (npm run test:e2e).
 */
describe("web console routing", () => {
  it("serves the console page at /ui/ of the API host, with a CSP that admits only the bucket hosts", async () => {
    const res = await call(`${HOST}/ui/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(await res.text()).toContain('<div id="app">');
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self' *.localhost:*");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
  });

  it("redirects /ui to /ui/ and answers 404 for a console file that does not exist", async () => {
    const bare = await call(`${HOST}/ui?x=1`, { redirect: "manual" });
    expect(bare.status).toBe(301);
    expect(bare.headers.get("Location")).toBe(`${HOST}/ui/?x=1`);
    expect((await call(`${HOST}/ui/assets/nothing-here.js`)).status).toBe(404);
  });

  it("never shadows an object: ui/index.html on a bucket host is the object", async () => {
    const bucket = await newBucket("public");
    await put(bucket, "ui/index.html", "<p>my own page</p>", { "Content-Type": "text/html" });
    const res = await file(bucket, "ui/index.html");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("<p>my own page</p>");
    expect(res.headers.get("Content-Security-Policy")).toBeNull();
    // And a path the bucket does not hold is the data plane's 404, not a console file.
    const missing = await file(bucket, "ui/");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { RetCode: number }).RetCode).toBe(-148654);
  });

  it("leaves control-plane calls on /ui/ to the control plane", async () => {
    const { body } = await control({ Action: "DescribeBucket", Limit: 1 });
    expect(body.RetCode).toBe(0);
    const res = await call(`${HOST}/ui/?Action=NoSuchAction`);
    expect(((await res.json()) as { RetCode: number }).RetCode).toBe(161);
  });
});
