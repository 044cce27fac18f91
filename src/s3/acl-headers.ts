import { ApiError } from "../errors";

/**
 * The ACL a request names in its headers (or a POST form in its fields, read as the same headers):
 * a canned ACL (`x-amz-acl`) or grant headers (`x-amz-grant-<permission>: id="…", uri="…",
 * emailAddress="…"`), never both (InvalidRequest, as S3). One account owns every bucket and object
 * here, so the only grants edgefile can hold are the owner's own: grant headers naming only the
 * owner's canonical id (the `<Owner><ID>` of ACLs and listings), with FULL_CONTROL among them, grant
 * nothing beyond what the owner has and read as `bucket-owner-full-control` (a private ACL, and the
 * one ACL a BucketOwnerEnforced bucket takes, as on AWS). Any other grant has nothing to map onto
 * (acl.ts `grantRefusal`).
 */

/** S3's grant headers, each granting its permission to the grantees it lists. */
export const GRANT_HEADERS = ["x-amz-grant-full-control", "x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-read-acp", "x-amz-grant-write-acp"] as const;

/** The canned ACL that grants the bucket owner full control and no one else anything. */
export const OWNER_FULL_CONTROL = "bucket-owner-full-control";

/**
 * A grant edgefile cannot hold, for its refusal (acl.ts `grantRefusal`): `what` as the request wrote
 * it; `type` and `value` its grantee (`id`, `uri` or `emailaddress`; none when the grant names the
 * owner but leaves it without FULL_CONTROL).
 */
export interface ForeignGrant {
  what: string;
  type?: string;
  value?: string;
}

/**
 * What the headers ask for: none (null), a canned ACL (`canned`, as sent; owner-only grants read as
 * `bucket-owner-full-control`), or grants edgefile cannot hold (`unsupported`: the first, refused
 * once the bucket's own refusal, if any, has had its turn).
 */
export type HeaderAcl = { canned: string } | { unsupported: ForeignGrant } | null;

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
  let ownerFull = false;
  for (const header of named) {
    for (const [type, value] of grantees(header, headers.get(header)!)) {
      if (type !== "id" || value !== ownerId) return { unsupported: { what: `${header}: ${type}="${value}"`, type, value } };
      if (header === "x-amz-grant-full-control") ownerFull = true;
    }
  }
  return ownerFull ? { canned: OWNER_FULL_CONTROL } : { unsupported: { what: `${named[0]} without the owner's FULL_CONTROL` } };
}

/** Whether the ACL grants the bucket owner full control and nothing else to anyone (none: the same). */
export const ownerOnly = (acl: HeaderAcl): boolean => acl === null || ("canned" in acl && acl.canned === OWNER_FULL_CONTROL);
