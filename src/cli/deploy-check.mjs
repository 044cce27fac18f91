#!/usr/bin/env node
// `npm run deploy:check [-- --config <file>] [-- --offline]`: refuses a configuration that would deploy
// placeholders (docs/deploy.md step 7). Reads wrangler.toml with wrangler's own reader and, when
// logged in (and not --offline), the account's secrets of the Worker. Prints one line per problem,
// each with what to do, and exits 1 if there is any; exits 0 with one line when all is set.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { unstable_readConfig } from "wrangler";
import { checkFileDomain } from "../file-domain.ts";

/** The secrets a deployment needs (docs/configuration.md). */
export const REQUIRED_SECRETS = ["ROOT_PUBLIC_KEY", "ROOT_PRIVATE_KEY", "TOKEN_SECRET"];

/** Settings that only make sense locally (docs/configuration.md): a deployment must not carry them. */
const DEVELOPMENT_ONLY = ["LIFECYCLE_DEBUG_DAY_SECONDS"];

/**
 * Does a Workers route pattern serve every path of `host`? `*.example.com/*` serves any subdomain,
 * `*example.com/*` the apex too; a Custom Domain (`custom_domain = true`) serves exactly its host.
 * @param {string | { pattern: string, custom_domain?: boolean }} route @param {string} host
 */
export function routeServes(route, host) {
  const pattern = typeof route === "string" ? route : route.pattern;
  const custom = typeof route !== "string" && route.custom_domain === true;
  const slash = pattern.indexOf("/");
  const routeHost = (slash < 0 ? pattern : pattern.slice(0, slash)).toLowerCase().replace(/^https?:\/\//, "");
  const path = slash < 0 ? "" : pattern.slice(slash);
  if (custom) return routeHost === host;
  if (path !== "/*" && path !== "*") return false;
  if (routeHost.startsWith("*.")) return host.endsWith(routeHost.slice(1));
  if (routeHost.startsWith("*")) return host === routeHost.slice(1) || host.endsWith("." + routeHost.slice(1));
  return routeHost === host;
}

/**
 * The problems of one wrangler.toml (and of the account's secrets when `secrets` is given).
 * @param {any} config wrangler's reading of the file
 * @param {string[] | null} secrets the names of the Worker's secrets, null when not read
 * @returns {string[]}
 */
export function configProblems(config, secrets) {
  const problems = [];
  const vars = /** @type {Record<string, unknown>} */ (config.vars ?? {});
  const text = (/** @type {string} */ name) => (typeof vars[name] === "string" ? String(vars[name]).trim() : "");

  const rawDomain = text("FILE_DOMAIN");
  const domain = checkFileDomain(rawDomain);
  if (domain.problem) problems.push(`FILE_DOMAIN: ${domain.problem}. Set it under [vars] in wrangler.toml.`);
  else if (rawDomain === "" || domain.domain === "localhost" || domain.domain.endsWith(".localhost")) {
    problems.push(`FILE_DOMAIN is "${rawDomain || "localhost"}", which only works locally: set your domain under [vars] (e.g. FILE_DOMAIN = "files.example.com"; docs/deploy.md step 2).`);
  }

  const databases = config.d1_databases ?? [];
  if (!databases.some((/** @type {any} */ d) => d.binding === "DB")) problems.push("no D1 database bound as DB: keep the [[d1_databases]] entry of wrangler.toml.");
  for (const db of databases) {
    // The shipped ids are zeros (DB) and zeros ending in the shard's number (INDEX_1, …).
    if (!db.database_id || /^[0-]+\d?$/.test(db.database_id)) {
      problems.push(
        `database_id of ${db.binding} is the all-zero placeholder: run \`npx wrangler d1 create ${db.database_name}\` and write the id it prints under its [[d1_databases]] entry (docs/deploy.md step 3).`,
      );
    }
  }

  for (const name of DEVELOPMENT_ONLY) {
    if (name in vars) problems.push(`${name} is a development setting (it shortens every lifecycle day to seconds): remove it from [vars] before deploying.`);
  }

  for (const name of REQUIRED_SECRETS) {
    if (name in vars) problems.push(`${name} is a plain [vars] value in wrangler.toml, readable by anyone with the file: remove it and run \`npx wrangler secret put ${name}\`.`);
  }

  if (!domain.problem && domain.domain !== "localhost" && !domain.domain.endsWith(".localhost")) {
    const fileDomain = domain.domain;
    const routes = [...(config.routes ?? []), ...(config.route ? [config.route] : [])];
    const s3Host = (text("S3_HOST") || fileDomain).toLowerCase().replace(/^\./, "");
    const consoleHost = (text("CONSOLE_HOST") || `console.${fileDomain}`).toLowerCase();
    const hosts = [
      [`bucket-name.${fileDomain}`, `the file hosts *.${fileDomain}`, `{ pattern = "*.${fileDomain}/*", zone_name = "<your zone>" }`],
      [s3Host, `the S3 host ${s3Host}`, `{ pattern = "${s3Host}", custom_domain = true }`],
      [consoleHost, `the console host ${consoleHost}`, `{ pattern = "${consoleHost}", custom_domain = true }`],
    ];
    for (const [host, what, example] of hosts) {
      if (!routes.some((r) => routeServes(r, host))) problems.push(`no route serves ${what}: add ${example} to routes in wrangler.toml (docs/deploy.md step 6).`);
    }
  }

  if (secrets) {
    for (const name of REQUIRED_SECRETS) {
      if (!secrets.includes(name)) problems.push(`the secret ${name} is not set: run \`npx wrangler secret put ${name}\` (docs/deploy.md step 5).`);
    }
  }
  return problems;
}

function wrangler(args) {
  const bin = join(dirname(createRequire(import.meta.url).resolve("wrangler/package.json")), "bin", "wrangler.js");
  return spawnSync(process.execPath, [bin, ...args], {
    encoding: "utf8",
    timeout: 60_000,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  });
}

/**
 * The names of the deployed Worker's secrets, or the reason they could not be read.
 * @param {string} configPath @returns {{ names: string[] } | { skipped: string } | { problem: string }}
 */
function accountSecrets(configPath) {
  const who = wrangler(["whoami"]);
  if (who.status !== 0 || /not authenticated/i.test(who.stdout + who.stderr)) {
    return { skipped: "not logged in to Cloudflare (npx wrangler login), so the Worker's secrets were not checked" };
  }
  const list = wrangler(["secret", "list", "--format", "json", "--config", configPath]);
  if (list.status !== 0) {
    const reason = (list.stderr || list.stdout).split("\n").find((l) => /\S/.test(l) && !/wrangler|─/.test(l)) ?? `exit ${list.status}`;
    if (/not found|does not exist|10007/i.test(list.stderr + list.stdout)) return { names: [] };
    return { problem: `the Worker's secrets could not be read: ${reason.trim()}` };
  }
  try {
    return { names: JSON.parse(list.stdout).map((/** @type {{ name: string }} */ s) => s.name) };
  } catch {
    return { problem: "the Worker's secrets could not be read: `wrangler secret list` answered no JSON" };
  }
}

function main() {
  const { values } = parseArgs({ options: { config: { type: "string", default: "wrangler.toml" }, offline: { type: "boolean", default: false } } });
  const config = unstable_readConfig({ config: values.config });
  const account = values.offline ? { skipped: "--offline: the Worker's secrets were not checked" } : accountSecrets(config.configPath ?? values.config);
  const problems = configProblems(config, "names" in account ? account.names : null);
  if ("problem" in account) problems.push(account.problem);
  for (const p of problems) console.error(`deploy:check: ${p}`);
  if ("skipped" in account) console.log(`deploy:check: note: ${account.skipped}.`);
  if (problems.length > 0) {
    console.error(`deploy:check: ${problems.length} problem(s) in ${values.config}: fix them before \`npx wrangler deploy\`.`);
    process.exit(1);
  }
  console.log(`deploy:check: ${values.config} is ready to deploy (npx wrangler deploy).`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
