import { Router, type IRequest } from "itty-router";
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
import { asApiError, dataError, newRequestIds, withIds, type RequestIds } from "./responses";

/**
 * Entry point: which front serves a request (DESIGN.md §3, PROTOCOL.md §1.1, docs/s3.md
 * "Addressing"), in this order:
 *
 * 1. an `Action` parameter (query, form or JSON body; any host, any path) → control plane;
 * 2. `/ui/…` on a host that names no bucket → the web console (static files, src/console.ts);
 * 3. `front()`: the UFile data plane for `<bucket>.<FILE_DOMAIN>` and custom hosts, the S3 API
 *    for the S3 host, its subdomains and any request carrying SigV4 credentials, and for every
 *    other host (path style, e.g. `http://localhost:8787/<bucket>/<key>`).
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
  return front(request, url, env) === "s3" ? handleS3(request, url, env, ctx, request.ids) : handleData(request, url, env, ctx);
});

export default {
  fetch: (request, env, ctx) => router.fetch(request as EdgeRequest, env, ctx),
  /** The usage queue (wrangler.toml): data-plane usage events → usage_daily. */
  queue: (batch, env) => consumeUsage(batch, env),
  /** The cron trigger: storage integration and other housekeeping, at the scheduled time. */
  scheduled: (controller, env) => runHousekeeping(env, Math.floor(controller.scheduledTime / 1000)),
} satisfies ExportedHandler<Env>;
