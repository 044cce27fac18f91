// Diagnostic Worker for the bench (bench/lib/diagnose.mjs), never deployed: edgefile, or with
// `x-bench-target: baseline` the baseline, with the D1, R2 and Queue bindings wrapped to count
// every storage round trip (`GET /__calls` returns the counts since the last call and resets them).
// `x-bench-queue: off` gives edgefile a usage queue whose send does nothing (metering cost ablation).
// Built by `wrangler deploy --dry-run` with this file as the entry.
import edgefile from "../../src/index";
import baseline from "../baseline/worker.js";

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

const statement = (s) =>
  counting(s, "D1", ["first", "all", "run", "raw"], { bind: statement });
const upload = (u) => counting(u, "R2", ["uploadPart", "complete", "abort"]);

function wrapEnv(env) {
  return {
    ...env,
    DB: counting(env.DB, "D1", ["batch", "exec"], { prepare: statement }),
    BLOBS: counting(env.BLOBS, "R2", ["get", "put", "head", "delete", "list", "createMultipartUpload"], {
      createMultipartUpload: (p) => p.then(upload),
      resumeMultipartUpload: upload,
    }),
    USAGE_QUEUE: counting(env.USAGE_QUEUE, "Queue", ["send", "sendBatch"]),
  };
}

const noQueue = { send: async () => undefined, sendBatch: async () => undefined };

export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/__calls") {
      const out = counts;
      counts = {};
      return Response.json(out);
    }
    const worker = request.headers.get("x-bench-target") === "baseline" ? baseline : edgefile;
    const wrapped = wrapEnv(env);
    if (request.headers.get("x-bench-queue") === "off") wrapped.USAGE_QUEUE = noQueue;
    return worker.fetch(request, wrapped, ctx);
  },
};
