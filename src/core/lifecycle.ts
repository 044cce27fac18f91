import { settings, type Env } from "../config";
import { meterLifecycle } from "../metering/usage";
import { DAY_SECONDS, dayStart } from "../metering/units";
import { deleteBlobs } from "../store/blobs";
import { database, type Database } from "../store/db";
import { expireObjects, forgetReleasedBlobs, listObjects, transitionObjects, type DueKey, type ObjectRow } from "../store/objects";
import { bucketsWithLifecycle, saveLifecycleProgress, type LifecycleBucket, type LifecycleRule } from "../store/rules";
import { abortUploadsStartedBefore } from "../store/uploads";
import { dueAfterDays, filtersByTags, ruleApplies, updatedNotAfter } from "./lifecycle-match";

/**
 * Lifecycle rules at work (issue 22, docs/protocol.md §3.6.3), a housekeeping task: each run walks
 * the objects of every bucket that has rules, in key order, from where the previous run stopped,
 * and deletes or moves to IA / ARCHIVE the objects whose rules say so at the scheduled event's time:
 * rules by days or by date, filtered by prefix, tags and size (core/lifecycle-match.ts), whichever
 * front wrote them or the objects.
 *
 * - Bounded: a run handles at most LIFECYCLE_OBJECTS_PER_RUN objects over all buckets, a page at a
 *   time (one listing query and a fixed number of statements per page, whatever its size).
 * - Resumable: the bucket row keeps the last key reached; the next run continues there. A pass
 *   that reaches the end restarts from the first key no sooner than LIFECYCLE_PASS_INTERVAL_SECONDS
 *   after it completed; a change of rules restarts the pass at once.
 * - Exact: deletions move the bucket's byte and object counters and the blob refcounts in the same
 *   batch as the rows; each key's deadline (and, under tag filters, its tags) is checked again
 *   inside the statement, so an object rewritten or retagged since the scan read it is left alone.
 * - Metered: deletions and class changes are counted per bucket and day (usage_daily).
 * - Objects are reached only through src/store's paged scan by bucket (`listObjects`).
 */

/** Objects read per listing query. */
const PAGE = 500;
/** Buckets read per query of the bucket walk. */
const BUCKET_PAGE = 100;

/** What a rule set says should happen to one object now. */
type Action = { kind: "expire" | "archive" | "ia"; notAfter: number };

/** An object as the pass sees it. */
type Scanned = Pick<ObjectRow, "key" | "modifiedAt" | "storageClass" | "size" | "tags">;

/**
 * The strongest action due for `row` at `now` (expire > archive > IA), or null, under the enabled
 * rules whose filter takes it (core/lifecycle-match.ts). Classes it is already in are skipped.
 * `day`: the length of a lifecycle day in seconds.
 */
export function dueAction(rules: readonly LifecycleRule[], row: Scanned, now: number, day: number = DAY_SECONDS): Action | null {
  let best: Action | null = null;
  const rank = { expire: 3, archive: 2, ia: 1 } as const;
  const consider = (kind: Action["kind"], days: number, date: number | undefined) => {
    let notAfter: number;
    if (date) {
      // A dated action takes every matching object from its date on, whatever its age.
      if (now < date) return;
      notAfter = now;
    } else {
      if (days <= 0 || now < dueAfterDays(row.modifiedAt, days, day)) return;
      notAfter = updatedNotAfter(now, days, day);
    }
    // Of several rules asking the same, the one due earliest decides the deadline re-checked in SQL.
    if (!best || rank[kind] > rank[best.kind] || (kind === best.kind && notAfter > best.notAfter)) best = { kind, notAfter };
  };
  for (const rule of rules) {
    if (!rule.enabled || !ruleApplies(rule, row)) continue;
    consider("expire", rule.expireDays, rule.expireDate);
    if (row.storageClass !== "ARCHIVE" && row.storageClass !== "COLD") consider("archive", rule.archiveDays, rule.archiveDate);
    if (row.storageClass === "STANDARD") consider("ia", rule.iaDays, rule.iaDate);
  }
  return best;
}

/** Applies one page's actions; returns how many objects were deleted and moved. */
async function applyPage(env: Env, db: Database, bucket: LifecycleBucket, rules: LifecycleRule[], rows: ObjectRow[], now: number, day: number) {
  const due: Record<Action["kind"], DueKey[]> = { expire: [], archive: [], ia: [] };
  // Under tag filters, a tag change since the scan read the row leaves the object for the next pass.
  const byTags = filtersByTags(rules);
  for (const row of rows) {
    const action = dueAction(rules, row, now, day);
    if (action) due[action.kind].push({ key: row.key, notAfter: action.notAfter, ...(byTags ? { tags: row.tags } : {}) });
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
async function runBucket(env: Env, db: Database, bucket: LifecycleBucket, now: number, budget: number, passInterval: number, day: number): Promise<number> {
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
      await abortUploadsStartedBefore(env, db, bucket.id, rule.prefix, updatedNotAfter(now, rule.abortUploadDays, day));
    }
  }
  let after = bucket.lifecycleAfter;
  let read = 0;
  while (read < budget) {
    const limit = Math.min(PAGE, budget - read);
    const rows = await listObjects(db, bucket.id, { prefix: "", after, limit });
    read += rows.length;
    if (rows.length > 0) await applyPage(env, db, bucket, rules, rows, now, day);
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
      budget -= await runBucket(env, db, bucket, now, budget, s.lifecyclePassIntervalSeconds, s.lifecycleDaySeconds);
    }
    if (page.length < BUCKET_PAGE) break;
    afterId = page[page.length - 1].id;
  }
}
