// Diagnostic Worker for the bench (bench/lib/diagnose.mjs, bench/lib/latency.mjs), never deployed:
// edgefile, or with `x-bench-target: baseline` the baseline, with its bindings varied per request:
//
//   x-bench-count: on      D1, R2 and Queue calls counted (`GET /__calls` returns the counts since
//                          the last call and resets them)
//   x-bench-queue: off     a usage queue whose send does nothing (metering cost ablation)
//   x-bench-d1: primary    no D1 sessions (on every D1 binding): `withSession` hands back the binding itself, so every
//                          query goes straight to it with no bookmark kept (read-replica cost ablation)
//   GET /__model           the latency model's round trips since the last call (d1-model.js)
//   GET /__micro?piece=…   CPU cost of one piece of the request path (micro.js)
//   x-bench-model: P/R/L   every D1 binding (DB and each INDEX_* shard) behind the global-latency model
//                          (d1-model.js): P ms round trip to its primary, R ms to a nearby replica,
//                          replicas L ms behind
//
// Each variant's env is built once and reused for every request that asks for it, as workerd
// passes one env per isolate: edgefile keeps per-env state (its settings, the Drizzle handle per
// D1 binding, the usage window), so a fresh env per request would measure a Worker that rebuilds
// all of it on every request. Built by `wrangler deploy --dry-run` with this file as the entry.
import edgefile from "../../src/index";
import baseline from "../baseline/worker.js";
import { d1Bindings, modeledD1, takeModelStats } from "./d1-model.js";
import { micro } from "./micro.js";

let counts = {};
const bump = (name) => void (counts[name] = (counts[name] ?? 0) + 1);
const real = new WeakMap();

/** A proxy that counts calls of `counted` methods and wraps what `wrapResult` says. */
function counting(target, prefix, counted, wrapResult = {}) {
  const proxy = new Proxy(target, {
    get(t, p) {
      const v = Reflect.get(t, p, t);
      if (typeof v !== "function") return v;
      const name = String(p);
      return (...args) => {
        if (counted.includes(name)) bump(`${prefix}.${name}`);
        const out = v.apply(t, args.map((a) => (Array.isArray(a) ? a.map((x) => real.get(x) ?? x) : real.get(a) ?? a)));
        return wrapResult[name] ? wrapResult[name](out) : out;
      };
    },
  });
  real.set(proxy, target);
  return proxy;
}

const statement = (s) => counting(s, "D1", ["first", "all", "run", "raw"], { bind: statement });
const session = (s) => counting(s, "D1", ["batch"], { prepare: statement });
const upload = (u) => counting(u, "R2", ["uploadPart", "complete", "abort"]);

/** Each D1 binding of `env` (the control database and every index shard) passed through `wrap`. */
const eachD1 = (env, wrap) => Object.fromEntries(d1Bindings(env).map((name) => [name, wrap(env[name], name)]));

function countingEnv(env) {
  return {
    ...env,
    ...eachD1(env, (d1) => counting(d1, "D1", ["batch", "exec"], { prepare: statement, withSession: session })),
    BLOBS: counting(env.BLOBS, "R2", ["get", "put", "head", "delete", "list", "createMultipartUpload"], {
      createMultipartUpload: (p) => p.then(upload),
      resumeMultipartUpload: upload,
    }),
    USAGE_QUEUE: counting(env.USAGE_QUEUE, "Queue", ["send", "sendBatch"]),
  };
}

const noQueue = { send: async () => undefined, sendBatch: async () => undefined };

/** A D1 binding without sessions: what edgefile ran on before it used read replicas. */
const noSessions = (db) => ({ prepare: (q) => db.prepare(q), batch: (s) => db.batch(s), exec: (q) => db.exec(q), withSession: () => ({ prepare: (q) => db.prepare(q), batch: (s) => db.batch(s), getBookmark: () => null }) });

/** The env of one variant, built on first use. */
const envs = new Map();
function envFor(env, headers) {
  const count = headers.get("x-bench-count") === "on";
  const queueOff = headers.get("x-bench-queue") === "off";
  const model = headers.get("x-bench-model");
  const primaryOnly = headers.get("x-bench-d1") === "primary";
  const key = `${count}|${queueOff}|${model ?? ""}|${primaryOnly}`;
  let out = envs.get(key);
  if (!out) {
    out = count ? countingEnv(env) : { ...env };
    if (queueOff) out.USAGE_QUEUE = noQueue;
    if (primaryOnly) Object.assign(out, eachD1(env, noSessions));
    if (model) {
      const [primaryMs, replicaMs, lagMs] = model.split("/").map(Number);
      Object.assign(out, eachD1(env, (d1, name) => modeledD1(d1, { primaryMs, replicaMs, lagMs }, name)));
    }
    envs.set(key, out);
  }
  return out;
}

export default {
  async fetch(request, env, ctx) {
    const path = new URL(request.url).pathname;
    if (path === "/__micro") return micro(request, env, ctx);
    if (path === "/__model") return Response.json(takeModelStats());
    if (path === "/__calls") {
      const out = counts;
      counts = {};
      return Response.json(out);
    }
    const worker = request.headers.get("x-bench-target") === "baseline" ? baseline : edgefile;
    return worker.fetch(request, envFor(env, request.headers), ctx);
  },
};
