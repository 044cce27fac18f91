import { settings, type Env } from "../config";
import { ApiError, ERRORS } from "../errors";
import { asApiError, controlError, controlResponse } from "../responses";
import { ACCOUNT_SCOPE, BOOKMARK_HEADER, openSession, type RequestSession } from "../store/sessions";
import { ACTIONS, READ_ACTIONS } from "./actions";
import type { Params } from "./params";
import { verifyControlSignature } from "./signature";

/**
 * Control plane: action lookup → signature → handler → envelope.
 * Always HTTP 200; errors are `RetCode` ≠ 0 with a `Message` (PROTOCOL.md §3.4).
 */
export async function handleControl(params: Params, env: Env, ctx: ExecutionContext): Promise<Response> {
  const action = params.str("Action") ?? "";
  let session: RequestSession | undefined;
  try {
    if (action === "") throw new ApiError("MissingAction");
    const handler = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
    if (!handler) throw new ApiError("UnknownAction", action);
    const publicKey = await verifyControlSignature(params, env);
    const s = settings(env);
    // Bucket actions read and write that bucket's state; the rest (tokens, quotas) the account's.
    session = openSession(env.DB, {
      scopes: [params.nonEmpty("BucketName") ?? ACCOUNT_SCOPE],
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
    const response = controlResponse(action, fields);
    const bookmark = session.finish();
    if (bookmark) response.headers.set(BOOKMARK_HEADER, bookmark);
    return response;
  } catch (thrown) {
    session?.finish(); // a write may have landed before the failure
    const err = thrown instanceof ApiError ? thrown : asApiError(thrown);
    // Unexpected failures surface as the spec's generic internal error code.
    const entry = err.name === "InternalError" ? ERRORS.Internal20 : err.entry;
    return controlError(action, entry, err.message);
  }
}
