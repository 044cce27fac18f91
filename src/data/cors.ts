/**
 * CORS for the browser SDK (docs/protocol.md §10): preflight answers, and every data-plane response
 * exposes the headers the SDK reads. Credentials are signatures, never cookies, so `*` is safe.
 */
const EXPOSED =
  "ETag, X-SessionId, Content-Range, Content-Length, X-Ufile-Storage-Class, X-Ufile-Restore, X-Ufile-Create-Time, X-Edgefile-Bookmark";

export function preflight(request: Request): Response {
  return new Response(null, {
    status: 200,
    headers: {
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Allow-Methods": "GET, HEAD, PUT, POST, DELETE, OPTIONS",
      "Access-Control-Allow-Headers": request.headers.get("Access-Control-Request-Headers") ?? "*",
      "Access-Control-Max-Age": "86400",
      "Access-Control-Expose-Headers": EXPOSED,
    },
  });
}

export function withCors(response: Response): Response {
  let out = response;
  try {
    out.headers.set("Access-Control-Allow-Origin", "*");
  } catch {
    out = new Response(response.body, response);
    out.headers.set("Access-Control-Allow-Origin", "*");
  }
  out.headers.set("Access-Control-Expose-Headers", EXPOSED);
  return out;
}
