// The global-latency model (bench only, never deployed): every D1 binding of the Worker — the
// control database `DB` and each index shard `INDEX_*` — as a Worker far from the database's primary
// sees it. Every query first waits a modeled network round trip, then runs on that binding's local
// D1 as usual, so results are real and only the timing is modeled:
//
// - Without a session (`env.DB.prepare(…)`, `env.DB.batch(…)`): the primary, `primaryMs`.
// - Through `env.DB.withSession(…)` (D1 read replication): a write, or a batch holding one, goes to
//   the primary (`primaryMs`); a read goes to a nearby replica (`replicaMs`) — except the first query
//   of a "first-primary" session. The replica applies each commit `lagMs` after the primary made it;
//   a read that needs a newer commit than the replica has (the session's bookmark: given to
//   withSession, or from its own writes and reads) waits until the replica has it, as D1 does.
//
// Each database is its own queue, as D1 documents a database to be single-threaded: a query holds
// its database, and only its database, for its service time, which is the real local execution
// (each local D1 database is a Durable Object that runs one query at a time). The model measures
// that time per database and reports it (`takeModelStats().databases`).
//
// Bookmarks are lexically ordered (D1 docs), so "at least as new" is a string comparison; each
// database keeps its own commit log, as bookmarks of different databases do not compare.

const sleep = (ms) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : undefined);

/**
 * Modeled round trips since the last `takeModelStats()`: to a primary, to a replica, ms spent
 * waiting for a replica to catch up; and per database, its queries and their measured service time.
 */
let stats = { primary: 0, replica: 0, catchUpMs: 0, databases: {} };
export function takeModelStats() {
  const out = stats;
  stats = { primary: 0, replica: 0, catchUpMs: 0, databases: {} };
  for (const d of Object.values(out.databases)) d.meanServiceMs = d.queries === 0 ? 0 : d.serviceMs / d.queries;
  return out;
}
const toPrimary = (m) => (stats.primary++, sleep(m.primaryMs));
const READ = /^\s*(select|with|pragma)\b/i;
const WRITE = /\b(insert|update|delete|replace)\b/i;
const isRead = (sql) => READ.test(sql) && !(sql.trimStart().toLowerCase().startsWith("with") && WRITE.test(sql));

/** Commits seen through the model on one database, in order: [bookmark, ms since epoch]. Bounded. */
const COMMITS_KEPT = 10_000;
class CommitLog {
  commits = [];
  record(bookmark) {
    if (!bookmark) return;
    const last = this.commits[this.commits.length - 1];
    if (last && last[0] >= bookmark) return;
    this.commits.push([bookmark, Date.now()]);
    if (this.commits.length > COMMITS_KEPT) this.commits.splice(0, this.commits.length - COMMITS_KEPT);
  }
  /** When the primary made the first commit at least as new as `bookmark` (0: before the model saw any). */
  committedAt(bookmark) {
    for (const [b, at] of this.commits) if (b >= bookmark) return at;
    return 0;
  }
  /** The newest bookmark the replica has applied now. */
  replicaBookmark(lagMs) {
    const now = Date.now();
    for (let i = this.commits.length - 1; i >= 0; i--) if (this.commits[i][1] + lagMs <= now) return this.commits[i][0];
    return "";
  }
}

/** Runs `work` on database `name` and adds its measured service time to the database's figures. */
async function served(name, work) {
  const d = (stats.databases[name] ??= { queries: 0, serviceMs: 0 });
  const t0 = performance.now();
  try {
    return await work();
  } finally {
    d.queries++;
    d.serviceMs += performance.now() - t0;
  }
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
    const out = await served(this.via.name, run);
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
  const out = await served(via.name, () => executor.batch(statements.map((s) => s.real)));
  via.after(!sqls.every(isRead));
  return out;
}

/** A session: reads to the replica once it holds what the session has seen; writes to the primary. */
class Session {
  constructor(real, constraint, m, name, log) {
    this.real = real;
    let first = constraint === "first-primary";
    // The newest commit this session must see: the bookmark it started from, then its own queries'.
    let needs = !constraint || constraint.startsWith("first-") ? "" : constraint;
    this.via = {
      name,
      route: async (sqls) => {
        const primaryFirst = first || !sqls.every(isRead);
        first = false;
        if (primaryFirst) return toPrimary(m);
        const catchUp = log.committedAt(needs) + m.lagMs - Date.now();
        stats.replica++;
        if (catchUp > 0) stats.catchUpMs += catchUp;
        await sleep(catchUp); // the replica catches up first
        await sleep(m.replicaMs);
      },
      after: (write) => {
        const seen = write ? real.getBookmark() : log.replicaBookmark(m.lagMs);
        if (write) log.record(seen);
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
 * D1 binding `name` (`DB`, `INDEX_1`, …) under the model `{ primaryMs, replicaMs, lagMs }`. Writes
 * made without a session are not entered in the commit log (the binding returns no bookmark for
 * them): only sessions' own writes make a session wait for its replica, which is what
 * read-your-writes needs.
 */
export function modeledD1(real, m, name = "DB") {
  const log = new CommitLog();
  const primary = { name, route: () => toPrimary(m), after: () => undefined };
  return {
    prepare: (sql) => new Statement(primary, sql, real.prepare(sql)),
    batch: (statements) => runBatch(primary, real, statements),
    exec: async (sql) => (await primary.route(), served(name, () => real.exec(sql))),
    withSession: (constraint) => new Session(real.withSession(constraint), constraint, m, name, log),
  };
}

/** The names of an env's D1 bindings the model covers: the control database and every index shard. */
export const d1Bindings = (env) => Object.keys(env).filter((k) => /^(DB|INDEX_[A-Z0-9_]+)$/.test(k) && typeof env[k]?.prepare === "function");

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
