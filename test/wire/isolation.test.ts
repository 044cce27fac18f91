/**
 * The origin model over HTTP (docs/security.md "Origins"): every answer of the API host, the S3 host and
 * the bucket hosts carries nosniff; an object a browser would run as a page (HTML, XHTML, XML, SVG, or
 * any type asked for with response-content-type) is answered with `Content-Security-Policy: sandbox`,
 * by every URL form; a custom bucket host serves its own pages as stored; the console's host serves no
 * bucket content at all, and the API host sends a browser there.
 */
import { GetObjectCommand, HeadObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { beforeAll, describe, expect, it } from "vitest";
import { control, file, newBucket, putFile, request, server, type WireResponse } from "./client";
import { OWN_SITE } from "./context";
import { s3Client } from "./s3-helpers";

const PAGE = "<script>document.title = localStorage.length</script><p>planted</p>";
/** Stored type → whether a browser would run it as a document. */
const OBJECTS: Record<string, { type: string; runs: boolean }> = {
  "evil.html": { type: "text/html", runs: true },
  "evil.xhtml": { type: "application/xhtml+xml", runs: true },
  "evil.xml": { type: "text/xml", runs: true },
  "app.xml": { type: "application/xml", runs: true },
  "evil.svg": { type: "image/svg+xml", runs: true },
  "list.html": { type: "image/png, text/html", runs: true },
  "odd.bin": { type: "application/x-unknown-thing", runs: true },
  "plain.txt": { type: "text/plain; charset=utf-8", runs: false },
  "pic.png": { type: "image/png", runs: false },
  "data.json": { type: "application/json", runs: false },
  "doc.pdf": { type: "application/pdf", runs: false },
};

const port = () => server().port;
let bucket: string;

function expectIsolated(res: WireResponse, runs: boolean, what: string): void {
  expect(res.status, `${what}: ${res.text().slice(0, 200)}`).toBe(200);
  expect(res.headers["x-content-type-options"], what).toBe("nosniff");
  expect(res.headers["content-security-policy"], what).toBe(runs ? "sandbox" : undefined);
}

/** A presigned S3 GET as a path-style or virtual-hosted URL, sent over plain HTTP with its own Host. */
async function s3Presigned(style: "path" | "virtual", key: string, responseType?: string, method: "GET" | "HEAD" = "GET"): Promise<WireResponse> {
  const input = { Bucket: bucket, Key: key, ...(responseType ? { ResponseContentType: responseType } : {}) };
  const command = method === "GET" ? new GetObjectCommand(input) : new HeadObjectCommand(input);
  const url = new URL(await getSignedUrl(s3Client({ style }), command, { expiresIn: 600 }));
  return request({ method, host: url.host, path: url.pathname + url.search });
}

beforeAll(async () => {
  bucket = await newBucket("public");
  for (const [key, { type }] of Object.entries(OBJECTS)) await putFile(bucket, key, PAGE, type);
});

describe("object answers are isolated as user content", () => {
  it("by every URL form: S3 path style, UFile bucket host, presigned UFile, presigned S3 (path and virtual-hosted), HEAD", async () => {
    for (const [key, { runs }] of Object.entries(OBJECTS)) {
      expectIsolated(await request({ host: `localhost:${port()}`, path: `/${bucket}/${key}` }), runs, `path style ${key}`);
      expectIsolated(await file(bucket, key, { auth: "none" }), runs, `bucket host ${key}`);
      expectIsolated(await file(bucket, key, { auth: "query" }), runs, `presigned UFile ${key}`);
      expectIsolated(await file(bucket, key, { method: "HEAD" }), runs, `HEAD ${key}`);
      expectIsolated(await s3Presigned("path", key), runs, `presigned S3 path ${key}`);
      expectIsolated(await s3Presigned("virtual", key), runs, `presigned S3 virtual ${key}`);
      expectIsolated(await s3Presigned("virtual", key, undefined, "HEAD"), runs, `presigned S3 HEAD ${key}`);
    }
  });

  it("judges the type answered: response-content-type=text/html or image/svg+xml on a text object is sandboxed", async () => {
    for (const type of ["text/html", "image/svg+xml", "application/xhtml+xml", "text/xml"]) {
      const res = await s3Presigned("path", "plain.txt", type);
      expect(res.headers["content-type"]).toBe(type);
      expectIsolated(res, true, `response-content-type=${type}`);
    }
    expectIsolated(await s3Presigned("virtual", "evil.html", "text/plain"), false, "response-content-type=text/plain");
  });

  it("isolates listings and errors too", async () => {
    const listing = await file(bucket, "", { query: "list" });
    expectIsolated(listing, false, "listing (JSON)");
    const missing = await request({ host: `localhost:${port()}`, path: `/${bucket}/nothing.html` });
    expect(missing.status).toBe(404);
    expect(missing.headers["x-content-type-options"]).toBe("nosniff");
    expect(missing.headers["content-security-policy"]).toBe("sandbox"); // S3's XML error
  });

  it("a custom bucket host serves its bucket's pages as stored (the documented exception), still with nosniff", async () => {
    const { body } = await control({ Action: "CreateBucket", BucketName: OWN_SITE.bucket, Type: "public" });
    expect(body.RetCode).toBe(0);
    await putFile(OWN_SITE.bucket, "index.html", PAGE, "text/html");
    const own = await request({ host: `${OWN_SITE.host}:${port()}`, path: "/index.html" });
    expect(own.status).toBe(200);
    expect(own.text()).toBe(PAGE);
    expect(own.headers["x-content-type-options"]).toBe("nosniff");
    expect(own.headers["content-security-policy"]).toBeUndefined();
    // The same object by any other address is isolated.
    expectIsolated(await file(OWN_SITE.bucket, "index.html", { auth: "none" }), true, "the site's page on its bucket host");
    expectIsolated(await request({ host: `localhost:${port()}`, path: `/${OWN_SITE.bucket}/index.html` }), true, "the site's page by path style");
  });
});

describe("the console has an origin of its own", () => {
  const consoleHost = () => `console.localhost:${port()}`;

  it("serves the console at /ui/ and no bucket content on any path", async () => {
    const page = await request({ host: consoleHost(), path: "/ui/" });
    expect(page.status).toBe(200);
    expect(page.text()).toContain('<meta name="edgefile-file-domain" content="localhost">');
    for (const path of [`/${bucket}/evil.html`, `/${bucket}/evil.html?response-content-type=text/html`, "/evil.html", `/${bucket}/`]) {
      const res = await request({ host: consoleHost(), path });
      expect(res.status, path).toBe(404);
      expect(res.text()).not.toContain("planted");
    }
  });

  it("sends a browser at the API host's / (and the old /ui/ address) to the console host", async () => {
    const root = await request({ host: `localhost:${port()}`, path: "/", headers: { Accept: "text/html,*/*;q=0.8" } });
    expect(root.status).toBe(302);
    expect(root.headers.location).toBe(`http://${consoleHost()}/ui/`);
    const old = await request({ host: `localhost:${port()}`, path: "/ui/" });
    expect(old.status).toBe(301);
    expect(old.headers.location).toBe(`http://${consoleHost()}/ui/`);
  });

  it("answers the control plane on the console host (the console calls it from its own origin)", async () => {
    const res = await request({ host: consoleHost(), path: "/?Action=DescribeBucket" });
    expect(res.status).toBe(200);
    expect(res.json().RetCode).not.toBe(0); // unsigned: refused in the control envelope
    expect(res.headers["content-type"]).toBe("application/json");
  });
});
