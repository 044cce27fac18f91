import { clientIp } from "../auth/client-ip";
import type { Principal, Right } from "../auth/principal";
import { anonymouslyWritable, publiclyReadable, publishes } from "../auth/public-read";
import { assertRefererAllowed } from "../core/referer";
import { authorize, type BucketNeed, type Need, type ServiceNeed } from "../auth/scope";
import { ApiError } from "../errors";
import { GRANT_HEADERS, headerAcl } from "./acl-headers";
import type { S3Auth } from "./auth";
import { addressedObject, servedBucket, type S3Context } from "./context";
import { copySource } from "./copy-source";
import type { S3OperationSpec, S3Subject as Subject } from "./operation-spec";

/** Headers that change what a request does: a presigned URL must have signed them to use them. */
export const OPERATION_HEADERS = ["x-amz-copy-source", "x-amz-copy-source-range", "x-amz-metadata-directive", "x-amz-acl", ...GRANT_HEADERS, "x-amz-storage-class"] as const;

/**
 * The glue between an S3 operation's row and auth (src/auth): whether the request's credential form
 * may run the row at all, then whether the principal holds the row's rights on the row's subjects.
 * Rows whose keys come from the body (`bodyKeys`: DeleteObjects' list, PostObject's form) are checked
 * here for everything but those keys (credential form, expiry, IP lists), and their handler applies
 * the row's own rights to each key once it has read it (`authorizeBodyKey`).
 */

/**
 * The object ACL a request's ACL headers (or a POST form's ACL fields, read as them) set, for the
 * `published` subject: the canned ACL, grant headers read as the canned ACL they equal (acl-headers.ts),
 * as the object ACL it stores (`public-read`, or `private` for the owner-only ACLs). Grants edgefile
 * cannot hold set nothing: their handler refuses them before anything is stored.
 */
export function aclSetBy(headers: Headers, ownerId: string): string | undefined {
  const acl = headerAcl(headers, ownerId);
  if (acl === null || !("canned" in acl)) return undefined;
  const canned = acl.canned.toLowerCase();
  if (canned === "public-read" || canned === "public-read-write") return "public-read";
  return canned === "private" || canned === "bucket-owner-full-control" || canned === "bucket-owner-read" ? "private" : canned;
}

/**
 * What the row's subjects are for one request; `key` may be given (a key from the body), `acl` is the
 * object ACL the request sets, read only when the row has a `published` subject.
 */
interface Subjects {
  key: string;
  acl: () => string | undefined;
}

async function needsOf(c: S3Context, op: S3OperationSpec, s: Subjects): Promise<Need[]> {
  // The bucket is read only by the subjects that are in one (CreateBucket runs before its bucket exists).
  const here = () => ({ bucket: servedBucket(c).name, bucketProjectId: servedBucket(c).projectId });
  type Where = Omit<BucketNeed, "right"> | Omit<ServiceNeed, "right">;
  const resolve: Record<Subject, () => Promise<Where[]> | Where[]> = {
    key: () => [{ ...here(), key: s.key }],
    prefix: () => [{ ...here(), listPrefix: c.query.get("prefix") ?? "" }],
    bucket: () => [here()],
    published: () => (publishes(servedBucket(c), s.acl()) ? [{ ...here(), key: s.key }] : []),
    service: () => [{ service: true as const }],
    source: async () => {
      const src = await copySource(c);
      return [{ bucket: src.bucket.name, bucketProjectId: src.bucket.projectId, key: src.key }];
    },
  };
  const needs: Need[] = [];
  for (const [right, subject] of op.rights) for (const where of await resolve[subject]()) needs.push({ right, ...where } as Need);
  return needs;
}

const authorizeNeeds = (c: S3Context, principal: Principal, needs: readonly Need[]) =>
  authorize(principal, needs, { now: c.now, clientIp: clientIp(c.request) });

/** A presigned URL never runs an operation header it did not sign. */
function checkPresigned(auth: S3Auth, request: Request): void {
  if (auth.form !== "query" || auth.v2) return; // SigV2 signs every x-amz-* header the request carries
  const signed = auth.verified!.signedHeaders;
  const unsigned = OPERATION_HEADERS.find((h) => request.headers.has(h) && !signed.includes(h));
  if (unsigned) throw new ApiError("AccessDenied", `a presigned URL does not authorize the unsigned ${unsigned} header`);
}

/**
 * What a request without credentials may do, right by right of its row: read an object that is
 * publicly readable (the same rule as the UFile plane, auth/public-read.ts: the object's ACL unless the
 * bucket disables ACLs, else the bucket's type);
 * write or delete a key of a `public-read-write` bucket (and so publish it, as the bucket already
 * is readable by anyone). Nothing else.
 */
async function anonymousMay(c: S3Context, right: Right, subject: Subject): Promise<boolean> {
  const bucket = servedBucket(c);
  if (right === "READ" && subject === "key") return publiclyReadable(bucket, (await addressedObject(c))?.acl);
  if (right === "READ" && subject === "published") return anonymouslyWritable(bucket.type);
  return (right === "WRITE" || right === "DELETE") && subject === "key" && anonymouslyWritable(bucket.type);
}

/** Authentication and authorization of one request, per its operation row. */
export async function checkS3Access(c: S3Context, op: S3OperationSpec, auth: S3Auth): Promise<void> {
  if (auth.form === "anonymous") {
    if (op.credentials.includes("form")) return; // the form carries its credentials: the handler reads them first
    if (!op.credentials.includes("anonymous") || !c.bucket) throw new ApiError("AccessDenied", "Access Denied");
    for (const [right, subject] of op.rights) {
      if (!(await anonymousMay(c, right, subject))) throw new ApiError("AccessDenied", "Access Denied");
    }
    assertRefererAllowed(c.bucket, c.request);
    return;
  }
  if (!op.credentials.includes(auth.form)) throw new ApiError("AccessDenied", `${op.name} cannot be authorized this way`);
  checkPresigned(auth, c.request);
  // Presigned reads follow the bucket's referer rule; requests signed in the header do not (core/referer.ts).
  if (auth.form === "query" && c.bucket && (c.request.method === "GET" || c.request.method === "HEAD")) assertRefererAllowed(c.bucket, c.request);
  if (op.rootOnly && auth.principal.kind !== "root") throw new ApiError("AccessDenied", `${op.name} needs the root access key`);
  // Body keys are authorized by the handler; expiry and IP lists hold for the whole request now.
  const acl = () => aclSetBy(c.request.headers, servedBucket(c).projectId);
  const needs = op.bodyKeys ? [] : await needsOf(c, op, { key: c.key, acl });
  authorizeNeeds(c, auth.principal, needs);
}

/**
 * The row's rights on one key a body names (DeleteObjects, PostObject), with `acl` the object ACL the
 * request sets on it; throws the table's error otherwise.
 */
export async function authorizeBodyKey(c: S3Context, principal: Principal, key: string, acl: () => string | undefined = () => undefined): Promise<void> {
  authorizeNeeds(c, principal, await needsOf(c, c.operation, { key, acl }));
}
