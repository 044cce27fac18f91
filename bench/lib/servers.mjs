// Starts what the bench measures: edgefile and the baseline Worker in ONE workerd (Miniflare, with
// shared D1 and R2 persisted under bench/.tmp), and s3rver in a child Node process. Loopback only.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig, unstable_splitSqlQuery } from "wrangler";
import { localKeys } from "../../src/cli/keys.mjs";

// Miniflare exactly as the project's wrangler resolves it (no second copy, no extra dependency).
const requireFromWrangler = createRequire(createRequire(import.meta.url).resolve("wrangler"));
const { Miniflare, Log, LogLevel, convertV4MiniflareOptions } = requireFromWrangler("miniflare");

// Offline, as `npm start`: no Request.cf fetch, no telemetry (also for wrangler's API used in-process).
Object.assign(process.env, { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" });
export const OFFLINE_ENV = process.env;

/** Bundles src/index.ts (or another entry, with wrangler.toml's settings) exactly as `wrangler deploy` would: esbuild, no upload. */
export function buildWorker(outdir, entry) {
  // wrangler.toml serves the web console's built files as assets: build them if they are not there.
  if (!existsSync("console/dist")) {
    const built = spawnSync("npm", ["run", "build:console"], { env: OFFLINE_ENV, encoding: "utf8" });
    if (built.status !== 0) throw new Error(`console build failed:\n${built.stdout}\n${built.stderr}`);
  }
  const args = ["wrangler", "deploy", "--dry-run", "--outdir", outdir, ...(entry ? [entry] : [])];
  const r = spawnSync("npx", args, { env: OFFLINE_ENV, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`wrangler build failed:\n${r.stdout}\n${r.stderr}`);
  return join(outdir, entry ? entry.split("/").pop() : "index.js");
}

/** Runs a command to its end (offline, as the bench runs wrangler); its standard output, or an error with both outputs. */
export function runCommand(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { cwd, env: OFFLINE_ENV, encoding: "utf8", maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/**
 * The Worker as committed at git `ref`, bundled as `wrangler deploy` would: the commit's files
 * exported into `scratch`/ref (with this checkout's node_modules and console/dist), `entry` (src/index.ts
 * when not given) built into `scratch`/b. `keep`: working-tree files copied over the commit's first
 * (bench/micro-ab.mjs times the working tree's micro.js on the commit's src/). Returns the bundle's path.
 */
export function buildAtRef(ref, scratch, { entry, keep = [] } = {}) {
  const tree = join(scratch, "ref");
  mkdirSync(tree, { recursive: true });
  const archive = join(scratch, "ref.tar");
  runCommand("git", ["archive", "--format=tar", "-o", archive, ref]);
  runCommand("tar", ["-xf", archive, "-C", tree]);
  symlinkSync(resolve("node_modules"), join(tree, "node_modules"));
  cpSync("console/dist", join(tree, "console/dist"), { recursive: true }); // wrangler.toml's assets
  for (const file of keep) cpSync(file, join(tree, file));
  runCommand("npx", ["wrangler", "deploy", "--dry-run", "--outdir", join(scratch, "b"), ...(entry ? [entry] : [])], tree);
  return join(scratch, "b", entry ? entry.split("/").pop() : "index.js");
}

const BINDING_KEYS = ["compatibilityDate", "compatibilityFlags", "bindings", "d1Databases", "r2Buckets", "queueProducers", "queueConsumers"];

/** Worker options from a wrangler config (what `wrangler dev` would use), minus the source and crons. */
function fromConfig(configPath) {
  const { workerOptions } = unstable_getMiniflareWorkerOptions(configPath);
  return Object.fromEntries(BINDING_KEYS.filter((k) => workerOptions[k] !== undefined).map((k) => [k, workerOptions[k]]));
}

const direct = [{ host: "127.0.0.1", port: 0 }];

/**
 * edgefile (its wrangler.toml bindings: D1, R2, usage queue + consumer, vars, dev keys) and the
 * baseline (bench/baseline/wrangler.toml: the same D1 id and R2 bucket), each on its own loopback
 * socket so neither request path goes through a router or the other Worker.
 */
export async function startWorkers({ script, diagScript, persistDir, inspector = false, bindings = {} }) {
  const keys = localKeys();
  const edge = fromConfig("wrangler.toml");
  const baseline = fromConfig("bench/baseline/wrangler.toml");
  // Every bench bucket on the control database `DB` (the one shard of the default region), which is the
  // database the baseline is bound to: both Workers then read and write the same rows. edgefile still
  // looks each bucket's shard up on every request, as it does deployed.
  const placement = { SHARD_REGIONS: `DB=${edge.bindings.DEFAULT_REGION}` };
  edge.bindings = { ...edge.bindings, ...placement, ROOT_PUBLIC_KEY: keys.publicKey, ROOT_PRIVATE_KEY: keys.privateKey, ...bindings };
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      resourcePersistencePath: persistDir,
      cf: false, // placeholder Request.cf: never fetched from the network
      ...(inspector ? { inspectorPort: 0 } : {}), // DevTools, for the isolate heap (memory.mjs)
      log: new Log(LogLevel.WARN),
      // The Workers' console: warnings and errors are printed; log lines (edgefile's access log, one
      // per request) are written by the Worker as deployed, and dropped here.
      handleStructuredLogs: ({ level, message }) => {
        if (level === "warn" || level === "error") process.stderr.write(`[workerd ${level}] ${message}\n`);
      },
      workers: [
        { ...edge, name: "edgefile", modules: [{ type: "ESModule", path: script }], unsafeDirectSockets: direct },
        {
          ...baseline,
          // Its diagnostic `x-bench-headers: protocol` checks the signature the bench's requests carry.
          bindings: { ...baseline.bindings, ROOT_PUBLIC_KEY: keys.publicKey, ROOT_PRIVATE_KEY: keys.privateKey },
          name: "baseline",
          modules: [{ type: "ESModule", path: "bench/baseline/worker.js" }],
          unsafeDirectSockets: direct,
        },
        // bench/lib/diag-entry.js: either of the two with storage calls counted (no queue consumer: edgefile has it).
        { ...edge, queueConsumers: undefined, name: "diag", modules: [{ type: "ESModule", path: diagScript }], unsafeDirectSockets: direct },
      ],
    }),
  );
  await mf.ready;
  const port = async (name) => Number((await mf.unsafeGetDirectURL(name)).port);
  return {
    mf,
    edgefilePort: await port("edgefile"),
    baselinePort: await port("baseline"),
    diagPort: await port("diag"),
    workerdPid: workerdChild(),
  };
}

/** The workerd process Miniflare spawned: the newest live `workerd` child of this process. */
function workerdChild() {
  const stat = (pid) => readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" "); // fields from 3 on
  const live = readdirSync(`/proc/${process.pid}/task`)
    .flatMap((t) => readFileSync(`/proc/${process.pid}/task/${t}/children`, "utf8").trim().split(/\s+/).filter(Boolean))
    .filter((pid) => /^(workerd|callgrind)/.test(readFileSync(`/proc/${pid}/comm`, "utf8").trim()) && stat(pid)[0] !== "Z")
    .sort((a, b) => Number(stat(b)[19]) - Number(stat(a)[19])); // field 22: start time
  if (live.length === 0) throw new Error("workerd child process not found");
  return Number(live[0]);
}

/**
 * Applies schema/migrations/*.sql in order through every D1 binding of wrangler.toml (the control
 * database and each index shard), as `wrangler d1 migrations apply --local` does. Returns `DB`.
 */
export async function applyMigrations(mf) {
  const dir = "schema/migrations";
  const files = readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
  for (const { binding } of unstable_readConfig({ config: "wrangler.toml" }).d1_databases) {
    const db = await mf.getD1Database(binding, "edgefile");
    for (const file of files) {
      const statements = unstable_splitSqlQuery(readFileSync(join(dir, file), "utf8").replaceAll("--> statement-breakpoint", ""));
      await db.batch(statements.map((s) => db.prepare(s)));
    }
  }
  return mf.getD1Database("DB", "edgefile");
}

/** s3rver (the npm local S3 emulator) in its own Node process, so it never shares the load generator's event loop. */
export async function startS3rver(directory) {
  const child = spawn(process.execPath, ["bench/lib/s3rver-server.mjs", directory], { stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`s3rver exited (${code})`)));
    child.stdout.once("data", (d) => resolve(JSON.parse(String(d)).port));
  });
  return { port, pid: child.pid, stop: () => child.kill("SIGTERM") };
}

export function versions() {
  const req = createRequire(import.meta.url);
  const version = (name, from = req) => JSON.parse(readFileSync(from.resolve(`${name}/package.json`), "utf8")).version;
  const workerd = spawnSync(requireFromWrangler.resolve("workerd/bin/workerd"), ["--version"], { encoding: "utf8" }).stdout.trim();
  return {
    node: process.version,
    wrangler: version("wrangler"),
    miniflare: version("miniflare", requireFromWrangler),
    workerd: `${workerd} (npm workerd ${version("workerd", requireFromWrangler)})`,
    s3rver: version("s3rver"),
  };
}
