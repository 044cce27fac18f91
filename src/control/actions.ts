import { createBucket, deleteBucket, describeBucket, updateBucket } from "./buckets";
import type { ControlAction } from "./context";

/**
 * The control-plane action table: `Action` parameter → handler.
 * Add an action here and it is routed, signed and enveloped like every other.
 */
export const ACTIONS: Record<string, ControlAction> = {
  CreateBucket: createBucket,
  DescribeBucket: describeBucket,
  UpdateBucket: updateBucket,
  DeleteBucket: deleteBucket,
};
