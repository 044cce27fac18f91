import type { Env, Settings } from "../config";
import type { ServedBucket } from "../store/buckets";
import type { Database } from "../store/db";
import { getObject, type ObjectRow } from "../store/objects";
import type { Principal } from "../auth/principal";
import type { VerifiedSigV4 } from "./sigv4";
import type { S3OperationSpec } from "./operation-spec";

/** Where an S3 request points: path style `/<bucket>/<key>` or virtual-hosted `<bucket>.<S3 host>/<key>`. */
export interface S3Address {
  style: "path" | "virtual";
  /** null: the service itself (ListBuckets). */
  bucket: string | null;
  /** The object key, percent-decoded once; "" on bucket and service requests. */
  key: string;
}

/** What every S3 operation receives. */
export interface S3Context {
  request: Request;
  url: URL;
  env: Env;
  ctx: ExecutionContext;
  settings: Settings;
  db: Database;
  address: S3Address;
  /** Shorthands of `address`. */
  bucketName: string;
  key: string;
  /** The addressed bucket, loaded before the handler runs (undefined on service requests and CreateBucket). */
  bucket?: ServedBucket;
  /** The operation's row. */
  operation: S3OperationSpec;
  principal: Principal;
  /** The verified signature (null for anonymous requests); the chunk decoder chains on it. */
  auth: VerifiedSigV4<Principal> | null;
  query: URLSearchParams;
  requestId: string;
  /** Unix seconds. */
  now: number;
  /** The addressed object's row, once read (`addressedObject`). */
  object?: Promise<ObjectRow | null>;
}

/** The addressed object's row, read once per request: the anonymous-read check and GET/HEAD share it. */
export function addressedObject(c: S3Context): Promise<ObjectRow | null> {
  return (c.object ??= getObject(c.db, servedBucket(c).id, c.key));
}

/** The addressed bucket; only called by operations that run with one loaded. */
export function servedBucket(c: S3Context): ServedBucket {
  if (!c.bucket) throw new Error(`S3 operation on ${c.bucketName} ran without its bucket`);
  return c.bucket;
}
