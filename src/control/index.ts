import { noteAccess } from "../core/access-log";
import { settings, type Env } from "../config";
import { ApiError, ERRORS, type ErrorName } from "../errors";
import { asApiError, controlError, controlResponse } from "../responses";
import { sessionScopes } from "../core/data-session";
import { openSession, type RequestSession } from "../store/sessions";
import { ACTIONS, READ_ACTIONS } from "./actions";
import { namedBucket } from "./buckets";
import type { Params } from "./params";
import { verifyControlSignature } from "./signature";

/**
 * Control plane: action lookup → signature → handler → envelope.
 * Always HTTP 200; errors are `RetCode` ≠ 0 with a `Message` (docs/protocol.md §3.4).
 */
/** Errors raised below the control plane that it reports with its own code (same meaning, control table). */
const CONTROL_CODE: Partial<Record<ErrorName, ErrorName>> = {
  InternalError: "Internal20",
  NotConfigured: "ServiceUnavailable",
  // UpdateBucket Type=public on a bucket whose S3 object ownership keeps it private (core/buckets.ts).
  InvalidBucketAclWithObjectOwnership: "InvalidType",
};

/** `request` is the HTTP request the parameters came from (the access log's note is kept on it). */
export async function handleControl(params: Params, env: Env, ctx: ExecutionContext, request: Request): Promise<Response> {
  let action = "";
  let session: RequestSession | undefined;
  try {
    action = params.str("Action") ?? "";
    if (params.problem) throw new ApiError("InvalidParameter", params.problem);
    if (action === "") throw new ApiError("MissingAction");
    const handler = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
    if (!handler) throw new ApiError("UnknownAction", action);
    const bucket = namedBucket(params);
    noteAccess(request, { operation: action, bucket });
    const publicKey = await verifyControlSignature(params, env);
    noteAccess(request, { principal: { kind: "root", publicKey } }); // token keys are refused above
    const s = settings(env);
    // Bucket actions read and write that bucket's state (CreateBucket and DeleteBucket the account's
    // bucket listing too); the rest (tokens, quotas) the account's.
    session = openSession(env, {
      scopes: sessionScopes(bucket, action),
      writes: !READ_ACTIONS.has(action),
      clientBookmark: null,
    });
    const fields = await handler({
      env,
      settings: s,
      db: session.db,
      params,
      projectId: params.nonEmpty("ProjectId") ?? s.defaultProjectId,
      region: params.nonEmpty("Region") ?? s.defaultRegion,
      publicKey,
      ctx,
    });
    return session.answer(controlResponse(action, fields));
  } catch (thrown) {
    session?.finish(); // a write may have landed before the failure
    const err = asApiError(thrown);
    const mapped = CONTROL_CODE[err.name as ErrorName];
    return controlError(action, mapped ? ERRORS[mapped] : err.entry, err.message);
  }
}
