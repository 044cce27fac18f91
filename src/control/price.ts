import { ApiError } from "../errors";
import { quotePrice } from "../metering/prices";
import { amountParam } from "./amounts";
import type { ControlAction } from "./context";

/**
 * GetUFileQuotaPrice (spec 000 §17): the price in 分 of buying the given amounts in the region.
 * Every amount is optional (0); StorageVolume goes in steps of 100 GB·day.
 */
export const getUFileQuotaPrice: ControlAction = async (c) => {
  const amounts = {
    storage: amountParam(c.params, "StorageVolume", { min: 0, max: 30_000_000, step: 100 }) ?? 0,
    traffic: amountParam(c.params, "DownloadTraffic", { min: 0, max: 60_000 }) ?? 0,
    requests: amountParam(c.params, "RequestCount", { min: 0, max: 1_000_000 }) ?? 0,
  };
  const price = await quotePrice(c.db, c.region, amounts);
  if (price === null) throw new ApiError("Internal20", `no price row for region ${c.region} and no default row "*"`);
  return { Price: price };
};
