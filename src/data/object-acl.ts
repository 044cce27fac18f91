import { ApiError } from "../errors";
import { publiclyReadable } from "../auth/public-read";
import { json } from "../responses";
import { updateObject } from "../store/objects";
import { requestedObject, type DataContext } from "./context";
import { OBJECT_ACLS, type ObjectAcl } from "../core/object-acl";


/**
 * Object ACLs (Go `PutObjectAcl` / `GetObjectAcl`: `PUT|GET /key?acl`, header `x-ufile-object-acl`).
 * Stored in the object's index row. `default` follows the bucket (public bucket: anyone may read);
 * `public-read` lets anyone GET and HEAD the object even in a private bucket; `private` needs a
 * signature even in a public bucket. Writes never grant more than reading: every other operation
 * still needs a signature.
 */

const isObjectAcl = (value: string): value is ObjectAcl => (OBJECT_ACLS as readonly string[]).includes(value);

function parseAcl(value: string): ObjectAcl {
  const acl = value.trim().toLowerCase();
  if (!isObjectAcl(acl)) throw new ApiError("InvalidRequest", `x-ufile-object-acl must be one of ${OBJECT_ACLS.join(", ")}, not "${value}"`);
  return acl;
}

/** The ACL a write asks for (`X-Ufile-Object-Acl` on PutFile, PostFile, Copy, Finish), else undefined (→ `default`). */
export function requestedAcl(headers: Headers): ObjectAcl | undefined {
  const value = headers.get("X-Ufile-Object-Acl");
  return value === null || value.trim() === "" ? undefined : parseAcl(value);
}

/** Whether an anonymous GET/HEAD may read the request's object: its ACL, else the bucket's type. */
export async function anonymousMayRead(c: DataContext): Promise<boolean> {
  return publiclyReadable(c.bucket.type, (await requestedObject(c))?.acl);
}

/** `PUT /key?acl` with `x-ufile-object-acl: default|public-read|private` → 200, empty. */
export async function putObjectAcl(c: DataContext): Promise<Response> {
  const value = c.request.headers.get("X-Ufile-Object-Acl");
  if (value === null) throw new ApiError("InvalidRequest", "x-ufile-object-acl is required");
  if (!(await updateObject(c.db, c.bucket.id, c.key, { acl: parseAcl(value) }))) throw new ApiError("FileNotExist");
  return new Response(null, { status: 200 });
}

/** `GET /key?acl` → `{"Owner": {ID, DisplayName}, "AccessControlList": {"Grant": acl}}` (Go `AccessControlPolicy`). */
export async function getObjectAcl(c: DataContext): Promise<Response> {
  const row = await requestedObject(c);
  if (!row) throw new ApiError("FileNotExist");
  return json({
    Owner: { ID: c.bucket.projectId, DisplayName: c.bucket.projectId },
    AccessControlList: { Grant: row.acl },
  });
}
