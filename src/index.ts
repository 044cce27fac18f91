import { Router, type IRequest } from "itty-router";
import type { Env } from "./config";
import { isConsoleRequest, serveConsole } from "./console";
import { handleControl } from "./control";
import { readParams } from "./control/params";
import { handleData } from "./data";
import { withCors } from "./data/cors";
import { runHousekeeping } from "./housekeeping";
import { consumeUsage } from "./metering/consumer";
import { asApiError, dataError, newRequestIds, withIds, type RequestIds } from "./responses";

/**
 * Entry point. A request with an `Action` parameter (query, form or JSON body; any host, any
 * path) is control plane; `/ui/…` on a host that names no bucket is the web console (static
 * files, src/console.ts); everything else is data plane, addressed by `<bucket>.<FILE_DOMAIN>`
 * (DESIGN.md §3, PROTOCOL.md §1.1).
 */
type EdgeRequest = IRequest & { ids: RequestIds };

const router = Router<EdgeRequest, [Env, ExecutionContext]>({
  before: [(request) => void (request.ids = newRequestIds())],
  // Errors reaching here are data-plane ones (the control plane answers its own); CORS so a browser can read them.
  catch: (err, request) => withCors(dataError(asApiError(err), request.method)),
  finally: [(response: Response, request) => withIds(response, request.ids)],
});

router.all("*", async (request, env, ctx) => {
  const url = new URL(request.url);
  const params = await readParams(request, url);
  if (params.has("Action")) return handleControl(params, env, ctx);
  if (isConsoleRequest(url, env)) return serveConsole(request, url, env);
  return handleData(request, url, env, ctx);
});

export default {
  fetch: (request, env, ctx) => router.fetch(request as EdgeRequest, env, ctx),
  /** The usage queue (wrangler.toml): data-plane usage events → usage_daily. */
  queue: (batch, env) => consumeUsage(batch, env),
  /** The cron trigger: storage integration and other housekeeping, at the scheduled time. */
  scheduled: (controller, env) => runHousekeeping(env, Math.floor(controller.scheduledTime / 1000)),
} satisfies ExportedHandler<Env>;
