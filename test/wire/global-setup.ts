/**
 * Global setup of the `wire` test project: serves the Worker the way `npm start` does, once per run,
 * and gives its address to the tests (`inject("wire")`, see ./client.ts).
 *
 * - wrangler's own dev server (`unstable_startWorker`, the engine behind `wrangler dev`): same
 *   bundling, same proxy layer, same local D1/R2/Queues simulators, same cron and queue handling;
 * - on 127.0.0.1, a free port chosen by the system (port 0), no inspector, no file watching;
 * - D1 migrations applied with `wrangler d1 migrations apply <binding> --local` to every D1 database of
 *   wrangler.toml (the control database and each index shard) in a fresh temporary persist directory, removed at teardown;
 * - offline (no Request.cf download, no telemetry);
 * - settings given here (WIRE_VARS), never read from the developer's .dev.vars or .env: wrangler
 *   reads .dev.vars only when no env file is named, so an empty one is named;
 * - `/__scheduled` enabled (wrangler's --test-scheduled) so tests can run the cron;
 * - the usage queue consumer of wrangler.toml active (batches within its 5 s timeout);
 * - the Worker's own log lines go to `<tmp>/worker.log` (printed when EDGEFILE_WIRE_LOG=1), so a
 *   passing run stays quiet.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { unstable_readConfig, unstable_startWorker } from "wrangler";
import { OWN_SITE, PRIVATE_KEY, PUBLIC_KEY, type WireServer } from "./context";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const STARTUP_TIMEOUT_MS = 90_000;

/** The Worker's settings during wire tests (the vitest workerd project sets the same root keys). */
export const WIRE_VARS: Record<string, string> = {
  ROOT_PUBLIC_KEY: PUBLIC_KEY,
  ROOT_PRIVATE_KEY: PRIVATE_KEY,
  FILE_DOMAIN: "localhost",
  BUCKET_MIN_AGE_SECONDS: "0",
  // A custom bucket host, the one host that serves its bucket's pages as stored (test/wire/isolation.test.ts).
  CUSTOM_HOSTS: `${OWN_SITE.host}=${OWN_SITE.bucket}`,
};

const OFFLINE = { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  Object.assign(process.env, OFFLINE);
  const dir = mkdtempSync(join(tmpdir(), "edgefile-wire-"));
  const persist = join(dir, "state");
  const emptyEnvFile = join(dir, "none.env");
  const logFile = join(dir, "worker.log");
  writeFileSync(emptyEnvFile, "");
  writeFileSync(logFile, "");
  const echoLogs = process.env.EDGEFILE_WIRE_LOG === "1";
  const removeDir = () => rmSync(dir, { recursive: true, force: true });

  try {
    applyMigrations(persist);
  } catch (err) {
    removeDir();
    throw err;
  }

  let worker: Awaited<ReturnType<typeof unstable_startWorker>> | undefined;
  try {
    worker = await unstable_startWorker({
      config: join(ROOT, "wrangler.toml"),
      envFiles: [emptyEnvFile],
      bindings: Object.fromEntries(Object.entries(WIRE_VARS).map(([k, v]) => [k, { type: "plain_text", value: v }])),
      dev: {
        server: { hostname: "127.0.0.1", port: 0 },
        inspector: false,
        persist,
        testScheduled: true,
        watch: false,
        liveReload: false,
        logLevel: "warn",
        structuredLogsHandler: (log: { timestamp: number; level: string; message: string }) => {
          const line = `${new Date(log.timestamp).toISOString()} ${log.level} ${log.message}\n`;
          appendFileSync(logFile, line);
          if (echoLogs) process.stderr.write(line);
        },
      },
    });
    const ready = (async () => {
      await worker.ready;
      return worker.url;
    })();
    const url = await withTimeout(ready, STARTUP_TIMEOUT_MS, "the Worker did not become ready");
    const server: WireServer = { url: url.origin, port: Number(url.port), logFile };
    await checkReachable(server);
    project.provide("wire", server);
  } catch (err) {
    await worker?.dispose().catch(() => {});
    removeDir();
    throw new Error(`wire harness: wrangler could not serve the Worker: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }

  return async () => {
    try {
      await worker?.dispose();
    } finally {
      removeDir();
    }
  };
}

/** `wrangler d1 migrations apply <binding> --local --persist-to <dir>` for every D1 database, exactly as `npm start` runs it. */
function applyMigrations(persist: string): void {
  const wranglerBin = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
  const databases = unstable_readConfig({ config: join(ROOT, "wrangler.toml") }).d1_databases.map((d: { binding: string }) => d.binding);
  for (const binding of databases) {
    const run = spawnSync(process.execPath, [wranglerBin, "d1", "migrations", "apply", binding, "--local", "--persist-to", persist], {
      cwd: ROOT,
      env: { ...process.env, ...OFFLINE, CI: "true" }, // CI=true: no interactive confirmation
      encoding: "utf8",
      timeout: 4 * STARTUP_TIMEOUT_MS, // three wrangler runs on a loaded machine each take tens of seconds
    });
    if (run.status !== 0) {
      throw new Error(`wire harness: local D1 migrations of ${binding} failed (exit ${run.status ?? run.signal}):\n${run.stdout}\n${run.stderr}`);
    }
  }
}

/** One plain request, so that a harness problem fails here with a clear message, not in every test. */
async function checkReachable(server: WireServer): Promise<void> {
  const res = await fetch(`${server.url}/`, { signal: AbortSignal.timeout(15_000) });
  await res.arrayBuffer();
  if (!res.headers.has("x-sessionid")) throw new Error(`GET ${server.url}/ answered ${res.status} without edgefile's X-SessionId header`);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
