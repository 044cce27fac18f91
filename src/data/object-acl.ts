import { ApiError } from "../errors";
import { aclsDisabled, assertAclAllowed, publiclyReadable } from "../auth/public-read";
import { json } from "../responses";
import type { ServedBucket } from "../store/buckets";
import { updateObject } from "../store/objects";
import { requestedObject, type DataContext } from "./context";
import { OBJECT_ACLS, type ObjectAcl } from "../core/object-acl";


/**
 * Object ACLs (Go `PutObjectAcl` / `GetObjectAcl`: `PUT|GET /key?acl`, header `x-ufile-object-acl`).
 * Stored in the object's index row. `default` follows the bucket (public bucket: anyone may read);
 * `public-read` lets anyone GET and HEAD the object even in a private bucket; `private` needs a
 * signature even in a public bucket. Writes never grant more than reading: every other operation
 * still needs a signature. A bucket whose S3 object ownership is BucketOwnerEnforced has ACLs
 * disabled (auth/public-read.ts): it takes `default` alone, and its objects' stored ACLs count for
 * nothing, so they read back as `default`.
 */

const isObjectAcl = (value: string): value is ObjectAcl => (OBJECT_ACLS as readonly string[]).includes(value);

function parseAcl(value: string): ObjectAcl {
  const acl = value.trim().toLowerCase();
  if (!isObjectAcl(acl)) throw new ApiError("InvalidRequest", `x-ufile-object-acl must be one of ${OBJECT_ACLS.join(", ")}, not "${value}"`);
  return acl;
}

/** The ACL a request's `X-Ufile-Object-Acl` names, if any; not checked against its bucket (`requestedAcl`). */
export function aclHeader(headers: Headers): ObjectAcl | undefined {
  const value = headers.get("X-Ufile-Object-Acl");
  return value === null || value.trim() === "" ? undefined : parseAcl(value);
}

/** An ACL for an object of `bucket`: where the bucket disables ACLs, only `default` (which sets none). */
function allowedIn(bucket: ServedBucket, acl: ObjectAcl): ObjectAcl {
  assertAclAllowed(bucket, acl === "default", `x-ufile-object-acl: ${acl}`);
  return acl;
}

/** The ACL a write to `bucket` asks for (`X-Ufile-Object-Acl` on PutFile, PostFile, UploadHit, Copy, Finish), else undefined (→ `default`). */
export function requestedAcl(headers: Headers, bucket: ServedBucket): ObjectAcl | undefined {
  const acl = aclHeader(headers);
  return acl === undefined ? undefined : allowedIn(bucket, acl);
}

/** Whether an anonymous GET/HEAD may read the request's object: its ACL, else the bucket's type. */
export async function anonymousMayRead(c: DataContext): Promise<boolean> {
  return publiclyReadable(c.bucket, (await requestedObject(c))?.acl);
}

/** `PUT /key?acl` with `x-ufile-object-acl: default|public-read|private` → 200, empty. */
export async function putObjectAcl(c: DataContext): Promise<Response> {
  const value = c.request.headers.get("X-Ufile-Object-Acl");
  if (value === null) throw new ApiError("InvalidRequest", "x-ufile-object-acl is required");
  if (!(await updateObject(c.db, c.bucket.id, c.key, { acl: allowedIn(c.bucket, parseAcl(value)) }))) throw new ApiError("FileNotExist");
  return new Response(null, { status: 200 });
}

/** `GET /key?acl` → `{"Owner": {ID, DisplayName}, "AccessControlList": {"Grant": acl}}` (Go `AccessControlPolicy`); the ACL in force. */
export async function getObjectAcl(c: DataContext): Promise<Response> {
  const row = await requestedObject(c);
  if (!row) throw new ApiError("FileNotExist");
  return json({
    Owner: { ID: c.bucket.projectId, DisplayName: c.bucket.projectId },
    AccessControlList: { Grant: aclsDisabled(c.bucket) ? "default" : row.acl },
  });
}
