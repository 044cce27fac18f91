import type { Env } from "../config";
import { ACCOUNT_SCOPE, BOOKMARK_HEADER, openSession, type RequestSession } from "../store/sessions";

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

/** The operations (S3) and actions (UFile control plane) that add or remove a bucket. */
const BUCKET_SET_CHANGES: ReadonlySet<string> = new Set(["CreateBucket", "DeleteBucket"]);

/**
 * What a request's writes change and its reads depend on (store/sessions.ts scopes), for the S3 front
 * and the control plane: the bucket it names, else the account. A write that adds or removes a bucket
 * (`BUCKET_SET_CHANGES`, the same names on both fronts) also changes what the account's listings (S3
 * ListBuckets, UFile DescribeBucket without a name) answer, so its bookmark is kept for the account too.
 */
export function sessionScopes(bucket: string | null | undefined, operation: string): string[] {
  if (!bucket) return [ACCOUNT_SCOPE];
  return BUCKET_SET_CHANGES.has(operation) ? [bucket, ACCOUNT_SCOPE] : [bucket];
}
