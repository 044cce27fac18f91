import { ApiError } from "../errors";
import { setBucketType, type BucketType, type ServedBucket } from "../store/buckets";
import { updateObject } from "../store/objects";
import { projectExists } from "../store/projects";
import type { Database } from "../store/db";
import type { ObjectOwnership } from "../store/rules";
import type { ObjectAcl } from "../core/object-acl";
import { aclsDisabled, assertAclAllowed, publiclyReadable } from "../auth/public-read";
import { authorizeBodyKey } from "./access";
import { ALL_USERS, grantsAcl, OWNER_FULL_CONTROL, policyGrants, type ForeignGrant } from "./acl-grants";
import { headerAcl, ownerOnly, type HeaderAcl } from "./acl-headers";
import { addressedObject, servedBucket, type S3Context } from "./context";
import { readOptionalXmlDocument, xmlResponse, type XmlNode } from "./xml";

/**
 * Canned ACLs over the access the UFile plane already has: a bucket is `private`, `public-read`
 * or `public-read-write` (its type; the last lets anyone write and delete objects over S3,
 * docs/security.md "Public buckets"), an object `private`, `public-read` or `default` (its
 * bucket's access; UFile's `x-ufile-object-acl`). `GET ?acl` answers the grants these mean
 * (AllUsers READ when anyone may read, AllUsers WRITE when anyone may write, then the owner's
 * FULL_CONTROL); `PUT ?acl` takes `x-amz-acl`, or grant headers or an AccessControlPolicy body
 * granting exactly what one of these does (one mapping for both: acl-grants.ts `grantsAcl`). Other
 * ACLs (grants to other accounts, `authenticated-read`, WRITE on one object) have nothing to map onto
 * and are refused (NotImplemented, or AWS's answer to a grantee that names no account:
 * `grantRefusal`). A bucket whose object ownership is BucketOwnerEnforced takes none but the owner's
 * full control (ownership.ts).
 */

const MAX_ACL_BODY = 64 * 1024;
const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

const notImplemented = (what: string) =>
  new ApiError("NotImplemented", `${what} is not supported: buckets and objects are private or public-read (canned ACLs)`);

/**
 * The refusal of a grant edgefile cannot hold, as AWS words the grantees it cannot resolve: a
 * canonical id that names no account (project) is InvalidArgument, an e-mail address (no account
 * here has one) UnresolvableGrantByEmailAddress; a grant to another account or a group is NotImplemented.
 */
async function grantRefusal(db: Database, grant: ForeignGrant): Promise<ApiError> {
  if (grant.type === "emailaddress") {
    return new ApiError("UnresolvableGrantByEmailAddress", `The email address you provided does not match any account on record (${grant.what})`);
  }
  if (grant.type === "id" && !(await projectExists(db, grant.value ?? ""))) return new ApiError("InvalidArgument", `Invalid id (${grant.what})`);
  return notImplemented(grant.what);
}

/** Canned ACL → bucket type; the owner-only canned ACLs are private (one account owns everything). */
function cannedBucketType(acl: string): BucketType {
  if (acl === "public-read") return "public";
  if (acl === "public-read-write") return "public-read-write";
  if (acl === "private" || acl === OWNER_FULL_CONTROL || acl === "bucket-owner-read") return "private";
  throw notImplemented(`x-amz-acl: ${acl}`);
}

/** The bucket type an ACL means (`null`: none, so private); grants edgefile cannot hold are refused (`grantRefusal`). */
async function aclBucketType(db: Database, acl: HeaderAcl): Promise<BucketType> {
  if (acl === null) return "private";
  if ("unsupported" in acl) throw await grantRefusal(db, acl.unsupported);
  return cannedBucketType(acl.canned);
}

/**
 * The bucket type a CreateBucket asks for with `x-amz-acl` or grant headers (default private), for
 * an owner `ownerId` and the object ownership it asks for. As AWS: a BucketOwnerEnforced bucket is
 * created with no ACL, `private` or `bucket-owner-full-control` (or grants naming only its owner);
 * any other is InvalidBucketAclWithObjectOwnership, before anything is created.
 */
export async function requestedBucketType(db: Database, headers: Headers, ownerId: string, ownership: ObjectOwnership | null): Promise<BucketType> {
  const acl = headerAcl(headers, ownerId);
  // `private` is taken too: it grants no one but the owner (objects take only the owner's full control).
  const ownerAlone = acl === null || ownerOnly(acl) || ("canned" in acl && acl.canned === "private");
  if (!ownerAlone && aclsDisabled({ objectOwnership: ownership ?? "" })) {
    const named = "canned" in acl ? `the ACL ${acl.canned}` : acl.unsupported.what;
    throw new ApiError("InvalidBucketAclWithObjectOwnership", `Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting (${named})`);
  }
  return aclBucketType(db, acl);
}

/**
 * The object ACL a write to `bucket` asks for with `x-amz-acl` or grant headers (a POST form: its
 * `acl` and `x-amz-grant-*` fields, as headers): none → `default` (the bucket's access, as the UFile
 * plane), `public-read` → readable by anyone, an owner-only ACL → `private`. A bucket with ACLs
 * disabled takes only the owner's full control (ownership.ts).
 */
export async function requestedObjectAcl(db: Database, headers: Headers, bucket: ServedBucket): Promise<ObjectAcl | undefined> {
  const acl = headerAcl(headers, bucket.projectId);
  assertAclAllowed(bucket, ownerOnly(acl));
  if (acl === null) return undefined;
  const type = "canned" in acl && acl.canned === "public-read-write" ? null : await aclBucketType(db, acl);
  // Objects take no WRITE grant.
  if (type === null) throw notImplemented("public-read-write (WRITE for AllUsers) on an object");
  return type === "public" ? "public-read" : "private";
}

/** The grants of a bucket type (or of an object: `public` or `private`), AllUsers' first as S3 lists them. */
function policy(ownerId: string, type: BucketType): Response {
  const grant = (grantee: XmlNode, permission: string): XmlNode => ["Grant", grantee, ["Permission", permission]];
  const owner: XmlNode = [`Grantee ${XSI} xsi:type="CanonicalUser"`, ["ID", ownerId], ["DisplayName", ownerId]];
  const allUsers: XmlNode = [`Grantee ${XSI} xsi:type="Group"`, ["URI", ALL_USERS]];
  return xmlResponse([
    "AccessControlPolicy",
    ["Owner", ["ID", ownerId], ["DisplayName", ownerId]],
    [
      "AccessControlList",
      type !== "private" ? grant(allUsers, "READ") : null,
      type === "public-read-write" ? grant(allUsers, "WRITE") : null,
      grant(owner, "FULL_CONTROL"),
    ],
  ]);
}

/** The bucket type a PutBucketAcl or PutObjectAcl on `bucket` asks for, from `x-amz-acl`, grant headers or the body. */
async function requestedType(c: S3Context, bucket: ServedBucket): Promise<BucketType> {
  const acl = headerAcl(c.request.headers, bucket.projectId);
  const root = await readOptionalXmlDocument(c.request, MAX_ACL_BODY, "AccessControlPolicy");
  if (acl !== null && root !== null) throw new ApiError("InvalidRequest", "Specify either ACL headers (x-amz-acl or x-amz-grant-*) or an AccessControlPolicy body, not both");
  if (acl === null && root === null) throw new ApiError("MalformedXML", "PutAcl needs x-amz-acl, x-amz-grant-* or an AccessControlPolicy body");
  const asked = acl ?? grantsAcl(policyGrants(root!), bucket.projectId);
  assertAclAllowed(bucket, ownerOnly(asked));
  return aclBucketType(c.db, asked);
}

export async function getBucketAcl(c: S3Context): Promise<Response> {
  const b = servedBucket(c);
  return policy(b.projectId, b.type as BucketType);
}

export async function putBucketAcl(c: S3Context): Promise<Response> {
  const b = servedBucket(c);
  await setBucketType(c.db, b, await requestedType(c, b), c.now);
  return new Response(null, { status: 200 });
}

export async function getObjectAclOp(c: S3Context): Promise<Response> {
  const b = servedBucket(c);
  const row = await addressedObject(c);
  if (!row) throw new ApiError("FileNotExist", "The specified key does not exist.");
  return policy(b.projectId, publiclyReadable(b, row.acl) ? "public" : "private");
}

export async function putObjectAclOp(c: S3Context): Promise<Response> {
  const b = servedBucket(c);
  const type = await requestedType(c, b);
  if (type === "public-read-write") throw notImplemented("WRITE for AllUsers on an object");
  const isPublic = type === "public";
  // A body's grants publish as x-amz-acl: public-read would: the row's `published` right applies.
  if (isPublic) await authorizeBodyKey(c, c.principal, c.key, () => "public-read");
  if (!(await updateObject(c.db, b.id, c.key, { acl: isPublic ? "public-read" : "private" }))) {
    throw new ApiError("FileNotExist", "The specified key does not exist.");
  }
  return new Response(null, { status: 200 });
}
