/**
 * Data-plane authorization (PROTOCOL.md §8): may this principal do what the operation needs?
 *
 *   authorize(principal, needs: Need[], now): void     throws unless every need is allowed
 *   OPERATION_RIGHTS: Record<Operation, [Right, Subject][]>   the §8 table as data
 *   needsFor(op, target: OperationTarget): Need[]      that table applied to one request
 *
 * Root may do anything; anonymous may only READ (the caller has checked the bucket is
 * public); a token is limited by its scope: expiry, project, AllowedOps, AllowedBuckets,
 * AllowedPrefixes.
 */
import { ApiError } from "../errors";
import type { Principal, Right, TokenScope } from "./principal";

export interface Need {
  right: Right;
  bucket: string;
  /** Project owning `bucket`: a token never reaches another project's buckets. */
  bucketProjectId: string;
  /** The object key the right applies to. */
  key?: string;
  /** Listings: the request's `prefix` ("" when absent). */
  listPrefix?: string;
}

/** Whether an allow-list admits a value: empty or `*` admit everything (principal.ts). */
const admits = (list: readonly string[], ok: (entry: string) => boolean): boolean =>
  list.length === 0 || list.includes("*") || list.some(ok);

/** The first scope rule a need breaks, or null. Prefixes match literally: `photos/` does not admit `photos2/x`. */
function violation(scope: TokenScope, need: Need): string | null {
  if (need.bucketProjectId !== scope.projectId) return "bucket belongs to another project";
  if (!scope.allowedOps.includes(`TOKEN_ALLOW_${need.right}`)) return `token lacks TOKEN_ALLOW_${need.right}`;
  if (!admits(scope.allowedBuckets, (b) => b === need.bucket)) return `bucket ${need.bucket} not in AllowedBuckets`;
  for (const [what, value] of [["key", need.key], ["prefix", need.listPrefix]] as const) {
    if (value !== undefined && !admits(scope.allowedPrefixes, (p) => value.startsWith(p))) {
      return `${what} not under AllowedPrefixes`;
    }
  }
  return null;
}

/** Throws unless the principal may do all of `needs`. */
export function authorize(principal: Principal, needs: readonly Need[], now: number): void {
  switch (principal.kind) {
    case "root":
      return;
    case "anonymous":
      if (needs.some((n) => n.right !== "READ")) throw new ApiError("NoAuthorization");
      return;
    case "token": {
      const { scope } = principal;
      if (now > scope.expireTime) throw new ApiError("TokenExpires");
      for (const need of needs) {
        const why = violation(scope, need);
        if (why) throw new ApiError("TokenPermissionDenied", why);
      }
      return;
    }
  }
}

// ───────────────────────── operation → needs ─────────────────────────

export type Operation =
  | "PutFile" | "PostFile" | "UploadHit" | "GetFile" | "HeadFile" | "DeleteFile"
  | "PrefixFileList" | "ListObjects" | "GetMultiUploadPart" | "GetMultiUploadId"
  | "InitiateMultipartUpload" | "UploadPart" | "UploadPartCopy" | "FinishMultipartUpload" | "AbortMultipartUpload"
  | "OpMeta" | "Copy" | "Rename" | "Restore" | "ClassSwitch";

/** What a right is checked on: the request's key, the copy source, Rename's new key, or the listing prefix. */
export type Subject = "key" | "source" | "newKey" | "prefix";

const W = ["WRITE", "key"] as const;

/** PROTOCOL.md §8, operation → right. */
export const OPERATION_RIGHTS: Record<Operation, readonly (readonly [Right, Subject])[]> = {
  GetFile: [["READ", "key"]],
  HeadFile: [["READ", "key"]],
  PutFile: [W],
  PostFile: [W],
  UploadHit: [W],
  InitiateMultipartUpload: [W],
  UploadPart: [W],
  FinishMultipartUpload: [W], // the caller passes the final key (newKey when it applies)
  AbortMultipartUpload: [W],
  OpMeta: [W],
  Restore: [W],
  ClassSwitch: [W],
  Copy: [W, ["READ", "source"]],
  UploadPartCopy: [W, ["READ", "source"]],
  Rename: [["DELETE", "key"], ["WRITE", "newKey"]],
  DeleteFile: [["DELETE", "key"]],
  PrefixFileList: [["LIST", "prefix"]],
  ListObjects: [["LIST", "prefix"]],
  GetMultiUploadPart: [["LIST", "prefix"]],
  GetMultiUploadId: [["LIST", "prefix"]],
};

export interface ObjectRef {
  bucket: string;
  bucketProjectId: string;
  key: string;
}

/** The request's own bucket plus whatever the operation's subjects need. */
export interface OperationTarget {
  bucket: string;
  bucketProjectId: string;
  key?: string;
  /** Listings: the request's `prefix`, "" when absent. */
  listPrefix?: string;
  /** Copy / UploadPartCopy. */
  source?: ObjectRef;
  /** Rename. */
  newKey?: string;
}

/** The needs of one request; throws if the target lacks a subject the operation checks (a caller bug, never fail open). */
export function needsFor(op: Operation, t: OperationTarget): Need[] {
  const here = { bucket: t.bucket, bucketProjectId: t.bucketProjectId };
  const subjects: Record<Subject, () => Omit<Need, "right"> | undefined> = {
    key: () => (t.key === undefined ? undefined : { ...here, key: t.key }),
    newKey: () => (t.newKey === undefined ? undefined : { ...here, key: t.newKey }),
    prefix: () => ({ ...here, listPrefix: t.listPrefix ?? "" }),
    source: () => t.source && { ...t.source },
  };
  return OPERATION_RIGHTS[op].map(([right, subject]) => {
    const where = subjects[subject]();
    if (!where) throw new Error(`needsFor(${op}): the target has no ${subject}`);
    return { right, ...where };
  });
}
