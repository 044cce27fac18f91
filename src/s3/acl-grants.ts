import { childrenNamed, childText, type XmlElement } from "./xml";

/**
 * A set of S3 grants → the ACL edgefile can store, one mapping for every way a request writes grants:
 * `x-amz-grant-*` headers (and a POST form's grant fields, read as those headers: acl-headers.ts) and
 * an AccessControlPolicy body (acl.ts). One account owns every bucket and object here, so a grant set
 * is held exactly when it equals a canned ACL: the owner's FULL_CONTROL (its other permissions beside
 * it add nothing), plus AllUsers READ (`public-read`), plus AllUsers WRITE (`public-read-write`). The
 * owner's FULL_CONTROL alone reads as `bucket-owner-full-control` (a private ACL, and the one ACL a
 * BucketOwnerEnforced bucket takes, as on AWS). Any other grant has nothing to map onto and is
 * refused (acl.ts `grantRefusal`).
 */

export const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";

/** The canned ACL that grants the bucket owner full control and no one else anything. */
export const OWNER_FULL_CONTROL = "bucket-owner-full-control";

const OWNER_PERMISSIONS = ["FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP"];

/** One grant as a request wrote it: its permission, its grantee (`id`, `uri` or `emailaddress`, and its value), and `what` for a refusal. */
export interface Grant {
  permission: string;
  type: string;
  value: string | undefined;
  what: string;
}

/**
 * A grant set edgefile cannot hold, for its refusal (acl.ts `grantRefusal`): `what` as the request
 * wrote it; `type` and `value` its grantee (none when no single grant is at fault: the owner left
 * without FULL_CONTROL, AllUsers WRITE without READ).
 */
export interface ForeignGrant {
  what: string;
  type?: string;
  value?: string;
}

/** What a grant set means: the canned ACL it equals, or the first grant (or lack) edgefile cannot hold. */
export type GrantAcl = { canned: string } | { unsupported: ForeignGrant };

/** The ACL `grants` mean on a bucket owned by `ownerId`. */
export function grantsAcl(grants: readonly Grant[], ownerId: string): GrantAcl {
  let ownerFull = false;
  let allRead = false;
  let allWrite = false;
  for (const g of grants) {
    if (g.type === "id" && g.value === ownerId && OWNER_PERMISSIONS.includes(g.permission)) ownerFull ||= g.permission === "FULL_CONTROL";
    else if (g.type === "uri" && g.value === ALL_USERS && g.permission === "READ") allRead = true;
    else if (g.type === "uri" && g.value === ALL_USERS && g.permission === "WRITE") allWrite = true;
    else return { unsupported: { what: g.what, type: g.type, value: g.value } };
  }
  if (!ownerFull) return { unsupported: { what: "an ACL without the owner's FULL_CONTROL" } };
  if (allWrite && !allRead) return { unsupported: { what: "WRITE for AllUsers without READ" } };
  return { canned: allWrite ? "public-read-write" : allRead ? "public-read" : OWNER_FULL_CONTROL };
}

/** The grants of an AccessControlPolicy body (its `<Owner>` is not a grant), for `grantsAcl` as grant headers' are. */
export function policyGrants(root: XmlElement): Grant[] {
  const list = childrenNamed(root, "AccessControlList")[0];
  return (list ? childrenNamed(list, "Grant") : []).map((g): Grant => {
    const grantee = childrenNamed(g, "Grantee")[0];
    const permission = childText(g, "Permission");
    const id = grantee && childText(grantee, "ID");
    const email = grantee && childText(grantee, "EmailAddress");
    const [type, value] = id !== undefined ? ["id", id] : email !== undefined ? ["emailaddress", email] : ["uri", grantee && childText(grantee, "URI")];
    return { permission: permission ?? "", type, value, what: `the grant of ${permission ?? "?"} to ${value ?? "another grantee"}` };
  });
}
