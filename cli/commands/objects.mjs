// @ts-check
// ls, rm, cat, stat: looking at and removing objects.
import { pipeline } from "node:stream/promises";
import { confirm } from "../lib/confirm.mjs";
import { CliError, EXIT, noSuchObject } from "../lib/errors.mjs";
import { emitJson, humanSize, say, shortTime, table, tell } from "../lib/output.mjs";
import { folderPrefix, parseLocation, parseRemote, remoteUrl } from "../lib/paths.mjs";
import { positiveInt } from "../lib/context.mjs";

/** @param {import("commander").Command} program @param {() => import("../lib/context.mjs").Context} context */
export function register(program, context) {
  program
    .command("ls")
    .description("list buckets (no argument), or the objects and folders under ufile://<bucket>/<prefix>")
    .argument("[location]", "ufile://<bucket>[/<prefix>]")
    .option("-r, --recursive", "every object under the prefix, not one folder level")
    .option("-l, --long", "long format: also ETag, storage class and MIME type")
    .option("--bytes", "exact sizes in bytes instead of KiB/MiB/GiB")
    .option("--summarize", "end with the number of objects and their total size")
    .action(async (location, opts) => {
      const ctx = context();
      if (!location) return listBuckets(ctx, opts);
      const at = parseRemote(location);
      const size = (/** @type {number} */ n) => (opts.bytes ? String(n) : humanSize(n));
      /** @type {any[]} */
      const objects = [];
      /** @type {string[]} */
      const prefixes = [];
      const rows = [];
      for await (const page of ctx.data.list(at.bucket, { prefix: at.key, delimiter: opts.recursive ? "" : "/" })) {
        for (const p of page.prefixes) {
          prefixes.push(p);
          rows.push(opts.long ? ["", "DIR", "", "", "", p] : ["", "DIR", p]);
        }
        for (const o of page.objects) {
          objects.push(o);
          rows.push(opts.long ? [shortTime(o.modified), size(o.size), o.etag, o.storageClass, o.mime, o.key] : [shortTime(o.modified), size(o.size), o.key]);
        }
      }
      emitJson({ bucket: at.bucket, prefix: at.key, prefixes, objects });
      if (rows.length) say(table(rows, [1]));
      if (opts.summarize) say(`${objects.length} objects, ${size(objects.reduce((n, o) => n + o.size, 0))}`);
    });

  program
    .command("rm")
    .description("delete an object, or with -r every object under a prefix (asks first; --yes to skip)")
    .argument("<location>", "ufile://<bucket>/<key> or, with -r, a folder: ufile://<bucket>/<folder>/")
    .option("-r, --recursive", "delete every object under the prefix")
    .option("-y, --yes", "do not ask for confirmation")
    .option("-c, --concurrency <n>", "parallel deletes", positiveInt("--concurrency"), 8)
    .action(async (location, opts) => {
      const ctx = context();
      const at = parseRemote(location);
      if (!opts.recursive) {
        if (!at.key) throw new CliError(`${location} names a bucket; use -r to empty it or rb to delete it`, EXIT.usage);
        await ctx.data.del(at.bucket, at.key);
        tell(`delete: ${remoteUrl(at.bucket, at.key)}`);
        emitJson({ deleted: [remoteUrl(at.bucket, at.key)] });
        return;
      }
      // One line per object, then the summary (deleteObjects); --json: { deleted, failed }.
      if ((await removeAll(ctx, at.bucket, folderPrefix(at.key), opts)).length === 0) emitJson({ deleted: [], failed: [] });
    });

  program
    .command("cat")
    .description("write an object's bytes to stdout")
    .argument("<location>", "ufile://<bucket>/<key>")
    .option("--range <first-last>", "only these bytes, e.g. 0-99 (HTTP Range)")
    .action(async (location, opts) => {
      const at = parseRemote(location, { keyRequired: true });
      const res = await context().data.get(at.bucket, at.key, opts.range ? `bytes=${opts.range}` : undefined);
      await pipeline(res.stream, process.stdout, { end: false }); // never shut down a stdout shared with later commands (a socket pair)
    });

  program
    .command("stat")
    .description("show an object's size, ETag, type, time, storage class and metadata (or a bucket's settings)")
    .argument("<location>", "ufile://<bucket>/<key> or ufile://<bucket>")
    .action(async (location) => {
      const ctx = context();
      const at = parseLocation(location);
      if (at.kind !== "remote") throw new CliError(`expected ufile://<bucket>/<key>, got ${location}`, EXIT.usage);
      if (!at.key) {
        const [bucket] = (await ctx.control.call({ Action: "DescribeBucket", BucketName: at.bucket })).DataSet ?? [];
        if (!bucket) throw new CliError(`ufile://${at.bucket}: no such bucket`, EXIT.notFound);
        emitJson(bucket);
        say(table([["Bucket", bucket.BucketName], ["Id", bucket.BucketId], ["Type", bucket.Type], ["Region", bucket.Region], ["Created", shortTime(bucket.CreateTime)], ["Host", (bucket.Domain?.Src ?? []).join(", ")]]));
        return;
      }
      const head = await ctx.data.head(at.bucket, at.key);
      if (!head) throw noSuchObject(location);
      emitJson(head);
      const rows = [["Key", head.key], ["Size", `${head.size} (${humanSize(head.size)})`], ["ETag", head.etag], ["Type", head.mime], ["Modified", shortTime(head.modified)], ["Class", head.storageClass]];
      for (const [k, v] of Object.entries(head.meta)) rows.push([`Meta ${k}`, v]);
      say(table(rows));
    });
}

/** @param {import("../lib/context.mjs").Context} ctx @param {{ bytes?: boolean, long?: boolean }} opts */
async function listBuckets(ctx, opts) {
  const buckets = await ctx.control.buckets();
  emitJson(buckets);
  const rows = buckets.map((/** @type {any} */ b) => (opts.long ? [shortTime(b.CreateTime), b.Type, b.Region, b.BucketId, `ufile://${b.BucketName}`] : [shortTime(b.CreateTime), b.Type, `ufile://${b.BucketName}`]));
  if (rows.length) say(table(rows));
}

/**
 * Deletes every object under a prefix after confirmation. Used by rm -r and rb --force.
 * @param {import("../lib/context.mjs").Context} ctx @param {string} bucket @param {string} prefix
 * @param {{ yes?: boolean, concurrency: number, json?: boolean }} opts `json: false`: no `{ deleted, failed }`
 * document under --json (rb --force prints DeleteBucket's answer as its one document).
 */
export async function removeAll(ctx, bucket, prefix, opts) {
  /** @type {{ key: string, size: number }[]} */
  const objects = [];
  for await (const page of ctx.data.list(bucket, { prefix })) objects.push(...page.objects);
  if (objects.length === 0) return [];
  const bytes = objects.reduce((n, o) => n + o.size, 0);
  await confirm(`delete ${objects.length} objects (${humanSize(bytes)}) under ${remoteUrl(bucket, prefix)}?`, Boolean(opts.yes));
  return deleteObjects(ctx, bucket, objects, opts.concurrency, opts.json ?? true);
}

/**
 * Deletes the objects, `concurrency` at a time, a line for each; one that fails does not stop the rest.
 * Then the batch's one summary line ("3 deleted (29 B found)", "2 deleted, 1 failed (…)"), and, if any
 * failed, an error naming how many and the first cause. Returns the deleted objects' URLs.
 * Under --json, `{ deleted, failed }` unless `json` is false.
 * @param {import("../lib/context.mjs").Context} ctx @param {string} bucket
 * @param {{ key: string, size: number }[]} objects @param {number} concurrency @param {boolean} [json]
 */
export async function deleteObjects(ctx, bucket, objects, concurrency, json = true) {
  const queue = [...objects];
  /** @type {string[]} */
  const deleted = [];
  /** @type {string[]} */
  const failed = [];
  /** @type {CliError | undefined} */
  let firstError;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let o = queue.shift(); o; o = queue.shift()) {
        try {
          await ctx.data.del(bucket, o.key);
          deleted.push(remoteUrl(bucket, o.key));
          tell(`delete: ${remoteUrl(bucket, o.key)}`);
        } catch (error) {
          failed.push(remoteUrl(bucket, o.key));
          firstError ??= error instanceof CliError ? error : new CliError(String(error));
        }
      }
    }),
  );
  if (json) emitJson({ deleted, failed });
  say(`${deleted.length} deleted${failed.length ? `, ${failed.length} failed` : ""} (${humanSize(objects.reduce((n, o) => n + o.size, 0))} found)`);
  if (firstError) throw new CliError(`${failed.length} of ${objects.length} deletes failed; the first: ${firstError.message}`, firstError.exitCode);
  return deleted;
}
