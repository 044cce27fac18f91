import { ApiError } from "../errors";
import { setBucketType, type BucketType, type ServedBucket } from "../store/buckets";
import { updateObject } from "../store/objects";
import type { ObjectAcl } from "../core/object-acl";
import { publiclyReadable } from "../auth/public-read";
import { authorizeBodyKey } from "./access";
import { addressedObject, servedBucket, type S3Context } from "./context";
import { assertAclAllowed } from "../auth/public-read";
import { assertCannedAclAllowed } from "./ownership";
import { childrenNamed, childText, readOptionalXmlDocument, xmlResponse, type XmlElement, type XmlNode } from "./xml";

/**
 * Canned ACLs over the access the UFile plane already has: a bucket is `private`, `public-read`
 * or `public-read-write` (its type; the last lets anyone write and delete objects over S3,
 * docs/security.md "Public buckets"), an object `private`, `public-read` or `default` (its
 * bucket's access; UFile's `x-ufile-object-acl`). `GET ?acl` answers the grants these mean
 * (AllUsers READ when anyone may read, AllUsers WRITE when anyone may write, then the owner's
 * FULL_CONTROL); `PUT ?acl` takes `x-amz-acl` or an AccessControlPolicy body granting exactly
 * that. Other ACLs (grants to other accounts, `authenticated-read`, WRITE on one object, the
 * `x-amz-grant-*` headers) have nothing to map onto and answer NotImplemented. A bucket whose object
 * ownership is BucketOwnerEnforced takes none but the owner's full control (ownership.ts).
 */

const ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers";
const MAX_ACL_BODY = 64 * 1024;
const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';

const notImplemented = (what: string) =>
  new ApiError("NotImplemented", `${what} is not supported: buckets and objects are private or public-read (canned ACLs)`);

/** Canned ACL → bucket type; the owner-only canned ACLs are private (one account owns everything). */
function cannedBucketType(acl: string): BucketType {
  const v = acl.trim();
  if (v === "public-read") return "public";
  if (v === "public-read-write") return "public-read-write";
  if (v === "private" || v === "bucket-owner-full-control" || v === "bucket-owner-read") return "private";
  throw notImplemented(`x-amz-acl: ${acl}`);
}

/** Canned ACL → whether an object is public or private: objects take no WRITE grant. */
function cannedIsPublic(acl: string): boolean {
  const type = acl.trim() === "public-read-write" ? null : cannedBucketType(acl);
  if (type === null) throw notImplemented(`x-amz-acl: ${acl} on an object`);
  return type === "public";
}

/** S3's grant headers: ACLs granting to named accounts or groups, which have nothing to map onto here. */
const GRANT_HEADERS = ["x-amz-grant-read", "x-amz-grant-write", "x-amz-grant-full-control", "x-amz-grant-read-acp", "x-amz-grant-write-acp"] as const;

/**
 * A request naming a grant header is refused: 400 AccessControlListNotSupported where its bucket
 * disables ACLs (as AWS answers), else 501 NotImplemented. Checked once the bucket is loaded and
 * the request authorized, so that a caller without rights learns nothing of the bucket's settings.
 */
export function refuseGrantHeaders(headers: Headers, bucket: ServedBucket | undefined): void {
  const header = GRANT_HEADERS.find((h) => headers.has(h));
  if (header === undefined) return;
  if (bucket) assertAclAllowed(bucket, false);
  throw notImplemented(header);
}

/** The bucket type a CreateBucket asks for with `x-amz-acl` (default private). */
export function requestedBucketType(headers: Headers): BucketType {
  const acl = headers.get("x-amz-acl");
  return acl !== null && acl.trim() !== "" ? cannedBucketType(acl) : "private";
}

/**
 * The object ACL a write to `bucket` asks for with `x-amz-acl`: none → `default` (the bucket's
 * access, as the UFile plane), `public-read` → readable by anyone, an owner-only ACL → `private`.
 * A bucket with ACLs disabled takes only `bucket-owner-full-control` (ownership.ts).
 */
export function requestedObjectAcl(headers: Headers, bucket: ServedBucket): ObjectAcl | undefined {
  const acl = headers.get("x-amz-acl");
  assertCannedAclAllowed(bucket, acl);
  if (acl === null || acl.trim() === "") return undefined;
  return cannedIsPublic(acl) ? "public-read" : "private";
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

/**
 * An AccessControlPolicy body → the bucket type it means, when it grants exactly what a canned ACL
 * does. Where the bucket disables ACLs, only the owner's FULL_CONTROL alone is taken.
 */
function bodyType(root: XmlElement, bucket: ServedBucket): BucketType {
  const list = childrenNamed(root, "AccessControlList")[0];
  let ownerFull = false;
  let allRead = false;
  let allWrite = false;
  let other: string | undefined;
  for (const g of list ? childrenNamed(list, "Grant") : []) {
    const grantee = childrenNamed(g, "Grantee")[0];
    const permission = childText(g, "Permission");
    const id = grantee && childText(grantee, "ID");
    const uri = grantee && childText(grantee, "URI");
    if (id === bucket.projectId && permission === "FULL_CONTROL") ownerFull = true;
    else if (uri === ALL_USERS && permission === "READ") allRead = true;
    else if (uri === ALL_USERS && permission === "WRITE") allWrite = true;
    else other ??= `the grant of ${permission ?? "?"} to ${id ?? uri ?? "another grantee"}`;
  }
  assertAclAllowed(bucket, ownerFull && !allRead && !allWrite && other === undefined);
  if (other !== undefined) throw notImplemented(other);
  if (!ownerFull) throw notImplemented("an ACL without the owner's FULL_CONTROL");
  if (allWrite && !allRead) throw notImplemented("WRITE for AllUsers without READ");
  return allWrite ? "public-read-write" : allRead ? "public" : "private";
}

/** The bucket type a PutBucketAcl or PutObjectAcl on `bucket` asks for, from `x-amz-acl` or the body. */
async function requestedType(c: S3Context, bucket: ServedBucket): Promise<BucketType> {
  const acl = c.request.headers.get("x-amz-acl");
  const root = await readOptionalXmlDocument(c.request, MAX_ACL_BODY, "AccessControlPolicy");
  if (acl !== null && acl.trim() !== "") {
    if (root !== null) throw new ApiError("InvalidRequest", "Specify either x-amz-acl or an AccessControlPolicy body, not both");
    assertCannedAclAllowed(bucket, acl);
    return cannedBucketType(acl);
  }
  if (root === null) throw new ApiError("MalformedXML", "PutAcl needs x-amz-acl or an AccessControlPolicy body");
  return bodyType(root, bucket);
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
  // A body's grant publishes as x-amz-acl: public-read would: the row's `published` right applies.
  if (isPublic) await authorizeBodyKey(c, c.principal, c.key, "public-read");
  if (!(await updateObject(c.db, b.id, c.key, { acl: isPublic ? "public-read" : "private" }))) {
    throw new ApiError("FileNotExist", "The specified key does not exist.");
  }
  return new Response(null, { status: 200 });
}
