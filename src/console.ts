import { settings, type Env, type Settings } from "./config";

/**
 * The web console (docs/console.md): static files built from console/ into console/dist and
 * bound as Workers Static Assets (`ASSETS`, wrangler.toml `[assets]`), served at `/ui/` of the
 * console host, CONSOLE_HOST (default `console.<FILE_DOMAIN>`; locally `console.localhost:8787`).
 *
 * The console holds key pairs, so its origin serves nothing else: no path of the console host reaches
 * a bucket (neither S3 path style nor a bucket host), so no stored object can ever run as a page of the
 * console's origin (docs/security.md "Origins"). Its only other answers are the control plane's (an
 * `Action` parameter, JSON envelopes), which the console calls from the same origin. The data plane is
 * called cross-origin, on the bucket hosts.
 *
 * Elsewhere the console only redirects: `/ui/…` of a host that names no bucket (the old address) and a
 * browser opening `/` of such a host (the API host) are sent to the console host. `ui` can never be a
 * bucket name (names have at least 3 characters), so S3 path style never meets `/ui/`; a bucket host
 * keeps every path for its objects (`run_worker_first` in wrangler.toml), `ui/index.html` included.
 *
 * The console adds no route of its own: it is static files that call the public API, signed in the
 * browser exactly as the SDKs sign.
 */
export const CONSOLE_PATH = "/ui/";

const isConsolePath = (url: URL) => url.pathname === "/ui" || url.pathname.startsWith(CONSOLE_PATH);

/** A browser opening the API host's root: a navigation (HTML wanted), unsigned, with no query. */
const isBrowserAtRoot = (request: Request, url: URL) =>
  (request.method === "GET" || request.method === "HEAD") &&
  url.pathname === "/" &&
  url.search === "" &&
  !request.headers.has("Authorization") &&
  (request.headers.get("Accept") ?? "").includes("text/html");

/** Whether `host` (lowercased) is the console's. */
export const isConsoleHost = (host: string, s: Settings): boolean => host === s.consoleHost;

/**
 * On a host that names no bucket (src/front.ts asks only then), the requests the console redirects to
 * its own host: its old address `/ui/…`, and a browser opening `/`.
 */
export const isConsoleRedirect = (request: Request, url: URL): boolean => isConsolePath(url) || isBrowserAtRoot(request, url);

/** The console's address as seen from a request to this Worker: same scheme and port, the console host. */
export function consoleUrl(url: URL, s: Settings, path = CONSOLE_PATH): URL {
  const out = new URL(path, url);
  out.hostname = s.consoleHost;
  return out;
}

export async function serveConsole(request: Request, url: URL, host: string, env: Env): Promise<Response> {
  const s = settings(env);
  if (!isConsoleHost(host, s)) {
    const path = isConsolePath(url) ? url.pathname + url.search : CONSOLE_PATH;
    return redirect(consoleUrl(url, s, path), isConsolePath(url) ? 301 : 302);
  }
  if (url.pathname === "/ui" || url.pathname === "/") return redirect(new URL(CONSOLE_PATH + url.search, url), 301);
  if (!isConsolePath(url)) return plainAnswer(404, `not found: the console is at ${CONSOLE_PATH}; this host serves no bucket content\n`);
  if (!env.ASSETS) return plainAnswer(404, "the console is not part of this deployment (no ASSETS binding)\n");
  const isPage = url.pathname.endsWith("/") || url.pathname.endsWith(".html");
  // The page learns FILE_DOMAIN from a meta tag added here (a token cannot ask the control plane for
  // it), so it is always answered whole: no 304 from a copy that predates a change of the setting.
  const response = await env.ASSETS.fetch(isPage ? withoutConditions(request) : request);
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(securityHeaders(s.fileDomain))) headers.set(name, value);
  const html = (headers.get("Content-Type") ?? "").startsWith("text/html");
  if (html) {
    headers.delete("ETag");
    headers.set("Cache-Control", "no-cache");
  }
  const answer = new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  return html ? withFileDomain(answer, s.fileDomain) : answer;
}

function withoutConditions(request: Request): Request {
  const headers = new Headers(request.headers);
  headers.delete("If-None-Match");
  headers.delete("If-Modified-Since");
  return new Request(request.url, { method: request.method, headers });
}

/** `<meta name="edgefile-file-domain" content="…">` in the page's head (console/src/lib/session.ts reads it). */
function withFileDomain(page: Response, fileDomain: string): Response {
  return new HTMLRewriter()
    .on("head", {
      element: (head) => {
        head.append(`<meta name="edgefile-file-domain" content="${fileDomain}">`, { html: true });
      },
    })
    .transform(page);
}

const redirect = (to: URL, status: 301 | 302) => new Response(null, { status, headers: { Location: to.toString() } });

const plainAnswer = (status: number, text: string) =>
  new Response(text, { status, headers: { "Content-Type": "text/plain; charset=utf-8", "X-Content-Type-Options": "nosniff" } });

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
