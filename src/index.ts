import { accessLine, logAccess, openAccessNote } from "./core/access-log";
import { countedRequest, countedResponse, type ByteCount } from "./core/counted-body";
import { settings, type Env } from "./config";
import { readParams } from "./control/params";
import { withCors } from "./core/cors";
import { isolateAnswer } from "./core/isolation";
import { frontFor, type Incoming } from "./front";
import { requestHost } from "./core/host";
import { runHousekeeping } from "./housekeeping";
import { malformedAnswer, requestUrl } from "./malformed";
import { consumeUsage } from "./metering/consumer";
import { asApiError, dataError, editHeaders, newRequestIds, setIdHeaders, withIds, type RequestIds } from "./responses";

/**
 * Entry point: the first front of the table in src/front.ts that claims a request serves it (control
 * plane, web console, S3 API, UFile data plane). Every response carries the request id headers.
 * One plain function rather than a router: the fronts are chosen by parameter and host, not by path,
 * so a router's per-request URL and query parsing would be work for nothing (bench/results.md).
 * Every answer but the console's own files is isolated as user content (src/core/isolation.ts).
 */
async function serve(incoming: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const startedAt = Date.now();
  const ids = newRequestIds();
  // The access log counts the body bytes read and sent (src/core/counted-body.ts); its line is
  // written when the response is ready, or once a body of no declared length was sent or abandoned.
  const bytesIn: ByteCount = { bytes: 0 };
  const bytesOut: ByteCount = { bytes: 0 };
  const request = countedRequest(incoming, bytesIn);
  const note = openAccessNote(request);
  const answered = await answer(request, env, ctx, ids);
  const { response, sent } = countedResponse(answered.response, request.method, bytesOut);
  const headersAt = Date.now();
  const log = () => logAccess(env, ctx, accessLine(request, response, answered.front, note, ids, { startedAt, headersAt, bytesIn, bytesOut }));
  // A body of no declared length is logged once sent; otherwise every figure is known now, and the
  // line is written at once (no waitUntil, no promise: every HEAD, object GET and JSON answer).
  if (sent) ctx.waitUntil(sent.then(log));
  else log();
  return response;
}

/** The answer to one request, and the front that gave it (the access log's `front`). */
async function answer(request: Request, env: Env, ctx: ExecutionContext, ids: RequestIds): Promise<{ front: string; response: Response }> {
  const url = requestUrl(request);
  if (typeof url === "string") return { front: "malformed", response: finish(withCors(malformedAnswer(request, url, ids.debugId)), ids, false) };
  // Errors reaching the catch below are answered as UFile data-plane ones, whichever front threw.
  let front = "ufile";
  let response: Response;
  let ownSite = false;
  try {
    const read = readParams(request, url); // a promise only for a body that may hold parameters
    const params = read instanceof Promise ? await read : read;
    const incoming: Incoming = { request, url, host: requestHost(url), params, env, ctx, ids };
    const spec = frontFor(incoming);
    front = spec.name;
    if (spec.name === "console") return { front, response: withIds(await spec.serve(incoming), ids) };
    // The control plane answers JSON envelopes (and its own 15004 when the settings are bad): no host rule applies.
    if (spec.name !== "control") {
      const customHosts = settings(env).customHosts;
      ownSite = customHosts.size > 0 && customHosts.has(incoming.host);
    }
    response = await spec.serve(incoming);
  } catch (err) {
    // Errors reaching here are UFile data-plane ones (the control plane and S3 answer their own); CORS so a browser can read them.
    response = withCors(dataError(asApiError(err), request.method));
  }
  return { front, response: finish(response, ids, ownSite, request) };
}

/** The isolation and id headers (`withIds`' rules), in one edit of the response's headers. */
const finish = (response: Response, ids: RequestIds, ownSite: boolean, request?: Request): Response =>
  editHeaders(response, (headers) => {
    isolateAnswer(headers, ownSite);
    setIdHeaders(headers, ids, request);
  });

export default {
  fetch: serve,
  /** The usage queue (wrangler.toml): data-plane usage events → usage_daily. */
  queue: (batch, env) => consumeUsage(batch, env),
  /** The cron trigger: storage integration and other housekeeping, at the scheduled time. */
  scheduled: (controller, env) => runHousekeeping(env, Math.floor(controller.scheduledTime / 1000)),
} satisfies ExportedHandler<Env>;
