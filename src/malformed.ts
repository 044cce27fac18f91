import { ApiError } from "./errors";
import { dataError } from "./responses";
import { s3ErrorResponse } from "./s3/errors";
import { ALGORITHM } from "./s3/sigv4";

/**
 * Requests too malformed for any front to read (docs/security.md "Malformed requests"): a Host header
 * that does not name exactly one host (two Host headers arrive joined as `a, b`), or a URL the runtime
 * cannot parse. No front can be chosen for them (the host is what chooses), so they are answered here,
 * 400 in the format the client speaks: S3 XML for a SigV4 request, else the UFile data plane's JSON.
 */

/** One host name, IPv4 or bracketed IPv6 address, with an optional port. */
const ONE_HOST = /^(?:[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** The request's URL, or the reason the request is malformed. */
export function requestUrl(request: Request): URL | string {
  const host = request.headers.get("Host");
  if (host !== null && !ONE_HOST.test(host)) {
    return host.includes(",") ? "the request has more than one Host header" : "the Host header does not name a host";
  }
  try {
    return new URL(request.url);
  } catch {
    return "the request URL cannot be parsed";
  }
}

export function malformedAnswer(request: Request, reason: string, requestId: string): Response {
  const err = new ApiError("InvalidRequest", `malformed request: ${reason}`);
  const sigV4 = (request.headers.get("Authorization") ?? "").startsWith(ALGORITHM) || request.url.includes("X-Amz-Algorithm=");
  return sigV4 ? s3ErrorResponse(err, request.method, "/", requestId) : dataError(err, request.method);
}
