/**
 * Authorization, shared by every front: may this principal do what the operation needs?
 *
 *   authorize(principal, needs, facts)   throws the API's error unless every need is allowed
 *   mayReplace(principal)                false for TOKEN_DENY_UPDATE tokens (writes must not replace a key)
 *
 * Root may do anything. Anonymous may only READ here (the front has already decided that the object is
 * publicly readable); the one anonymous write, in an S3 public-read-write bucket, is decided by the S3
 * front without asking (s3/access.ts `anonymousMay`). A token is limited by its scope, checked in this order: expiry, client address
 * (IP lists), then for each need the bucket's project, the right (AllowedOps; UPDATE is WRITE without
 * TOKEN_DENY_UPDATE), the bucket (AllowedBuckets) and the key or listing prefix (AllowedPrefixes).
 * A need on the service itself (S3 ListBuckets) names no bucket: only the right is checked, and the
 * operation shows the token nothing outside its project and AllowedBuckets.
 *
 * Fail closed: an empty allow-list grants nothing; only `*` grants everything of its kind.
 */
import { ApiError } from "../errors";
import { blockContains, parseIp, parseIpBlock } from "./ip";
import type { Principal, Right, TokenScope } from "./principal";

export type Need = BucketNeed | ServiceNeed;

/** A right on the service itself, not on one bucket (S3 ListBuckets). */
export interface ServiceNeed {
  right: Right;
  service: true;
}

export interface BucketNeed {
  right: Right;
  service?: undefined;
  bucket: string;
  /** Project owning `bucket`: a token never reaches another project's buckets. */
  bucketProjectId: string;
  /** The object key the right applies to. */
  key?: string;
  /** Listings: the request's `prefix` ("" when absent). */
  listPrefix?: string;
}

/** What authorization needs to know about the request itself. */
export interface RequestFacts {
  /** Unix seconds. */
  now: number;
  /** The client's address (src/auth/client-ip.ts), null when unknown. */
  clientIp: string | null;
}

/** Whether an allow-list admits a value: `*` admits everything, an empty list nothing. */
const admits = (list: readonly string[], ok: (entry: string) => boolean): boolean => list.includes("*") || list.some(ok);

/** Why the client address is refused by the token's IP lists, or null. Unknown or unparsable addresses are refused. */
function ipViolation(scope: TokenScope, ip: string | null): string | null {
  if (scope.blackIpList.length === 0 && scope.whiteIpList.length === 0) return null;
  const addr = ip === null ? null : parseIp(ip);
  if (!addr) return "the client address is unknown, and this token has IP lists";
  const listed = (list: readonly string[]) => list.some((entry) => {
    const block = parseIpBlock(entry);
    return block !== null && blockContains(block, addr);
  });
  if (listed(scope.blackIpList)) return `client address ${ip} is in BlackIPList`;
  if (scope.whiteIpList.length > 0 && !listed(scope.whiteIpList)) return `client address ${ip} is not in WhiteIPList`;
  return null;
}

/** Why the token lacks a right, or null. */
function rightViolation(scope: TokenScope, right: Right): string | null {
  const allow = right === "UPDATE" ? "TOKEN_ALLOW_WRITE" : `TOKEN_ALLOW_${right}`;
  if (!scope.allowedOps.includes(allow)) return `the token lacks ${allow}`;
  if (right === "UPDATE" && scope.denyUpdate) return "this token has TOKEN_DENY_UPDATE: it may create objects but not change existing ones";
  return null;
}

/** The first scope rule a need breaks, or null. Prefixes match literally: `photos/` does not admit `photos2/x`. */
function needViolation(scope: TokenScope, need: Need): string | null {
  if (need.service) return rightViolation(scope, need.right);
  if (need.bucketProjectId !== scope.projectId) return "the bucket belongs to another project";
  const right = rightViolation(scope, need.right);
  if (right) return right;
  if (!admits(scope.allowedBuckets, (b) => b === need.bucket)) return `bucket ${need.bucket} is not in AllowedBuckets`;
  for (const [what, value] of [["key", need.key], ["prefix", need.listPrefix]] as const) {
    if (value !== undefined && !admits(scope.allowedPrefixes, (p) => value.startsWith(p))) {
      return `the ${what} is not under AllowedPrefixes`;
    }
  }
  return null;
}

/** Throws unless the principal may do all of `needs`. */
export function authorize(principal: Principal, needs: readonly Need[], facts: RequestFacts): void {
  switch (principal.kind) {
    case "root":
      return;
    case "anonymous":
      if (needs.some((n) => n.right !== "READ")) throw new ApiError("NoAuthorization");
      return;
    case "token": {
      const { scope } = principal;
      if (facts.now > scope.expireTime) throw new ApiError("TokenExpires");
      if (scope.allowedOps.length === 0) throw new ApiError("TokenPermissionDenied", "the token grants nothing (its stored scope is empty or unreadable)");
      const refusal = ipViolation(scope, facts.clientIp) ?? needs.map((need) => needViolation(scope, need)).find((why) => why !== null);
      if (refusal) throw new ApiError("TokenPermissionDenied", refusal);
      return;
    }
  }
}

/** Whether the principal's writes may replace an existing key (TOKEN_DENY_UPDATE says no). */
export const mayReplace = (principal: Principal): boolean => principal.kind !== "token" || !principal.scope.denyUpdate;
