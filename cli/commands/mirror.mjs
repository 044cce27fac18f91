// @ts-check
// mirror: make a prefix hold exactly a local folder's files (new and changed files uploaded, files
// the folder no longer has deleted), once or, with --watch, again after every change.
import { existsSync, statSync, watch } from "node:fs";
import { join, sep } from "node:path";
import { positiveInt } from "../lib/context.mjs";
import { CliError, EXIT } from "../lib/errors.mjs";
import { note } from "../lib/output.mjs";
import { folderPrefix, globMatcher, parseLocation, parseRemote, remoteUrl } from "../lib/paths.mjs";
import { collect, run, sync } from "./transfer.mjs";

/** @param {import("commander").Command} program @param {() => import("../lib/context.mjs").Context} context */
export function register(program, context) {
  program
    .command("mirror")
    .description("make ufile://<bucket>/<prefix> hold exactly a local folder's files; --watch keeps it so as files change")
    .argument("<folder>", "local folder")
    .argument("<destination>", "ufile://<bucket>/<prefix>")
    .option("--watch", "after the first pass, upload and delete as files change, until Ctrl-C")
    .option("--exclude <glob>", "skip matching paths (relative to the folder; repeatable; * ** ?)", collect, [])
    .option("--settle <ms>", "with --watch: wait this long after the last change before sending", positiveInt("--settle"), 500)
    .option("-c, --concurrency <n>", "parallel requests", positiveInt("--concurrency"), 4)
    .addHelpText("after", "\nExamples:\n  edgefile mirror ./site ufile://www/            # once\n  edgefile mirror ./site ufile://www/ --watch    # and on every change")
    .action(async (folder, destination, opts) => {
      const from = parseLocation(folder);
      if (from.kind !== "local" || !existsSync(from.path) || !statSync(from.path).isDirectory()) {
        throw new CliError(`${folder} is not a local folder (mirror sends a folder to ufile://<bucket>/<prefix>)`, EXIT.usage);
      }
      const to = parseRemote(destination);
      const ctx = context();
      ctx.concurrency = opts.concurrency;
      const syncOptions = { delete: true, dryRun: false, exclude: opts.exclude };
      await sync(ctx, from, to, syncOptions);
      if (opts.watch) await watchFolder(ctx, from.path, to, opts, () => sync(ctx, from, to, syncOptions));
    });
}

/**
 * Sends each change of `dir` (after `settle` ms without another): a file that exists is uploaded,
 * a path that is gone is deleted under the prefix (a folder with everything below it). A change
 * the watcher cannot name, or a new folder, runs a whole mirror pass. Never returns.
 * @param {import("../lib/context.mjs").Context} ctx @param {string} dir
 * @param {{ bucket: string, key: string }} to @param {{ exclude: string[], settle: number }} opts
 * @param {() => Promise<void>} fullPass
 */
async function watchFolder(ctx, dir, to, opts, fullPass) {
  const prefix = folderPrefix(to.key);
  const excluded = opts.exclude.map(globMatcher);
  /** @type {Set<string>} */
  let changed = new Set();
  let everything = false;
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  let running = Promise.resolve();

  const flush = async () => {
    const rels = [...changed];
    const all = everything;
    changed = new Set();
    everything = false;
    try {
      if (all) return await fullPass();
      /** @type {import("./transfer.mjs").Transfer[]} */
      const transfers = [];
      /** @type {import("../lib/paths.mjs").Location[]} */
      const deletes = [];
      for (const rel of rels) {
        const path = join(dir, ...rel.split("/"));
        if (existsSync(path)) {
          const info = statSync(path);
          if (info.isDirectory()) return await fullPass();
          if (info.isFile()) transfers.push({ from: { kind: "local", path }, to: { kind: "remote", bucket: to.bucket, key: prefix + rel }, size: info.size });
          continue;
        }
        // Gone: the object of that name, and everything under it if it was a folder.
        for await (const page of ctx.data.list(to.bucket, { prefix: prefix + rel })) {
          for (const o of page.objects) {
            if (o.key === prefix + rel || o.key.startsWith(prefix + rel + "/")) deletes.push({ kind: "remote", bucket: to.bucket, key: o.key });
          }
        }
      }
      if (transfers.length + deletes.length > 0) await run(ctx, transfers, { move: false, deletes });
    } catch (error) {
      // One failed pass does not end the watch: the next change (or Ctrl-C) follows. A batch's failures have their lines already.
      if (!(error instanceof CliError && error.reported)) note(`edgefile: ${error instanceof Error ? error.message : error}`);
    }
  };

  const watcher = watch(dir, { recursive: true }, (_event, name) => {
    if (name === null) everything = true;
    else {
      const rel = String(name).split(sep).join("/");
      if (rel.endsWith(".edgefile-partial") || excluded.some((m) => m(rel))) return;
      changed.add(rel);
    }
    clearTimeout(timer);
    timer = setTimeout(() => (running = running.then(flush)), opts.settle);
  });
  note(`watching ${dir} for changes; ${remoteUrl(to.bucket, prefix)} follows them (Ctrl-C to stop)`);
  await new Promise((_resolve, reject) => watcher.on("error", (e) => reject(new CliError(`watching ${dir} failed: ${e.message}`, EXIT.failed))));
}
