import { settings, type Env } from "../config";
import { ApiError, ERRORS } from "../errors";
import { asApiError, controlError, controlResponse } from "../responses";
import { database } from "../store/db";
import { ACTIONS } from "./actions";
import type { Params } from "./params";
import { verifyControlSignature } from "./signature";

/**
 * Control plane: action lookup → signature → handler → envelope.
 * Always HTTP 200; errors are `RetCode` ≠ 0 with a `Message` (PROTOCOL.md §3.4).
 */
export async function handleControl(params: Params, env: Env, ctx: ExecutionContext): Promise<Response> {
  const action = params.str("Action") ?? "";
  try {
    if (action === "") throw new ApiError("MissingAction");
    const handler = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
    if (!handler) throw new ApiError("UnknownAction", action);
    const publicKey = await verifyControlSignature(params, env);
    const s = settings(env);
    const fields = await handler({
      env,
      settings: s,
      db: database(env.DB),
      params,
      projectId: params.nonEmpty("ProjectId") ?? s.defaultProjectId,
      region: params.nonEmpty("Region") ?? s.defaultRegion,
      publicKey,
      ctx,
    });
    return controlResponse(action, fields);
  } catch (thrown) {
    const err = thrown instanceof ApiError ? thrown : asApiError(thrown);
    // Unexpected failures surface as the spec's generic internal error code.
    const entry = err.name === "InternalError" ? ERRORS.Internal20 : err.entry;
    return controlError(action, entry, err.message);
  }
}
