import type { Principal } from "../auth/principal";
import { mayReplace } from "../auth/scope";
import { ApiError } from "../errors";
import type { Database } from "../store/db";
import { deleteObject, getObject, type DeleteCondition, type WriteMode, type WriteResult } from "../store/objects";

/**
 * The checks of a write every front shares. Quota: a bucket whose project owes money takes no
 * writes (metering/quotas.ts `assertNotOwing`, called by each write before it stores a byte).
 * TOKEN_DENY_UPDATE: a token that may not replace objects writes in create-only mode, and a write
 * that then wrote nothing is explained here. Changing an existing object in place (class, ACL,
 * tags, metadata) is the UPDATE right, which the operation tables name and src/auth/scope.ts refuses
 * to such a token before anything runs. Conditional writes: `If-None-Match: *` writes only
 * where no object exists (the create-only write a lock or an atomic commit needs), `If-None-Match:
 * "<etag>"[, …]` only where no object with one of those ETags exists, `If-Match: "<etag>"[, …]`
 * only over an object that has one of those ETags (S3 or UFile form; `*`: any object). All are checked in the write's own transaction (store/objects.ts `WriteMode`), so two
 * racing writers cannot both win. Conditional deletes (`If-Match`, and S3's size and write-time
 * conditions) are checked in the delete's own batch the same way.
 */

/**
 * How a write treats an existing key: a TOKEN_DENY_UPDATE token may only create; the request's
 * `If-None-Match: *` / `If-Match` (when `headers` are given) add their conditions.
 */
export function writeModeOf(principal: Principal, headers?: Headers): WriteMode {
  const mode: WriteMode = { ifAbsent: !mayReplace(principal) };
  const none = headers?.get("If-None-Match") ?? null;
  if (none !== null) {
    const tags = etagList(none, "If-None-Match");
    if (tags.includes("*")) mode.ifAbsent = true;
    else mode.ifNoneMatch = tags;
  }
  const match = headers?.get("If-Match") ?? null;
  if (match !== null) mode.ifMatch = etagList(match, "If-Match");
  return mode;
}

/** `"a", W/"b", c` → the ETags, unquoted; none at all is InvalidArgument (`header` names the field). */
export function etagList(value: string, header: string): string[] {
  const tags = value
    .split(",")
    .map((t) => t.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1"))
    .filter((t) => t !== "");
  if (tags.length === 0) throw new ApiError("InvalidArgument", `${header} names no ETag`);
  return tags;
}

/**
 * After a write: nothing to say when it was written. Otherwise the request's own condition
 * (412, or 404 for If-Match on a missing key); in create-only mode with the key taken, 403
 * TokenPermissionDenied (as the token scope refuses the replacement); else `otherwise` (the
 * bucket or the source vanished meanwhile).
 */
export async function explainUnwritten(
  db: Database,
  bucketId: string,
  key: string,
  result: WriteResult,
  mode: WriteMode,
  otherwise: () => ApiError,
  headers?: Headers,
): Promise<void> {
  if (result.written) return;
  if (!mode.ifAbsent && !mode.ifMatch && !mode.ifNoneMatch) throw otherwise();
  const row = await getObject(db, bucketId, key);
  if (mode.ifMatch && !row) throw new ApiError("FileNotExist", "The specified key does not exist.");
  if (row && headers?.has("If-None-Match")) throw new ApiError("PreconditionFailed", "If-None-Match — the object exists (with a listed ETag)");
  if (row && mode.ifMatch) throw new ApiError("PreconditionFailed", "If-Match — the object's ETag differs");
  if (row && mode.ifAbsent) {
    throw new ApiError("TokenPermissionDenied", `${key} exists and this token has TOKEN_DENY_UPDATE: it may not replace objects`);
  }
  throw otherwise();
}

/** A delete's `If-Match` (RFC 9110 §13.1.1; S3 adds its own conditions to it): none when absent. */
export function deleteConditionOf(headers: Headers): DeleteCondition {
  const match = headers.get("If-Match");
  return match === null ? {} : { etags: etagList(match, "If-Match") };
}

const isEmpty = (c: DeleteCondition) => c.etags === undefined && c.modifiedAt === undefined && c.size === undefined;

/**
 * Deletes (bucket, key) if its row meets `condition` (store/objects.ts `DeleteCondition`). An
 * existing object that fails it is kept: 412 PreconditionFailed. A missing key is not an error
 * here (`written` false): each front answers it its own way.
 */
export async function deleteIfMeets(db: Database, bucketId: string, key: string, condition: DeleteCondition): Promise<WriteResult> {
  const conditional = !isEmpty(condition);
  const result = await deleteObject(db, bucketId, key, conditional ? condition : undefined);
  if (!result.written && conditional && (await getObject(db, bucketId, key))) {
    throw new ApiError("PreconditionFailed", "the object does not meet the delete's If-Match / size / last-modified condition");
  }
  return result;
}
