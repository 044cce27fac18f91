// @ts-check
// admin: operator commands on a deployment's index (root keys only): a bucket's key ranges, and
// the online split / move of a range to another index shard, and the cancel of a move before its
// switch (docs/operations.md "Splitting a bucket").
import { adminCall } from "../lib/admin.mjs";
import { positiveInt } from "../lib/context.mjs";
import { CliError, EXIT } from "../lib/errors.mjs";
import { sleep } from "../lib/net.mjs";
import { emitJson, say, table, tell } from "../lib/output.mjs";
import { bucketOnly } from "./buckets.mjs";

/** @param {import("commander").Command} program @param {() => import("../lib/context.mjs").Context} context */
export function register(program, context) {
  const admin = program.command("admin").description("operator commands (root keys): key ranges of a bucket, split and move them between index shards");

  admin
    .command("ranges")
    .description("list a bucket's key ranges: where each lives and what its move has left to do")
    .argument("<bucket>", "ufile://<bucket>")
    .action(async (location) => {
      const { bucket } = bucketOnly(location);
      const body = await adminCall(context().settings, "GET", `/_admin/buckets/${encodeURIComponent(bucket)}/ranges`);
      emitJson(body);
      say(table([["START", "END", "SHARD", "STATE"], ...body.Ranges.map((/** @type {any} */ r) => [shown(r.Start), r.End === null ? "(end)" : shown(r.End), r.Shard, stateOf(r)])]));
    });

  admin
    .command("split")
    .description("make [--at, end of its range) a range of its own and move it to shard --to, online (writes to it get a retryable error meanwhile)")
    .argument("<bucket>", "ufile://<bucket>")
    .requiredOption("--at <key>", "first key of the range to move (\"\" = from the start of the bucket)")
    .requiredOption("--to <shard>", "index shard binding to move it to (DB, INDEX_1, …); the range's own shard: split only")
    .option("--batches <n>", "copy batches (100 keys each) per call", positiveInt("--batches"), 20)
    .option("--no-wait", "return after the switch, without waiting to drain the old copy (housekeeping drains it)")
    .action(async (location, opts) => {
      const { bucket } = bucketOnly(location);
      const path = `/_admin/buckets/${encodeURIComponent(bucket)}/split`;
      for (let call = 0; ; call++) {
        const body = await adminCall(context().settings, "POST", path, { At: opts.at, To: opts.to, Batches: opts.batches });
        const r = body.Range;
        if (r.State === "idle" || (r.State === "waiting" && !opts.wait)) {
          emitJson(body);
          tell(`ufile://${bucket}: [${shown(r.Start)}, ${r.End === null ? "end" : shown(r.End)}) is on ${r.Shard}${r.State === "waiting" ? ` (the old copy on ${r.DrainShard} is drained after ${new Date(r.DrainAfter * 1000).toISOString()})` : ""}`);
          return;
        }
        if (r.State === "copying") tell(`copying to ${r.MoveTo}: up to ${shown(r.CopiedUpTo ?? "")}`);
        if (r.State === "waiting") {
          tell(`switched to ${r.Shard}; draining the old copy on ${r.DrainShard} after ${new Date(r.DrainAfter * 1000).toISOString()}`);
          await sleep(Math.max(1000, r.DrainAfter * 1000 - Date.now() + 1000));
        }
        if (call > 100_000) throw new CliError("the move did not finish", EXIT.failed);
      }
    });

  admin
    .command("cancel")
    .description("cancel the bucket's move before its switch: writes to the range are taken again on its shard, and the partial copy is removed")
    .argument("<bucket>", "ufile://<bucket>")
    .option("--batches <n>", "batches (100 keys each) of the partial copy removed per call", positiveInt("--batches"), 20)
    .action(async (location, opts) => {
      const { bucket } = bucketOnly(location);
      const path = `/_admin/buckets/${encodeURIComponent(bucket)}/moves/cancel`;
      for (let call = 0; ; call++) {
        const body = await adminCall(context().settings, "POST", path, { Batches: opts.batches });
        const r = body.Range;
        if (r === null || r.State === "idle") {
          emitJson(body);
          tell(r === null ? `ufile://${bucket}: no move to cancel` : `ufile://${bucket}: the move of [${shown(r.Start)}, ${r.End === null ? "end" : shown(r.End)}) is cancelled; the range stays on ${r.Shard}`);
          return;
        }
        tell(`cancelled; removing the partial copy on ${r.DrainShard}`);
        if (call > 100_000) throw new CliError("the cancel did not finish", EXIT.failed);
      }
    });
}

/** @param {string} key */
const shown = (key) => JSON.stringify(key);

/** @param {any} r */
const stateOf = (r) =>
  r.State === "copying" ? `moving to ${r.MoveTo}` : r.State === "idle" ? "" : r.Cancelled ? `cancelled: removing the partial copy on ${r.DrainShard}` : `draining ${r.DrainShard}${r.State === "waiting" ? ` after ${new Date(r.DrainAfter * 1000).toISOString()}` : ""}`;
