import { noteAccess } from "../core/access-log";
import { READ_METHODS } from "../core/data-session";
import { clientIp } from "../auth/client-ip";
import type { Principal } from "../auth/principal";
import { publishes } from "../auth/public-read";
import { authorize, type BucketNeed, type Need } from "../auth/scope";
import type { Env } from "../config";
import { ApiError } from "../errors";
import { assertRefererAllowed } from "../core/referer";
import { verifySignature } from "./auth";
import type { DataContext } from "./context";
import type { CredentialForm } from "../auth/forms";
import { aclHeader, anonymousMayRead } from "./object-acl";
import type { AccessCheck, AccessTarget, OperationSpec, UFileSubject } from "./operation-spec";

/**
 * The glue between an operation's row and auth: who signed and how (auth.ts), whether that credential
 * form may run this operation at all (the row's `credentials`), then whether the principal holds the
 * row's `rights` (src/auth/scope.ts). The principal is kept on the context: writes consult it
 * (TOKEN_DENY_UPDATE).
 */

/**
 * The row's rights applied to one request; throws if the target lacks a subject (a bug: never fail
 * open). `published` is the one subject that may be absent: the request publishes nothing.
 */
export function needsFor(
  op: Pick<OperationSpec, "name" | "rights">,
  bucket: { name: string; projectId: string },
  t: AccessTarget,
): Need[] {
  const needs: Need[] = [];
  for (const [right, subject] of op.rights) {
    const where = subjectOf(subject, bucket, t);
    if (where === undefined) throw new Error(`needsFor(${op.name}): the target has no ${subject}`);
    if (where !== null) needs.push({ right, ...where });
  }
  return needs;
}

/** Where a row's subject lies for target `t`: undefined when `t` lacks it, null when there is none (`published`). */
function subjectOf(subject: UFileSubject, bucket: { name: string; projectId: string }, t: AccessTarget): Omit<BucketNeed, "right"> | undefined | null {
  if (subject === "source") return t.source && { ...t.source };
  const here = { bucket: bucket.name, bucketProjectId: bucket.projectId };
  switch (subject) {
    case "key":
      return t.key === undefined ? undefined : { ...here, key: t.key };
    case "newKey":
      return t.newKey === undefined ? undefined : { ...here, key: t.newKey };
    case "prefix":
      return { ...here, listPrefix: t.listPrefix ?? "" };
    case "published":
      return t.published === undefined ? null : { ...here, key: t.published };
  }
}

/** The target with `published` set when the request's ACL makes its key publicly readable. */
function withPublished(c: DataContext, t: AccessTarget): AccessTarget {
  return t.key !== undefined && publishes(c.bucket, aclHeader(c.request.headers)) ? { ...t, published: t.key } : t;
}

/** Query parameters that carry a presigned URL's credentials. */
const PRESIGN_PARAMS = ["UCloudPublicKey", "Signature", "Expires"];

/** Headers that change what an operation does; a presigned URL's signature covers none of them. */
const OPERATION_HEADERS = ["X-Ufile-Copy-Source", "X-Ufile-Copy-Source-Range", "X-Ufile-Metadata-Directive", "X-Ufile-Object-Acl"];

/**
 * A presigned URL signs the verb, the key and Expires, nothing else (docs/protocol.md §2.5), so it may
 * carry only its own parameters and those the operation's row names, and no operation header.
 */
function assertPresignedOnlyNames(c: DataContext, op: OperationSpec): void {
  const allowed = new Set([...PRESIGN_PARAMS, ...(op.presignedParams ?? [])]);
  const extra = [...c.query.keys()].find((name) => !allowed.has(name));
  if (extra !== undefined) {
    throw new ApiError("PresignedNotAllowed", `query parameter "${extra}" is not covered by a presigned URL's signature; sign the request with an Authorization header`);
  }
  const header = OPERATION_HEADERS.find((h) => c.request.headers.has(h));
  if (header) throw new ApiError("PresignedNotAllowed", `${header} is not covered by a presigned URL's signature; sign the request with an Authorization header`);
}

/** The error for a credential form the operation does not accept. */
function refusedForm(op: OperationSpec, form: CredentialForm): ApiError {
  if (form === "query") {
    return new ApiError("PresignedNotAllowed", `${op.name} needs an Authorization header: a presigned URL signs only the verb, the key and Expires`);
  }
  return new ApiError("NoAuthorization", form === "anonymous" ? undefined : `${op.name} does not take credentials in the ${form} form`);
}

/** Authenticates the request and authorizes `op` on `check.target`; throws the API's error otherwise. */
export async function checkAccess(
  c: DataContext,
  op: OperationSpec,
  check: AccessCheck,
  env: Env = c.env,
): Promise<Principal> {
  const { principal, form } = await verifySignature(
    {
      method: c.request.method,
      headers: c.request.headers,
      url: c.url,
      bucket: c.bucket.name,
      resourceKeys: check.signedKeys,
      listObjects: check.listObjects,
      form: check.form,
      now: c.now,
    },
    env,
  );
  noteAccess(c.request, { principal }); // who signed, even when refused below
  if (!(op.credentials as readonly CredentialForm[]).includes(form)) throw refusedForm(op, form);
  if (form === "query") assertPresignedOnlyNames(c, op);
  if (form === "anonymous" && !(await anonymousMayRead(c))) throw new ApiError("NoAuthorization");
  // The bucket's referer rule binds anonymous and presigned reads, never signed requests (core/referer.ts).
  if ((form === "anonymous" || form === "query") && READ_METHODS.has(c.request.method)) assertRefererAllowed(c.bucket, c.request);
  // The root key holds every right: only a token's scope (or anonymity) needs the operation's needs worked out.
  if (principal.kind !== "root") authorize(principal, needsFor(op, c.bucket, withPublished(c, check.target)), { now: c.now, clientIp: clientIp(c.request) });
  c.principal = principal;
  return principal;
}
