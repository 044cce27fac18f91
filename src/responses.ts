import { utf8 } from "./crypto";
import { ApiError, ERRORS, type ErrorEntry } from "./errors";

/**
 * Response helpers shared by both planes. Every response carries the three id headers
 * (docs/protocol.md §6.3) and the two headers that keep its bytes exact on the way out
 * (docs/ufile.md "Exact bytes over HTTP"): the SDKs read `Content-Length` and compare the `ETag`.
 */
export interface RequestIds {
  sessionId: string;
  debugId: string;
}

export function newRequestIds(): RequestIds {
  const sessionId = crypto.randomUUID();
  // The debug id: the time, and the 16 hex digits of the session id's last two groups (random but for
  // the variant digit). Both name the same request: one UUID is enough randomness for the pair.
  const debugId = `${Date.now().toString(36)}-${sessionId.slice(19, 23)}${sessionId.slice(24)}`;
  return { sessionId, debugId };
}

/** Edits a response's headers (re-wrapping it when its headers are immutable). */
export function editHeaders(response: Response, edit: (headers: Headers) => void): Response {
  try {
    edit(response.headers);
    return response;
  } catch {
    const out = new Response(response.body, response);
    edit(out.headers);
    return out;
  }
}

/**
 * Adds the id headers to a response, and keeps its bytes exact on the way to a client that accepts
 * compression (`keepBytesExact`; without the request, as if it did).
 */
export const withIds = (response: Response, ids: RequestIds, request?: Request): Response =>
  editHeaders(response, (headers) => setIdHeaders(headers, ids, request));

/** `withIds` on mutable `headers`: the id headers, and exact bytes for a client that may get them compressed. */
export function setIdHeaders(headers: Headers, ids: RequestIds, request?: Request): void {
  headers.set("X-SessionId", ids.sessionId);
  headers.set("x-bce-request-id", ids.sessionId);
  headers.set("x-bce-debug-id", ids.debugId);
  if (!request || acceptsCompression(request)) keepBytesExact(headers);
}

/**
 * Whether the client accepts a compressed answer: the Accept-Encoding it sent (Cloudflare keeps it
 * in `request.cf.clientAcceptEncoding` and rewrites the header itself; miniflare does the same)
 * names gzip, br, zstd, deflate or `*` with a non-zero weight. Only then can the edge (or the
 * local runtime) compress an answer; a client that sends `identity` or nothing never sees one.
 */
function acceptsCompression(request: Request): boolean {
  const cf = (request as { cf?: { clientAcceptEncoding?: unknown } }).cf;
  const sent = typeof cf?.clientAcceptEncoding === "string" ? cf.clientAcceptEncoding : request.headers.get("Accept-Encoding");
  if (!sent) return false;
  return sent.split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((p) => /^\s*q\s*=\s*([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    return ["gzip", "x-gzip", "br", "zstd", "deflate", "*"].includes(coding.trim()) && (q === undefined || Number(q) > 0);
  });
}

/**
 * No compression between edgefile and a client that accepts it, deployed or local. Cloudflare's
 * edge leaves a response with `Cache-Control: no-transform` uncompressed and its `Content-Length`
 * as is (its "Content compression" documentation). The local runtime (miniflare, under `wrangler
 * dev`) imitates the edge's compression but ignores `no-transform`: it compresses every text/JSON
 * response, 206 and HEAD included, for a client that accepts gzip or br, unless the response
 * already names a `Content-Encoding` other than those. `identity` (RFC 9110: "no encoding") is
 * that name, and workerd sends the body unencoded with it; HTTP clients treat it as no encoding.
 * A client that accepts no compression (S3 SDKs send `identity` or nothing) gets no such header:
 * its answers carry an object's Cache-Control and Content-Encoding exactly as stored.
 */
function keepBytesExact(headers: Headers): void {
  const cacheControl = headers.get("Cache-Control");
  if (!cacheControl) headers.set("Cache-Control", "no-transform");
  else if (!/(^|,)\s*no-transform\s*(,|$)/i.test(cacheControl)) headers.set("Cache-Control", `${cacheControl}, no-transform`);
  if (!headers.has("Content-Encoding")) headers.set("Content-Encoding", "identity");
}

/** A character of more than one UTF-8 byte (JSON.stringify writes them as they are; what it escapes is ASCII). */
const NOT_ASCII = /[^\x00-\x7f]/;
/** Texts up to this long are scanned for ASCII; a longer one (a listing page) is encoded at once. */
const SCANNED_JSON_LENGTH = 4096;

/**
 * A JSON response with exactly `Content-Type: application/json` (Python compares with ==). Its
 * headers are built in one construction: each later `set` is a call into the runtime. A short ASCII
 * text (nearly every answer but a listing) is its own UTF-8: the runtime writes it out, and its length
 * is its byte count, which spares a call into the encoder. A long text is encoded whatever it holds:
 * scanning a 200 KB listing page for ASCII cost more than encoding it (docs/performance.md).
 */
export function json(body: unknown, status = 200, headers?: HeadersInit): Response {
  const text = JSON.stringify(body);
  const payload = text.length <= SCANNED_JSON_LENGTH && !NOT_ASCII.test(text) ? text : utf8(text);
  const own = { "Content-Type": "application/json", "Content-Length": String(typeof payload === "string" ? payload.length : payload.byteLength) };
  if (!headers) return new Response(payload, { status, headers: own });
  const h = new Headers(headers);
  h.set("Content-Type", own["Content-Type"]);
  h.set("Content-Length", own["Content-Length"]);
  return new Response(payload, { status, headers: h });
}

/** Control-plane envelope: always HTTP 200. */
export function controlResponse(action: string, fields: Record<string, unknown> = {}): Response {
  return json({ RetCode: 0, Action: `${action}Response`, Message: "", ...fields });
}

export function controlError(action: string, error: ErrorEntry, message: string): Response {
  return json({ RetCode: error.code, Action: `${action || ""}Response`, Message: message });
}

/** Data-plane error: the table's status, `{RetCode, ErrMsg}`; HEAD errors have no body. */
export function dataError(err: ApiError, method: string): Response {
  const { entry } = err;
  const headers = new Headers(err.headers);
  if (method === "HEAD") return new Response(null, { status: entry.status, headers });
  return json({ RetCode: entry.code, ErrMsg: err.message }, entry.status, headers);
}

/** Any thrown value as an ApiError; unexpected ones become an internal error (logged, not leaked). */
export function asApiError(thrown: unknown): ApiError {
  if (thrown instanceof ApiError) return thrown;
  console.error("unexpected error", thrown instanceof Error ? thrown.stack ?? thrown.message : thrown);
  return new ApiError("InternalError");
}

export { ERRORS };
