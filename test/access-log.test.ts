import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../src/config";
import { logAccess, WINDOW_BYTES, type AccessLine } from "../src/core/access-log";

/**
 * The access log's windows (src/core/access-log.ts `logAccess`): an isolate's lines are written
 * together once per `ACCESS_LOG_FLUSH_MS`, each its own console line, in the order they came.
 * test/wire/access-log.test.ts reads the lines of real requests over HTTP.
 */
const line = (requestId: string): AccessLine => ({
  time: "2026-12-06T00:00:00.000Z",
  requestId,
  debugId: `d-${requestId}`,
  front: "ufile",
  operation: "HeadFile",
  method: "HEAD",
  bucket: "b",
  key: "k",
  principal: "root",
  client: "127.0.0.1",
  status: 200,
  bytesIn: 0,
  bytesOut: 0,
  durationMs: 0,
});

/** The request ids of the access-log lines written to the console so far. */
function written(spy: { mock: { calls: unknown[][] } }): string[] {
  return spy.mock.calls.map((args) => {
    expect(args).toHaveLength(1); // one JSON document per console line
    return (JSON.parse(String(args[0])) as AccessLine).requestId;
  });
}

describe("access log windows", () => {
  afterEach(() => vi.restoreAllMocks());

  it("writes a window's lines together once it ends, each on its own line, in order", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const windowed = { ...env, ACCESS_LOG_FLUSH_MS: "30" } as unknown as Env;
    const first = createExecutionContext();
    const second = createExecutionContext();
    logAccess(windowed, first, line("r1"));
    logAccess(windowed, second, line("r2"));
    expect(written(log)).toEqual([]); // nothing yet: the window is open
    await waitOnExecutionContext(first); // the request that opened the window writes it
    expect(written(log)).toEqual(["r1", "r2"]);
    await waitOnExecutionContext(second);
    expect(written(log)).toEqual(["r1", "r2"]);
    // The next line opens the next window.
    const later = createExecutionContext();
    logAccess(windowed, later, line("r3"));
    expect(written(log)).toEqual(["r1", "r2"]);
    await waitOnExecutionContext(later);
    expect(written(log)).toEqual(["r1", "r2", "r3"]);
  });

  it("writes each line at once with ACCESS_LOG_FLUSH_MS 0", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const immediate = { ...env, ACCESS_LOG_FLUSH_MS: "0" } as unknown as Env;
    logAccess(immediate, createExecutionContext(), line("now"));
    expect(written(log)).toEqual(["now"]);
  });

  it("keeps a window under 128 KB (Workers Logs keeps 256 KB per invocation): the line that would not fit writes the window first", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const windowed = { ...env, ACCESS_LOG_FLUSH_MS: "300" } as unknown as Env;
    const ctx = createExecutionContext();
    const sample = line("f000");
    // What a line is counted as: its length, and 2 more per character of the key, bucket and client.
    const counted = JSON.stringify(sample).length + 2 * (sample.key!.length + sample.bucket!.length + sample.client!.length);
    const fit = Math.floor(WINDOW_BYTES / counted);
    expect(fit).toBeGreaterThan(300);
    for (let i = 0; i < fit; i++) logAccess(windowed, ctx, line(`f${String(i).padStart(3, "0")}`));
    expect(written(log)).toEqual([]);
    logAccess(windowed, ctx, line("next")); // does not fit: the window so far is written, this line starts the next
    expect(written(log)).toHaveLength(fit);
    expect(written(log).at(-1)).toBe(`f${String(fit - 1).padStart(3, "0")}`);
    await waitOnExecutionContext(ctx); // the window's end writes what came after
    expect(written(log)).toHaveLength(fit + 1);
    expect(written(log).at(-1)).toBe("next");
  });

  it("counts a key beyond ASCII by the most UTF-8 it can take: no window passes 128 KB", async () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    const windowed = { ...env, ACCESS_LOG_FLUSH_MS: "300" } as unknown as Env;
    const ctx = createExecutionContext();
    const wide = { ...line("wide"), key: "图".repeat(10_000) }; // 30 KB of UTF-8 in the key alone
    for (let i = 0; i < 4; i++) logAccess(windowed, ctx, wide);
    expect(written(log)).toHaveLength(0); // 4 × ~30.3 KB fit in a window
    logAccess(windowed, ctx, wide);
    expect(written(log)).toHaveLength(4);
    const windowBytes = log.mock.calls.reduce((n, args) => n + new TextEncoder().encode(String(args[0])).byteLength, 0);
    expect(windowBytes).toBeGreaterThan(115 * 1024); // four such lines: the bound is near what they take
    expect(windowBytes).toBeLessThanOrEqual(WINDOW_BYTES);
    await waitOnExecutionContext(ctx);
    expect(written(log)).toHaveLength(5);
  });
});
