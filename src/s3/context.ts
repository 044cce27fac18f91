import type { ServedBucket } from "../store/buckets";
import { getObject, type ObjectRow } from "../store/objects";
import type { S3Context } from "./operation-spec";

export type { S3Address, S3Context } from "./operation-spec";

/** The addressed object's row, read once per request: the anonymous-read check and GET/HEAD share it. */
export function addressedObject(c: S3Context): Promise<ObjectRow | null> {
  return (c.object ??= getObject(c.db, servedBucket(c).id, c.key));
}

/** The addressed bucket; only called by operations that run with one loaded. */
export function servedBucket(c: S3Context): ServedBucket {
  if (!c.bucket) throw new Error(`S3 operation on ${c.bucketName} ran without its bucket`);
  return c.bucket;
}
