import { ApiError } from "../errors";
import { DAY_SECONDS, dayStart, gbDays, gigabytes, tenThousands } from "../metering/units";
import { dailyUsage } from "../metering/usage";
import type { ControlAction, ControlContext } from "./context";

/** "Less than one year" (spec 000 §18), a year being 365 days. */
const MAX_SPAN_SECONDS = 365 * DAY_SECONDS;

/**
 * The UTC days a report covers: every day touched by [StartTime, EndTime], as day starts.
 * A reversed, negative or year-long range is out of range (15018); a non-integer is 15017.
 * Shared by GetUFileReport and GetUFileDailyReport (src/control/daily-report.ts).
 */
export function reportDays(c: ControlContext): { from: number; to: number } {
  const start = c.params.int("StartTime");
  const end = c.params.int("EndTime");
  if (start === undefined || end === undefined) throw new ApiError("MissingParameter", "StartTime and EndTime are required");
  if (start < 0 || start > end) throw new ApiError("ParameterOutOfRange", "0 <= StartTime <= EndTime is required");
  if (end - start >= MAX_SPAN_SECONDS) throw new ApiError("ParameterOutOfRange", "EndTime - StartTime must be under one year");
  return { from: dayStart(start), to: dayStart(end) };
}

/**
 * GetUFileReport (spec 000 §18, docs/protocol.md §9.19): the project's usage in the region, one item
 * per UTC day touched by [StartTime, EndTime], days without usage included as zeros.
 */
export const getUFileReport: ControlAction = async (c) => {
  const { from, to } = reportDays(c);
  const usage = new Map((await dailyUsage(c.db, c.projectId, c.region, from, to)).map((u) => [u.day, u]));
  const DataSet = [];
  for (let day = from; day <= to; day += DAY_SECONDS) {
    const u = usage.get(day);
    DataSet.push({
      Time: day,
      StorageVolume: gbDays(u?.storageByteSeconds ?? 0),
      DownloadTraffic: gigabytes(u?.downloadBytes ?? 0),
      RequestCount: tenThousands(u?.requests ?? 0),
    });
  }
  return { DataSet };
};
