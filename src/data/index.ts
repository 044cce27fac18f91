import { nowSeconds, settings, type Env } from "../config";
import { ApiError } from "../errors";
import { bucketByName } from "../store/buckets";
import { openDataSession } from "../core/data-session";
import { checkAccess } from "./access";
import { parseKey, parseQuery, type DataContext } from "./context";
import { bucketPreflight, UFILE_CORS, withBucketCors } from "../core/cors";
import { database } from "../store/db";
import { findOperation } from "./operations";
import { meterRequest, type RequestBytes } from "../metering/events";
import { noteAccess } from "../core/access-log";
import { asApiError, dataError } from "../responses";

/**
 * Data plane: `<bucket>.<FILE_DOMAIN>` requests (docs/design.md §3).
 * Host → bucket (cached lookup) → operation table → authenticate + authorize → handler.
 * `bucketName`: the bucket the host names (core/host.ts), null for none.
 */
export async function handleData(request: Request, url: URL, env: Env, ctx: ExecutionContext, bucketName: string | null): Promise<Response> {
  const s = settings(env);
  if (bucketName === null) {
    throw new ApiError(
      "BucketNotExist",
      `host ${url.hostname} names no bucket: use <bucket>.${s.fileDomain} for files, or an Action parameter for the control plane`,
    );
  }
  noteAccess(request, { bucket: bucketName });
  const method = request.method; // read once: each read is a call into the runtime
  // The bucket's CORS rules decide when it has some (core/cors.ts); else the built-in answer.
  if (method === "OPTIONS") {
    return bucketPreflight(request, UFILE_CORS, await bucketByName(database(env.DB), bucketName), (err) => dataError(err, method));
  }
  // GET and HEAD only read: a nearby replica may serve them (core/data-session.ts).
  const session = openDataSession(request, env, [bucketName]);
  const db = session.db;
  const bucket = await bucketByName(db, bucketName);
  if (!bucket) throw new ApiError("BucketNotExist", bucketName);
  // From here every answer, success or error, is about this bucket: its CORS rules decide when it has
  // some (core/cors.ts), else the built-in permissive headers (src/index.ts adds them to earlier errors).
  let metered = false;
  const bytes: RequestBytes = {};
  try {
    const query = parseQuery(url);
    const key = parseKey(url);
    const op = findOperation(request, query, key);
    noteAccess(request, { operation: op?.name, key });
    if (!op) {
      throw new ApiError("InvalidRequest", key === "" && method !== "POST" ? "an object key is required" : "unsupported operation");
    }
    const c: DataContext = { request, url, env, ctx, settings: s, db, bucket, key, query, now: nowSeconds(), operation: op, principal: { kind: "anonymous" }, usage: bytes };
    // Every request that reached an operation of a bucket is metered, errors included; the queue send never delays it.
    metered = true;
    // PostFile carries its credentials inside the body: it checks access once it has read them.
    if (op.name !== "PostFile") {
      const check = op.access ? await op.access(c) : { signedKeys: [key], target: { key } };
      await checkAccess(c, op, check);
    }
    const response = withBucketCors(await op.run(c), UFILE_CORS, request, bucket);
    if (method !== "HEAD") bytes.download = Number(response.headers.get("Content-Length")) || 0;
    return session.answer(response);
  } catch (err) {
    session.finish(); // a write may have landed before the failure: keep its bookmark
    return withBucketCors(dataError(asApiError(err), method), UFILE_CORS, request, bucket);
  } finally {
    if (metered) meterRequest(env, ctx, bucket, bytes);
  }
}
