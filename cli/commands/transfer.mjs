// @ts-check
// cp, mv and sync: expand the arguments into single transfers, run them `--concurrency` at a time
// with one progress bar, report each, and fail (exit code of the first failure) if any failed.
import { existsSync, readdirSync, statSync, unlinkSync } from "node:fs";
import { basename, join, relative, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { CliError, EXIT, noSuchObject } from "../lib/errors.mjs";
import { fileEtag, sameEtag } from "../lib/etag.mjs";
import { mimeType } from "../lib/mime.mjs";
import { Progress, emitJson, humanSize, note, say, tell } from "../lib/output.mjs";
import { folderPrefix, globMatcher, parseLocation, remoteUrl } from "../lib/paths.mjs";
import { downloadFile, uploadFile, uploadStream } from "../lib/transfer.mjs";
import { positiveInt } from "../lib/context.mjs";

/**
 * @typedef {import("../lib/paths.mjs").Location} Location
 * @typedef {{ from: Location, to: Location, size: number, etag?: string }} Transfer
 * @typedef {{ rel: string, size: number, etag?: string, location: Location }} Entry
 */

/** @param {import("commander").Command} program @param {(o?: any) => import("../lib/context.mjs").Context} context */
export function register(program, context) {
  const transferOptions = (/** @type {import("commander").Command} */ cmd) =>
    cmd
      .option("-c, --concurrency <n>", "parallel requests (files, and parts of one large file)", positiveInt("--concurrency"), 4)
      .option("--content-type <type>", "Content-Type of uploads (default: from the file name)")
      .option("--no-hit", "do not try 秒传 (UploadHit) before uploading");

  transferOptions(
    program
      .command("cp")
      .description("copy files: local -> ufile://, ufile:// -> local, ufile:// -> ufile://; '-' is stdin/stdout")
      .argument("<source>", "local path, ufile://<bucket>/<key> or -")
      .argument("<destination>", "local path, ufile://<bucket>/<key> or - (a trailing / means: into this folder)")
      .option("-r, --recursive", "copy a folder or every object under a prefix"),
  ).action(async (source, destination, opts) => {
    const ctx = setup(context(), opts);
    const transfers = await expand(ctx, parseLocation(source), parseLocation(destination), Boolean(opts.recursive));
    await run(ctx, transfers, { move: false, contentType: opts.contentType });
  });

  transferOptions(
    program
      .command("mv")
      .description("move files: like cp, then delete each source once its copy is complete (a rename within a bucket)")
      .argument("<source>")
      .argument("<destination>")
      .option("-r, --recursive", "move a folder or every object under a prefix"),
  ).action(async (source, destination, opts) => {
    const ctx = setup(context(), opts);
    const from = parseLocation(source);
    if (from.kind === "stdio") throw new CliError("mv cannot move stdin; use cp", EXIT.usage);
    const transfers = await expand(ctx, from, parseLocation(destination), Boolean(opts.recursive));
    await run(ctx, transfers, { move: true, contentType: opts.contentType });
  });

  transferOptions(
    program
      .command("sync")
      .description("make the destination hold the source's files: sends only new files and files whose size or ETag differ")
      .argument("<source>", "local folder or ufile://<bucket>/<prefix>")
      .argument("<destination>", "local folder or ufile://<bucket>/<prefix>")
      .option("--delete", "also delete destination files that the source does not have")
      .option("--dry-run", "print what would be done, change nothing")
      .option("--exclude <glob>", "skip matching paths (relative to the folder or prefix; repeatable; * ** ?)", collect, []),
  ).action(async (source, destination, opts) => {
    const ctx = setup(context(), opts);
    await sync(ctx, parseLocation(source), parseLocation(destination), opts);
  });
}

/** @param {string} value @param {string[]} previous */
export const collect = (value, previous) => [...previous, value];

/** @param {import("../lib/context.mjs").Context} ctx @param {{ concurrency: number, hit: boolean }} opts */
function setup(ctx, opts) {
  ctx.concurrency = opts.concurrency;
  ctx.hit = opts.hit;
  return ctx;
}

/**
 * Turns the command's two arguments into single transfers.
 * @param {import("../lib/context.mjs").Context} ctx @param {Location} from @param {Location} to @param {boolean} recursive
 * @returns {Promise<Transfer[]>}
 */
async function expand(ctx, from, to, recursive) {
  if (from.kind !== "remote" && to.kind !== "remote") throw new CliError("one side must be ufile://<bucket>/<key>", EXIT.usage);
  if (recursive) {
    if (from.kind === "stdio" || to.kind === "stdio") throw new CliError("-r cannot read from or write to '-'", EXIT.usage);
    const entries = await tree(ctx, from);
    return entries.map((e) => ({ from: e.location, to: under(to, e.rel), size: e.size, etag: e.etag }));
  }
  if (from.kind === "local") {
    if (!existsSync(from.path)) throw new CliError(`${from.path}: no such file`, EXIT.failed);
    const info = statSync(from.path);
    if (info.isDirectory()) throw new CliError(`${from.path} is a folder (use -r)`, EXIT.usage);
    return [{ from, to: intoFolder(to, basename(from.path)), size: info.size }];
  }
  if (from.kind === "stdio") {
    if (to.kind !== "remote" || !to.key || to.key.endsWith("/")) throw new CliError("uploading stdin needs a full key: ufile://<bucket>/<key>", EXIT.usage);
    return [{ from, to, size: 0 }];
  }
  if (!from.key || from.key.endsWith("/")) throw new CliError(`${remoteUrl(from.bucket, from.key)} names a prefix (use -r)`, EXIT.usage);
  const head = await ctx.data.head(from.bucket, from.key);
  if (!head) throw noSuchObject(remoteUrl(from.bucket, from.key));
  return [{ from, to: intoFolder(to, basename(from.key)), size: head.size, etag: head.etag }];
}

/**
 * The destination of a single file: a trailing "/" or an existing folder means "into it".
 * @param {Location} to @param {string} name @returns {Location}
 */
function intoFolder(to, name) {
  if (to.kind === "remote") return to.key === "" || to.key.endsWith("/") ? { ...to, key: to.key + name } : to;
  if (to.kind === "local" && (to.path.endsWith("/") || to.path.endsWith(sep) || (existsSync(to.path) && statSync(to.path).isDirectory()))) {
    return { kind: "local", path: join(to.path, name) };
  }
  return to;
}

/** The destination of a tree entry. @param {Location} to @param {string} rel @returns {Location} */
function under(to, rel) {
  if (to.kind === "remote") return { ...to, key: folderPrefix(to.key) + rel };
  if (to.kind === "local") return { kind: "local", path: join(to.path, ...rel.split("/")) };
  return to;
}

/**
 * Every file under a local folder or a remote prefix, with paths relative to it ("/"-separated).
 * @param {import("../lib/context.mjs").Context} ctx @param {Location} at
 * @returns {Promise<Entry[]>}
 */
async function tree(ctx, at) {
  if (at.kind === "local") {
    if (!existsSync(at.path)) return [];
    if (!statSync(at.path).isDirectory()) throw new CliError(`${at.path} is not a folder`, EXIT.usage);
    const entries = [];
    for (const d of readdirSync(at.path, { recursive: true, withFileTypes: true })) {
      if (!d.isFile() || d.name.endsWith(".edgefile-partial")) continue;
      const path = join(d.parentPath, d.name);
      const rel = relative(at.path, path).split(sep).join("/");
      entries.push({ rel, size: statSync(path).size, location: /** @type {Location} */ ({ kind: "local", path }) });
    }
    return entries.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  }
  if (at.kind !== "remote") throw new CliError("expected a folder or ufile://<bucket>/<prefix>", EXIT.usage);
  const prefix = folderPrefix(at.key);
  const entries = [];
  for await (const page of ctx.data.list(at.bucket, { prefix })) {
    for (const o of page.objects) {
      if (o.key.endsWith("/")) continue; // a "folder" marker object holds no file
      entries.push({ rel: o.key.slice(prefix.length), size: o.size, etag: o.etag, location: /** @type {Location} */ ({ kind: "remote", bucket: at.bucket, key: o.key }) });
    }
  }
  return entries;
}

/** @param {Location} l */
const show = (l) => (l.kind === "remote" ? remoteUrl(l.bucket, l.key) : l.kind === "local" ? l.path : "-");

/**
 * Runs transfers `ctx.concurrency` at a time; a failed one does not stop the others.
 * @param {import("../lib/context.mjs").Context} ctx @param {Transfer[]} transfers
 * @param {{ move: boolean, contentType?: string, deletes?: Location[], unchanged?: number }} opts
 */
export async function run(ctx, transfers, opts) {
  const started = Date.now();
  const total = transfers.reduce((n, t) => n + t.size, 0);
  const progress = new Progress(total, transfers.length === 1 ? show(transfers[0].from) : `${transfers.length} files`);
  /** @type {any[]} */
  const done = [];
  /** @type {{ what: string, error: any }[]} */
  const failures = [];
  const queue = [...transfers];
  // Parts of one large file already go up `concurrency` at a time; files run side by side too.
  const workers = Array.from({ length: Math.min(ctx.concurrency, queue.length) }, async () => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      try {
        const result = await transferOne(ctx, t, opts, progress);
        done.push(result);
        if (transfers.length > 1 || result.how !== "stdout") tell(describe(result));
      } catch (error) {
        failures.push({ what: show(t.from), error });
      }
    }
  });
  await Promise.all(workers);
  const deleted = [];
  for (const loc of opts.deletes ?? []) {
    try {
      await removeLocation(ctx, loc);
      deleted.push(show(loc));
      tell(`delete: ${show(loc)}`);
    } catch (error) {
      failures.push({ what: show(loc), error });
    }
  }
  progress.stop();
  if (transfers.length + (opts.deletes?.length ?? 0) > 1 || opts.unchanged !== undefined) {
    say(summary(done, deleted.length, opts.unchanged, failures.length, Date.now() - started));
  }
  // Bytes sent to stdout are the output: nothing else may be printed there.
  if (!transfers.some((t) => t.to.kind === "stdio")) emitJson({ transferred: done, deleted, unchanged: opts.unchanged ?? 0, failed: failures.map((f) => ({ path: f.what, error: f.error.message })) });
  if (failures.length > 0) {
    if (failures.length === 1 && transfers.length + deleted.length <= 1) throw failures[0].error;
    for (const f of failures) note(`edgefile: ${f.error.message}`);
    const first = failures[0].error;
    // The summary line (or the JSON document) has counted the failures, and each has its line: no further one.
    throw new CliError(`${failures.length} of ${transfers.length + (opts.deletes?.length ?? 0)} operations failed`, first instanceof CliError ? first.exitCode : EXIT.failed, { reported: true });
  }
}

/**
 * The one line after a batch: what was done, by verb, then bytes, time and rate, e.g.
 * "85 uploaded, 2 deleted, 10 unchanged: 1.2 MiB in 3.4 s (360 KiB/s)", or "10 unchanged in 0.2 s".
 * @param {any[]} done @param {number} deleted @param {number | undefined} unchanged @param {number} failed @param {number} ms
 */
function summary(done, deleted, unchanged, failed, ms) {
  /** @type {Map<string, number>} */
  const verbs = new Map();
  for (const r of done) verbs.set(r.verb, (verbs.get(r.verb) ?? 0) + 1);
  const past = /** @type {Record<string, string>} */ ({ upload: "uploaded", download: "downloaded", copy: "copied", move: "moved" });
  const parts = [...verbs].map(([verb, n]) => `${n} ${past[verb] ?? verb}`);
  if (deleted) parts.push(`${deleted} deleted`);
  if (unchanged !== undefined) parts.push(`${unchanged} unchanged`);
  if (failed) parts.push(`${failed} failed`);
  if (parts.length === 0) parts.push("nothing to do");
  const bytes = done.reduce((n, r) => n + (r.how === "hit" ? 0 : Number(r.size) || 0), 0);
  const seconds = ms / 1000;
  if (done.length === 0) return `${parts.join(", ")} in ${seconds.toFixed(1)} s`;
  return `${parts.join(", ")}: ${humanSize(bytes)} in ${seconds.toFixed(1)} s (${humanSize(bytes / Math.max(seconds, 0.001))}/s)`;
}

/** @param {any} r */
function describe(r) {
  const how = r.how === "hit" ? " (秒传: already stored, no bytes sent)" : r.partsSkipped ? ` (resumed: ${r.partsSkipped} parts already uploaded, ${r.partsSent} sent)` : "";
  return `${r.verb}: ${r.from} -> ${r.to}${how}`;
}

/**
 * @param {import("../lib/context.mjs").Context} ctx @param {Transfer} t
 * @param {{ move: boolean, contentType?: string }} opts @param {Progress} progress
 */
async function transferOne(ctx, t, opts, progress) {
  const { from, to } = t;
  const base = { from: show(from), to: show(to), size: t.size };
  if (from.kind === "local" && to.kind === "remote") {
    const r = await uploadFile(ctx, { path: from.path, bucket: to.bucket, key: to.key, contentType: opts.contentType ?? mimeType(from.path), etag: t.etag, progress });
    if (opts.move) unlinkSync(from.path);
    return { verb: opts.move ? "move" : "upload", ...base, ...r };
  }
  if (from.kind === "stdio" && to.kind === "remote") {
    const r = await uploadStream(ctx, { stream: process.stdin, bucket: to.bucket, key: to.key, contentType: opts.contentType ?? mimeType(to.key), progress });
    return { verb: "upload", ...base, ...r, size: r.size };
  }
  if (from.kind === "remote" && to.kind === "local") {
    const r = await downloadFile(ctx, { bucket: from.bucket, key: from.key, path: to.path, progress });
    if (opts.move) await ctx.data.del(from.bucket, from.key);
    return { verb: opts.move ? "move" : "download", ...base, size: r.size, etag: r.etag, how: "get" };
  }
  if (from.kind === "remote" && to.kind === "stdio") {
    const res = await ctx.data.get(from.bucket, from.key);
    await pipeline(res.stream, process.stdout, { end: false }); // never shut down a stdout shared with later commands (a socket pair)
    return { verb: "download", ...base, how: "stdout" };
  }
  if (from.kind === "remote" && to.kind === "remote") {
    if (opts.move && from.bucket === to.bucket) {
      if (from.key !== to.key) await ctx.data.rename(from.bucket, from.key, to.key);
      progress.add(t.size);
      return { verb: "move", ...base, how: "rename" };
    }
    await ctx.data.copy(from.bucket, from.key, to.bucket, to.key);
    if (opts.move) await ctx.data.del(from.bucket, from.key);
    progress.add(t.size);
    return { verb: opts.move ? "move" : "copy", ...base, how: "copy" };
  }
  throw new CliError(`cannot copy ${show(from)} to ${show(to)}`, EXIT.usage);
}

/** @param {import("../lib/context.mjs").Context} ctx @param {Location} loc */
async function removeLocation(ctx, loc) {
  if (loc.kind === "remote") await ctx.data.del(loc.bucket, loc.key);
  else if (loc.kind === "local") unlinkSync(loc.path);
}

/**
 * @param {import("../lib/context.mjs").Context} ctx @param {Location} from @param {Location} to
 * @param {{ delete?: boolean, dryRun?: boolean, exclude: string[], contentType?: string }} opts
 */
export async function sync(ctx, from, to, opts) {
  if (from.kind === "stdio" || to.kind === "stdio") throw new CliError("sync works on folders and prefixes, not '-'", EXIT.usage);
  if (from.kind !== "remote" && to.kind !== "remote") throw new CliError("one side must be ufile://<bucket>/<prefix>", EXIT.usage);
  const excluded = opts.exclude.map(globMatcher);
  const keep = (/** @type {Entry} */ e) => !excluded.some((m) => m(e.rel));
  const [source, target] = await Promise.all([tree(ctx, from), tree(ctx, to)]);
  const existing = new Map(target.filter(keep).map((e) => [e.rel, e]));
  /** @type {Transfer[]} */
  const transfers = [];
  let unchanged = 0;
  const candidates = source.filter(keep);
  const queue = [...candidates];
  // Same size: compare ETags (hashing local files, `concurrency` at a time).
  await Promise.all(
    Array.from({ length: Math.min(ctx.concurrency, queue.length) }, async () => {
      for (let e = queue.shift(); e; e = queue.shift()) {
        const there = existing.get(e.rel);
        const transfer = { from: e.location, to: under(to, e.rel), size: e.size, etag: e.etag };
        if (!there || there.size !== e.size) {
          transfers.push(transfer);
          continue;
        }
        const [a, b] = await Promise.all([etagOf(e), etagOf(there)]);
        transfer.etag = a;
        if (sameEtag(a, b)) unchanged++;
        else transfers.push(transfer);
      }
    }),
  );
  transfers.sort((a, b) => (show(a.from) < show(b.from) ? -1 : 1));
  const sourceRels = new Set(candidates.map((e) => e.rel));
  const deletes = opts.delete ? [...existing.values()].filter((e) => !sourceRels.has(e.rel)).map((e) => e.location) : [];
  if (opts.dryRun) {
    for (const t of transfers) tell(`(dry run) ${t.from.kind === "local" ? "upload" : t.to.kind === "local" ? "download" : "copy"}: ${show(t.from)} -> ${show(t.to)}`);
    for (const d of deletes) tell(`(dry run) delete: ${show(d)}`);
    emitJson({ dryRun: true, transfers: transfers.map((t) => ({ from: show(t.from), to: show(t.to), size: t.size })), deletes: deletes.map(show), unchanged });
    note(`${transfers.length} to transfer (${humanSize(transfers.reduce((n, t) => n + t.size, 0))}), ${deletes.length} to delete, ${unchanged} unchanged`);
    return;
  }
  await run(ctx, transfers, { move: false, contentType: opts.contentType, deletes, unchanged });
}

/** @param {Entry} e */
async function etagOf(e) {
  if (e.etag) return e.etag;
  if (e.location.kind === "local") return fileEtag(e.location.path);
  return "";
}
