import type { Env } from "../config";
import type { Database } from "../store/db";
import { ACCOUNT_SCOPE, BOOKMARK_HEADER, openSession, type RequestSession } from "../store/sessions";

/**
 * The D1 sessions of one data request, opened the same way by both data fronts (the UFile data
 * plane and S3; store/sessions.ts, docs/performance.md "Read replicas"):
 * - GET and HEAD only read: a nearby replica may answer them, from the newest bookmark this isolate
 *   keeps for `scopes` or the client sent in `X-Edgefile-Bookmark`;
 * - every other method may write: it starts at the primary, and its bookmark is kept for `scopes`.
 */
export interface DataSession {
  /** The request's handle on the control database (and, through it, on the index shards). */
  db: Database;
  /** Puts the sessions' bookmark on the answer, in `X-Edgefile-Bookmark`, and returns it. */
  answer(response: Response): Response;
  /** Ends the sessions without an answer to carry the bookmark (a failed request): a write that landed is still remembered. */
  finish(): void;
}

/**
 * What a request's writes change and its reads depend on (store/sessions.ts scopes), for the S3 front
 * and the control plane: the bucket it names, else the account. A write that adds or removes a bucket
 * (`changesBucketSet`: CreateBucket, DeleteBucket) also changes what the account's listings (S3
 * ListBuckets, UFile DescribeBucket without a name) answer, so its bookmark is kept for the account too.
 */
export function sessionScopes(bucket: string | null | undefined, changesBucketSet: boolean): string[] {
  if (!bucket) return [ACCOUNT_SCOPE];
  return changesBucketSet ? [bucket, ACCOUNT_SCOPE] : [bucket];
}

/** Methods that only read, in both data fronts (data/access.ts checks a referer on these). */
export const READ_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD"]);

/** A class, so a request allocates one object and no closures on the hot path (GET and HEAD). */
class DataRequestSession implements DataSession {
  readonly db: Database;
  private readonly session: RequestSession;
  constructor(request: Request, env: Env, scopes: string[]) {
    this.session = openSession(env, {
      scopes,
      writes: !READ_METHODS.has(request.method),
      clientBookmark: request.headers.get(BOOKMARK_HEADER),
    });
    this.db = this.session.db;
  }
  answer(response: Response): Response {
    const bookmark = this.session.finish();
    if (bookmark) response.headers.set(BOOKMARK_HEADER, bookmark);
    return response;
  }
  finish(): void {
    this.session.finish();
  }
}

export const openDataSession = (request: Request, env: Env, scopes: string[]): DataSession => new DataRequestSession(request, env, scopes);
