import { nowSeconds } from "../config";
import { checkRefererRule } from "../core/rules";
import { ApiError } from "../errors";
import { bucketInProject } from "../store/buckets";
import { setRefererRule, type RefererRule } from "../store/rules";
import type { ControlAction } from "./context";

/**
 * SetUFileReferer (ucloud-sdk-python3; docs/protocol.md §3.6.2): `RefererStatus` on sets the rule,
 * off removes it (US3: turning it off clears the settings). The rule acts on anonymous and presigned
 * reads of every front (src/core/referer.ts). DescribeBucket shows it (edgefile's `Referer` field).
 */
export const setUFileReferer: ControlAction = async (c) => {
  const name = c.params.required("BucketName");
  const status = c.params.required("RefererStatus");
  if (status !== "on" && status !== "off") throw new ApiError("InvalidParameter", "RefererStatus must be on or off");
  const bucket = await bucketInProject(c.db, c.projectId, name);
  if (!bucket) throw new ApiError("BucketNotFound", name);
  if (status === "off") {
    await setRefererRule(c.db, bucket, null, nowSeconds());
    return {};
  }
  const type = c.params.int("RefererType");
  if (type === undefined) throw new ApiError("MissingParameter", "RefererType is required when RefererStatus is on");
  if (type !== 1 && type !== 2) throw new ApiError("InvalidParameter", "RefererType must be 1 (blacklist) or 2 (whitelist)");
  const allowNull = c.params.nonEmpty("RefererAllowNull") ?? "true";
  if (allowNull !== "true" && allowNull !== "false") throw new ApiError("InvalidParameter", "RefererAllowNull must be true or false");
  const referers = c.params.list("Referers") ?? [];
  if (referers.length === 0) throw new ApiError("MissingParameter", "Referers.N is required when RefererStatus is on");
  const rule: RefererRule = { type, referers, allowEmpty: allowNull === "true" };
  checkRefererRule(rule);
  await setRefererRule(c.db, bucket, rule, nowSeconds());
  return {};
};
