// @ts-check
// lifecycle|referer|cors ls|set|rm ufile://<bucket>: a bucket's rules (issue 22). Lifecycle through
// Create/Describe/Update/DeleteUFileLifeCycle, the referer rule through SetUFileReferer (read back
// from DescribeBucket), CORS through edgefile's SetUFileCORS (docs/protocol.md §3.6).
import { CliError, EXIT } from "../lib/errors.mjs";
import { emitJson, say, table, tell } from "../lib/output.mjs";
import { parseRemote } from "../lib/paths.mjs";
import { collect } from "./transfer.mjs";

/** @param {string} location */
function bucketOf(location) {
  const at = parseRemote(location.includes("://") ? location : `ufile://${location}`);
  if (at.key.replace(/\/$/, "")) throw new CliError(`expected ufile://<bucket>, got ${location}`, EXIT.usage);
  return at.bucket;
}

/** @param {string} name @returns {(text: string) => string} */
const days = (name) => (text) => {
  if (!/^\d+$/.test(text)) throw new CliError(`${name} takes a whole number of days (0 = off)`, EXIT.usage);
  return text;
};

/** @param {import("commander").Command} program @param {() => import("../lib/context.mjs").Context} context */
export function register(program, context) {
  /** @param {string} bucket */
  const describeBucket = async (bucket) => (await context().control.call({ Action: "DescribeBucket", BucketName: bucket })).DataSet?.[0] ?? {};

  // ── lifecycle ──
  const lifecycle = program.command("lifecycle").description("lifecycle rules: delete or move objects N days after their last update (ls, set, rm)");
  lifecycle
    .command("ls")
    .description("list a bucket's lifecycle rules")
    .argument("<bucket>", "ufile://<bucket>")
    .action(async (location) => {
      const bucket = bucketOf(location);
      const rules = (await context().control.call({ Action: "DescribeUFileLifeCycle", BucketName: bucket })).DateSet ?? [];
      emitJson(rules);
      const rows = rules.map((/** @type {any} */ r) => [r.LifeCycleId, r.LifeCycleName, r.Prefix, r.Status, String(r.IADays), String(r.ArchivalDays), String(r.Days)]);
      if (rows.length) say(table([["ID", "NAME", "PREFIX", "STATUS", "IA DAYS", "ARCHIVE DAYS", "DELETE DAYS"], ...rows]));
      else tell(`no lifecycle rules on ufile://${bucket}`);
    });
  lifecycle
    .command("set")
    .description("add a rule, or change one with --id (days: 0 = off, else 7 to 36500)")
    .argument("<bucket>", "ufile://<bucket>")
    .requiredOption("--prefix <prefix>", "keys it applies to (* = the whole bucket)")
    .option("--name <name>", "rule name (default: the prefix)")
    .option("--id <id>", "change this rule instead of adding one")
    .option("--delete-days <n>", "delete objects N days after their last update", days("--delete-days"), "0")
    .option("--ia-days <n>", "move them to IA after N days", days("--ia-days"), "0")
    .option("--archive-days <n>", "move them to ARCHIVE after N days", days("--archive-days"), "0")
    .option("--disabled", "keep the rule but do not apply it")
    .action(async (location, opts) => {
      const bucket = bucketOf(location);
      /** @type {Record<string, string>} */
      const params = {
        BucketName: bucket,
        LifeCycleName: opts.name ?? opts.prefix,
        Prefix: opts.prefix,
        Status: opts.disabled ? "Disabled" : "Enabled",
        Days: opts.deleteDays,
        IADays: opts.iaDays,
        ArchivalDays: opts.archiveDays,
      };
      const res = opts.id
        ? await context().control.call({ Action: "UpdateUFileLifeCycle", LifeCycleId: opts.id, ...params })
        : await context().control.call({ Action: "CreateUFileLifeCycle", ...params });
      const id = opts.id ?? res.LifeCycleId;
      emitJson({ LifeCycleId: id });
      tell(`${opts.id ? "changed" : "added"} lifecycle rule ${id} on ufile://${bucket}`);
    });
  lifecycle
    .command("rm")
    .description("remove lifecycle rules by id")
    .argument("<bucket>", "ufile://<bucket>")
    .argument("<id...>", "rule ids (see lifecycle ls)")
    .action(async (location, ids) => {
      const bucket = bucketOf(location);
      for (const id of ids) {
        await context().control.call({ Action: "DeleteUFileLifeCycle", BucketName: bucket, LifeCycleId: id });
        tell(`removed lifecycle rule ${id}`);
      }
      emitJson({ deleted: ids });
    });

  // ── referer ──
  const referer = program.command("referer").description("referer rule: which sites may embed the bucket's files (ls, set, rm)");
  referer
    .command("ls")
    .description("show a bucket's referer rule")
    .argument("<bucket>", "ufile://<bucket>")
    .action(async (location) => {
      const bucket = bucketOf(location);
      const rule = (await describeBucket(bucket)).Referer ?? { RefererStatus: "off" };
      emitJson(rule);
      if (rule.RefererStatus !== "on") return void tell(`no referer rule on ufile://${bucket}`);
      say(table([["TYPE", rule.RefererType === 1 ? "blacklist" : "whitelist"], ["EMPTY REFERER", rule.RefererAllowNull ? "allowed" : "refused"], ...rule.Referers.map((/** @type {string} */ r) => ["REFERER", r])]));
    });
  referer
    .command("set")
    .description("set the rule; it binds anonymous and presigned reads, never signed requests")
    .argument("<bucket>", "ufile://<bucket>")
    .requiredOption("--type <type>", "whitelist (only matching referers) or blacklist (matching referers refused)")
    .requiredOption("--referer <regexp>", "a regular expression matched in the Referer header (repeatable)", collect, [])
    .option("--refuse-empty", "refuse requests without a Referer")
    .action(async (location, opts) => {
      const bucket = bucketOf(location);
      const type = { blacklist: "1", whitelist: "2" }[/** @type {"blacklist" | "whitelist"} */ (opts.type)];
      if (!type) throw new CliError("--type is whitelist or blacklist", EXIT.usage);
      /** @type {Record<string, string>} */
      const params = { Action: "SetUFileReferer", BucketName: bucket, RefererStatus: "on", RefererType: type, RefererAllowNull: opts.refuseEmpty ? "false" : "true" };
      opts.referer.forEach((/** @type {string} */ r, /** @type {number} */ i) => (params[`Referers.${i}`] = r));
      emitJson(await context().control.call(params));
      tell(`set the referer ${opts.type} of ufile://${bucket}`);
    });
  referer
    .command("rm")
    .description("remove the referer rule")
    .argument("<bucket>", "ufile://<bucket>")
    .action(async (location) => {
      const bucket = bucketOf(location);
      emitJson(await context().control.call({ Action: "SetUFileReferer", BucketName: bucket, RefererStatus: "off" }));
      tell(`removed the referer rule of ufile://${bucket}`);
    });

  // ── cors ──
  const cors = program.command("cors").description("CORS rules: which web origins may call the bucket from a browser (ls, set, rm)");
  cors
    .command("ls")
    .description("list a bucket's CORS rules (none: every origin is allowed)")
    .argument("<bucket>", "ufile://<bucket>")
    .action(async (location) => {
      const bucket = bucketOf(location);
      const rules = (await describeBucket(bucket)).CORSRules ?? [];
      emitJson(rules);
      const rows = rules.map((/** @type {any} */ r) => [r.ID || "-", r.AllowedOrigins.join(","), r.AllowedMethods.join(","), r.AllowedHeaders.join(",") || "-", r.ExposeHeaders.join(",") || "-", String(r.MaxAgeSeconds ?? "-")]);
      if (rows.length) say(table([["ID", "ORIGINS", "METHODS", "HEADERS", "EXPOSE", "MAX AGE"], ...rows]));
      else tell(`no CORS rules on ufile://${bucket}: every origin is allowed`);
    });
  cors
    .command("set")
    .description("replace the CORS rules with one rule (or with --file, a JSON array of S3-shaped rules)")
    .argument("<bucket>", "ufile://<bucket>")
    .option("--origin <origin>", "allowed origin, one * allowed (repeatable)", collect, [])
    .option("--method <method>", "allowed method: GET PUT POST DELETE HEAD (repeatable)", collect, [])
    .option("--header <name>", "allowed request header, one * allowed (repeatable)", collect, [])
    .option("--expose <name>", "response header scripts may read (repeatable)", collect, [])
    .option("--max-age <seconds>", "how long a browser may cache the preflight")
    .option("--file <path>", "a JSON file: [{AllowedOrigins, AllowedMethods, AllowedHeaders, ExposeHeaders, MaxAgeSeconds, ID}]")
    .action(async (location, opts) => {
      const bucket = bucketOf(location);
      let rules;
      if (opts.file) {
        const { readFile } = await import("node:fs/promises");
        rules = JSON.parse(await readFile(opts.file, "utf8"));
      } else {
        if (opts.origin.length === 0 || opts.method.length === 0) throw new CliError("give at least one --origin and one --method (or --file)", EXIT.usage);
        rules = [{ AllowedOrigins: opts.origin, AllowedMethods: opts.method, AllowedHeaders: opts.header, ExposeHeaders: opts.expose, ...(opts.maxAge ? { MaxAgeSeconds: Number(opts.maxAge) } : {}) }];
      }
      emitJson(await context().control.call({ Action: "SetUFileCORS", BucketName: bucket, CORSRules: JSON.stringify(rules) }));
      tell(`set ${rules.length} CORS rule(s) on ufile://${bucket}`);
    });
  cors
    .command("rm")
    .description("remove the CORS rules (every origin is allowed again)")
    .argument("<bucket>", "ufile://<bucket>")
    .action(async (location) => {
      const bucket = bucketOf(location);
      emitJson(await context().control.call({ Action: "SetUFileCORS", BucketName: bucket, CORSRules: "[]" }));
      tell(`removed the CORS rules of ufile://${bucket}`);
    });
}
