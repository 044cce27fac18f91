import { nowSeconds, settings, type Env } from "../config";
import { discardBody } from "../body";
import { bucketPreflight, S3_CORS, withBucketCors } from "../core/cors";
import { ApiError } from "../errors";
import { meterRequest, type RequestBytes } from "../metering/events";
import { noteAccess } from "../core/access-log";
import { asApiError, type RequestIds } from "../responses";
import { bucketByName, type ServedBucket } from "../store/buckets";
import { database, type Database } from "../store/db";
import type { RequestSession } from "../store/sessions";
import { openDataSession, sessionScopes } from "../core/data-session";
import { s3Address } from "./address";
import { checkS3Access } from "./access";
import { checkExpectedOwner } from "./expected-owner";
import { authenticateS3 } from "./auth";
import type { S3Context } from "./context";
import { s3ErrorResponse } from "./errors";
import { findS3Operation, namedSubresource, NOT_IMPLEMENTED_HEADERS, unimplementedSubresource } from "./operations";
import type { Target } from "./operation-spec";

/**
 * The S3 front (docs/s3.md): address → operation table → authenticate (SigV4 or anonymous) →
 * authorize (the row's rights, the token's scope) → handler → S3 XML. Errors of any layer are
 * rendered from the one error table's S3 column. Every request that reached a bucket is metered
 * like a UFile one.
 */

/**
 * Every S3 response names its request id and carries CORS headers: the bucket's rules when it has
 * some, else the S3 front's built-in ones (core/cors.ts).
 */
function withS3Headers(response: Response, requestId: string, request: Request, bucket?: ServedBucket): Response {
  const out = withBucketCors(response, S3_CORS, request, bucket);
  out.headers.set("x-amz-request-id", requestId);
  return out;
}

/** The bucket a preflight addresses, if any (an address naming no valid bucket: none), through the request's handle. */
async function preflightBucket(db: Database, url: URL, env: Env): Promise<ServedBucket | null> {
  let name: string | null = null;
  try {
    name = s3Address(url, settings(env)).bucket;
  } catch {
    return null;
  }
  return name === null ? null : bucketByName(db, name);
}

/**
 * The bucket whose CORS rules an error answer follows when the request failed before the bucket was
 * loaded (a bad signature, a refused sub-resource): read (from the isolate's cache) by name through
 * the request's handle; none if it does not exist or cannot be read, and the built-in headers apply.
 */
async function errorBucket(db: Database, name: string | null): Promise<ServedBucket | undefined> {
  if (name === null) return undefined;
  return (await bucketByName(db, name).catch(() => null)) ?? undefined;
}

function refuseUnimplemented(query: URLSearchParams, headers: Headers, target: Target): void {
  const sub = unimplementedSubresource(query, target);
  if (sub) throw new ApiError("NotImplemented", `the ${sub} sub-resource is not implemented`);
  // Without versioning every object has one version, `null` (ListObjectVersions says so).
  const version = query.get("versionId");
  if (version !== null && version !== "null") throw new ApiError("NotImplemented", "versioning is not supported: the only version of an object is versionId=null");
  const header = NOT_IMPLEMENTED_HEADERS.find((h) => headers.has(h));
  if (header) throw new ApiError("NotImplemented", `${header} is not implemented`);
  const sse = headers.get("x-amz-server-side-encryption");
  if (sse !== null && sse !== "AES256") throw new ApiError("NotImplemented", `x-amz-server-side-encryption: ${sse} is not implemented (R2 encrypts every object at rest)`);
}

/** Bytes of an unread body read (and dropped) before an error answer. */
const DRAIN_LIMIT = 32 * 1024 * 1024;

/**
 * A request refused before its body was read (a part refused on arrival, say) still has the
 * client sending: answering at once makes wrangler's local proxy drop the connection, and the
 * client sees a network error instead of the S3 error. Reading what is left (bounded) first
 * lets the error through; a larger body is cancelled.
 */
async function drainUnread(request: Request): Promise<void> {
  if (!request.body || request.bodyUsed) return;
  await discardBody(request.body, DRAIN_LIMIT);
}

export async function handleS3(request: Request, url: URL, env: Env, ctx: ExecutionContext, ids: RequestIds): Promise<Response> {
  const requestId = ids.debugId;
  let resource = url.pathname;
  const s = settings(env);
  let meteredBucket: Parameters<typeof meterRequest>[2] | undefined;
  let bucketName: string | null = null;
  const bytes: RequestBytes = {};
  // The request's D1 sessions (core/data-session.ts), opened once the operation is known: reads of a
  // nearby replica for GET and HEAD, the primary for the rest. A preflight, and an error answer from
  // before they open, read the bucket's CORS rules through the binding.
  let session: RequestSession | undefined;
  try {
    if (request.method === "OPTIONS") {
      // A preflight carries its own CORS headers (a refused one none): only the request id is added.
      const refusal = (err: ApiError) => s3ErrorResponse(err, request.method, resource, requestId);
      const response = bucketPreflight(request, S3_CORS, await preflightBucket(database(env.DB), url, env), refusal);
      response.headers.set("x-amz-request-id", requestId);
      return response;
    }
    const address = s3Address(url, s);
    bucketName = address.bucket;
    resource = address.bucket ? `/${address.bucket}${address.key ? "/" + address.key : ""}` : "/";
    const query = url.searchParams;
    const target: Target = address.bucket === null ? "service" : address.key === "" ? "bucket" : "object";
    refuseUnimplemented(query, request.headers, target);
    const op = findS3Operation(request, query, target);
    noteAccess(request, { operation: op?.name, bucket: address.bucket ?? undefined, key: address.key });
    if (!op) {
      const sub = namedSubresource(query);
      throw new ApiError("MethodNotAllowed", sub ? `${request.method} is not allowed on the ${sub} sub-resource of this ${target}` : `${request.method} is not allowed on this ${target}`);
    }
    session = openDataSession(request, env, sessionScopes(address.bucket, op.name));
    const db = session.db;
    const now = nowSeconds();
    const auth = await authenticateS3(request, url, env, now, address);
    noteAccess(request, { principal: auth.principal });
    const c: S3Context = {
      request, url, env, ctx, settings: s, db, address,
      bucketName: address.bucket ?? "", key: address.key, operation: op,
      principal: auth.principal, auth: auth.verified, query, requestId, now, usage: bytes,
    };
    if (address.bucket !== null && op.name !== "CreateBucket") {
      const bucket = await bucketByName(db, address.bucket);
      if (!bucket) throw new ApiError("BucketNotExist", "The specified bucket does not exist");
      c.bucket = bucket;
      meteredBucket = bucket;
    }
    await checkS3Access(c, op, auth);
    // After the access check: a caller without rights learns nothing by guessing the owner.
    if (c.bucket) checkExpectedOwner(request.headers, "x-amz-expected-bucket-owner", c.bucket);
    const response = await op.run(c);
    if (request.method !== "HEAD") bytes.download = Number(response.headers.get("Content-Length")) || 0;
    const out = withS3Headers(response, requestId, request, meteredBucket);
    // R2 encrypts every object at rest (AES-256): object answers (and a form upload's) say so, as
    // S3's default SSE-S3, whether or not the bucket has a default encryption (bucket-encryption.ts).
    // An SSE-C object's answers name its customer key's algorithm instead (core/sse-c.ts).
    const aboutObject = (target === "object" && op.name !== "DeleteObject") || op.name === "PostObject";
    if (aboutObject && out.ok && !out.headers.has("x-amz-server-side-encryption-customer-algorithm")) {
      out.headers.set("x-amz-server-side-encryption", "AES256");
    }
    return session.answer(out);
  } catch (err) {
    session?.finish(); // a write may have landed before the failure: keep its bookmark
    await drainUnread(request);
    const error = s3ErrorResponse(asApiError(err), request.method, resource, requestId);
    return withS3Headers(error, requestId, request, meteredBucket ?? (await errorBucket(session?.db ?? database(env.DB), bucketName)));
  } finally {
    if (meteredBucket) meterRequest(env, ctx, meteredBucket, bytes);
  }
}
