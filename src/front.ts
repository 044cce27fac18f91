import { settings, type Env } from "./config";
import { isConsoleHost, isConsoleRedirect, serveConsole } from "./console";
import { handleControl } from "./control";
import { handleAdmin } from "./control/admin";
import type { Params } from "./control/params";
import { handleData } from "./data";
import { bucketFromHost, isSubdomainOf } from "./core/host";
import type { RequestIds } from "./responses";
import { handleS3 } from "./s3";
import { sigV2Form } from "./s3/sigv2";
import { sigV4Form } from "./s3/sigv4";

/**
 * The fronts of the Worker, in the order they are asked (docs/design.md §3a, docs/s3.md "Addressing"):
 * the first row that claims a request serves it. Each front owns only its wire format; rights,
 * storage and metering live below it.
 *
 * 1. control plane: an `Action` parameter (query, form or JSON body; any host, any path);
 * 2. web console: every other request to the console host (CONSOLE_HOST: static files at `/ui/`, no
 *    bucket content); and, on a host that names no bucket, `/ui/…` and a browser opening `/`, which
 *    are redirected to the console host (src/console.ts);
 * 3. operator admin paths: `/_admin/…` on a host that names no bucket (src/control/admin.ts, routed
 *    with itty-router; `_` cannot start a bucket name, so no path-style bucket is shadowed);
 * 4. S3 API: the S3 host or `<bucket>.<S3 host>`; a bucket host when the request carries SigV4 or
 *    SigV2 credentials (UFile clients sign `UCloud …`, never `AWS4-HMAC-SHA256` or `AWS …`); and every host that names no bucket
 *    (path style: `http://localhost:8787/<bucket>/<key>` works with no DNS set-up, signed or anonymous);
 * 5. UFile data plane: `<bucket>.<FILE_DOMAIN>` and custom bucket hosts.
 */
export interface Incoming {
  request: Request;
  url: URL;
  /** The host, lowercased (core/host.ts `requestHost`). */
  host: string;
  /** The bucket the host names, null for none: worked out by the first front that asks (`hostBucket`). */
  hostBucket?: string | null;
  /** Control-plane parameters (query, and a small form or JSON body): read once, before any front. */
  params: Params;
  env: Env;
  ctx: ExecutionContext;
  ids: RequestIds;
}

export interface FrontSpec {
  name: string;
  claims(r: Incoming): boolean;
  serve(r: Incoming): Promise<Response>;
}

/** The bucket `r`'s host names (core/host.ts), null for none; worked out once per request. */
function hostBucket(r: Incoming): string | null {
  if (r.hostBucket === undefined) r.hostBucket = bucketFromHost(r.host, settings(r.env));
  return r.hostBucket;
}

/** The console host; else, on a host that names no bucket, the console's redirects (src/console.ts). */
const isConsoleRequest = (r: Incoming): boolean =>
  isConsoleHost(r.host, settings(r.env)) || (hostBucket(r) === null && isConsoleRedirect(r.request, r.url));

/** `/_admin/…` on the service's own host: neither a bucket host nor a virtual-hosted S3 bucket. */
function isAdminRequest(r: Incoming): boolean {
  if (!r.url.pathname.startsWith("/_admin/")) return false;
  const s = settings(r.env);
  return hostBucket(r) === null && !isSubdomainOf(r.host, s.s3Host);
}

function isS3Request(r: Incoming): boolean {
  const s = settings(r.env);
  if (r.host === s.s3Host || (s.s3Host !== s.fileDomain && isSubdomainOf(r.host, s.s3Host))) return true;
  if (hostBucket(r) === null) return true;
  const { request, url } = r;
  const auth = request.headers.get("Authorization"); // read once for both forms: every UFile request asks
  return sigV4Form(request, url, auth) !== null || sigV2Form(request, url, auth) !== null;
}

export const FRONTS = [
  { name: "control", claims: (r) => r.params.has("Action"), serve: (r) => handleControl(r.params, r.env, r.ctx, r.request) },
  { name: "console", claims: isConsoleRequest, serve: (r) => serveConsole(r.request, r.url, r.host, r.env) },
  { name: "admin", claims: isAdminRequest, serve: (r) => handleAdmin(r.request, r.url, r.params, r.env) },
  { name: "s3", claims: isS3Request, serve: (r) => handleS3(r.request, r.url, r.env, r.ctx, r.ids) },
  { name: "ufile", claims: () => true, serve: (r) => handleData(r.request, r.url, r.env, r.ctx, hostBucket(r)) },
] as const satisfies readonly FrontSpec[];

/** The front that serves `r` (the last row claims everything). */
export const frontFor = (r: Incoming): FrontSpec => FRONTS.find((f) => f.claims(r))!;
