import type { Env } from "../config";
import { BOOKMARK_HEADER, openSession, type RequestSession } from "../store/sessions";

/** Methods that only read, in both data fronts (data/access.ts checks a referer on these). */
export const READ_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD"]);

/**
 * The D1 sessions of one data request, opened the same way by both data fronts (the UFile data
 * plane and S3; store/sessions.ts, docs/performance.md "Read replicas"):
 * - GET and HEAD only read: a nearby replica may answer them, from the newest bookmark this isolate
 *   keeps for `scopes` or the client sent in `X-Edgefile-Bookmark`;
 * - every other method may write: it starts at the primary, and its bookmark is kept for `scopes`.
 * `answer(response)` puts the sessions' bookmark on the answer; `finish()` ends them without one (a
 * failed request: a write that landed is still remembered).
 */
export const openDataSession = (request: Request, env: Env, scopes: string[]): RequestSession =>
  openSession(env, { scopes, writes: !READ_METHODS.has(request.method), clientBookmark: request.headers.get(BOOKMARK_HEADER) });
