import { nowSeconds } from "../config";
import { ApiError } from "../errors";
import { grantQuota, isQuotaType, quotaStatus, QUOTA_TYPES, type Meter, type QuotaType } from "../metering/quotas";
import { amountParam, type AmountRule } from "./amounts";
import type { ControlAction, ControlContext } from "./context";

/** Quota actions: spec 000 §16 and §19, docs/protocol.md §3.5, and UCloud's BuyUFileQuota. */

function quotaType(raw: string): QuotaType {
  if (!isQuotaType(raw)) {
    throw new ApiError("InvalidParameter", `QuotaType must be one of ${Object.keys(QUOTA_TYPES).join(", ")}`);
  }
  return raw;
}

function requiredQuotaType(c: ControlContext): Meter {
  return QUOTA_TYPES[quotaType(c.params.required("QuotaType"))];
}

/** GetUFileQuota: what is left of one quota type in the request's region. */
export const getUFileQuota: ControlAction = async (c) => {
  const meter = requiredQuotaType(c);
  const { left } = await quotaStatus(c.db, c.settings.defaultQuota, c.projectId, c.region);
  return { LeftQuota: left[meter] };
};

/**
 * GetUFileQuotaInfo: the region's quota state. `QuotaType.N` is required and validated; all three
 * amounts are always answered, since Owe depends on all three (extra fields break no SDK).
 * The amounts are objects `{Left}`: ucloud-sdk-go unmarshals them into a struct (docs/protocol.md §9.32).
 */
export const getUFileQuotaInfo: ControlAction = async (c) => {
  const types = c.params.list("QuotaType");
  if (!types || types.length === 0) throw new ApiError("MissingParameter", "QuotaType.N is required");
  types.forEach(quotaType);
  const { left, owe } = await quotaStatus(c.db, c.settings.defaultQuota, c.projectId, c.region);
  return {
    DataSet: [
      {
        Region: c.region,
        Owe: owe,
        Storage: { Left: left.storage },
        DownloadFlow: { Left: left.traffic },
        RequestCnt: { Left: left.requests },
      },
    ],
  };
};

/** What one purchase may add (UCloud's BuyUFileQuota documentation). */
const PURCHASE: Record<Meter, AmountRule> = {
  storage: { min: 100, max: 30_000_000, step: 100 },
  traffic: { min: 1, max: 102_400 },
  requests: { min: 1, max: 1_000_000 },
};

/** An order number in UCloud's style: the UTC time to the second, then five random digits. */
function orderNumber(now: number): string {
  const stamp = new Date(now * 1000).toISOString().replace(/\D/g, "").slice(0, 14);
  const random = crypto.getRandomValues(new Uint32Array(1))[0] % 100_000;
  return stamp + String(random).padStart(5, "0");
}

/**
 * BuyUFileQuota (UCloud API: QuotaType, Quota, Region, ProjectId, CouponId ignored): adds to the
 * region's grant and clears Owe once nothing is negative. Root keys only: the control plane
 * refuses token keys before any action runs (15037).
 */
export const buyUFileQuota: ControlAction = async (c) => {
  const meter = requiredQuotaType(c);
  const quota = amountParam(c.params, "Quota", PURCHASE[meter]);
  if (quota === undefined) throw new ApiError("MissingParameter", "Quota is required");
  const now = nowSeconds();
  await grantQuota(c.db, c.settings.defaultQuota, c.projectId, c.region, meter, quota, now);
  return { OrderNumber: orderNumber(now) };
};
