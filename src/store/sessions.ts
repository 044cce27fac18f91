import { database, type Database } from "./db";

/**
 * D1 read replication with read-your-writes (D1 Sessions API, `withSession`).
 *
 * Every request runs its queries through one D1 session:
 * - A request that may write starts `first-primary`: its first query runs on the primary, so the
 *   checks it makes before writing see the latest state, and its writes go to the primary anyway.
 * - A read-only request may be served by a nearby read replica. It starts from the newest bookmark
 *   it must see: the one this isolate keeps for the bucket (from the last write to it through this
 *   isolate, or an account-wide write such as a token change), or the one the client sent in
 *   `X-Edgefile-Bookmark`, whichever is newer; D1 then answers from a replica at least that
 *   current (or waits for one). With neither, `first-unconstrained`: any replica.
 * - Every response carries the session's bookmark in `X-Edgefile-Bookmark`. The UFile SDKs ignore
 *   it; a client that sends it back reads its own writes in any location and any isolate.
 *
 * So a writer always reads its own writes through the isolate that served the write (and anywhere
 * when it echoes the header); another location can serve the previous version for as long as its
 * replica lags the primary (README "Performance").
 *
 * Bookmarks are ordered as strings (what workerd's D1 session compares them by).
 */
export const BOOKMARK_HEADER = "X-Edgefile-Bookmark";

/** The scope of writes that can change what any bucket's requests see (tokens, quotas). */
export const ACCOUNT_SCOPE = "*";

/** Newest bookmark written through this isolate, per scope (a bucket name, or ACCOUNT_SCOPE). Bounded. */
const written = new Map<string, string>();
const SCOPES_KEPT = 10_000;

/** A bookmark as D1 hands them out (hex groups and dashes); anything else from a client is ignored. */
const BOOKMARK = /^[0-9a-f]{1,64}(-[0-9a-f]{1,64}){1,8}$/i;

const newer = (a: string | null | undefined, b: string | null | undefined): string | null => {
  if (!a) return b ?? null;
  if (!b) return a;
  return a.localeCompare(b) < 0 ? b : a;
};

function remember(scope: string, bookmark: string): void {
  const best = newer(written.get(scope), bookmark)!;
  written.delete(scope); // re-insert: the map's order is least recently written first
  written.set(scope, best);
  if (written.size > SCOPES_KEPT) written.delete(written.keys().next().value!);
}

export interface RequestSession {
  /** The request's Drizzle handle, on the session. */
  db: Database;
  /** After the request: the session's bookmark (kept for `scopes` when the request could write), or null. */
  finish(): string | null;
}

/**
 * Opens the request's session. `scopes`: what its writes change and its reads depend on (the
 * bucket name; ACCOUNT_SCOPE for account-wide state). `clientBookmark`: the request's
 * `X-Edgefile-Bookmark`, if any.
 */
export function openSession(d1: D1Database, opts: { scopes: string[]; writes: boolean; clientBookmark: string | null }): RequestSession {
  let start: string;
  if (opts.writes) {
    start = "first-primary";
  } else {
    const client = opts.clientBookmark && BOOKMARK.test(opts.clientBookmark) ? opts.clientBookmark : null;
    const known = [ACCOUNT_SCOPE, ...opts.scopes].reduce<string | null>((best, s) => newer(best, written.get(s)), client);
    start = known ?? "first-unconstrained";
  }
  const session = d1.withSession(start);
  return {
    db: database(session),
    finish() {
      const bookmark = session.getBookmark();
      if (bookmark && opts.writes) for (const scope of opts.scopes) remember(scope, bookmark);
      return bookmark;
    },
  };
}

/** Test hook: forget every kept bookmark (as a new isolate would start). */
export function forgetBookmarks(): void {
  written.clear();
}
