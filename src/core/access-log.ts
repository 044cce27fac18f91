import { clientIp } from "../auth/client-ip";
import type { Principal } from "../auth/principal";
import { settings, type Env } from "../config";
import { isoTimeMs } from "../dates";
import { isolateWindows } from "../isolate-window";

/**
 * The access log (docs/operations.md "Access log"): one JSON line per request on the Worker's
 * console, which `wrangler tail` shows, Workers Logs keeps (wrangler.toml `[observability]`) and
 * Logpush exports. The entry (src/index.ts) opens a note per request; the front that serves it
 * fills in what its own operation table decided (operation, bucket, key, principal); the entry
 * makes the line when the response is ready, or, for a body of no declared length, once that body
 * was sent (or abandoned by the client). Lines are written in windows of `ACCESS_LOG_FLUSH_MS`
 * (`logAccess`), so a line may appear up to that long after its response, in the log of another
 * request of the same isolate: every figure in it is its own request's.
 *
 * A principal is written as `root`, `anonymous` or `token:<token id>`: never a key, public or private.
 */
export interface AccessNote {
  /** The row of the front's operation table (UFile data-plane operation, control Action, S3 operation). */
  operation?: string;
  bucket?: string;
  key?: string;
  principal?: Principal;
}

/** One line of the log, in this field order. */
export interface AccessLine {
  time: string;
  /** X-SessionId / x-bce-request-id of the response. */
  requestId: string;
  /** x-bce-debug-id; also S3's x-amz-request-id. */
  debugId: string;
  front: string;
  operation: string | null;
  method: string;
  bucket: string | null;
  key: string | null;
  principal: string;
  client: string | null;
  status: number;
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
}

/** The note of each request in flight; fronts reach it through the Request they were given. */
const notes = new WeakMap<Request, AccessNote>();

/** The entry's start of a request: its empty note. */
export function openAccessNote(request: Request): AccessNote {
  const note: AccessNote = {};
  notes.set(request, note);
  return note;
}

/** A front records what it decided about `request` (later calls add to or replace earlier fields). */
export function noteAccess(request: Request, fields: AccessNote): void {
  const note = notes.get(request);
  if (note) Object.assign(note, fields);
}

export function principalName(p: Principal | undefined): string {
  if (!p || p.kind === "anonymous") return "anonymous";
  return p.kind === "root" ? "root" : `token:${p.scope.tokenId}`;
}

/** What the entry measured of one request: when it came and was answered, and its body bytes. */
export interface AccessMeasures {
  startedAt: number;
  /** When the response's headers were ready. */
  headersAt: number;
  /** Bytes of the request body the Worker read (src/core/counted-body.ts). */
  bytesIn: { bytes: number };
  /** Bytes of the response body the client took. */
  bytesOut: { bytes: number };
}

/**
 * The line for one finished request. Bytes are those read and sent (an aws-chunked body counts its
 * framing; a response of a declared length counts that length). The duration is wall time
 * to the response headers, which inside a Worker advances at I/O.
 */
export function accessLine(
  request: Request,
  response: Response,
  front: string,
  note: AccessNote,
  ids: { sessionId: string; debugId: string },
  measures: AccessMeasures,
  now = Date.now(),
): AccessLine {
  return {
    time: isoTimeMs(now),
    requestId: ids.sessionId,
    debugId: ids.debugId,
    front,
    operation: note.operation ?? null,
    method: request.method,
    bucket: note.bucket || null,
    key: note.key || null,
    principal: principalName(note.principal),
    client: clientIp(request),
    status: response.status,
    bytesIn: measures.bytesIn.bytes,
    bytesOut: measures.bytesOut.bytes,
    durationMs: measures.headersAt - measures.startedAt,
  };
}

/**
 * What a window holds at most, in bytes of UTF-8. Workers Logs keeps at most 256 KB of log events per
 * invocation, and a window is written within one invocation (the request that opened it, or the one
 * that filled it), which may log lines of its own: a window stays under 128 KB, about 400 lines. A
 * window that would grow past it is written at once, in the request whose line would not fit.
 */
export const WINDOW_BYTES = 128 * 1024;

/**
 * At least the UTF-8 bytes of a line, without scanning it. Only the fields a client chose (the key, the
 * bucket as addressed, the client address) can hold characters beyond ASCII; JSON.stringify writes the
 * rest, and every escape, in ASCII. A UTF-16 unit is at most 3 bytes of UTF-8: 2 more per unit of those
 * fields bound the line.
 */
const lineBytes = (text: string, line: AccessLine): number =>
  text.length + 2 * ((line.key?.length ?? 0) + (line.bucket?.length ?? 0) + (line.client?.length ?? 0));

const writeLines = (lines: string[]): void => {
  for (const line of lines) console.log(line);
};

/** The window's length. A Worker whose settings are wrong (it answers 15004 to everything) still logs, each line at once. */
function flushMs(env: Env): number {
  try {
    return settings(env).accessLogFlushMs;
  } catch {
    return 0;
  }
}

/**
 * The isolate's lines of the last `ACCESS_LOG_FLUSH_MS` (src/isolate-window.ts), written together
 * by the request that opened the window, each still its own console line. The local runtime's log
 * output costs every request that logs anything far more than the line itself, so one request per
 * window pays it instead of every request (docs/performance.md).
 */
const logWindow = isolateWindows<{ lines: string[]; bytes: number }>({
  open: () => ({ lines: [], bytes: 0 }),
  flush: (_env, window) => writeLines(window.lines),
  ms: flushMs,
  failure: "access-log lines not written",
});

/** Writes the line, one JSON document, on its own console line: at once with `ACCESS_LOG_FLUSH_MS` 0, else with its window. */
export function logAccess(env: Env, ctx: ExecutionContext, line: AccessLine): void {
  const text = JSON.stringify(line);
  if (flushMs(env) === 0) return console.log(text);
  const window = logWindow(env, ctx);
  const bytes = lineBytes(text, line);
  if (window.bytes + bytes > WINDOW_BYTES) {
    writeLines(window.lines.splice(0));
    window.bytes = 0;
  }
  window.lines.push(text);
  window.bytes += bytes;
}
