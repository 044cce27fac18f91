import { settings, type Env } from "./config";
import { bucketFromHost } from "./core/host";

/**
 * The web console (README "Web console"): static files built from console/ into console/dist and
 * bound as Workers Static Assets (`ASSETS`, wrangler.toml `[assets]`), served at `/ui/` of any host
 * that names no bucket (the API host). `run_worker_first` sends every request here first, so that on a
 * bucket host an object key `ui/index.html` is the object, never a console file. `ui` can never be a
 * bucket name (names have at least 3 characters), so S3 path-style addressing never meets it.
 *
 * The console adds no route of its own: it is static files that call the public API, signed in the
 * browser exactly as the SDKs sign.
 */
export const CONSOLE_PATH = "/ui/";

export function isConsoleRequest(url: URL, env: Env): boolean {
  if (url.pathname !== "/ui" && !url.pathname.startsWith(CONSOLE_PATH)) return false;
  return bucketFromHost(url, settings(env)) === null;
}

export async function serveConsole(request: Request, url: URL, env: Env): Promise<Response> {
  if (url.pathname === "/ui") return Response.redirect(new URL(CONSOLE_PATH + url.search, url).toString(), 301);
  if (!env.ASSETS) return new Response("the console is not part of this deployment (no ASSETS binding)\n", { status: 404 });
  const response = await env.ASSETS.fetch(request);
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(securityHeaders(settings(env).fileDomain))) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/**
 * The console holds key pairs in the page, so nothing but its own files may run there: scripts only
 * from this origin, network calls only to this origin and the bucket hosts `*.<FILE_DOMAIN>` (any
 * port, the page's scheme), no framing, no referrer (a presigned URL never leaks through one).
 */
function securityHeaders(fileDomain: string): Record<string, string> {
  const buckets = `*.${fileDomain}:*`;
  return {
    "Content-Security-Policy": [
      "default-src 'self'",
      `connect-src 'self' ${buckets}`,
      `img-src 'self' data: blob: ${buckets}`,
      `media-src 'self' blob: ${buckets}`,
      "worker-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "form-action 'none'",
    ].join("; "),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
  };
}
