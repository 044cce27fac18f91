import { settings, type Env } from "./config";
import { readParams } from "./control/params";
import { withCors } from "./core/cors";
import { isolateAnswer } from "./core/isolation";
import { frontFor } from "./front";
import { runHousekeeping } from "./housekeeping";
import { malformedAnswer, requestUrl } from "./malformed";
import { consumeUsage } from "./metering/consumer";
import { asApiError, dataError, editHeaders, newRequestIds, withIds, type RequestIds } from "./responses";

/**
 * Entry point: the first front of the table in src/front.ts that claims a request serves it (control
 * plane, web console, S3 API, UFile data plane). Every response carries the request id headers.
 * One plain function rather than a router: the fronts are chosen by parameter and host, not by path,
 * and a router's per-request URL and query parsing showed up in the bench's CPU profile (bench/results.md).
 * Every answer but the console's own files is isolated as user content (src/core/isolation.ts).
 */
async function serve(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const ids = newRequestIds();
  const url = requestUrl(request);
  if (typeof url === "string") return finish(withCors(malformedAnswer(request, url, ids.debugId)), ids, false);
  let response: Response;
  let ownSite = false;
  try {
    const incoming = { request, url, params: await readParams(request, url), env, ctx, ids };
    const front = frontFor(incoming);
    if (front.name === "console") return withIds(await front.serve(incoming), ids);
    ownSite = settings(env).customHosts.has(url.hostname.toLowerCase());
    response = await front.serve(incoming);
  } catch (err) {
    // Errors reaching here are UFile data-plane ones (the control plane and S3 answer their own); CORS so a browser can read them.
    response = withCors(dataError(asApiError(err), request.method));
  }
  return finish(response, ids, ownSite);
}

const finish = (response: Response, ids: RequestIds, ownSite: boolean): Response =>
  withIds(editHeaders(response, (headers) => isolateAnswer(headers, ownSite)), ids);

export default {
  fetch: serve,
  /** The usage queue (wrangler.toml): data-plane usage events → usage_daily. */
  queue: (batch, env) => consumeUsage(batch, env),
  /** The cron trigger: storage integration and other housekeeping, at the scheduled time. */
  scheduled: (controller, env) => runHousekeeping(env, Math.floor(controller.scheduledTime / 1000)),
} satisfies ExportedHandler<Env>;
