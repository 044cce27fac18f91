import { assertOwnershipFits } from "../core/buckets";
import { ApiError } from "../errors";
import type { BucketType } from "../store/buckets";
import { bucketRules, OBJECT_OWNERSHIPS, setObjectOwnership, type ObjectOwnership } from "../store/rules";
import { servedBucket, type S3Context } from "./context";
import { childrenNamed, childText, malformedXml, readXmlDocument, xmlResponse } from "./xml";

/**
 * S3 Object Ownership (docs/s3.md "Object ownership"): CreateBucket's `x-amz-object-ownership` and
 * Put/Get/DeleteBucketOwnershipControls (`?ownershipControls`), kept in the one rule store
 * (src/store/rules.ts). In edgefile the writer of an object and the owner of its bucket are one
 * project, so `ObjectWriter` and `BucketOwnerPreferred` change no owner; `BucketOwnerEnforced`
 * disables ACLs, as AWS does: a write, PutBucketAcl and PutObjectAcl may name no ACL or the bucket
 * owner's full control (`bucket-owner-full-control`, grant headers naming only the owner, or a policy
 * granting just that), any other is refused (`AccessControlListNotSupported`); stored object ACLs stop
 * counting (auth/public-read.ts); and the bucket itself must stay private
 * (`InvalidBucketAclWithObjectOwnership`, also for CreateBucket naming another ACL: acl.ts).
 */

const MAX_BODY = 64 * 1024;

function ownershipValue(value: string, refuse: (why: string) => ApiError): ObjectOwnership {
  const v = value.trim();
  if (!(OBJECT_OWNERSHIPS as readonly string[]).includes(v)) throw refuse(`ObjectOwnership must be one of ${OBJECT_OWNERSHIPS.join(", ")}`);
  return v as ObjectOwnership;
}

/** CreateBucket's `x-amz-object-ownership` (none: no ownership controls); the ACL it may come with: acl.ts `requestedBucketType`. */
export function requestedOwnership(headers: Headers): ObjectOwnership | null {
  const raw = headers.get("x-amz-object-ownership");
  return raw === null ? null : ownershipValue(raw, (why) => new ApiError("InvalidArgument", why));
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
