import { ApiError } from "../errors";
import type { Params } from "./params";

/** The accepted values of an integer amount: [min, max], and a step when there is one. */
export interface AmountRule {
  min: number;
  max: number;
  step?: number;
}

/**
 * An integer amount parameter (quota and price actions). Absent → undefined; not an integer or
 * not a multiple of the step → 15017; outside [min, max] → 15018 (docs/protocol.md §3.5 "Validation").
 */
export function amountParam(params: Params, name: string, rule: AmountRule): number | undefined {
  const n = params.int(name);
  if (n === undefined) return undefined;
  if (n < rule.min || n > rule.max) {
    throw new ApiError("ParameterOutOfRange", `${name} must be within [${rule.min}, ${rule.max}]`);
  }
  if (rule.step !== undefined && n % rule.step !== 0) {
    throw new ApiError("InvalidParameter", `${name} must be a multiple of ${rule.step}`);
  }
  return n;
}
