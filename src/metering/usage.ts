import { and, asc, between, eq, sql } from "drizzle-orm";
import { usageDaily } from "../../schema/schema";
import type { Database } from "../store/db";

/** Raw usage counters, summed over buckets (and days): requests, response bytes, byte-seconds. */
export interface UsageTotals {
  requests: number;
  downloadBytes: number;
  storageByteSeconds: number;
}

// total() rather than sum(): a float that never overflows, 0.0 over no rows.
const totals = {
  requests: sql<number>`total(${usageDaily.requests})`,
  downloadBytes: sql<number>`total(${usageDaily.downloadBytes})`,
  storageByteSeconds: sql<number>`total(${usageDaily.storageByteSeconds})`,
};

const inScope = (projectId: string, region: string) =>
  and(eq(usageDaily.projectId, projectId), eq(usageDaily.region, region));

/** All-time usage of a project in a region (a query, so that callers can batch it). */
export function usageTotalsQuery(db: Database, projectId: string, region: string) {
  return db.select(totals).from(usageDaily).where(inScope(projectId, region));
}

/** Usage per UTC day in [fromDay, toDay] (day starts), days without usage left out. */
export async function dailyUsage(
  db: Database,
  projectId: string,
  region: string,
  fromDay: number,
  toDay: number,
): Promise<(UsageTotals & { day: number })[]> {
  return db
    .select({ day: usageDaily.day, ...totals })
    .from(usageDaily)
    .where(and(inScope(projectId, region), between(usageDaily.day, fromDay, toDay)))
    .groupBy(usageDaily.day)
    .orderBy(asc(usageDaily.day))
    .all();
}
