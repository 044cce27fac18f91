import { and, asc, between, eq, sql } from "drizzle-orm";
import { usageDaily } from "../../schema/schema";
import type { Database } from "../store/db";

/** Raw usage counters, summed over buckets (and days): requests, response bytes, byte-seconds. */
export interface UsageTotals {
  requests: number;
  downloadBytes: number;
  /** The part of `downloadBytes` read from IA objects; bytes of ARCHIVE/COLD objects whose restore started. */
  iaGetBytes: number;
  restoreBytes: number;
  storageByteSeconds: number;
  /** The parts of `storageByteSeconds` in IA, and in ARCHIVE/COLD. */
  iaByteSeconds: number;
  archiveByteSeconds: number;
  lifecycleDeletes: number;
  lifecycleTransitions: number;
}

// total() rather than sum(): a float that never overflows, 0.0 over no rows.
const totals = {
  requests: sql<number>`total(${usageDaily.requests})`,
  downloadBytes: sql<number>`total(${usageDaily.downloadBytes})`,
  iaGetBytes: sql<number>`total(${usageDaily.iaGetBytes})`,
  restoreBytes: sql<number>`total(${usageDaily.restoreBytes})`,
  storageByteSeconds: sql<number>`total(${usageDaily.storageByteSeconds})`,
  iaByteSeconds: sql<number>`total(${usageDaily.iaByteSeconds})`,
  archiveByteSeconds: sql<number>`total(${usageDaily.archiveByteSeconds})`,
  lifecycleDeletes: sql<number>`total(${usageDaily.lifecycleDeletes})`,
  lifecycleTransitions: sql<number>`total(${usageDaily.lifecycleTransitions})`,
};

const inScope = (projectId: string, region: string) =>
  and(eq(usageDaily.projectId, projectId), eq(usageDaily.region, region));

/** All-time usage of a project in a region (a query, so that callers can batch it). */
export function usageTotalsQuery(db: Database, projectId: string, region: string) {
  return db.select(totals).from(usageDaily).where(inScope(projectId, region));
}

/** Usage per UTC day in [fromDay, toDay] (day starts), days without usage left out; of one bucket when `bucketId` is given. */
export async function dailyUsage(
  db: Database,
  projectId: string,
  region: string,
  fromDay: number,
  toDay: number,
  bucketId?: string,
): Promise<(UsageTotals & { day: number })[]> {
  return db
    .select({ day: usageDaily.day, ...totals })
    .from(usageDaily)
    .where(
      and(inScope(projectId, region), between(usageDaily.day, fromDay, toDay), bucketId === undefined ? undefined : eq(usageDaily.bucketId, bucketId)),
    )
    .groupBy(usageDaily.day)
    .orderBy(asc(usageDaily.day))
    .all();
}

/**
 * Counts what one lifecycle step did in a bucket on the day of `now` (GetUFileDailyReport, the
 * console's daily view). Called after the step's batch committed: a crash between the two loses
 * the count, never doubles it (README "Metering": metering may undercount, never overcount).
 */
export async function meterLifecycle(
  db: Database,
  where: { projectId: string; region: string; bucketId: string; day: number },
  counts: { deletes: number; transitions: number },
): Promise<void> {
  if (counts.deletes === 0 && counts.transitions === 0) return;
  await db
    .insert(usageDaily)
    .values({ ...where, lifecycleDeletes: counts.deletes, lifecycleTransitions: counts.transitions })
    .onConflictDoUpdate({
      target: [usageDaily.projectId, usageDaily.region, usageDaily.bucketId, usageDaily.day],
      set: {
        lifecycleDeletes: sql`${usageDaily.lifecycleDeletes} + ${counts.deletes}`,
        lifecycleTransitions: sql`${usageDaily.lifecycleTransitions} + ${counts.transitions}`,
      },
    })
    .run();
}
