import { mkdtempSync, rmSync, utimesSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page, Request, Route } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { control, eventually, file, pattern, putFile, request, server, triggerScheduled, ufileEtag, PRIVATE_KEY, PUBLIC_KEY } from "../wire/client";
import { contrast, launch, layoutProblems, overlaps, screenshot, seeAttribute, seeCount, seeFocused, seeText, watchErrors } from "./browser";

/**
 * The web console end to end (issue 12 "Done when"), in one browser session that a user would
 * follow: sign in, buckets, uploads (small files, a folder, 20 MiB multipart interrupted by a page
 * reload and resumed, 秒传), browsing and previews, a presigned link in a fresh browser context,
 * rename, multi-delete, a prefix-scoped token, usage charts from metered traffic, language switch,
 * phone layout. Screenshots of each main screen go to docs/screenshots/.
 */
const MiB = 1024 * 1024;
const POLL = { timeout: 15_000, interval: 100 };
const BIG = 20 * MiB + 5;

let browser: Browser;
let page: Page;
let errors: string[];
let dir: string;
let consoleUrl: string;
// Each run has its own fresh server state (the wire harness), so names can be fixed: stable screenshots.
const bucket = "demo-photos";
const paths = {} as Record<"hello" | "notes" | "data" | "folder" | "big" | "pixel", string>;

beforeAll(async () => {
  // The console's own origin (CONSOLE_HOST's default, console.<FILE_DOMAIN>); Chromium resolves *.localhost.
  consoleUrl = `http://console.localhost:${server().port}/ui/`;
  dir = mkdtempSync(join(tmpdir(), "edgefile-e2e-"));
  paths.hello = join(dir, "hello.txt");
  paths.notes = join(dir, "notes.md");
  paths.data = join(dir, "data.json");
  writeFileSync(paths.hello, "hello from the edgefile console\n");
  writeFileSync(paths.notes, "# Notes\n\nSmall markdown file.\n");
  writeFileSync(paths.data, JSON.stringify({ kind: "e2e", n: 3 }));
  paths.big = join(dir, "big.bin");
  writeFileSync(paths.big, pattern(BIG));
  utimesSync(paths.big, new Date(1_700_000_000_000), new Date(1_700_000_000_000));
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
  errors = watchErrors(page);
  // A real PNG for the image preview: a screenshot of a blank page.
  const blank = await browser.newPage({ viewport: { width: 24, height: 16 } });
  await blank.setContent("<body style='margin:0;background:#1f6feb'></body>");
  paths.folder = join(dir, "docs");
  mkdirSync(join(paths.folder, "img"), { recursive: true });
  paths.pixel = join(paths.folder, "img", "blue.png");
  writeFileSync(paths.pixel, await blank.screenshot());
  writeFileSync(join(paths.folder, "readme.txt"), "Files in docs/ are reachable by the scoped token.\n");
  await blank.close();
});

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const uploadRow = (key: string) => page.locator(`li.upload[data-key="${key}"]`);
const fileButton = (name: string) => page.getByRole("button", { name, exact: true });

async function signIn(publicKey: string, privateKey: string, places?: string): Promise<void> {
  await page.getByLabel("Public key").fill(publicKey);
  await page.getByLabel("Private key").fill(privateKey);
  if (places !== undefined) await page.getByLabel("Buckets to open").fill(places);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function signOut(): Promise<void> {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
}

async function openFolder(path: string): Promise<void> {
  await page.goto(`${consoleUrl}#/files/${encodeURIComponent(bucket)}/${encodeURIComponent(path)}`);
  await page.getByRole("table").waitFor();
  // The table shows its head at once and a loading row until the listing arrives.
  await seeCount(page.locator("tbody [aria-busy]"), 0);
}

/** Opens a screen of the console by its address and waits for `ready` and for every table's rows. */
async function goTo(hash: string, ready: ReturnType<Page["locator"]>): Promise<void> {
  await page.goto(consoleUrl + hash);
  await ready.waitFor();
  await seeCount(page.locator("tbody [aria-busy]"), 0);
}

/** Data-plane requests the page sends, for asserting what did (not) go over the wire. */
function recordRequests(filter: (r: Request) => boolean): Request[] {
  const seen: Request[] = [];
  page.on("request", (r) => filter(r) && seen.push(r));
  return seen;
}

/** The screen's list once loaded: its empty state (with `text`) when it has no rows, else rows and no empty state. */
async function expectEmptyStateOrRows(text: string): Promise<void> {
  const empty = page.getByTestId("empty-state");
  const rows = page.locator("table tbody tr:not(.state-row)");
  await expect.poll(async () => (await empty.count()) + (await rows.count()), { timeout: 15_000 }).toBeGreaterThan(0);
  if ((await rows.count()) === 0) await seeText(empty, text);
  else expect(await empty.count()).toBe(0);
}

describe("web console", () => {
  it("serves the console at /ui/ with a strict CSP, and /ui redirects there", async () => {
    // Node does not resolve *.localhost: plain HTTP to the server with the console's Host.
    const host = new URL(consoleUrl).host;
    const res = await request({ host, path: "/ui/" });
    expect(res.status).toBe(200);
    expect(res.headers["content-security-policy"]).toContain("connect-src 'self' *.localhost:*");
    expect(res.text()).toContain('<div id="app">');
    const bare = await request({ host, path: "/ui" });
    expect(bare.status).toBe(301);
    expect(bare.headers.location).toMatch(/\/ui\/$/);
  });

  it("signs in as root (a wrong private key is explained) and keeps keys in session storage", async () => {
    await page.goto(consoleUrl);
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    await screenshot(page, "signin");
    await signIn(PUBLIC_KEY, "0000000000000000000000000000000000000000");
    await seeText(page.getByRole("alert"), "private key does not match");
    await page.getByLabel("Private key").fill(PRIVATE_KEY);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Buckets", level: 1 }).waitFor();
    // A fresh account: the empty list names the first step. (The other browser-test files share the
    // server and may have made buckets first: then the list shows them instead.)
    await expectEmptyStateOrRows("No buckets yet.Start here: type a name above and choose Create bucket.");
    const stored = await page.evaluate(() => [sessionStorage.getItem("edgefile.console.session") !== null, localStorage.getItem("edgefile.console.session")]);
    expect(stored).toEqual([true, null]);
  });

  it("creates a bucket, and creates then deletes another", async () => {
    for (const name of [bucket, `${bucket}-tmp`]) {
      await page.getByLabel("Name", { exact: true }).fill(name);
      await page.getByRole("button", { name: "Create bucket" }).click();
      await seeText(page.getByRole("status"), `Bucket ${name} created.`);
      await page.getByRole("link", { name, exact: true }).waitFor();
    }
    // A column head sorts the list: by name, then reversed; the list reloads in that order.
    const nameHead = page.getByRole("columnheader", { name: "Name", exact: true });
    const order = () => page.locator("table tbody th a").allTextContents();
    await nameHead.getByRole("button").click();
    await seeAttribute(nameHead, "aria-sort", "ascending");
    const ascending = await order();
    expect(ascending).toEqual([...ascending].sort((a, b) => a.localeCompare(b)));
    await nameHead.getByRole("button").click();
    await seeAttribute(nameHead, "aria-sort", "descending");
    expect(await order()).toEqual([...ascending].reverse());
    await page.getByRole("button", { name: `Delete bucket ${bucket}-tmp` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await seeText(page.getByRole("status"), `Bucket ${bucket}-tmp deleted.`);
    await seeCount(page.getByRole("link", { name: `${bucket}-tmp`, exact: true }), 0);
    const { body } = await control({ Action: "DescribeBucket", BucketName: `${bucket}-tmp` });
    expect(body.RetCode).toBe(15010);
  });

  it("uploads several small files and a folder, with per-file and total progress", async () => {
    await page.getByRole("link", { name: bucket, exact: true }).click();
    await page.getByRole("heading", { name: bucket, level: 1 }).waitFor();
    await page.getByTestId("file-input").setInputFiles([paths.hello, paths.notes, paths.data]);
    await page.getByTestId("folder-input").setInputFiles(paths.folder);
    for (const key of ["hello.txt", "notes.md", "data.json", "docs/readme.txt", "docs/img/blue.png"]) {
      await seeText(uploadRow(key).locator(".upload-state"), "Uploaded", { exact: true });
    }
    // All sent: the total bar goes and the tray folds to its summary line.
    await seeText(page.locator(".uploads-summary"), "All 5 finished", { exact: true });
    await seeCount(page.getByRole("progressbar", { name: "Total upload progress" }), 0);
    await fileButton("hello.txt").waitFor();
    await page.getByRole("link", { name: "docs/" }).waitFor();
    expect((await file(bucket, "hello.txt")).text()).toBe("hello from the edgefile console\n");
  });

  it("uploads 20 MiB in parallel parts with visible progress, survives a reload, and resumes", async () => {
    // Hold part 1 on the wire: parts 0 and 2 arrive, the upload stays unfinished.
    const held: Route[] = [];
    await page.route(/partNumber=1(&|$)/, (route) => void held.push(route));
    await page.getByTestId("file-input").setInputFiles(paths.big);
    const bar = page.getByRole("progressbar", { name: "Upload progress of big.bin" });
    await expect.poll(async () => Number(await bar.getAttribute("aria-valuenow")), { timeout: 60_000 }).toBeGreaterThanOrEqual(55);
    await seeText(uploadRow("big.bin").locator(".upload-state"), "Uploading", { exact: true });
    // Percent, rate and time left, beside the fill (never on it) and legible on the tray.
    const text = uploadRow("big.bin").locator(".pct");
    await expect.poll(() => text.textContent(), POLL).toMatch(/^\d+% · [\d.]+ (B|KB|MB|GB)\/s · [\d a-z]+ left$/);
    expect(await overlaps(text, uploadRow("big.bin").locator(".bar"))).toBe(false);
    expect(await contrast(text)).toBeGreaterThanOrEqual(7);
    // The tray is a band below the content, not over it.
    expect(await overlaps(page.locator("aside.uploads"), page.locator(".scroller"))).toBe(false);
    await screenshot(page, "upload-progress");
    const record = await page.evaluate(() => JSON.parse(localStorage.getItem("edgefile.console.uploads") ?? "[]"));
    expect(record).toMatchObject([{ bucket, key: "big.bin", size: BIG }]);

    // The page goes away with part 1 still unsent (a reload, a crash, a closed laptop).
    for (const route of held) await route.abort();
    await page.unrouteAll({ behavior: "ignoreErrors" });
    await page.reload();
    await seeText(uploadRow("big.bin").locator(".upload-state"), "Interrupted", { exact: true });
    const parts = recordRequests((r) => r.method() === "PUT" && /partNumber=/.test(r.url()));
    await uploadRow("big.bin").getByLabel("Select the same file again to resume").setInputFiles(paths.big);
    await seeText(uploadRow("big.bin").locator(".upload-state"), "Uploaded", { exact: true, timeout: 60_000 });
    await seeText(uploadRow("big.bin"), "Resumed: 2 part(s) were already uploaded.");
    // Only the missing part crossed the wire after the reload.
    expect(parts.map((r) => new URL(r.url()).searchParams.get("partNumber"))).toEqual(["1"]);
    const head = await file(bucket, "big.bin", { method: "HEAD" });
    expect(head.headers["content-length"]).toBe(String(BIG));
    expect(head.headers.etag).toBe(ufileEtag(pattern(BIG)));
    expect(await page.evaluate(() => localStorage.getItem("edgefile.console.uploads"))).toBe("[]");
    // Nothing left to send: the tray folds to one line.
    await seeAttribute(page.getByRole("button", { name: "Show list" }), "aria-expanded", "false");
    await seeText(page.locator(".uploads-summary"), "All 1 finished", { exact: true });
  });

  it("skips the second upload of a file with 秒传 (UploadHit), sending no bytes", async () => {
    await openFolder("docs/");
    const puts = recordRequests((r) => r.method() === "PUT" && r.url().includes("hello.txt"));
    const hits = recordRequests((r) => r.method() === "POST" && r.url().includes("/uploadhit?"));
    await page.getByTestId("file-input").setInputFiles(paths.hello);
    await seeText(uploadRow("docs/hello.txt").locator(".upload-state"), "Instant (秒传)", { exact: true });
    expect(puts).toHaveLength(0);
    expect(hits).toHaveLength(1);
    expect((await file(bucket, "docs/hello.txt")).text()).toBe("hello from the edgefile console\n");
    await page.getByRole("button", { name: "Clear finished" }).click();
  });

  it("uploads files dropped on the page into the folder shown", async () => {
    await openFolder("docs/");
    const dropped = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(["dropped on the page\n"], "dropped.txt", { type: "text/plain" }));
      return dt;
    });
    await page.locator("section.files").dispatchEvent("dragover", { dataTransfer: dropped });
    await page.locator("section.files").dispatchEvent("drop", { dataTransfer: dropped });
    await seeText(uploadRow("docs/dropped.txt").locator(".upload-state"), "Uploaded", { exact: true });
    expect((await file(bucket, "docs/dropped.txt")).text()).toBe("dropped on the page\n");
    await page.getByRole("button", { name: "Clear finished" }).click();
  });

  it("pages through a large folder by marker, 50 keys a page", async () => {
    const keys = Array.from({ length: 120 }, (_, i) => `many/k${String(i).padStart(4, "0")}.txt`);
    for (let i = 0; i < keys.length; i += 12) await Promise.all(keys.slice(i, i + 12).map((k) => putFile(bucket, k, k, "text/plain")));
    await openFolder("many/");
    await page.getByLabel("Per page").selectOption("50");
    const names = () => page.locator("tbody button.link").allTextContents();
    await expect.poll(names, POLL).toHaveLength(50);
    expect((await names())[0]).toBe("k0000.txt");
    await page.getByRole("button", { name: "Next page" }).click();
    await expect.poll(async () => (await names())[0], POLL).toBe("k0050.txt");
    await page.getByRole("button", { name: "Next page" }).click();
    await expect.poll(names, POLL).toHaveLength(20);
    expect((await names())[19]).toBe("k0119.txt");
    expect(await page.getByRole("button", { name: "Next page" }).isDisabled()).toBe(true);
    await page.getByRole("button", { name: "Previous page" }).click();
    await expect.poll(async () => (await names())[0], POLL).toBe("k0050.txt");
    // The prefix filter narrows the listing on the server.
    await page.getByLabel("Filter by prefix").fill("k011");
    await page.getByLabel("Filter by prefix").press("Enter");
    await expect.poll(names, POLL).toEqual(Array.from({ length: 10 }, (_, i) => `k011${i}.txt`));
  });

  it("browses folders and previews text and images", async () => {
    await openFolder("");
    await page.getByRole("link", { name: "docs/" }).click();
    await page.getByRole("heading", { name: "docs/", level: 1 }).waitFor();
    await page.getByRole("link", { name: "img/" }).click();
    await page.getByRole("heading", { name: "img/", level: 1 }).waitFor();
    const crumbs = page.getByRole("navigation", { name: "Folder path" }).getByRole("link");
    expect(await crumbs.allTextContents()).toEqual([bucket, "docs", "img"]);
    await seeAttribute(crumbs.last(), "aria-current", "page");
    await fileButton("blue.png").click();
    const img = page.getByRole("img", { name: "Preview of blue.png" });
    await expect.poll(() => img.evaluate((el) => (el as HTMLImageElement).naturalWidth)).toBe(24);
    await screenshot(page, "preview-image");
    await page.getByRole("button", { name: "Close" }).click();
    await page.getByRole("link", { name: "↑ Parent folder" }).click();
    await fileButton("readme.txt").click();
    await seeText(page.getByLabel("Preview of readme.txt"), "Files in docs/ are reachable by the scoped token.\n", { exact: true });
    await page.getByRole("button", { name: "Close" }).click();
    await screenshot(page, "files");
  });

  it("shows each file's type and sorts the page by a column", async () => {
    await openFolder("");
    await seeText(page.getByRole("row", { name: /notes\.md/ }), "MD");
    await seeText(page.getByRole("row", { name: /docs\// }), "Folder");
    const names = () => page.locator("tbody button.link").allTextContents();
    const size = page.getByRole("columnheader", { name: "Size" });
    await size.getByRole("button").click();
    await seeAttribute(size, "aria-sort", "ascending");
    expect(await names()).toEqual(["data.json", "notes.md", "hello.txt", "big.bin"]);
    await size.getByRole("button").click();
    await seeAttribute(size, "aria-sort", "descending");
    expect(await names()).toEqual(["big.bin", "hello.txt", "notes.md", "data.json"]);
    // Per-row actions: download under the file's own name, and delete after a confirmation.
    const [saved] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download hello.txt" }).click()]);
    expect(saved.suggestedFilename()).toBe("hello.txt");
    expect(await saved.failure()).toBeNull();
    await openFolder("many/");
    await page.getByRole("button", { name: "Delete k0000.txt" }).click();
    await seeText(page.getByRole("dialog"), "many/k0000.txt");
    await page.getByRole("dialog").getByRole("button", { name: "Delete 1 file(s)" }).click();
    await seeText(page.getByRole("status"), "1 file(s) deleted.");
    expect((await file(bucket, "many/k0000.txt")).status).toBe(404);
    expect((await file(bucket, "many/k0001.txt")).status).toBe(200);
  });

  it("makes a presigned link that works in a new browser context without keys", async () => {
    await openFolder("");
    await fileButton("notes.md").click();
    await page.getByLabel("Valid for").selectOption({ label: "5 minutes" });
    await page.getByRole("button", { name: "Make link" }).click();
    const url = await page.getByLabel("Link", { exact: true }).inputValue();
    const expires = Number(new URL(url).searchParams.get("Expires"));
    expect(Math.abs(expires - (Date.now() / 1000 + 300))).toBeLessThan(30);
    // A small size reads once, in bytes.
    await seeText(page.getByTestId("details-size"), "30 B", { exact: true });
    await screenshot(page, "details");
    // Download: a short presigned URL with ufileattname, saved under the file's name.
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("dialog").getByRole("button", { name: "Download" }).click()]);
    expect(download.suggestedFilename()).toBe("notes.md");
    expect(await download.failure()).toBeNull();
    await page.getByRole("button", { name: "Close" }).click();
    const fresh = await browser.newContext();
    const other = await fresh.newPage();
    const res = await other.goto(url);
    expect(res?.status()).toBe(200);
    expect(await res?.text()).toBe("# Notes\n\nSmall markdown file.\n");
    // The same URL without its signature is refused: the bucket is private.
    expect((await other.goto(url.split("?")[0]))?.status()).toBe(403);
    await fresh.close();
  });

  it("renames a file", async () => {
    await fileButton("data.json").click();
    await page.getByLabel("New key").fill("renamed/data.json");
    await page.getByRole("button", { name: "Rename", exact: true }).click();
    await seeText(page.getByRole("status"), "Renamed to renamed/data.json.");
    await seeCount(fileButton("data.json"), 0);
    await page.getByRole("link", { name: "renamed/" }).click();
    await fileButton("data.json").waitFor();
    expect((await file(bucket, "data.json")).status).toBe(404);
    expect(JSON.parse((await file(bucket, "renamed/data.json")).text())).toEqual({ kind: "e2e", n: 3 });
  });

  it("edits metadata, changes the storage class and restores an archived file", async () => {
    await fileButton("data.json").click();
    await page.getByLabel("Content type").fill("application/x-e2e");
    await page.getByRole("button", { name: "Add metadata" }).click();
    await page.getByLabel("Name", { exact: true }).last().fill("owner");
    await page.getByLabel("Value").last().fill("console");
    // A browser cannot send "é" or "€" as UTF-8 header bytes: the console sends RFC 2047 encoded-words.
    await page.getByRole("button", { name: "Add metadata" }).click();
    await page.getByLabel("Name", { exact: true }).last().fill("city");
    await page.getByLabel("Value").last().fill("Zürich €");
    await page.getByRole("button", { name: "Save metadata" }).click();
    await seeText(page.getByRole("status"), "Metadata saved.");
    const head = await file(bucket, "renamed/data.json", { method: "HEAD" });
    expect(head.headers["content-type"]).toBe("application/x-e2e");
    expect(head.headers["x-ufile-meta-owner"]).toBe("console");
    expect(head.headers["x-ufile-meta-city"]).toBe("=?UTF-8?B?WsO8cmljaCDigqw=?=");
    await fileButton("data.json").click();
    // Shown again as the text that was typed.
    expect(await page.getByLabel("Value").evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value))).toContain("Zürich €");
    await page.getByRole("combobox", { name: "Storage class" }).selectOption("ARCHIVE");
    await page.getByRole("button", { name: "Change class" }).click();
    await seeText(page.getByRole("status"), "Storage class is now Archive.");
    // The list has reloaded with the new class before the file is opened again.
    await seeText(page.getByRole("row", { name: /data\.json/ }), "Archive");
    await fileButton("data.json").click();
    await seeText(page.getByRole("dialog"), "Archived files must be restored before they can be read.");
    await page.getByRole("button", { name: "Restore", exact: true }).click();
    await seeText(page.getByRole("status"), "Restore requested.");
    expect((await file(bucket, "renamed/data.json", { method: "HEAD" })).headers["x-ufile-restore"]).toMatch(/ongoing-request="false"/);
    expect((await file(bucket, "renamed/data.json")).status).toBe(200);
  });

  it("deletes several selected files after a confirmation", async () => {
    await openFolder("");
    await page.getByRole("checkbox", { name: "Select hello.txt" }).check();
    await page.getByRole("checkbox", { name: "Select notes.md" }).check();
    await page.getByRole("button", { name: "Delete selected (2)" }).click();
    const dialog = page.getByRole("dialog");
    await seeText(dialog, "hello.txt");
    await seeText(dialog, "notes.md");
    await dialog.getByRole("button", { name: "Delete 2 file(s)" }).click();
    await seeText(page.getByRole("status"), "2 file(s) deleted.");
    await seeCount(fileButton("hello.txt"), 0);
    await seeCount(fileButton("notes.md"), 0);
    expect((await file(bucket, "hello.txt")).status).toBe(404);
    expect((await file(bucket, "big.bin", { method: "HEAD" })).status).toBe(200);
  });

  it("keeps the selection across pages, selects all matching files, and bulk-deletes them with true counts", async () => {
    await openFolder("many/");
    await page.getByLabel("Per page").selectOption("50");
    const names = () => page.locator("tbody button.link").allTextContents();
    await expect.poll(async () => (await names())[0], POLL).toBe("k0001.txt");
    const bar = page.getByTestId("selection");
    await page.getByRole("checkbox", { name: "Select k0001.txt" }).check();
    await page.getByRole("button", { name: "Next page" }).click();
    await expect.poll(async () => (await names())[0], POLL).toBe("k0051.txt");
    await page.getByRole("checkbox", { name: "Select k0051.txt" }).check();
    await seeText(bar, "2 file(s) selected, 1 on this page.");
    await page.getByRole("button", { name: "Previous page" }).click();
    await expect.poll(async () => (await names())[0], POLL).toBe("k0001.txt");
    expect(await page.getByRole("checkbox", { name: "Select k0001.txt" }).isChecked()).toBe(true);
    // Download selected: one download per file, under each file's name.
    const saved: string[] = [];
    page.on("download", (d) => saved.push(d.suggestedFilename()));
    await page.getByRole("button", { name: "Download selected (2)" }).click();
    await expect.poll(() => saved.sort(), POLL).toEqual(["k0001.txt", "k0051.txt"]);
    await seeText(page.getByRole("status"), "Started 2 of 2 download(s).");
    page.removeAllListeners("download");
    await page.getByRole("button", { name: "Clear selection" }).click();
    await seeCount(bar, 0);

    // "Select all matching": every page of the filtered folder, counted, then deleted with true counts.
    await page.getByLabel("Filter by prefix").fill("k00");
    await page.getByLabel("Filter by prefix").press("Enter");
    await expect.poll(names, POLL).toHaveLength(50);
    await page.getByRole("checkbox", { name: "Select all files on this page" }).check();
    await seeText(bar, "50 file(s) selected, 50 on this page.");
    await page.getByRole("button", { name: "Select all files matching many/k00 (every page)" }).click();
    await seeText(bar, "All 99 file(s) matching many/k00 are selected.");
    await screenshot(page, "files-select-all");
    // More than a browser should be asked to download at once: the button says so instead.
    expect(await page.getByRole("button", { name: "Download selected (99)" }).isDisabled()).toBe(true);
    await seeText(bar, "Download selected works for up to 20 files at a time");
    await page.getByRole("button", { name: "Delete selected (99)" }).click();
    const dialog = page.getByRole("dialog");
    await seeText(dialog.getByRole("heading"), "Delete 99 file(s)?");
    await seeText(dialog, "…and 79 more");
    await dialog.getByRole("button", { name: "Delete 99 file(s)" }).click();
    await seeText(page.getByRole("status"), "99 file(s) deleted.", { timeout: 90_000 }); // 99 DELETEs, 4 at a time
    await seeCount(bar, 0);
    const left = await file(bucket, "", { query: "list&prefix=many%2Fk00&limit=1000", signedKey: "" });
    expect(left.json().DataSet).toEqual([]);
    expect((await file(bucket, "many/k0100.txt", { method: "HEAD" })).status).toBe(200);
    await page.getByLabel("Filter by prefix").fill("");
    await page.getByLabel("Filter by prefix").press("Enter");
    await expect.poll(names, POLL).toHaveLength(20);
  });

  it("copies a link to a file and renames a file from its row", async () => {
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(consoleUrl).origin });
    await openFolder("many/");
    await page.getByRole("button", { name: "Copy a link to k0100.txt" }).click();
    const dialog = page.getByRole("dialog", { name: "Link to k0100.txt" });
    await seeText(dialog.getByRole("status"), "Link copied. It works for 1 hour.");
    const url = await dialog.getByLabel("Link", { exact: true }).inputValue();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);
    const expiresIn = (u: string) => Number(new URL(u).searchParams.get("Expires")) - Date.now() / 1000;
    expect(Math.abs(expiresIn(url) - 3600)).toBeLessThan(30);
    const link = new URL(url);
    const got = await request({ host: link.host, path: link.pathname + link.search });
    expect([got.status, got.text()]).toEqual([200, "many/k0100.txt"]);
    // The same limit as the details' links: at most 7 days.
    expect(await dialog.getByLabel("Valid for").locator("option").allTextContents()).toEqual(["5 minutes", "1 hour", "1 day", "7 days"]);
    await dialog.getByLabel("Valid for").selectOption({ label: "7 days" });
    await expect.poll(async () => Math.round(expiresIn(await dialog.getByLabel("Link", { exact: true }).inputValue()) / 60), POLL).toBe(7 * 24 * 60);
    await dialog.getByRole("button", { name: "Close" }).click();

    await page.getByRole("button", { name: "Rename k0101.txt" }).click();
    const rename = page.getByRole("dialog", { name: "Rename k0101.txt" });
    await rename.getByLabel("New key").fill("many/renamed-k0101.txt");
    await rename.getByRole("button", { name: "Rename", exact: true }).click();
    await seeText(page.getByRole("status"), "Renamed to many/renamed-k0101.txt.");
    await fileButton("renamed-k0101.txt").waitFor();
    expect((await file(bucket, "many/k0101.txt", { method: "HEAD" })).status).toBe(404);
    expect((await file(bucket, "many/renamed-k0101.txt")).text()).toBe("many/k0101.txt");
  });

  it("works the file list from the keyboard, and lists the shortcuts", async () => {
    await openFolder("many/");
    await fileButton("k0100.txt").waitFor();
    await page.locator("h1").click();
    await page.keyboard.press("?");
    const keys = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    await seeText(keys, "j / ↓Next row");
    await seeText(keys, "SpaceSelect or unselect the file");
    await screenshot(page, "files-shortcuts");
    await page.keyboard.press("Escape");
    await seeCount(keys, 0);
    await page.locator("h1").click();
    await page.keyboard.press("/");
    await seeFocused(page.getByLabel("Filter by prefix"));
    await page.locator("h1").click();
    await page.keyboard.press("j");
    await seeFocused(fileButton("k0100.txt"));
    await page.keyboard.press("j");
    await seeFocused(fileButton("k0102.txt"));
    await page.keyboard.press("k");
    await seeFocused(fileButton("k0100.txt"));
    await page.keyboard.press("ArrowDown");
    await seeFocused(fileButton("k0102.txt"));
    await page.keyboard.press(" ");
    expect(await page.getByRole("checkbox", { name: "Select k0102.txt" }).isChecked()).toBe(true);
    await page.keyboard.press("Enter");
    await page.getByRole("dialog", { name: "k0102.txt" }).waitFor();
    await page.keyboard.press("Escape");
    await seeFocused(fileButton("k0102.txt"));
    await page.keyboard.press("Delete");
    const confirm = page.getByRole("dialog", { name: "Delete 1 file(s)?" });
    await seeText(confirm, "many/k0102.txt");
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("button", { name: "Clear selection" }).click();
    expect((await file(bucket, "many/k0102.txt", { method: "HEAD" })).status).toBe(200);
  });

  it("explains why a bucket that holds files cannot be deleted (15023)", async () => {
    await page.getByRole("link", { name: "Buckets", exact: true }).click();
    await page.getByRole("button", { name: `Delete bucket ${bucket}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
    await seeText(page.getByRole("alert"), "The bucket still holds files.");
    await seeText(page.getByRole("alert"), "15023");
    await seeText(page.getByRole("row", { name: new RegExp(bucket) }), "20.0 MB");
    await screenshot(page, "buckets");
  });

  let token = { publicKey: "", privateKey: "" };

  it("creates a token scoped to one bucket and the docs/ prefix; the private key is shown once", async () => {
    await page.getByRole("link", { name: "Tokens", exact: true }).click();
    await page.getByRole("heading", { name: "Tokens", level: 1 }).waitFor();
    await expectEmptyStateOrRows("No tokens yet.Create one above");
    await page.getByLabel("Name", { exact: true }).fill("docs-reader");
    // Nothing is pre-ticked: like the API's default, a new token grants nothing until chosen.
    const ops = page.getByRole("group", { name: "Operations" }).getByRole("checkbox");
    expect(await ops.count()).toBeGreaterThan(2);
    expect(await ops.evaluateAll((boxes) => boxes.filter((b) => (b as HTMLInputElement).checked).length)).toBe(0);
    for (const name of ["Download (read)", "List files", "Upload (write)"]) await page.getByRole("checkbox", { name }).check();
    // The two IP lists line up side by side.
    const [allow, block] = [await page.getByLabel("Allowed IP addresses").boundingBox(), await page.getByLabel("Blocked IP addresses").boundingBox()];
    expect([allow!.y, allow!.width, allow!.height]).toEqual([block!.y, block!.width, block!.height]);
    // No bucket chosen: refused before any call (the API would read an empty list as all buckets).
    await page.getByRole("button", { name: "Create token" }).click();
    await seeText(page.getByRole("alert"), "Choose at least one bucket, or all buckets.");
    await page.getByRole("checkbox", { name: bucket, exact: true }).check();
    // Choosing a bucket answers the refusal: it leaves the form.
    await seeCount(page.locator("form.scope-form").getByRole("alert"), 0);
    await page.getByLabel("Key prefixes").fill("docs/");
    await page.getByRole("button", { name: "1 day" }).click();
    const expiry = await page.getByLabel("Expires").inputValue();
    expect(expiry).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
    await screenshot(page, "tokens");
    await page.getByRole("button", { name: "Create token" }).click();
    const dialog = page.getByRole("dialog", { name: "Token created: save its private key now" });
    token = { publicKey: (await dialog.getByTestId("token-public").textContent())!, privateKey: (await dialog.getByTestId("token-private").textContent())! };
    expect(token.publicKey).toMatch(/^TOKEN_/);
    expect(token.privateKey).toMatch(/^[0-9a-f-]{36}$/);
    await dialog.getByRole("button", { name: "I have saved it" }).click();
    const row = page.getByRole("row", { name: /docs-reader/ });
    await seeText(row, "Download (read), List files, Upload (write)");
    await seeText(row, "docs/");
    // The list shows expiry in the form's own format.
    await seeText(row, expiry);
    // The list never shows private keys again (DescribeUFileToken Display=0).
    await seeCount(page.getByText(token.privateKey), 0);
  });

  it("signs in with the token: its prefix is reachable, the rest is refused and explained", async () => {
    await signOut();
    await signIn(token.publicKey, token.privateKey, `${bucket}/docs/`);
    await page.getByRole("heading", { name: "docs/", level: 1 }).waitFor();
    await fileButton("readme.txt").waitFor();
    await fileButton("readme.txt").click();
    await seeText(page.getByLabel("Preview of readme.txt"), "reachable by the scoped token");
    await page.getByRole("button", { name: "Close" }).click();
    await screenshot(page, "token-files");
    // Up to the bucket root: outside the token's prefixes.
    await page.getByRole("navigation", { name: "Folder path" }).getByRole("link", { name: bucket }).click();
    await seeText(page.getByRole("alert"), "Outside this token's scope");
    await seeText(page.getByRole("status"), "does not allow listing here");
    await seeCount(fileButton("big.bin"), 0);
    // Control-plane screens say why they are unavailable.
    await page.getByRole("link", { name: "Tokens", exact: true }).click();
    await seeText(page.getByRole("status"), "15037");
  });

  it("draws usage charts from metered traffic, shows quota left and prices quota", async () => {
    await signOut();
    await signIn(PUBLIC_KEY, PRIVATE_KEY);
    await page.getByRole("heading", { name: "Buckets", level: 1 }).waitFor();
    // The usage queue delivers within its batch timeout; the cron integrates storage (two runs: the first starts the clock).
    const today = Math.floor(Date.now() / 86400_000) * 86400;
    await triggerScheduled();
    await eventually(async () => {
      const { body } = await control({ Action: "GetUFileReport", StartTime: today, EndTime: today + 86399 });
      expect(body.DataSet[0].RequestCount).toBeGreaterThan(0);
      expect(body.DataSet[0].DownloadTraffic).toBeGreaterThan(0);
    }, 30_000);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await triggerScheduled()).status).toBe(200);
    await page.getByRole("link", { name: "Usage", exact: true }).click();
    await page.getByRole("heading", { name: "Usage", level: 1 }).waitFor();
    for (const name of ["Storage", "Download traffic", "Requests"]) {
      await seeCount(page.getByRole("img", { name }).locator("canvas"), 1);
    }
    await page.getByRole("button", { name: "30 days" }).click();
    await seeCount(page.getByRole("figure").filter({ hasText: "Requests" }).locator("tbody tr"), 30);
    const requests = page.getByRole("figure").filter({ hasText: "Requests" });
    await requests.getByText("Numbers by day").click();
    // Requests read as a count, with the API's own ×10⁴ figure beside it in the table.
    const lastRow = requests.locator("tbody tr").last();
    const lastDay = await lastRow.locator("td.num").first().textContent();
    expect(lastDay).toMatch(/^[1-9][\d,]* requests$/);
    const apiFigure = Number(await lastRow.locator("td.api").textContent());
    expect(apiFigure * 10_000).toBeCloseTo(Number(lastDay!.replace(/\D/g, "")), 6);
    await seeText(page.getByTestId("total-RequestCount"), lastDay!.replace(/^/, "Total: "), { exact: true });
    // Sizes in KB/MB/GB with one decimal; no raw API fractions outside the table.
    await expect.poll(() => page.getByTestId("total-StorageVolume").textContent(), POLL).toMatch(/^Total: \d+(\.\d)? (B|KB|MB|GB)·day$/);
    expect(await page.getByTestId("total-DownloadTraffic").textContent()).toMatch(/^Total: \d+(\.\d)? (B|KB|MB|GB)$/);
    const quota = page.getByRole("heading", { name: "Quota left" }).locator("..");
    await expect.poll(() => quota.textContent(), POLL).toMatch(/Requests[\d,]+ requests/);
    expect(await quota.textContent()).not.toMatch(/×10|\d\.\d{2,}/);
    // Units are on the ticks, so no axis title sits over them.
    await seeCount(page.locator(".chart .u-label"), 0);
    await page.getByRole("heading", { name: "Quota left" }).waitFor();
    await seeText(page.getByRole("row", { name: new RegExp(bucket) }), "20.0 MB");
    await page.getByRole("button", { name: "Calculate" }).click();
    await seeText(page.locator(".price"), "Price: 346 fen (¥3.46)", { exact: true });
    await page.getByRole("button", { name: "7 days" }).click();
    await seeCount(requests.locator("tbody tr"), 7);
    await screenshot(page, "usage");
  });

  it("switches to Chinese and back", async () => {
    await page.getByRole("button", { name: "中文" }).click();
    await seeText(page.getByRole("navigation", { name: "主导航" }), "存储空间");
    await seeAttribute(page.locator("html"), "lang", "zh-CN");
    await page.getByRole("link", { name: "存储空间" }).click();
    await page.getByRole("heading", { name: "存储空间", level: 1 }).waitFor();
    await page.getByRole("link", { name: bucket, exact: true }).waitFor();
    await screenshot(page, "buckets-zh");
    // Storage classes read in Chinese too.
    await page.getByRole("link", { name: bucket, exact: true }).click();
    await seeText(page.getByRole("row", { name: /big\.bin/ }), "标准");
    await page.getByRole("link", { name: "存储空间" }).click();
    await page.getByRole("button", { name: "English" }).click();
    await page.getByRole("heading", { name: "Buckets", level: 1 }).waitFor();
  });

  it("lays out every screen at desktop and phone sizes: headings and row buttons on one line, nothing off-screen", async () => {
    const screens: [string, () => Promise<void>][] = [
      ["buckets", () => goTo("#/buckets", page.getByRole("link", { name: bucket, exact: true }))],
      ["files", () => openFolder("many/")],
      ["tokens", () => goTo("#/tokens", page.getByRole("row", { name: /docs-reader/ }))],
      ["usage", () => goTo("#/usage", page.locator(".chart canvas").first())],
      ["rules", () => goTo(`#/rules/${bucket}`, page.getByRole("heading", { name: "Daily usage, last 14 days" }))],
    ];
    for (const [width, height] of [
      [1200, 760],
      [390, 844],
    ] as const) {
      await page.setViewportSize({ width, height });
      for (const [name, open] of screens) {
        await open();
        // Each screen opens at its top, wherever the one before was scrolled to (tokens, below).
        expect(await page.locator(".scroller").evaluate((e) => e.scrollTop), name).toBe(0);
        // The token list is below the form: the phone screenshot shows it.
        if (name === "tokens") await page.getByRole("row", { name: /docs-reader/ }).scrollIntoViewIfNeeded();
        if (width === 390) await screenshot(page, `phone-${name}`);
        expect(await layoutProblems(page), `${name} at ${width}x${height}`).toEqual([]);
      }
    }
    // What was measured: a file's row on the phone shows Download and Delete, side by side.
    await openFolder("many/");
    const buttons = page.locator("tbody .row-actions").first().getByRole("button").filter({ visible: true });
    expect(await buttons.allTextContents()).toEqual(["Download", "Delete"]);
    const [download, del] = [(await buttons.nth(0).boundingBox())!, (await buttons.nth(1).boundingBox())!];
    expect(download.y).toBe(del.y);
    expect(download.x + download.width).toBeLessThan(del.x);
    expect(del.x + del.width).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1200, height: 760 });
  });

  it("keeps the upload tray off the content on a phone, and drops it when the user leaves the page", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await openFolder("many/");
    // Hold the bytes on the wire so the tray stays busy.
    const held: Route[] = [];
    await page.route(/phone\.txt/, (route) => void (route.request().method() === "PUT" ? held.push(route) : route.continue()));
    await page.getByTestId("file-input").setInputFiles({ name: "phone.txt", mimeType: "text/plain", buffer: Buffer.from("from a phone\n") });
    await seeText(uploadRow("many/phone.txt").locator(".upload-state"), "Uploading", { exact: true });
    const tray = page.locator("aside.uploads");
    expect(await overlaps(tray, page.locator(".scroller"))).toBe(false);
    expect((await tray.boundingBox())!.height).toBeLessThanOrEqual(844 * 0.4 + 1);
    // Its head (title, summary, Clear finished, Hide list) keeps every label on one line.
    expect(await layoutProblems(page), "upload tray at 390x844").toEqual([]);
    // The last row of a long list scrolls fully into view above the tray.
    const last = page.locator("tbody tr").last();
    await last.scrollIntoViewIfNeeded();
    expect(await overlaps(last, tray)).toBe(false);
    await screenshot(page, "phone-upload");
    await expect.poll(() => held.length, POLL).toBe(1);
    await held[0]!.continue();
    await seeText(uploadRow("many/phone.txt").locator(".upload-state"), "Uploaded", { exact: true });
    await page.unrouteAll({ behavior: "ignoreErrors" });
    await seeAttribute(page.getByRole("button", { name: "Show list" }), "aria-expanded", "false");
    await page.getByRole("link", { name: "Tokens", exact: true }).click();
    await page.getByRole("heading", { name: "Tokens", level: 1 }).waitFor();
    await seeCount(tray, 0);
    await page.setViewportSize({ width: 1200, height: 760 });
  });

  it("fits a phone screen and works with the keyboard", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await openFolder("");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(page, "phone");
    // Keyboard: on a fresh page the skip link comes first and moves focus to the content.
    await page.reload();
    await page.getByRole("table").waitFor();
    await page.keyboard.press("Tab");
    await seeFocused(page.getByRole("link", { name: "Skip to content" }));
    await page.keyboard.press("Enter");
    await seeFocused(page.locator("main"));
    await page.setViewportSize({ width: 1200, height: 760 });
  });

  it("logged no page errors (CSP violations included)", () => {
    expect(errors).toEqual([]);
  });
});
