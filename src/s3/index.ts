import { nowSeconds, settings, type Env } from "../config";
import { discardBody } from "../body";
import { preflight, S3_CORS, withCors } from "../core/cors";
import { ApiError } from "../errors";
import { meterRequest } from "../metering/events";
import { asApiError, type RequestIds } from "../responses";
import { bucketByName } from "../store/buckets";
import { database } from "../store/db";
import { s3Address } from "./address";
import { checkS3Access } from "./access";
import { authenticateS3 } from "./auth";
import type { S3Context } from "./context";
import { s3ErrorResponse } from "./errors";
import { findS3Operation, NOT_IMPLEMENTED_HEADERS, NOT_IMPLEMENTED_SUBRESOURCES } from "./operations";
import type { Target } from "./operation-spec";

/**
 * The S3 front (docs/s3.md): address → operation table → authenticate (SigV4 or anonymous) →
 * authorize (the row's rights, the token's scope) → handler → S3 XML. Errors of any layer are
 * rendered from the one error table's S3 column. Every request that reached a bucket is metered
 * like a UFile one.
 */

/** Every S3 response names its request id and carries the S3 CORS headers. */
function withS3Headers(response: Response, requestId: string): Response {
  const out = withCors(response, S3_CORS);
  out.headers.set("x-amz-request-id", requestId);
  return out;
}

function refuseUnimplemented(query: URLSearchParams, headers: Headers): void {
  const sub = NOT_IMPLEMENTED_SUBRESOURCES.find((n) => query.has(n));
  if (sub) throw new ApiError("NotImplemented", `the ${sub} sub-resource is not implemented`);
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
  let downloadBytes = 0;
  try {
    if (request.method === "OPTIONS") return withS3Headers(preflight(request, S3_CORS), requestId);
    const address = s3Address(url, s);
    resource = address.bucket ? `/${address.bucket}${address.key ? "/" + address.key : ""}` : "/";
    const query = url.searchParams;
    refuseUnimplemented(query, request.headers);
    const target: Target = address.bucket === null ? "service" : address.key === "" ? "bucket" : "object";
    const op = findS3Operation(request, query, target);
    if (!op) throw new ApiError("MethodNotAllowed", `${request.method} is not allowed on this ${target}`);
    const now = nowSeconds();
    const auth = await authenticateS3(request, url, env, now);
    const db = database(env.DB);
    const c: S3Context = {
      request, url, env, ctx, settings: s, db, address,
      bucketName: address.bucket ?? "", key: address.key, operation: op,
      principal: auth.principal, auth: auth.verified, query, requestId, now,
    };
    if (address.bucket !== null && op.name !== "CreateBucket") {
      const bucket = await bucketByName(db, address.bucket);
      if (!bucket) throw new ApiError("BucketNotExist", "The specified bucket does not exist");
      c.bucket = bucket;
      meteredBucket = bucket;
    }
    await checkS3Access(c, op, auth);
    const response = await op.run(c);
    if (request.method !== "HEAD") downloadBytes = Number(response.headers.get("Content-Length")) || 0;
    return withS3Headers(response, requestId);
  } catch (err) {
    await drainUnread(request);
    return withS3Headers(s3ErrorResponse(asApiError(err), request.method, resource, requestId), requestId);
  } finally {
    if (meteredBucket) meterRequest(env, ctx, meteredBucket, downloadBytes);
  }
}
