import type { Env } from "./config";
import { isConsoleRequest, serveConsole } from "./console";
import { handleControl } from "./control";
import { readParams } from "./control/params";
import { handleData } from "./data";
import { withCors } from "./data/cors";
import { runHousekeeping } from "./housekeeping";
import { consumeUsage } from "./metering/consumer";
import { asApiError, dataError, newRequestIds, withIds } from "./responses";

/**
 * Entry point. A request with an `Action` parameter (query, form or JSON body; any host, any
 * path) is control plane; `/ui/…` on a host that names no bucket is the web console (static
 * files, src/console.ts); everything else is data plane, addressed by `<bucket>.<FILE_DOMAIN>`
 * (DESIGN.md §3, PROTOCOL.md §1.1). Every response carries the request id headers.
 * One plain function rather than a router: there is exactly one route, and a router's per-request
 * URL and query parsing showed up in the bench's CPU profile (bench/results.md).
 */
async function serve(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const ids = newRequestIds();
  let response: Response;
  try {
    const url = new URL(request.url);
    const params = await readParams(request, url);
    if (params.has("Action")) response = await handleControl(params, env, ctx);
    else if (isConsoleRequest(url, env)) response = await serveConsole(request, url, env);
    else response = await handleData(request, url, env, ctx);
  } catch (err) {
    // Errors reaching here are data-plane ones (the control plane answers its own); CORS so a browser can read them.
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
