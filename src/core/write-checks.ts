import type { Principal } from "../auth/principal";
import { mayReplace } from "../auth/scope";
import { ApiError } from "../errors";
import type { Database } from "../store/db";
import { getObject, type WriteMode, type WriteResult } from "../store/objects";

/**
 * The checks of a write every front shares. Quota: a bucket whose project owes money takes no
 * writes (metering/quotas.ts `assertNotOwing`, called by each write before it stores a byte).
 * TOKEN_DENY_UPDATE: a token that may not replace objects writes in create-only mode, and a write
 * that then wrote nothing is explained here. Changing an existing object in place (class, ACL,
 * tags, metadata) is the UPDATE right, which the operation tables name and src/auth/scope.ts refuses
 * to such a token before anything runs.
 */

/** How a principal's writes treat an existing key: a TOKEN_DENY_UPDATE token may only create. */
export const writeModeOf = (principal: Principal): WriteMode => ({ ifAbsent: !mayReplace(principal) });

/**
 * After a write: nothing to say when it was written. Otherwise, in create-only mode with the key
 * taken, 403 TokenPermissionDenied (as the token scope refuses the replacement); else `otherwise`
 * (the bucket or the source vanished meanwhile).
 */
export async function explainUnwritten(
  db: Database,
  bucketId: string,
  key: string,
  result: WriteResult,
  mode: WriteMode,
  otherwise: () => ApiError,
): Promise<void> {
  if (result.written) return;
  if (mode.ifAbsent && (await getObject(db, bucketId, key))) {
    throw new ApiError("TokenPermissionDenied", `${key} exists and this token has TOKEN_DENY_UPDATE: it may not replace objects`);
  }
  throw otherwise();
}
