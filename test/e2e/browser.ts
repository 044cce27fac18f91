import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Locator, type Page } from "playwright-core";
import { expect } from "vitest";

/**
 * Debian's Chromium (`apt-get install chromium`), driven by playwright-core: no browser download.
 * Playwright gives every browser a fresh temporary profile (--user-data-dir), removed on close.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** `extraArgs`: more Chromium switches, e.g. `--host-resolver-rules=MAP name 127.0.0.1` for a host with no DNS. */
export function launch(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: [...FLAGS, ...extraArgs] });
}

const SHOTS = fileURLToPath(new URL("../../docs/screenshots/", import.meta.url));

/** A screenshot of the page for the README (docs/screenshots/<name>.png). */
export async function screenshot(page: Page, name: string): Promise<void> {
  const path = join(SHOTS, `${name}.png`);
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path, animations: "disabled", caret: "hide" });
}

/** Fails the test on any error the page logs (CSP violations included) or throws. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    // The browser logs refused requests (403/404) that the console handles and explains; keep real errors.
    if (m.type() === "error" && !/Failed to load resource/.test(m.text())) errors.push(`console: ${m.text()}`);
  });
  return errors;
}

// ── Waiting assertions (playwright-core has no test runner; vitest's expect.poll retries) ──

const WAIT = { timeout: 20_000, interval: 100 };
const quietly = <T>(read: () => Promise<T>) => read().catch(() => null);

/** Waits until the element's text contains `expected` (or equals it, with `exact`). */
export async function seeText(loc: Locator, expected: string, opts: { exact?: boolean; timeout?: number } = {}): Promise<void> {
  const wait = { ...WAIT, timeout: opts.timeout ?? WAIT.timeout };
  if (opts.exact) await expect.poll(() => quietly(() => loc.textContent({ timeout: 1000 })), wait).toBe(expected);
  // Any of the matches (several status messages may be on screen).
  else await expect.poll(async () => (await loc.allTextContents()).join("\n"), wait).toContain(expected);
}

export async function seeCount(loc: Locator, n: number): Promise<void> {
  await expect.poll(() => loc.count(), WAIT).toBe(n);
}

export async function seeAttribute(loc: Locator, name: string, value: string): Promise<void> {
  await expect.poll(() => quietly(() => loc.getAttribute(name, { timeout: 1000 })), WAIT).toBe(value);
}

export async function seeFocused(loc: Locator): Promise<void> {
  await expect.poll(() => quietly(() => loc.evaluate((el) => el === document.activeElement, undefined, { timeout: 1000 })), WAIT).toBe(true);
}
