import { assertAclAllowed } from "../auth/public-read";
import { assertOwnershipFits } from "../core/buckets";
import { ApiError } from "../errors";
import type { BucketType, ServedBucket } from "../store/buckets";
import { bucketRules, OBJECT_OWNERSHIPS, setObjectOwnership, type ObjectOwnership } from "../store/rules";
import { servedBucket, type S3Context } from "./context";
import { childrenNamed, childText, malformedXml, readXmlDocument, xmlResponse } from "./xml";

/**
 * S3 Object Ownership (docs/s3.md "Object ownership"): CreateBucket's `x-amz-object-ownership` and
 * Put/Get/DeleteBucketOwnershipControls (`?ownershipControls`), kept in the one rule store
 * (src/store/rules.ts). In edgefile the writer of an object and the owner of its bucket are one
 * project, so `ObjectWriter` and `BucketOwnerPreferred` change no owner; `BucketOwnerEnforced`
 * disables ACLs, as AWS does: a write, PutBucketAcl and PutObjectAcl may name no ACL or the bucket
 * owner's full control (`bucket-owner-full-control`, or a policy granting just that), any other is
 * refused (`AccessControlListNotSupported`); stored object ACLs stop counting (auth/public-read.ts);
 * and the bucket itself must stay private (`InvalidBucketAclWithObjectOwnership`).
 */

const MAX_BODY = 64 * 1024;

/** The one canned ACL a request may name where ACLs are disabled (it grants what the bucket owner already has). */
const OWNER_FULL_CONTROL = "bucket-owner-full-control";

function ownershipValue(value: string, refuse: (why: string) => ApiError): ObjectOwnership {
  const v = value.trim();
  if (!(OBJECT_OWNERSHIPS as readonly string[]).includes(v)) throw refuse(`ObjectOwnership must be one of ${OBJECT_OWNERSHIPS.join(", ")}`);
  return v as ObjectOwnership;
}

/** CreateBucket's `x-amz-object-ownership` (none: no ownership controls), checked against the bucket type it asks for. */
export function requestedOwnership(headers: Headers, type: BucketType): ObjectOwnership | null {
  const raw = headers.get("x-amz-object-ownership");
  const ownership = raw === null ? null : ownershipValue(raw, (why) => new ApiError("InvalidArgument", why));
  assertOwnershipFits(ownership, type);
  return ownership;
}

/** A canned ACL (`x-amz-acl`, a POST form's `acl`; none: null or "") where the bucket disables ACLs: none or `bucket-owner-full-control`. */
export function assertCannedAclAllowed(bucket: ServedBucket, acl: string | null): void {
  const v = (acl ?? "").trim();
  assertAclAllowed(bucket, v === "" || v === OWNER_FULL_CONTROL);
}

export async function putBucketOwnershipControls(c: S3Context): Promise<Response> {
  const root = await readXmlDocument(c.request, MAX_BODY, "OwnershipControls");
  const rules = childrenNamed(root, "Rule");
  if (rules.length !== 1) throw malformedXml("OwnershipControls take exactly one <Rule>");
  const value = childText(rules[0]!, "ObjectOwnership");
  if (value === undefined) throw malformedXml("the <Rule> needs an <ObjectOwnership>");
  const ownership = ownershipValue(value, malformedXml);
  const bucket = servedBucket(c);
  assertOwnershipFits(ownership, bucket.type as BucketType);
  await setObjectOwnership(c.db, bucket, ownership, c.now);
  return new Response(null, { status: 200 });
}

export async function getBucketOwnershipControls(c: S3Context): Promise<Response> {
  const ownership = bucketRules(servedBucket(c)).ownership;
  if (!ownership) throw new ApiError("OwnershipControlsNotFound");
  return xmlResponse(["OwnershipControls", ["Rule", ["ObjectOwnership", ownership]]]);
}

export async function deleteBucketOwnershipControls(c: S3Context): Promise<Response> {
  await setObjectOwnership(c.db, servedBucket(c), null, c.now);
  return new Response(null, { status: 204 });
}
