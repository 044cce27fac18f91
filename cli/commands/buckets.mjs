// @ts-check
// mb, rb, and hosts (name resolution for runtimes that do not resolve *.localhost).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { CliError, EXIT } from "../lib/errors.mjs";
import { lookup } from "../lib/net.mjs";
import { emitJson, note, say, tell } from "../lib/output.mjs";
import { parseRemote } from "../lib/paths.mjs";
import { removeAll } from "./objects.mjs";

/** @param {import("commander").Command} program @param {() => import("../lib/context.mjs").Context} context */
export function register(program, context) {
  program
    .command("mb")
    .description("make a bucket")
    .argument("<bucket>", "ufile://<bucket>")
    .option("--type <type>", "public (anyone may read objects) or private", "private")
    .option("--region <region>", "region (default: the profile's, else the service's)")
    .action(async (location, opts) => {
      const ctx = context();
      const { bucket } = bucketOnly(location);
      if (!["public", "private"].includes(opts.type)) throw new CliError(`--type must be public or private, got ${opts.type}`, EXIT.usage);
      /** @type {Record<string, string>} */
      const params = { Action: "CreateBucket", BucketName: bucket, Type: opts.type };
      if (opts.region) params.Region = opts.region;
      const res = await ctx.control.call(params);
      emitJson(res);
      tell(`make bucket: ufile://${bucket} (${res.BucketId}, ${opts.type})`);
    });

  program
    .command("rb")
    .description("remove a bucket (it must be empty; --force deletes its objects first, after asking)")
    .argument("<bucket>", "ufile://<bucket>")
    .option("--force", "delete every object in the bucket first")
    .option("-y, --yes", "with --force: do not ask for confirmation")
    .action(async (location, opts) => {
      const ctx = context();
      const { bucket } = bucketOnly(location);
      if (opts.force) await removeAll(ctx, bucket, "", { yes: opts.yes, concurrency: 8, json: false });
      const res = await ctx.control.call({ Action: "DeleteBucket", BucketName: bucket });
      emitJson(res);
      tell(`remove bucket: ufile://${bucket}`);
    });

  program
    .command("hosts")
    .description("print (or with --apply, write) hosts-file lines for the file host of every bucket")
    .option("--apply", "write them into the hosts file, in a block marked '# edgefile' (replaced on each run)")
    .option("--file <path>", "the hosts file", "/etc/hosts")
    .addHelpText(
      "after",
      "\nNode, Python and other glibc programs do not resolve <bucket>.localhost. This prints one line per\n" +
        "bucket, mapping its file host to the address of the control endpoint. Run it again after mb.\n" +
        "Writing /etc/hosts needs root: sudo env \"PATH=$PATH\" npx edgefile hosts --apply",
    )
    .action(async (opts) => {
      const ctx = context();
      const buckets = await ctx.control.buckets();
      const endpoint = new URL(ctx.settings.url).hostname.replace(/^\[|\]$/g, "");
      /** @type {string} */
      const address = await new Promise((resolve, reject) => lookup(endpoint, {}, (e, a) => (e ? reject(e) : resolve(String(a)))));
      const hosts = [...new Set(buckets.flatMap((/** @type {any} */ b) => b.Domain?.Src ?? []).map((/** @type {string} */ h) => h.replace(/:\d+$/, "")))];
      const lines = hosts.map((h) => `${address} ${h}`);
      emitJson({ address, hosts });
      if (!opts.apply) {
        if (lines.length) say(lines.join("\n"));
        else note("no buckets yet: make one with edgefile mb ufile://<bucket>");
        return;
      }
      applyBlock(opts.file, lines);
      tell(`wrote ${lines.length} line(s) to ${opts.file}`);
    });
}

/** @param {string} location */
export function bucketOnly(location) {
  const at = parseRemote(location.includes("://") ? location : `ufile://${location}`);
  if (at.key.replace(/\/$/, "")) throw new CliError(`expected ufile://<bucket>, got ${location}`, EXIT.usage);
  return at;
}

const BEGIN = "# edgefile: bucket hosts (edgefile hosts --apply rewrites this block)";
const END = "# edgefile: end";

/** Replaces the CLI's block in a hosts file, leaving every other line as it was. @param {string} file @param {string[]} lines */
function applyBlock(file, lines) {
  const current = existsSync(file) ? readFileSync(file, "utf8") : "";
  const kept = current.replace(new RegExp(`\\n?${escape(BEGIN)}[\\s\\S]*?${escape(END)}\\n?`), "\n").replace(/\n*$/, "\n");
  const block = lines.length ? `${BEGIN}\n${lines.join("\n")}\n${END}\n` : "";
  try {
    writeFileSync(file, (kept.trim() ? kept : "") + block);
  } catch (e) {
    const code = /** @type {NodeJS.ErrnoException} */ (e).code;
    throw new CliError(`cannot write ${file}${code === "EACCES" || code === "EPERM" ? " (needs root: run it with sudo)" : `: ${code}`}`, EXIT.failed);
  }
}

/** @param {string} s */
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
