import { createBucket, deleteBucket, describeBucket, updateBucket } from "./buckets";
import type { ControlAction } from "./context";
import { getUFileQuotaPrice } from "./price";
import { buyUFileQuota, getUFileQuota, getUFileQuotaInfo } from "./quota";
import { getUFileReport } from "./report";
import { getUFileDailyReport } from "./daily-report";
import { createUFileLifeCycle, deleteUFileLifeCycle, describeUFileLifeCycle, updateUFileLifeCycle } from "./lifecycle";
import { setUFileReferer } from "./referer";
import { setUFileCORS } from "./cors";
import { createUFileToken, deleteUFileToken, describeUFileToken, updateUFileToken } from "./tokens";

/**
 * The control-plane action table: `Action` parameter → handler.
 * Add an action here and it is routed, signed and enveloped like every other.
 */
export const ACTIONS: Record<string, ControlAction> = {
  CreateBucket: createBucket,
  DescribeBucket: describeBucket,
  UpdateBucket: updateBucket,
  DeleteBucket: deleteBucket,
  GetUFileQuota: getUFileQuota,
  GetUFileQuotaInfo: getUFileQuotaInfo,
  GetUFileQuotaPrice: getUFileQuotaPrice,
  GetUFileReport: getUFileReport,
  BuyUFileQuota: buyUFileQuota,
  CreateUFileToken: createUFileToken,
  UpdateUFileToken: updateUFileToken,
  DeleteUFileToken: deleteUFileToken,
  DescribeUFileToken: describeUFileToken,
  CreateUFileLifeCycle: createUFileLifeCycle,
  DescribeUFileLifeCycle: describeUFileLifeCycle,
  UpdateUFileLifeCycle: updateUFileLifeCycle,
  DeleteUFileLifeCycle: deleteUFileLifeCycle,
  SetUFileReferer: setUFileReferer,
  GetUFileDailyReport: getUFileDailyReport,
  SetUFileCORS: setUFileCORS,
};

/** Actions that only read: a nearby D1 read replica may answer them (store/sessions.ts). */
export const READ_ACTIONS: ReadonlySet<string> = new Set([
  "DescribeBucket",
  "GetUFileQuota",
  "GetUFileQuotaInfo",
  "GetUFileQuotaPrice",
  "GetUFileReport",
  "DescribeUFileToken",
  "DescribeUFileLifeCycle",
  "GetUFileDailyReport",
]);
