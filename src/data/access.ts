import type { Env } from "../config";
import { authenticate, rootKeySource, type ListObjectsQuery, type PostFileForm } from "./auth";
import type { DataContext } from "./context";
import type { KeySource, Principal } from "./principal";
import { tokenKeySource } from "./token-keys";
import { authorize, needsFor, type Operation, type OperationTarget } from "./scope";

/**
 * The glue between an operation and auth: who signed (auth.ts), then may they (scope.ts).
 * Key sources are consulted in order: the root pair, then tokens (`TOKEN_<id>`).
 */
const KEY_SOURCES: readonly KeySource[] = [rootKeySource, tokenKeySource];

export interface AccessCheck {
  /** Decoded keys whose `/bucket/key` may have been signed. */
  signedKeys: string[];
  /** What the rights are checked on, beyond the request's bucket. */
  target: Omit<OperationTarget, "bucket" | "bucketProjectId">;
  listObjects?: ListObjectsQuery;
  form?: PostFileForm;
}

/** Authenticates the request and authorizes `op` on `check.target`; throws the API's error otherwise. */
export async function checkAccess(c: DataContext, op: Operation, check: AccessCheck, env: Env = c.env): Promise<Principal> {
  const isObjectRead = op === "GetFile" || op === "HeadFile";
  const principal = await authenticate(
    {
      method: c.request.method,
      headers: c.request.headers,
      url: c.url,
      bucket: c.bucket.name,
      resourceKeys: check.signedKeys,
      listObjects: check.listObjects,
      form: check.form,
      anonymousAllowed: isObjectRead && c.bucket.type === "public",
      now: c.now,
    },
    env,
    KEY_SOURCES,
  );
  authorize(principal, needsFor(op, { bucket: c.bucket.name, bucketProjectId: c.bucket.projectId, ...check.target }), c.now);
  return principal;
}
