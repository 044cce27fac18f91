import { makeDatabase, type Database } from "./db";
import type { Env } from "../config";
import { CONTROL_SHARD, shardBinding, shardSet } from "./shards";

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
 * replica lags the primary (docs/performance.md).
 *
 * Bookmarks are ordered as strings (what workerd's D1 session compares them by).
 *
 * Each database has its own bookmarks: the control database `DB` and every index shard a request
 * touched (store/shards.ts) get a session of their own, opened the same way, on first use. The
 * header then lists them: `DB`'s bookmark bare, then `<shard>=<bookmark>` for each shard, joined
 * by commas (`00000001-…,INDEX_1=00000004-…`); a request with only `DB` looks as before sharding.
 */
export const BOOKMARK_HEADER = "X-Edgefile-Bookmark";

/** The scope of writes that can change what any bucket's requests see (tokens, quotas). */
export const ACCOUNT_SCOPE = "*";

/** Newest bookmark written through this isolate, per database and scope (a bucket name, or ACCOUNT_SCOPE). Bounded. */
const written = new Map<string, string>();
const SCOPES_KEPT = 10_000;

/** A bookmark as D1 hands them out (hex groups and dashes); anything else from a client is ignored. */
const BOOKMARK = /^[0-9a-f]{1,64}(-[0-9a-f]{1,64}){1,8}$/i;
/** A shard's entry in the header. */
const SHARD_ENTRY = /^(INDEX_[A-Z0-9_]{1,40})=(.+)$/;
/** Entries read from a client's header: more than a deployment's shards would be a made-up header. */
const MAX_ENTRIES = 64;

/** A request that sent no bookmarks (or may write, and so starts at the primary anyway). */
const NONE_SENT: ReadonlyMap<string, string> = new Map();

/** The bookmarks a client sent, per database; malformed entries are ignored. */
function clientBookmarks(header: string | null): Map<string, string> {
  const found = new Map<string, string>();
  if (!header) return found;
  for (const entry of header.split(",").slice(0, MAX_ENTRIES)) {
    const m = SHARD_ENTRY.exec(entry.trim());
    const [name, bookmark] = m ? [m[1], m[2]] : [CONTROL_SHARD, entry.trim()];
    if (BOOKMARK.test(bookmark)) found.set(name, bookmark);
  }
  return found;
}

const scoped = (database: string, scope: string) => `${database}\n${scope}`;

const newer = (a: string | null | undefined, b: string | null | undefined): string | null => {
  if (!a) return b ?? null;
  if (!b) return a;
  return a.localeCompare(b) < 0 ? b : a;
};

function remember(key: string, bookmark: string): void {
  const best = newer(written.get(key), bookmark)!;
  written.delete(key); // re-insert: the map's order is least recently written first
  written.set(key, best);
  if (written.size > SCOPES_KEPT) written.delete(written.keys().next().value!);
}

export interface RequestSession {
  /** The request's Drizzle handle, on the session. */
  db: Database;
  /** After the request: the session's bookmark (kept for `scopes` when the request could write), or null. */
  finish(): string | null;
  /** `finish`, with the bookmark put on the answer in `X-Edgefile-Bookmark`; returns the answer. */
  answer(response: Response): Response;
}

interface SessionOptions {
  scopes: string[];
  writes: boolean;
  clientBookmark: string | null;
}

/**
 * Opens the request's sessions: on `env.DB` and on each index shard of `env`, each on its first query. `scopes`:
 * what its writes change and its reads depend on (the bucket name; ACCOUNT_SCOPE for account-wide
 * state). `clientBookmark`: the request's
 * `X-Edgefile-Bookmark`, if any.
 */
export const openSession = (env: Env, opts: SessionOptions): RequestSession => new Sessions(env, opts);

/**
 * One request's sessions. Its methods live on the class, so opening one makes a few objects and no
 * closures but `$shard`; its Drizzle handles are made for it alone (store/db.ts `makeDatabase`, not
 * the isolate-wide `database`): they die with the request, so no isolate-wide cache holds them.
 */
class Sessions implements RequestSession {
  readonly db: Database;
  /** The bookmarks the client sent, per database (none for a request that may write). */
  private readonly sent: ReadonlyMap<string, string>;
  private readonly control: LazyControl;
  /** Each index shard the request touched: its session and the request's handle on it. */
  private readonly shards = new Map<string, { session: D1DatabaseSession; handle: Database }>();

  constructor(
    private readonly env: Env,
    private readonly opts: SessionOptions,
  ) {
    this.sent = opts.writes || !opts.clientBookmark ? NONE_SENT : clientBookmarks(opts.clientBookmark);
    // The control database's session opens on its first query, like a shard's: a GET or HEAD of an
    // object whose bucket row the isolate holds reads only its bucket's shard.
    this.control = new LazyControl(env.DB, this.start(CONTROL_SHARD));
    const db = makeDatabase(this.control as unknown as D1DatabaseSession);
    db.$shards = shardSet(env);
    db.$shard = (name) => this.shard(name);
    this.db = db;
  }

  /** Where database `name`'s session starts: the primary for a write, else the newest bookmark it must see. */
  private start(name: string): string {
    if (this.opts.writes) return "first-primary";
    let known = this.sent.get(name) ?? null;
    known = newer(known, written.get(scoped(name, ACCOUNT_SCOPE)));
    for (const scope of this.opts.scopes) known = newer(known, written.get(scoped(name, scope)));
    return known ?? "first-unconstrained";
  }

  /** The request's handle on index shard `name`, its session opened on first use. */
  private shard(name: string): Database {
    let opened = this.shards.get(name);
    if (!opened) {
      const session = shardBinding(name, this.env).withSession(this.start(name));
      this.shards.set(name, (opened = { session, handle: makeDatabase(session) }));
    }
    return opened.handle;
  }

  /**
   * The header: `DB`'s bookmark bare, then `<shard>=<bookmark>` for each shard. Each database's is the
   * newer of what this request left and what the client sent; a database the client sent a bookmark
   * for and this request did not query keeps that bookmark, so a client that echoes the header loses
   * none of its read-your-writes.
   */
  finish(): string | null {
    let header = this.after(CONTROL_SHARD, this.control.getBookmark()) ?? "";
    const add = (name: string, bookmark: string | null) => {
      if (bookmark) header += `${header ? "," : ""}${name}=${bookmark}`;
    };
    for (const [name, { session }] of this.shards) add(name, this.after(name, session.getBookmark()));
    for (const [name, bookmark] of this.sent) if (name !== CONTROL_SHARD && !this.shards.has(name)) add(name, bookmark);
    return header || null;
  }

  /** Database `name`'s bookmark after the request (kept for the request's scopes when it could write), or the newer one its client sent. */
  private after(name: string, bookmark: string | null): string | null {
    if (bookmark && this.opts.writes) for (const scope of this.opts.scopes) remember(scoped(name, scope), bookmark);
    return newer(this.sent.get(name), bookmark);
  }

  answer(response: Response): Response {
    const bookmark = this.finish();
    if (bookmark) response.headers.set(BOOKMARK_HEADER, bookmark);
    return response;
  }
}

/** The control database's side of a request's handle: its session opens on the first statement. */
class LazyControl implements Pick<D1DatabaseSession, "prepare" | "batch" | "getBookmark"> {
  private opened: D1DatabaseSession | null = null;
  constructor(
    private readonly binding: D1Database,
    private readonly constraint: string,
  ) {}
  private session(): D1DatabaseSession {
    return (this.opened ??= this.binding.withSession(this.constraint));
  }
  prepare(query: string): D1PreparedStatement {
    return this.session().prepare(query);
  }
  batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
    return this.session().batch<T>(statements);
  }
  /** Null until the first statement: a request that never queried `DB` has no bookmark of it. */
  getBookmark(): string | null {
    return this.opened?.getBookmark() ?? null;
  }
}

/** Test hook: forget every kept bookmark (as a new isolate would start). */
export function forgetBookmarks(): void {
  written.clear();
}
