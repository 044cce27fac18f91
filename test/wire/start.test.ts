// `npm start` (src/cli/start.mjs) as a new user runs it, in a scratch copy of the project (so the
// checkout's .dev.vars and .wrangler state are never touched): each line once, the local database
// migrated, the server answering, the cron run on its schedule, and everything gone after SIGTERM.
// It starts its own `wrangler dev`, beside the one of the wire harness.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { withoutRepeatedBlocks } from "../../src/cli/repeated-blocks.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "edgefile-start-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The files `npm start` reads, copied; node_modules and the built console linked. */
function scratchProject(): string {
  for (const p of ["src", "schema", "wrangler.toml", ".dev.vars.example", "package.json", "tsconfig.json"]) cpSync(join(ROOT, p), join(scratch, p), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(scratch, "node_modules"));
  mkdirSync(join(scratch, "console"));
  symlinkSync(join(ROOT, "console", "dist"), join(scratch, "console", "dist"));
  return scratch;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const count = (text: string, re: RegExp) => text.split("\n").filter((l) => re.test(l)).length;

/** The lines of wrangler's first bindings table: its title, its heading and one row per binding. */
function bindingsTable(out: string): string[] {
  const lines = out.split("\n");
  const start = lines.findIndex((l) => l === "Your Worker has access to the following bindings:");
  if (start < 0) return [];
  const end = lines.indexOf("", start);
  return lines.slice(start, end < 0 ? undefined : end);
}

describe("npm start", () => {
  it("migrates, serves, runs the cron, prints each thing once, and stops on SIGTERM", { timeout: 360_000 }, async () => {
    const cwd = scratchProject();
    const port = await freePort();
    const child = spawn(process.execPath, ["src/cli/start.mjs", "--port", String(port)], {
      cwd,
      // WRANGLER_LOG: wrangler's default level, as a user has it (test/vitest.config.ts lowers it to "warn").
      env: { ...process.env, EDGEFILE_CRON_SECONDS: "3", CI: "", FORCE_COLOR: "0", WRANGLER_LOG: "log" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      // Up: the first line wrangler prints once it listens, then a request through it.
      const deadline = Date.now() + 240_000; // generous: the machine may be busy with the rest of the suite
      while (!/cron ran/.test(out)) {
        if (Date.now() > deadline) throw new Error(`npm start did not run the cron in time; its output:\n${out}`);
        if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${out}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      const res = await fetch(`http://localhost:${port}/`);
      await res.arrayBuffer();
      expect(res.headers.get("x-sessionid")).toMatch(/^[0-9a-f-]{36}$/);

      expect(existsSync(join(cwd, ".dev.vars"))).toBe(true);
      expect(count(out, /edgefile: created \.dev\.vars/), out).toBe(1);
      expect(count(out, /edgefile: local database DB: applied \d+ migration\(s\), 0000_init\.sql … \d{4}_\w+\.sql$/), out).toBe(1);
      expect(count(out, /edgefile: local database INDEX_1: applied \d+ migration\(s\), 0000_init\.sql … \d{4}_\w+\.sql$/), out).toBe(1);
      expect(out).not.toMatch(/Migrations to be applied|0001_tokens_usage_quotas_prices\.sql/); // no table, printed or not
      expect(count(out, /edgefile: buckets are served at http:\/\/<bucket>\.localhost:\d+;/), out).toBe(1);
      expect(count(out, /edgefile: the cron "\*\/10 \* \* \* \*" runs here every 3 s/), out).toBe(1);
      expect(count(out, /edgefile: the web console is at http:\/\/console\.localhost:\d+\/ui\//), out).toBe(1);
      expect(out).not.toMatch(/Scheduled Workers are not automatically triggered/);
      // wrangler's bindings table once (it prints it again when its dev registry sees the Worker's own
      // queue consumer): its title and each of its rows exactly once.
      const table = bindingsTable(out);
      expect(table.length, out).toBeGreaterThan(5);
      expect(table.some((l) => /^env\.USAGE_QUEUE \(edgefile-usage\)\s+Queue\s+local$/.test(l)), out).toBe(true);
      for (const row of table) expect(out.split("\n").filter((l) => l === row).length, `"${row}" in:\n${out}`).toBe(1);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).not.toBeNull();
    // Nothing keeps listening: wrangler and workerd stopped with it.
    await expect(fetch(`http://localhost:${port}/`, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();

    // A second start finds the database up to date and says so in one line.
    const again = spawn(process.execPath, ["src/cli/start.mjs", "--port", String(port)], { cwd, env: { ...process.env, FORCE_COLOR: "0" }, stdio: ["ignore", "pipe", "pipe"] });
    let second = "";
    again.stdout.on("data", (c: Buffer) => (second += c.toString()));
    const againExited = new Promise((resolve) => again.on("exit", resolve));
    try {
      const deadline = Date.now() + 120_000;
      while (!/runs here on its schedule, next at \d\d:\d\d:\d\d/.test(second) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(count(second, /edgefile: local database DB: up to date$/), second).toBe(1);
      expect(count(second, /edgefile: local database INDEX_1: up to date$/), second).toBe(1);
      expect(second).not.toMatch(/created \.dev\.vars/);
    } finally {
      again.kill("SIGTERM");
    }
    await againExited;
  });
});

describe("wrangler's output under npm start (src/cli/repeated-blocks.mjs)", () => {
  const TABLE = "Your Worker has access to the following bindings:\nBinding   Resource\nenv.DB    D1 Database\n\n";
  const filtered = (...chunks: string[]) => {
    let out = "";
    const filter = withoutRepeatedBlocks((t) => (out += t));
    for (const c of chunks) filter.push(c);
    filter.end();
    return out;
  };

  it("drops a table printed again byte for byte, with the line that announces it, even split across chunks", () => {
    const out = filtered("Using secrets\nYour Worker has acc", `ess to the following bindings:\nBinding   Resource\nenv.DB    D1 Database\n\n⎔ Starting local server...\n`, `⎔ Connection status updated\n${TABLE}[wrangler:info] Ready\n`);
    expect(out).toBe(`Using secrets\n${TABLE}⎔ Starting local server...\n[wrangler:info] Ready\n`);
  });

  it("keeps a table that changed, the Worker's repeated log lines, and an announcement without a table", () => {
    const changed = TABLE.replace("D1 Database", "D1 Database  remote");
    const out = filtered(TABLE, "log: same\nlog: same\n", `⎔ Connection status updated\n${changed}`, "⎔ Connection status updated\nlog: after\n");
    expect(out).toBe(`${TABLE}log: same\nlog: same\n⎔ Connection status updated\n${changed}⎔ Connection status updated\nlog: after\n`);
  });

  it("holds no more than its bounds: a table longer than 200 lines and an unfinished one are printed as they are", async () => {
    const long = `Your Worker has access to the following bindings:\n${"env.X    Var\n".repeat(250)}\n`;
    expect(filtered(long, long)).toBe(long + long);
    let out = "";
    const filter = withoutRepeatedBlocks((t) => (out += t));
    filter.push("Your Worker has access to the following bindings:\nenv.DB    D1\nprompt> ");
    expect(out).toBe("");
    await new Promise((r) => setTimeout(r, 1_200));
    expect(out).toBe("Your Worker has access to the following bindings:\nenv.DB    D1\nprompt> ");
    filter.end();
  });
});
