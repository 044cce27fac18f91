import type { Env } from "./config";
import { pruneUsageMessages } from "./metering/consumer";
import { integrateStorage } from "./metering/storage";
import { pruneAdminSignatures } from "./store/admin-signatures";
import { rangeHousekeeping } from "./store/range-split";
import { sweepBlobs } from "./store/sweeper";
import { sweepStaleUploads } from "./store/uploads";
import { computeMissingUfileEtags } from "./core/ufile-etag";
import { runLifecycle } from "./core/lifecycle";

/**
 * Periodic tasks, run by the cron trigger (wrangler.toml `[triggers]`, every 10 minutes).
 * Each task gets the scheduled time (unix seconds) rather than reading the clock, so a test can
 * choose it. Add a task by adding an entry; tasks run in order and one's failure does not stop
 * the others.
 */
export interface HousekeepingTask {
  name: string;
  run(env: Env, now: number): Promise<void>;
}

export const TASKS: HousekeepingTask[] = [
  { name: "integrate-storage", run: integrateStorage },
  { name: "prune-usage-message-ids", run: pruneUsageMessages },
  { name: "prune-admin-signatures", run: pruneAdminSignatures },
  { name: "abort-stale-uploads", run: sweepStaleUploads },
  { name: "lifecycle-rules", run: runLifecycle },
  { name: "key-ranges", run: async (env, now) => void (await rangeHousekeeping(env, now)) },
  { name: "sweep-blobs", run: async (env, now) => void (await sweepBlobs(env, now)) },
  { name: "ufile-etags-of-s3-multipart", run: (env) => computeMissingUfileEtags(env) },
];

export async function runHousekeeping(env: Env, now: number, tasks: readonly HousekeepingTask[] = TASKS): Promise<void> {
  const failed: string[] = [];
  for (const task of tasks) {
    try {
      await task.run(env, now);
    } catch (err) {
      failed.push(task.name);
      console.error(`housekeeping task ${task.name} failed`, err instanceof Error ? (err.stack ?? err.message) : err);
    }
  }
  // Fail the invocation, so that the cron's status in the dashboard shows it.
  if (failed.length > 0) throw new Error(`housekeeping tasks failed: ${failed.join(", ")}`);
}
