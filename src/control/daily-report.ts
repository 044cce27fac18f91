import { ApiError } from "../errors";
import { DAY_SECONDS, gbDays, gigabytes, tenThousands } from "../metering/units";
import { dailyUsage, type UsageTotals } from "../metering/usage";
import { bucketInProject } from "../store/buckets";
import type { ControlAction } from "./context";
import { reportDays } from "./report";

/**
 * GetUFileDailyReport (ucloud-sdk-python3; docs/protocol.md §3.6.4): daily usage of the project in
 * the region, or of one bucket with `BucketName`, as `DataSet: [{Daily: [...], Total: [...]}]`.
 * Every day touched by [StartTime, EndTime] has an item (zeros when nothing was metered).
 *
 * - `Storage`, `IaStorage`, `AcStorage`: the day's average GB stored in STANDARD, in IA and in
 *   ARCHIVE/COLD (GB·day integrated by the cron over the day from the per-class byte counters;
 *   STANDARD is the total less the other two). `Total` carries their sums over the range too
 *   (edgefile's addition: the SDKs' total item has no storage fields).
 * - `Flow`: GB downloaded; `BusyFlow`/`IdleFlow` (a split by hour of day) and `CdnFlow` are 0:
 *   edgefile keeps no hourly split and has no CDN.
 * - `IaGetSize`: GB read from IA objects (the response bodies of GetFile and S3 GetObject, as
 *   `Flow` counts them); `AcRestore`: GB of ARCHIVE/COLD objects whose restore started (Restore).
 * - `ApiTimes`: requests in 万次 (10⁴).
 * - edgefile additions (ignored by the SDKs): `LifecycleDeletes`, `LifecycleTransitions`, the
 *   objects the lifecycle rules deleted and moved that day.
 */

function amounts(u: UsageTotals | undefined) {
  const ia = u?.iaByteSeconds ?? 0;
  const archive = u?.archiveByteSeconds ?? 0;
  return {
    Storage: gbDays((u?.storageByteSeconds ?? 0) - ia - archive),
    IaStorage: gbDays(ia),
    AcStorage: gbDays(archive),
    ApiTimes: tenThousands(u?.requests ?? 0),
    Flow: gigabytes(u?.downloadBytes ?? 0),
    IaGetSize: gigabytes(u?.iaGetBytes ?? 0),
    AcRestore: gigabytes(u?.restoreBytes ?? 0),
    BusyFlow: 0,
    IdleFlow: 0,
    CdnFlow: 0,
  };
}

export const getUFileDailyReport: ControlAction = async (c) => {
  const { from, to } = reportDays(c);
  const name = c.params.nonEmpty("BucketName");
  let bucketId: string | undefined;
  if (name !== undefined) {
    const bucket = await bucketInProject(c.db, c.projectId, name);
    if (!bucket) throw new ApiError("BucketNotFound", name);
    bucketId = bucket.id;
  }
  const usage = new Map((await dailyUsage(c.db, c.projectId, c.region, from, to, bucketId)).map((u) => [u.day, u]));
  const Daily = [];
  const total: UsageTotals = {
    requests: 0,
    downloadBytes: 0,
    iaGetBytes: 0,
    restoreBytes: 0,
    storageByteSeconds: 0,
    iaByteSeconds: 0,
    archiveByteSeconds: 0,
    lifecycleDeletes: 0,
    lifecycleTransitions: 0,
  };
  for (let day = from; day <= to; day += DAY_SECONDS) {
    const u = usage.get(day);
    if (u) for (const k of Object.keys(total) as (keyof UsageTotals)[]) total[k] += u[k];
    Daily.push({
      Date: day,
      ...amounts(u),
      LifecycleDeletes: u?.lifecycleDeletes ?? 0,
      LifecycleTransitions: u?.lifecycleTransitions ?? 0,
    });
  }
  return { DataSet: [{ Daily, Total: [amounts(total)] }] };
};
