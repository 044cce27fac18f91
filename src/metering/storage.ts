import { asc, eq, gt, sql } from "drizzle-orm";
import { buckets, storageIntegration } from "../../schema/schema";
import { settings, type Env } from "../config";
import { withIndexTotals } from "../store/buckets";
import { batch, database, type Database } from "../store/db";
import { refreshOwe, type Amounts } from "./quotas";
import { DAY_SECONDS, dayStart } from "./units";

/**
 * Storage volume (docs/metering.md): every run adds, per bucket, `stored_bytes × seconds since
 * storage_integration.integrated_at` to `usage_daily.storage_byte_seconds`, split at UTC day
 * boundaries, and moves `integrated_at` to `now`; the bytes in IA and in ARCHIVE/COLD
 * (`buckets.ia_bytes`, `archive_bytes`) go to `ia_byte_seconds` and `archive_byte_seconds` the
 * same way, as parts of that total. The counters are kept exact by the data plane, on the bucket's
 * index shard (store/shards.ts; `withIndexTotals` reads them there); the integral takes the value at
 * the end of each interval (≤ one cron period).
 *
 * A bucket the integrator has not seen before starts its clock at `now`: nothing is charged for
 * time before the meter saw it, so a deploy never bills for months it did not measure; the cost
 * is at most one cron period of the bucket's first bytes.
 *
 * Idempotent: each usage row is added only if `integrated_at` still holds the value this run read,
 * in the same transaction that moves it, so a repeated or overlapping run adds nothing twice.
 */

const PAGE = 200;

/** Seconds of [from, to) in each UTC day, as [day start, seconds]. */
export function splitByDay(from: number, to: number): [number, number][] {
  const out: [number, number][] = [];
  for (let t = from; t < to; ) {
    const day = dayStart(t);
    const end = Math.min(day + DAY_SECONDS, to);
    out.push([day, end - t]);
    t = end;
  }
  return out;
}

type BucketClock = {
  id: string;
  projectId: string;
  region: string;
  storedBytes: number;
  iaBytes: number;
  archiveBytes: number;
  integratedAt: number | null;
};

/** Integrates every bucket up to `now` (unix seconds), one D1 batch per page of buckets. */
export async function integrateStorage(env: Env, now: number): Promise<void> {
  const db = database(env.DB);
  const defaults = settings(env).defaultQuota;
  for (let after = ""; ; ) {
    const page = await db
      .select({
        id: buckets.id,
        projectId: buckets.projectId,
        region: buckets.region,
        storedBytes: buckets.storedBytes,
        iaBytes: buckets.iaBytes,
        archiveBytes: buckets.archiveBytes,
        shard: buckets.shard,
        integratedAt: storageIntegration.integratedAt,
      })
      .from(buckets)
      .leftJoin(storageIntegration, eq(storageIntegration.bucketId, buckets.id))
      .where(gt(buckets.id, after))
      .orderBy(asc(buckets.id))
      .limit(PAGE)
      .all();
    if (page.length > 0) await integratePage(db, defaults, await withIndexTotals(db, page), now);
    if (page.length < PAGE) break;
    after = page[page.length - 1].id;
  }
  // Deleted buckets were empty (DeleteBucket refuses otherwise): nothing is left to integrate.
  await db.run(sql`DELETE FROM storage_integration
    WHERE NOT EXISTS (SELECT 1 FROM buckets WHERE buckets.id = storage_integration.bucket_id)`);
}

async function integratePage(db: Database, defaults: Amounts, page: BucketClock[], now: number): Promise<void> {
  const usage: (string | number)[][] = [];
  const moved: [string, number][] = [];
  const fresh: string[] = [];
  const pairs = new Map<string, readonly [string, string]>();
  for (const b of page) {
    if (b.integratedAt === null) {
      fresh.push(b.id);
      continue;
    }
    if (b.integratedAt >= now) continue;
    moved.push([b.id, b.integratedAt]);
    if (b.storedBytes <= 0) continue;
    for (const [day, seconds] of splitByDay(b.integratedAt, now)) {
      // Bytes × seconds can pass 2^53 (and, above ~97 TiB a day, 2^63): computed exactly, sent as
      // a string; SQL makes it an INTEGER when it fits, else a REAL.
      const times = (bytes: number) => (BigInt(bytes) * BigInt(seconds)).toString();
      usage.push([b.id, b.integratedAt, b.projectId, b.region, day, times(b.storedBytes), times(b.iaBytes), times(b.archiveBytes)]);
    }
    pairs.set(`${b.projectId}\n${b.region}`, [b.projectId, b.region]);
  }
  if (moved.length === 0 && fresh.length === 0) return;
  await batch(db, [
    sql`INSERT INTO usage_daily (project_id, region, bucket_id, day, storage_byte_seconds, ia_byte_seconds, archive_byte_seconds)
      SELECT e.p, e.r, e.b, e.d, e.s, e.ia, e.ac
      FROM (SELECT json_extract(value, '$[0]') AS b, json_extract(value, '$[1]') AS f,
                   json_extract(value, '$[2]') AS p, json_extract(value, '$[3]') AS r,
                   json_extract(value, '$[4]') AS d, CAST(json_extract(value, '$[5]') AS NUMERIC) AS s,
                   CAST(json_extract(value, '$[6]') AS NUMERIC) AS ia, CAST(json_extract(value, '$[7]') AS NUMERIC) AS ac
            FROM json_each(${JSON.stringify(usage)})) AS e
      JOIN storage_integration si ON si.bucket_id = e.b AND si.integrated_at = e.f
      WHERE true
      ON CONFLICT (project_id, region, bucket_id, day) DO UPDATE SET
        storage_byte_seconds = storage_byte_seconds + excluded.storage_byte_seconds,
        ia_byte_seconds = ia_byte_seconds + excluded.ia_byte_seconds,
        archive_byte_seconds = archive_byte_seconds + excluded.archive_byte_seconds`,
    sql`UPDATE storage_integration SET integrated_at = ${now}
      FROM (SELECT json_extract(value, '$[0]') AS b, json_extract(value, '$[1]') AS f
            FROM json_each(${JSON.stringify(moved)})) AS m
      WHERE storage_integration.bucket_id = m.b AND storage_integration.integrated_at = m.f`,
    sql`INSERT INTO storage_integration (bucket_id, integrated_at)
      SELECT value, ${now} FROM json_each(${JSON.stringify(fresh)}) WHERE true
      ON CONFLICT (bucket_id) DO NOTHING`,
    ...refreshOwe(defaults, pairs.values(), now),
  ]);
}
