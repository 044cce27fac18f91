import type { Env } from "./config";
import { readParams } from "./control/params";
import { withCors } from "./core/cors";
import { frontFor } from "./front";
import { runHousekeeping } from "./housekeeping";
import { consumeUsage } from "./metering/consumer";
import { asApiError, dataError, newRequestIds, withIds } from "./responses";

/**
 * Entry point: the first front of the table in src/front.ts that claims a request serves it (control
 * plane, web console, S3 API, UFile data plane). Every response carries the request id headers.
 * One plain function rather than a router: the fronts are chosen by parameter and host, not by path,
 * and a router's per-request URL and query parsing showed up in the bench's CPU profile (bench/results.md).
 */
async function serve(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const ids = newRequestIds();
  let response: Response;
  try {
    const url = new URL(request.url);
    const incoming = { request, url, params: await readParams(request, url), env, ctx, ids };
    response = await frontFor(incoming).serve(incoming);
  } catch (err) {
    // Errors reaching here are UFile data-plane ones (the control plane and S3 answer their own); CORS so a browser can read them.
    response = withCors(dataError(asApiError(err), request.method));
  }
  return withIds(response, ids, request);
}

export default {
  fetch: serve,
  /** The usage queue (wrangler.toml): data-plane usage events → usage_daily. */
  queue: (batch, env) => consumeUsage(batch, env),
  /** The cron trigger: storage integration and other housekeeping, at the scheduled time. */
  scheduled: (controller, env) => runHousekeeping(env, Math.floor(controller.scheduledTime / 1000)),
} satisfies ExportedHandler<Env>;
