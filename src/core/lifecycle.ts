import { settings, type Env } from "../config";
import { meterLifecycle } from "../metering/usage";
import { DAY_SECONDS, dayStart } from "../metering/units";
import { deleteBlobs } from "../store/blobs";
import { database, type Database } from "../store/db";
import { expireObjects, forgetReleasedBlobs, listObjects, transitionObjects, type DueKey, type ObjectRow } from "../store/objects";
import { bucketsWithLifecycle, saveLifecycleProgress, type LifecycleBucket, type LifecycleRule } from "../store/rules";
import { abortUploadsStartedBefore } from "../store/uploads";

/**
 * Lifecycle rules at work (issue 22, docs/protocol.md §3.6.3), a housekeeping task: each run walks
 * the objects of every bucket that has rules, in key order, from where the previous run stopped,
 * and deletes or moves to IA / ARCHIVE the objects whose rules say so at the scheduled event's time.
 *
 * - Bounded: a run handles at most LIFECYCLE_OBJECTS_PER_RUN objects over all buckets, a page at a
 *   time (one listing query and a fixed number of statements per page, whatever its size).
 * - Resumable: the bucket row keeps the last key reached; the next run continues there. A pass
 *   that reaches the end restarts from the first key no sooner than LIFECYCLE_PASS_INTERVAL_SECONDS
 *   after it completed; a change of rules restarts the pass at once.
 * - Exact: deletions move the bucket's byte and object counters and the blob refcounts in the same
 *   batch as the rows; each key's deadline is checked again inside the statement, so an object
 *   rewritten since the scan read it is left alone.
 * - Metered: deletions and class changes are counted per bucket and day (usage_daily).
 * - Objects are reached only through src/store's paged scan by bucket (`listObjects`).
 */

/** Objects read per listing query. */
const PAGE = 500;
/** Buckets read per query of the bucket walk. */
const BUCKET_PAGE = 100;

/** What a rule set says should happen to one object now. */
type Action = { kind: "expire" | "archive" | "ia"; notAfter: number };

/** The strongest action due for `row` (expire > archive > IA), or null. Classes it is already in are skipped. */
export function dueAction(rules: readonly LifecycleRule[], row: Pick<ObjectRow, "key" | "modifiedAt" | "storageClass">, now: number): Action | null {
  let best: Action | null = null;
  const rank = { expire: 3, archive: 2, ia: 1 } as const;
  const consider = (kind: Action["kind"], days: number) => {
    if (days <= 0) return;
    const notAfter = now - days * DAY_SECONDS;
    if (row.modifiedAt > notAfter) return;
    // Of several rules asking the same, the one due earliest decides the deadline re-checked in SQL.
    if (!best || rank[kind] > rank[best.kind] || (kind === best.kind && notAfter > best.notAfter)) best = { kind, notAfter };
  };
  for (const rule of rules) {
    if (!rule.enabled || !row.key.startsWith(rule.prefix)) continue;
    consider("expire", rule.expireDays);
    if (row.storageClass !== "ARCHIVE" && row.storageClass !== "COLD") consider("archive", rule.archiveDays);
    if (row.storageClass === "STANDARD") consider("ia", rule.iaDays);
  }
  return best;
}

/** Applies one page's actions; returns how many objects were deleted and moved. */
async function applyPage(env: Env, db: Database, bucket: LifecycleBucket, rules: LifecycleRule[], rows: ObjectRow[], now: number) {
  const due: Record<Action["kind"], DueKey[]> = { expire: [], archive: [], ia: [] };
  for (const row of rows) {
    const action = dueAction(rules, row, now);
    if (action) due[action.kind].push({ key: row.key, notAfter: action.notAfter });
  }
  const expired = await expireObjects(db, bucket.id, due.expire);
  if (expired.released.length > 0) {
    // R2 bytes first, then the rows; a failure here leaves refcount-0 rows for the sweeper.
    await deleteBlobs(env, expired.released);
    await forgetReleasedBlobs(db, expired.released);
  }
  const archived = await transitionObjects(db, bucket.id, due.archive, ["STANDARD", "IA"], "ARCHIVE");
  const infrequent = await transitionObjects(db, bucket.id, due.ia, ["STANDARD"], "IA");
  const counts = { deletes: expired.deleted.length, transitions: archived.length + infrequent.length };
  await meterLifecycle(db, { projectId: bucket.projectId, region: bucket.region, bucketId: bucket.id, day: dayStart(now) }, counts);
  return counts;
}

/** Runs one bucket's share: at most `budget` objects. Returns how many objects it read. */
async function runBucket(env: Env, db: Database, bucket: LifecycleBucket, now: number, budget: number, passInterval: number): Promise<number> {
  const atStart = bucket.lifecycleAfter === "";
  if (atStart && bucket.lifecyclePassAt > 0 && now < bucket.lifecyclePassAt + passInterval) return 0;
  let rules: LifecycleRule[];
  try {
    rules = (JSON.parse(bucket.lifecycleRules) as LifecycleRule[]).filter((r) => r.enabled);
  } catch {
    rules = [];
  }
  if (rules.length === 0) {
    await saveLifecycleProgress(db, bucket.id, bucket.lifecycleRules, "", now);
    return 0;
  }
  if (atStart) {
    for (const rule of rules.filter((r) => r.abortUploadDays > 0)) {
      await abortUploadsStartedBefore(env, db, bucket.id, rule.prefix, now - rule.abortUploadDays * DAY_SECONDS);
    }
  }
  let after = bucket.lifecycleAfter;
  let read = 0;
  while (read < budget) {
    const limit = Math.min(PAGE, budget - read);
    const rows = await listObjects(db, bucket.id, { prefix: "", after, limit });
    read += rows.length;
    if (rows.length > 0) await applyPage(env, db, bucket, rules, rows, now);
    if (rows.length < limit) {
      await saveLifecycleProgress(db, bucket.id, bucket.lifecycleRules, "", now);
      return read;
    }
    after = rows[rows.length - 1].key;
    await saveLifecycleProgress(db, bucket.id, bucket.lifecycleRules, after, bucket.lifecyclePassAt);
  }
  return read;
}

/** The housekeeping task: every bucket with rules, within this run's budget. `now`: the scheduled time. */
export async function runLifecycle(env: Env, now: number): Promise<void> {
  const s = settings(env);
  const db = database(env.DB);
  let budget = s.lifecycleObjectsPerRun;
  for (let afterId = ""; budget > 0; ) {
    const page = await bucketsWithLifecycle(db, afterId, BUCKET_PAGE);
    for (const bucket of page) {
      if (budget <= 0) break;
      budget -= await runBucket(env, db, bucket, now, budget, s.lifecyclePassIntervalSeconds);
    }
    if (page.length < BUCKET_PAGE) break;
    afterId = page[page.length - 1].id;
  }
}
