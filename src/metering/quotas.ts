import { and, eq, sql } from "drizzle-orm";
import { quotas } from "../../schema/schema";
import { ApiError } from "../errors";
import type { ServedBucket } from "../store/buckets";
import { batch, type Database, type Statement } from "../store/db";
import { BYTE_SECONDS_PER_GB_DAY, BYTES_PER_GB, REQUESTS_PER_UNIT, gbDays, gigabytes, tenThousands } from "./units";
import { usageTotalsQuery } from "./usage";

/**
 * Quotas per (project, region) (docs/design.md §7): granted amounts in `quotas` (no row = the
 * configured defaults), used = all-time sums of `usage_daily`, Left = granted − used, and
 * Owe = 1 when any Left is negative. `quotas.owe` caches Owe for the data plane, which reads
 * only that flag (with the bucket, store/buckets.ts); every writer of usage or grants refreshes
 * it with `refreshOwe` in the same D1 batch.
 */

/** The API's quota types and the meter each one names. */
export const QUOTA_TYPES = {
  "storage-volume": "storage",
  "download-traffic": "traffic",
  "request-count": "requests",
} as const;
export type QuotaType = keyof typeof QUOTA_TYPES;
export type Meter = (typeof QUOTA_TYPES)[QuotaType];
/** Storage GB·day, download GB, requests in 万次. */
export type Amounts = Record<Meter, number>;

export const isQuotaType = (s: string): s is QuotaType => Object.hasOwn(QUOTA_TYPES, s);

export interface QuotaStatus {
  granted: Amounts;
  used: Amounts;
  left: Amounts;
  owe: 0 | 1;
}

const whereScope = (projectId: string, region: string) => and(eq(quotas.projectId, projectId), eq(quotas.region, region));

/** Granted, used and left quota of a project in a region: one D1 round trip. */
export async function quotaStatus(db: Database, defaults: Amounts, projectId: string, region: string): Promise<QuotaStatus> {
  const [rows, [totals]] = await db.batch([
    db.select().from(quotas).where(whereScope(projectId, region)),
    usageTotalsQuery(db, projectId, region),
  ]);
  const row = rows[0];
  const granted: Amounts = row
    ? { storage: row.storageGranted, traffic: row.trafficGranted, requests: row.requestsGranted }
    : { ...defaults };
  const used: Amounts = {
    storage: gbDays(totals.storageByteSeconds),
    traffic: gigabytes(totals.downloadBytes),
    requests: tenThousands(totals.requests),
  };
  // The same arithmetic as OWE_OF_ROW below, so the API and the flag never disagree.
  const left: Amounts = {
    storage: granted.storage - used.storage,
    traffic: granted.traffic - used.traffic,
    requests: granted.requests - used.requests,
  };
  const owe = left.storage < 0 || left.traffic < 0 || left.requests < 0 ? 1 : 0;
  return { granted, used, left, owe };
}

/** Owe of the `quotas` row being updated, from all of its usage. */
const OWE_OF_ROW = sql`(
  SELECT (quotas.storage_granted - total(u.storage_byte_seconds) / ${BYTE_SECONDS_PER_GB_DAY}) < 0
      OR (quotas.traffic_granted - total(u.download_bytes) / ${BYTES_PER_GB}) < 0
      OR (quotas.requests_granted - total(u.requests) / ${REQUESTS_PER_UNIT}) < 0
  FROM usage_daily u WHERE u.project_id = quotas.project_id AND u.region = quotas.region)`;

/**
 * Statements that bring `quotas.owe` up to date for some (project, region) pairs, to run in the
 * same batch as (after) the usage or grant change. A pair without a row gets one holding the
 * defaults: a project's grant is fixed when it is first used, and the data plane's join finds it.
 * The pairs travel as one JSON parameter, so any number of them fits D1's 100-parameter limit.
 */
export function refreshOwe(defaults: Amounts, pairs: Iterable<readonly [string, string]>, now: number): Statement[] {
  const json = JSON.stringify([...pairs]);
  return [
    sql`INSERT INTO quotas (project_id, region, storage_granted, traffic_granted, requests_granted, owe, modified_at)
      SELECT DISTINCT json_extract(value, '$[0]'), json_extract(value, '$[1]'),
             ${defaults.storage}, ${defaults.traffic}, ${defaults.requests}, 0, ${now}
      FROM json_each(${json}) WHERE true
      ON CONFLICT (project_id, region) DO NOTHING`,
    sql`UPDATE quotas SET owe = ${OWE_OF_ROW}
      FROM (SELECT DISTINCT json_extract(value, '$[0]') AS p, json_extract(value, '$[1]') AS r FROM json_each(${json})) AS t
      WHERE quotas.project_id = t.p AND quotas.region = t.r`,
  ];
}

const GRANT_COLUMN = {
  storage: { key: "storageGranted", column: quotas.storageGranted },
  traffic: { key: "trafficGranted", column: quotas.trafficGranted },
  requests: { key: "requestsGranted", column: quotas.requestsGranted },
} as const;

/**
 * Adds `amount` to one meter's grant (a project without a row starts from the defaults) and
 * refreshes Owe, in one batch. The data plane sees the new flag within its bucket-cache TTL.
 */
export async function grantQuota(
  db: Database,
  defaults: Amounts,
  projectId: string,
  region: string,
  meter: Meter,
  amount: number,
  now: number,
): Promise<void> {
  const initial: Amounts = { ...defaults, [meter]: defaults[meter] + amount };
  const { key, column } = GRANT_COLUMN[meter];
  await batch(db, [
    db
      .insert(quotas)
      .values({
        projectId,
        region,
        storageGranted: initial.storage,
        trafficGranted: initial.traffic,
        requestsGranted: initial.requests,
        owe: 0,
        modifiedAt: now,
      })
      .onConflictDoUpdate({
        target: [quotas.projectId, quotas.region],
        set: { [key]: sql`${column} + ${amount}`, modifiedAt: now },
      }),
    ...refreshOwe(defaults, [[projectId, region]], now),
  ]);
}

/** For the data plane, on uploads and downloads: a project that owes gets 15011. */
export function assertNotOwing(bucket: ServedBucket): void {
  if (bucket.owe) {
    throw new ApiError("QuotaInsufficient", `project ${bucket.projectId} has used up its quota in ${bucket.region}`);
  }
}
