// @ts-check
// Where the CLI's endpoint and keys come from, highest first:
//   1. --url / --file-url on the command line;
//   2. with an explicit --profile: that profile of the config file;
//   3. the environment: EDGEFILE_URL, EDGEFILE_FILE_URL, EDGEFILE_PUBLIC_KEY, EDGEFILE_PRIVATE_KEY;
//   4. the profile named by EDGEFILE_PROFILE, else "default", if the config file has it;
//   5. locally (a loopback URL, default http://localhost:8787): the development keys of .dev.vars,
//      else .dev.vars.example, in the current directory or this package.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CliError, EXIT } from "./errors.mjs";

export const DEFAULT_URL = "http://localhost:8787";
/** The settings a profile may hold; `edgefile config set` accepts exactly these. */
export const PROFILE_FIELDS = ["url", "fileUrl", "publicKey", "privateKey", "region", "projectId"];
const ENV = { url: "EDGEFILE_URL", fileUrl: "EDGEFILE_FILE_URL", publicKey: "EDGEFILE_PUBLIC_KEY", privateKey: "EDGEFILE_PRIVATE_KEY" };

/**
 * @typedef {{ url: string, fileUrl?: string, publicKey: string, privateKey: string, region?: string, projectId?: string,
 *             sources: Record<string, string> }} Settings
 */

export function configPath() {
  if (process.env.EDGEFILE_CONFIG) return process.env.EDGEFILE_CONFIG;
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "edgefile", "config.json");
}

/** @returns {{ profiles: Record<string, Record<string, string>> }} */
export function readConfigFile() {
  const file = configPath();
  if (!existsSync(file)) return { profiles: {} };
  try {
    const data = JSON.parse(readFileSync(file, "utf8"));
    return { profiles: data?.profiles ?? {} };
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${/** @type {Error} */ (e).message}`, EXIT.usage);
  }
}

/** @param {{ profiles: Record<string, Record<string, string>> }} data */
export function writeConfigFile(data) {
  const file = configPath();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(data, null, 2) + "\n", { mode: 0o600 }); // it holds private keys
}

/**
 * @param {{ profile?: string, url?: string, fileUrl?: string }} options the global command-line options
 * @returns {Settings}
 */
export function resolveSettings(options) {
  const { profiles } = readConfigFile();
  const explicit = options.profile;
  const profileName = explicit ?? process.env.EDGEFILE_PROFILE ?? "default";
  const profile = profiles[profileName];
  if (explicit && !profile) {
    throw new CliError(`no profile "${explicit}" in ${configPath()} (create it with: edgefile config set --profile ${explicit} url <url>)`, EXIT.usage);
  }
  /** @type {Record<string, string>} */
  const values = {};
  /** @type {Record<string, string>} */
  const sources = {};
  /** @param {string} field @param {string | undefined} value @param {string} source */
  const offer = (field, value, source) => {
    if (value && !(field in values)) {
      values[field] = value;
      sources[field] = source;
    }
  };
  /**
   * A key pair comes from one place: a public key without its private key (or the reverse) is a
   * configuration error, never completed from a lower source (it would sign with another key).
   * @param {string | undefined} pub @param {string | undefined} priv @param {[string, string]} source of each
   * @param {string} pubName @param {string} privName how the two settings are named there
   */
  const offerPair = (pub, priv, source, pubName, privName) => {
    if ("publicKey" in values) return;
    if (pub && !priv) throw new CliError(`${pubName} is set but ${privName} is not: set both (a public key signs nothing without its private key)`, EXIT.usage);
    if (priv && !pub) throw new CliError(`${privName} is set but ${pubName} is not: set both`, EXIT.usage);
    offer("publicKey", pub, source[0]);
    offer("privateKey", priv, source[1]);
  };
  offer("url", options.url, "--url");
  offer("fileUrl", options.fileUrl, "--file-url");
  const fromProfile = () => {
    for (const f of PROFILE_FIELDS) if (f !== "publicKey" && f !== "privateKey") offer(f, profile?.[f], `profile ${profileName}`);
    const where = `profile ${profileName} of ${configPath()}`;
    offerPair(profile?.publicKey, profile?.privateKey, [`profile ${profileName}`, `profile ${profileName}`], `publicKey of ${where}`, "its privateKey (edgefile config set privateKey …)");
  };
  if (explicit) fromProfile();
  offer("url", process.env[ENV.url], ENV.url);
  offer("fileUrl", process.env[ENV.fileUrl], ENV.fileUrl);
  const [pubEnv, privEnv] = [ENV.publicKey, ENV.privateKey];
  offerPair(process.env[pubEnv], process.env[privEnv], [pubEnv, privEnv], pubEnv, privEnv);
  fromProfile();
  offer("url", DEFAULT_URL, "default");
  values.url = values.url.replace(/\/+$/, "");
  if (isLoopback(values.url)) {
    const dev = devKeys();
    offer("publicKey", dev?.vars.ROOT_PUBLIC_KEY, dev?.file ?? "");
    offer("privateKey", dev?.vars.ROOT_PRIVATE_KEY, dev?.file ?? "");
  }
  return { ...values, url: values.url, publicKey: values.publicKey ?? "", privateKey: values.privateKey ?? "", sources };
}

/** Fails with a clear message when no key pair is known. @param {Settings} s */
export function requireKeys(s) {
  if (!s.publicKey || !s.privateKey) {
    throw new CliError(
      `no key pair for ${s.url}: set EDGEFILE_PUBLIC_KEY and EDGEFILE_PRIVATE_KEY, or a profile (edgefile config set publicKey …)`,
      EXIT.usage,
    );
  }
}

/** @param {string} url */
export function isLoopback(url) {
  try {
    const host = new URL(url).hostname;
    return host === "localhost" || host.endsWith(".localhost") || /^127\./.test(host) || host === "[::1]";
  } catch {
    throw new CliError(`not a URL: ${url}`, EXIT.usage);
  }
}

/** The development keys `npm start` uses: .dev.vars, else .dev.vars.example, here or in this package. */
export function devKeys() {
  const packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
  for (const dir of [process.cwd(), packageRoot]) {
    for (const name of [".dev.vars", ".dev.vars.example"]) {
      const file = join(dir, name);
      if (existsSync(file)) return { file, vars: parseVars(readFileSync(file, "utf8")) };
    }
  }
  return null;
}

/** KEY="value" lines, as wrangler reads .dev.vars. @param {string} text */
function parseVars(text) {
  /** @type {Record<string, string>} */
  const vars = {};
  for (const line of text.split("\n")) {
    const m = /^\s*([A-Za-z0-9_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}
