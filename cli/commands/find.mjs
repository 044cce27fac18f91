// @ts-check
// find: objects under a prefix by name, size and age; prints them, or deletes them with --delete.
import { confirm } from "../lib/confirm.mjs";
import { parseDuration, positiveInt } from "../lib/context.mjs";
import { CliError, EXIT } from "../lib/errors.mjs";
import { emitJson, humanSize, say, shortTime, table } from "../lib/output.mjs";
import { folderPrefix, globMatcher, parseRemote, remoteUrl } from "../lib/paths.mjs";
import { deleteObjects } from "./objects.mjs";

/** @param {import("commander").Command} program @param {() => import("../lib/context.mjs").Context} context */
export function register(program, context) {
  program
    .command("find")
    .description("objects under a prefix that match every filter given; --delete removes them (after asking)")
    .argument("<location>", "ufile://<bucket>[/<prefix>]")
    .option("--name <glob>", "file name (or path below the prefix, if it has a /) matches: * ** ?")
    .option("--larger <size>", "larger than this: bytes, or 10k, 5M, 1G (KiB, MiB, GiB)")
    .option("--smaller <size>", "smaller than this")
    .option("--older <duration>", "modified longer ago than this: 90s, 10m, 2h, 7d, 1w")
    .option("--newer <duration>", "modified more recently than this")
    .option("-l, --long", "also time and size")
    .option("--delete", "delete every match (asks first, showing how many and their size)")
    .option("-y, --yes", "with --delete: do not ask")
    .option("-c, --concurrency <n>", "with --delete: parallel deletes", positiveInt("--concurrency"), 8)
    .addHelpText(
      "after",
      "\nExamples:\n  edgefile find ufile://logs --name '*.gz' --older 30d            # what would go\n" +
        "  edgefile find ufile://logs --name '*.gz' --older 30d --delete   # asks, then deletes\n" +
        "  edgefile find ufile://media/raw/ --larger 1G -l",
    )
    .action(async (location, opts) => {
      const at = parseRemote(location);
      const prefix = folderPrefix(at.key);
      const now = Math.floor(Date.now() / 1000);
      /** @type {((o: { key: string, size: number, modified: number }) => boolean)[]} */
      const tests = [];
      if (opts.name) {
        const match = globMatcher(opts.name);
        tests.push((o) => match(o.key.slice(prefix.length)));
      }
      if (opts.larger !== undefined) {
        const n = parseSize(opts.larger, "--larger");
        tests.push((o) => o.size > n);
      }
      if (opts.smaller !== undefined) {
        const n = parseSize(opts.smaller, "--smaller");
        tests.push((o) => o.size < n);
      }
      if (opts.older !== undefined) {
        const before = now - parseDuration(opts.older);
        tests.push((o) => o.modified < before);
      }
      if (opts.newer !== undefined) {
        const after = now - parseDuration(opts.newer);
        tests.push((o) => o.modified > after);
      }
      if (opts.yes && !opts.delete) throw new CliError("--yes only goes with --delete", EXIT.usage);

      const ctx = context();
      /** @type {{ key: string, size: number, modified: number }[]} */
      const found = [];
      for await (const page of ctx.data.list(at.bucket, { prefix })) {
        for (const o of page.objects) if (tests.every((t) => t(o))) found.push(o);
      }
      if (!opts.delete) {
        emitJson({ bucket: at.bucket, prefix, objects: found });
        if (opts.long && found.length) say(table(found.map((o) => [shortTime(o.modified), humanSize(o.size), remoteUrl(at.bucket, o.key)]), [1]));
        else for (const o of found) say(remoteUrl(at.bucket, o.key));
        return;
      }
      if (found.length > 0) await confirm(`delete ${found.length} objects (${humanSize(found.reduce((n, o) => n + o.size, 0))}) found under ${remoteUrl(at.bucket, prefix)}?`, Boolean(opts.yes));
      await deleteObjects(ctx, at.bucket, found, opts.concurrency);
    });
}

/** "1500", "10k", "5M", "1G", "2T" (powers of 1024) → bytes. @param {string} text @param {string} option */
export function parseSize(text, option) {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?$/i.exec(String(text).trim());
  if (!m) throw new CliError(`${option} ${text} is not a size (write 1500, 10k, 5M or 1G)`, EXIT.usage);
  const power = { "": 0, k: 1, m: 2, g: 3, t: 4 }[m[2].toLowerCase()] ?? 0;
  return Math.round(Number(m[1]) * 1024 ** power);
}
