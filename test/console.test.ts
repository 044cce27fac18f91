import { describe, expect, it } from "vitest";
import { call, callWithEnv, control, file, newBucket, put } from "./helpers";

/** The console's own host (CONSOLE_HOST unset: `console.<FILE_DOMAIN>`, FILE_DOMAIN being `localhost`). */
const CONSOLE = "http://console.localhost";
/** A host that names no bucket: the API host. */
const API = "http://localhost";

/**
 * The console's place in the entry (src/console.ts): static files at /ui/ of a host of its own, where
 * no path serves bucket content; the API host only redirects there; a bucket host keeps every path for
 * its objects, `ui/…` included. The console itself is tested in a browser by test/e2e (npm run test:e2e).
 */
describe("web console routing", () => {
  it("serves the console page at /ui/ of the console host, with a CSP that admits only the bucket hosts and FILE_DOMAIN in a meta tag", async () => {
    const res = await call(`${CONSOLE}/ui/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    const page = await res.text();
    expect(page).toContain('<div id="app">');
    expect(page).toContain('<meta name="edgefile-file-domain" content="localhost">');
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("connect-src 'self' *.localhost:*");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    // The page is answered whole even to a revalidation (its meta tag follows the settings).
    expect((await call(`${CONSOLE}/ui/`, { headers: { "If-None-Match": res.headers.get("ETag") ?? '"x"' } })).status).toBe(200);
  });

  it("redirects /ui and / to /ui/ and answers 404 for a console file that does not exist", async () => {
    for (const path of ["/ui?x=1", "/?x=1"]) {
      const bare = await call(`${CONSOLE}${path}`, { redirect: "manual" });
      expect(bare.status).toBe(301);
      expect(bare.headers.get("Location")).toBe(`${CONSOLE}/ui/?x=1`);
    }
    expect((await call(`${CONSOLE}/ui/assets/nothing-here.js`)).status).toBe(404);
  });

  it("serves no bucket content on the console host: no path style, no bucket named by the host", async () => {
    const bucket = await newBucket("public");
    await put(bucket, "page.html", "<p>user content</p>", { "Content-Type": "text/html" });
    for (const path of [`/${bucket}/page.html`, `/${bucket}/page.html?response-content-type=text/html`, "/page.html"]) {
      const res = await call(`${CONSOLE}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get("Content-Type")).toBe("text/plain; charset=utf-8");
      expect(await res.text()).not.toContain("user content");
    }
  });

  it("refuses to create a bucket whose host would be the console host", async () => {
    const { body } = await control({ Action: "CreateBucket", BucketName: "console", Type: "public" });
    expect(body.RetCode).toBe(15001);
    expect(body.Message).toContain("console");
    // With another CONSOLE_HOST the name is free again, and that host is the console's.
    const moved = await callWithEnv({ CONSOLE_HOST: "admin.example.com" }, "http://admin.example.com/ui/");
    expect(moved.status).toBe(200);
    expect(await moved.text()).toContain('<div id="app">');
  });

  it("sends the old address and a browser at the API host's root to the console host", async () => {
    const old = await call(`${API}/ui/#/buckets`, { redirect: "manual" });
    expect(old.status).toBe(301);
    expect(old.headers.get("Location")).toBe(`${CONSOLE}/ui/`);
    const deep = await call(`${API}/ui/assets/x.js?v=1`, { redirect: "manual" });
    expect(deep.headers.get("Location")).toBe(`${CONSOLE}/ui/assets/x.js?v=1`);
    const browser = await call(`${API}/`, { redirect: "manual", headers: { Accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    expect(browser.status).toBe(302);
    expect(browser.headers.get("Location")).toBe(`${CONSOLE}/ui/`);
    // An S3 client's ListBuckets at the same address is not a browser: it stays the S3 API's.
    const s3 = await call(`${API}/`, { redirect: "manual" });
    expect(s3.status).toBe(403);
    expect(s3.headers.get("Content-Type")).toBe("application/xml");
  });

  it("never shadows an object: ui/index.html on a bucket host is the object, isolated as user content", async () => {
    const bucket = await newBucket("public");
    await put(bucket, "ui/index.html", "<p>my own page</p>", { "Content-Type": "text/html" });
    const res = await file(bucket, "ui/index.html");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("<p>my own page</p>");
    expect(res.headers.get("Content-Security-Policy")).toBe("sandbox");
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    // And a path the bucket does not hold is the data plane's 404, not a console file.
    const missing = await file(bucket, "ui/");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { RetCode: number }).RetCode).toBe(-148654);
  });

  it("leaves control-plane calls to the control plane, on the API host and on the console host", async () => {
    const { body } = await control({ Action: "DescribeBucket", Limit: 1 });
    expect(body.RetCode).toBe(0);
    for (const host of [API, CONSOLE]) {
      const res = await call(`${host}/ui/?Action=NoSuchAction`);
      expect(((await res.json()) as { RetCode: number }).RetCode).toBe(161);
    }
  });
});
