import { ApiError } from "../errors";
import { grantsAcl, OWNER_FULL_CONTROL, type Grant, type GrantAcl } from "./acl-grants";

/**
 * The ACL a request names in its headers (or a POST form in its fields, read as the same headers):
 * a canned ACL (`x-amz-acl`) or grant headers (`x-amz-grant-<permission>: id="…", uri="…",
 * emailAddress="…"`), never both (InvalidRequest, as S3). Grant headers mean what the same grants in
 * an AccessControlPolicy body mean (acl-grants.ts `grantsAcl`): the canned ACL they equal (the
 * owner's FULL_CONTROL alone: `bucket-owner-full-control`; with AllUsers READ: `public-read`), or a
 * grant edgefile cannot hold.
 */

/** S3's grant headers, each granting its permission to the grantees it lists. */
export const GRANT_HEADERS = ["x-amz-grant-full-control", "x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp", "x-amz-grant-write-acp"] as const;

/**
 * What the headers ask for: none (null), a canned ACL (`canned`, as sent, or the one the grants equal),
 * or grants edgefile cannot hold (`unsupported`: the first, refused once the bucket's own refusal, if
 * any, has had its turn).
 */
export type HeaderAcl = GrantAcl | null;

/** One `type=value` (value optionally in double quotes) of a grant header's comma-separated list. */
const GRANTEE = /^\s*([A-Za-z]+)\s*=\s*(?:"([^"]*)"|([^",\s]+))\s*$/;

/** The grantees a grant header lists, as `[type, value]` (type lower-cased); a malformed list is InvalidArgument. */
function grantees(header: string, value: string): [string, string][] {
  return value.split(",").map((part) => {
    const m = GRANTEE.exec(part);
    if (!m) throw new ApiError("InvalidArgument", `${header} must list grantees as id="…", uri="…" or emailAddress="…"`);
    return [m[1]!.toLowerCase(), m[2] ?? m[3]!];
  });
}

/** The ACL `headers` name for a bucket owned by `ownerId`. */
export function headerAcl(headers: Headers, ownerId: string): HeaderAcl {
  const canned = (headers.get("x-amz-acl") ?? "").trim();
  const named = GRANT_HEADERS.filter((h) => headers.has(h));
  if (canned !== "" && named.length > 0) throw new ApiError("InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed");
  if (canned !== "") return { canned };
  if (named.length === 0) return null;
  const grants = named.flatMap((header) => {
    const permission = header.slice("x-amz-grant-".length).toUpperCase().replace("-", "_");
    return grantees(header, headers.get(header)!).map(([type, value]): Grant => ({ permission, type, value, what: `${header}: ${type}="${value}"` }));
  });
  return grantsAcl(grants, ownerId);
}

/** Whether the ACL grants the bucket owner full control and nothing else to anyone (none: the same). */
export const ownerOnly = (acl: HeaderAcl): boolean => acl === null || ("canned" in acl && acl.canned === OWNER_FULL_CONTROL);
