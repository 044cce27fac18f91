// The global-latency model (bench only, never deployed): a D1 binding as a Worker far from the
// database's primary sees it. Every query first waits a modeled network round trip, then runs on
// the local D1 as usual, so results are real and only the timing is modeled:
//
// - Without a session (`env.DB.prepare(…)`, `env.DB.batch(…)`): the primary, `primaryMs`.
// - Through `env.DB.withSession(…)` (D1 read replication): a write, or a batch holding one, goes to
//   the primary (`primaryMs`); a read goes to a nearby replica (`replicaMs`) — except the first query
//   of a "first-primary" session. The replica applies each commit `lagMs` after the primary made it;
//   a read that needs a newer commit than the replica has (the session's bookmark: given to
//   withSession, or from its own writes and reads) waits until the replica has it, as D1 does.
//
// Bookmarks are lexically ordered (D1 docs), so "at least as new" is a string comparison.

const sleep = (ms) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : undefined);

/** Modeled round trips since the last `takeModelStats()`: to the primary, to a replica, and ms spent waiting for a replica to catch up. */
let stats = { primary: 0, replica: 0, catchUpMs: 0 };
export function takeModelStats() {
  const out = stats;
  stats = { primary: 0, replica: 0, catchUpMs: 0 };
  return out;
}
const toPrimary = (m) => (stats.primary++, sleep(m.primaryMs));
const READ = /^\s*(select|with|pragma)\b/i;
const WRITE = /\b(insert|update|delete|replace)\b/i;
const isRead = (sql) => READ.test(sql) && !(sql.trimStart().toLowerCase().startsWith("with") && WRITE.test(sql));

/** Commits seen through the model, in order: [bookmark, ms since epoch]. Bounded. */
const commits = [];
const COMMITS_KEPT = 10_000;

function recordCommit(bookmark) {
  if (!bookmark) return;
  const last = commits[commits.length - 1];
  if (last && last[0] >= bookmark) return;
  commits.push([bookmark, Date.now()]);
  if (commits.length > COMMITS_KEPT) commits.splice(0, commits.length - COMMITS_KEPT);
}

/** When the primary made the first commit at least as new as `bookmark` (0: before the model saw any). */
function committedAt(bookmark) {
  for (const [b, at] of commits) if (b >= bookmark) return at;
  return 0;
}

/** The newest bookmark the replica has applied now. */
function replicaBookmark(lagMs) {
  const now = Date.now();
  for (let i = commits.length - 1; i >= 0; i--) if (commits[i][1] + lagMs <= now) return commits[i][0];
  return "";
}

/** A prepared statement whose execution goes through `via`: route (wait) first, then note what it did. */
class Statement {
  constructor(via, sql, real) {
    this.via = via;
    this.sql = sql;
    this.real = real;
  }
  bind(...values) {
    return new Statement(this.via, this.sql, this.real.bind(...values));
  }
  async exec(run) {
    await this.via.route([this.sql]);
    const out = await run();
    this.via.after(!isRead(this.sql));
    return out;
  }
  first(column) {
    return this.exec(() => (column === undefined ? this.real.first() : this.real.first(column)));
  }
  all() {
    return this.exec(() => this.real.all());
  }
  run() {
    return this.exec(() => this.real.run());
  }
  raw(options) {
    return this.exec(() => (options ? this.real.raw(options) : this.real.raw()));
  }
}

async function runBatch(via, executor, statements) {
  const sqls = statements.map((s) => s.sql);
  await via.route(sqls);
  const out = await executor.batch(statements.map((s) => s.real));
  via.after(!sqls.every(isRead));
  return out;
}

/** A session: reads to the replica once it holds what the session has seen; writes to the primary. */
class Session {
  constructor(real, constraint, m) {
    this.real = real;
    let first = constraint === "first-primary";
    // The newest commit this session must see: the bookmark it started from, then its own queries'.
    let needs = !constraint || constraint.startsWith("first-") ? "" : constraint;
    this.via = {
      route: async (sqls) => {
        const primaryFirst = first || !sqls.every(isRead);
        first = false;
        if (primaryFirst) return toPrimary(m);
        const catchUp = committedAt(needs) + m.lagMs - Date.now();
        stats.replica++;
        if (catchUp > 0) stats.catchUpMs += catchUp;
        await sleep(catchUp); // the replica catches up first
        await sleep(m.replicaMs);
      },
      after: (write) => {
        const seen = write ? real.getBookmark() : replicaBookmark(m.lagMs);
        if (write) recordCommit(seen);
        if (seen && seen > needs) needs = seen;
      },
    };
  }
  prepare(sql) {
    return new Statement(this.via, sql, this.real.prepare(sql));
  }
  batch(statements) {
    return runBatch(this.via, this.real, statements);
  }
  getBookmark() {
    return this.real.getBookmark();
  }
}

/**
 * `env.DB` under the model `{ primaryMs, replicaMs, lagMs }`. Writes made without a session are
 * not entered in the commit log (the binding returns no bookmark for them): only sessions' own
 * writes make a session wait for its replica, which is what read-your-writes needs.
 */
export function modeledD1(real, m) {
  const primary = { route: () => toPrimary(m), after: () => undefined };
  return {
    prepare: (sql) => new Statement(primary, sql, real.prepare(sql)),
    batch: (statements) => runBatch(primary, real, statements),
    exec: async (sql) => (await primary.route(), real.exec(sql)),
    withSession: (constraint) => new Session(real.withSession(constraint), constraint, m),
  };
}

/**
 * The throughput model of `npm run bench:scale`: a database that runs one query at a time, as
 * Cloudflare documents for D1 (and as a Durable Object runs). Each query waits until every query
 * before it is done, then holds the database for `serviceMs` (measured locally, bench/lib/engines.mjs);
 * the wait and the service are one timer, so the model adds no work of its own per query.
 */
export function serialDatabase(serviceMs) {
  let freeAt = 0;
  let served = 0;
  return {
    async query() {
      const now = performance.now();
      freeAt = Math.max(now, freeAt) + serviceMs;
      served++;
      await sleep(freeAt - now);
    },
    get served() {
      return served;
    },
  };
}
