#!/usr/bin/env node
// @ts-check
// edgefile: a command-line client for UFile-compatible object storage (edgefile locally or deployed,
// or the UFile service itself). Only the public API goes over the wire. docs/cli.md.
import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { makeContext, positiveInt } from "./lib/context.mjs";
import { CliError, EXIT, EXIT_HELP } from "./lib/errors.mjs";
import { netSettings } from "./lib/net.mjs";
import { output } from "./lib/output.mjs";
import * as admin from "./commands/admin.mjs";
import * as buckets from "./commands/buckets.mjs";
import * as call from "./commands/call.mjs";
import * as config from "./commands/config.mjs";
import * as du from "./commands/du.mjs";
import * as find from "./commands/find.mjs";
import * as mirror from "./commands/mirror.mjs";
import * as objects from "./commands/objects.mjs";
import * as presign from "./commands/presign.mjs";
import * as rules from "./commands/rules.mjs";
import * as tokens from "./commands/tokens.mjs";
import * as transfer from "./commands/transfer.mjs";
import * as usage from "./commands/usage.mjs";

/** Command families, in the order `edgefile --help` lists them. */
const COMMANDS = [transfer, mirror, objects, du, find, presign, buckets, rules, tokens, usage, admin, call, config];

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

const program = new Command("edgefile")
  .version(`edgefile ${version}`, "-v, --version", "print the version")
  .description("Command line for UFile-compatible object storage: edgefile (local or deployed) or UFile itself.\nRemote paths are ufile://<bucket>/<key>.")
  .option("--profile <name>", "profile of the config file (see: edgefile config --help)")
  .option("--url <url>", "control-plane URL (default: $EDGEFILE_URL, the profile, else http://localhost:8787)")
  .option("--file-url <url>", "data-plane URL: template with {bucket}, or the domain buckets are under ($EDGEFILE_FILE_URL)")
  .option("--json", "machine-readable output: one JSON document on stdout")
  .option("-q, --quiet", "no per-file lines and no progress bar")
  .option("--debug", "log every HTTP request on stderr (signatures left out)")
  .addOption(new Option("--retries <n>", "retries on network errors and 5xx, with backoff").argParser(positiveIntOrZero).default(3))
  .showHelpAfterError("(edgefile <command> --help for usage)")
  .addHelpText("after", `\nEnvironment: EDGEFILE_URL, EDGEFILE_FILE_URL, EDGEFILE_PUBLIC_KEY, EDGEFILE_PRIVATE_KEY, EDGEFILE_PROFILE,\nEDGEFILE_CONFIG (config file), EDGEFILE_STATE_DIR (resume state of interrupted uploads).\n\n${EXIT_HELP}`)
  .exitOverride();

program.hook("preAction", () => {
  const o = program.opts();
  output.json = Boolean(o.json);
  output.quiet = Boolean(o.quiet);
  output.progress = !o.debug; // --debug's lines would tear the bar apart
  netSettings.debug = Boolean(o.debug);
  netSettings.retries = o.retries;
});

/** @type {import("./lib/context.mjs").Context | undefined} */
let ctx;
const context = () => (ctx ??= makeContext(program.opts()));
for (const family of COMMANDS) family.register(program, context);
// Every subcommand reports usage errors through the same exit path.
const exitOverride = (/** @type {Command} */ cmd) => cmd.commands.forEach((c) => exitOverride(c.exitOverride()));
exitOverride(program);

/** @param {string} text */
function positiveIntOrZero(text) {
  return text === "0" ? 0 : positiveInt("--retries")(text);
}

process.on("SIGINT", () => {
  process.stderr.write("\nedgefile: interrupted (an interrupted upload resumes when you run the same command again)\n");
  process.exit(EXIT.interrupted);
});

try {
  // A bare `edgefile` prints the help (commands and options), and succeeds.
  if (process.argv.length <= 2) program.outputHelp();
  else await program.parseAsync(process.argv);
  process.exitCode = 0;
} catch (error) {
  process.exitCode = exitCodeFor(error);
}

/** Prints one line for a failure and picks the exit code. @param {unknown} error */
function exitCodeFor(error) {
  if (error instanceof CommanderError) {
    // Commander has printed the help or the usage error already.
    return error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (error instanceof CliError) {
    if (!error.reported) process.stderr.write(`edgefile: ${error.message}\n`);
    return error.exitCode;
  }
  const e = /** @type {Error} */ (error);
  if (/** @type {NodeJS.ErrnoException} */ (e).code === "EPIPE") return EXIT.ok; // stdout closed early (| head)
  process.stderr.write(`edgefile: ${e?.message ?? e}\n`);
  if (netSettings.debug) process.stderr.write(`${e?.stack}\n`);
  return EXIT.failed;
}
