import { clientIp } from "../auth/client-ip";
import type { Principal } from "../auth/principal";

/**
 * The access log (docs/operations.md "Access log"): one JSON line per request on the Worker's
 * console, which `wrangler tail` shows, Workers Logs keeps (wrangler.toml `[observability]`) and
 * Logpush exports. The entry (src/index.ts) opens a note per request; the front that serves it
 * fills in what its own operation table decided (operation, bucket, key, principal); the entry
 * writes the line when the response is ready, or, for a body of no declared length, once that body
 * was sent (or abandoned by the client).
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
    time: new Date(now).toISOString(),
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

/** Writes the line: one JSON document, one console line. */
export function logAccess(line: AccessLine): void {
  console.log(JSON.stringify(line));
}
