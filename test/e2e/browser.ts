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

/** A screenshot of the page for the docs (docs/screenshots/<name>.png). */
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

// ── Layout and legibility checks ──

/** The WCAG contrast ratio of an element's text colour against the first opaque background behind it. */
export function contrast(loc: Locator): Promise<number> {
  return loc.evaluate((el) => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
    };
    let bg = "rgb(255, 255, 255)";
    for (let e: Element | null = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) {
        bg = getComputedStyle(e).backgroundColor;
        break;
      }
    }
    const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(rgb(bg))];
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  });
}

/** Whether two elements' boxes on screen share any area. */
export async function overlaps(a: Locator, b: Locator): Promise<boolean> {
  const [x, y] = [await a.boundingBox(), await b.boundingBox()];
  if (!x || !y) return false;
  return x.x < y.x + y.width - 0.5 && y.x < x.x + x.width - 0.5 && x.y < y.y + y.height - 0.5 && y.y < x.y + x.height - 0.5;
}

/**
 * What a reader would see as broken on the screen as it is now, each as a sentence: a page wider than
 * the screen; a column heading, a fieldset's legend or a button's label (outside table rows) on two lines; a row's buttons
 * (`.row-actions`), or the upload tray's heading and buttons (`.uploads-head`), not on one line,
 * overlapping, or partly off-screen (scrolled out of a table too wide); a row's button wrapping inside.
 */
export function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const width = document.documentElement.clientWidth;
    // The page, or the content pane that scrolls under the top bar, wider than the screen; tables scroll
    // sideways in their own frame (.table-wrap), so what they hold is measured by the row checks below.
    const panes = [document.documentElement, ...Array.from(document.querySelectorAll(".scroller"))];
    const wider = Math.max(...panes.map((e) => e.scrollWidth - e.clientWidth));
    if (wider > 0) {
      const what = Array.from(document.body.querySelectorAll("*"))
        .filter((el) => el.getBoundingClientRect().right > width + 0.5 && (!el.closest(".table-wrap") || getComputedStyle(el).position === "absolute"))
        .slice(0, 3)
        .map((el) => el.tagName.toLowerCase() + (el.className ? "." + String(el.className).trim().replace(/\s+/g, ".") : ""));
      problems.push(`the page is ${wider}px wider than the screen (${what.join(", ")})`);
    }
    const shown = (el: Element) => (el as HTMLElement).offsetParent !== null;
    const name = (el: Element) => (el.textContent ?? "").trim().replace(/\s+/g, " ");
    /** Lines of text the element's content takes (boxes whose tops differ by more than 8 px). */
    const lines = (el: Element) => {
      const range = document.createRange();
      range.selectNodeContents(el);
      const tops = Array.from(range.getClientRects()).filter((r) => r.width > 0).map((r) => r.top).sort((a, b) => a - b);
      return tops.filter((top, i) => i === 0 || top - tops[i - 1]! > 8).length;
    };
    // A table row's name may wrap on a phone (its buttons are checked as .row-actions below).
    for (const el of Array.from(document.querySelectorAll("thead th, legend, button:not(tbody *)"))) {
      if (shown(el) && name(el) && !el.querySelector(".sr-only") && lines(el) > 1) problems.push(`"${name(el)}" wraps`);
    }
    for (const group of Array.from(document.querySelectorAll(".row-actions, .uploads-head"))) {
      if (!shown(group)) continue;
      const boxes = Array.from(group.children).filter(shown).map((el) => ({ el, label: name(el), r: el.getBoundingClientRect() }));
      for (const b of boxes) {
        // The tray's heading block may stack its title over its summary; a row's action may not wrap.
        if (group.matches(".row-actions") && lines(b.el) > 1) problems.push(`"${b.label}" wraps`);
        if (b.r.left < 0 || b.r.right > width + 0.5) problems.push(`"${b.label}" is off-screen (${Math.round(b.r.left)} to ${Math.round(b.r.right)} of ${width} px)`);
      }
      for (let i = 1; i < boxes.length; i++) {
        const [a, b] = [boxes[i - 1]!, boxes[i]!];
        const middle = (r: DOMRect) => (r.top + r.bottom) / 2;
        if (Math.abs(middle(a.r) - middle(b.r)) > 4) problems.push(`"${a.label}" and "${b.label}" are not on one line`);
        else if (b.r.left < a.r.right - 0.5) problems.push(`"${a.label}" and "${b.label}" overlap`);
      }
    }
    return [...new Set(problems)];
  });
}
