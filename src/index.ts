import type { Env } from "./config";
import { isConsoleRequest, serveConsole } from "./console";
import { handleControl } from "./control";
import { readParams } from "./control/params";
import { handleData } from "./data";
import { front } from "./front";
import { handleS3 } from "./s3";
import { withCors } from "./data/cors";
import { runHousekeeping } from "./housekeeping";
import { consumeUsage } from "./metering/consumer";
import { asApiError, dataError, newRequestIds, withIds } from "./responses";

/**
 * Entry point: which front serves a request (DESIGN.md §3, PROTOCOL.md §1.1, docs/s3.md
 * "Addressing"), in this order:
 *
 * 1. an `Action` parameter (query, form or JSON body; any host, any path) → control plane;
 * 2. `/ui/…` on a host that names no bucket → the web console (static files, src/console.ts);
 * 3. `front()`: the UFile data plane for `<bucket>.<FILE_DOMAIN>` and custom hosts, the S3 API
 *    for the S3 host, its subdomains and any request carrying SigV4 credentials, and for every
 *    other host (path style, e.g. `http://localhost:8787/<bucket>/<key>`).
 *
 * Every response carries the request id headers. One plain function rather than a router: there
 * is exactly one route, and a router's per-request URL and query parsing showed up in the bench's
 * CPU profile (bench/results.md).
 */
async function serve(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const ids = newRequestIds();
  let response: Response;
  try {
    const url = new URL(request.url);
    const params = await readParams(request, url);
    if (params.has("Action")) response = await handleControl(params, env, ctx);
    else if (isConsoleRequest(url, env)) response = await serveConsole(request, url, env);
    else if (front(request, url, env) === "s3") response = await handleS3(request, url, env, ctx, ids);
    else response = await handleData(request, url, env, ctx);
  } catch (err) {
    // Errors reaching here are data-plane ones (the control plane and S3 answer their own); CORS so a browser can read them.
    response = withCors(dataError(asApiError(err), request.method));
  }
  return withIds(response, ids);
}

export default {
  fetch: serve,
  /** The usage queue (wrangler.toml): data-plane usage events → usage_daily. */
  queue: (batch, env) => consumeUsage(batch, env),
  /** The cron trigger: storage integration and other housekeeping, at the scheduled time. */
  scheduled: (controller, env) => runHousekeeping(env, Math.floor(controller.scheduledTime / 1000)),
} satisfies ExportedHandler<Env>;
