import type { Env } from "./config";

/**
 * What an isolate gathers across requests and hands on once per window, per env (one env per
 * isolate deployed; tests pass their own): usage events (src/metering/events.ts: one queue batch
 * per window) and access-log lines (src/core/access-log.ts: written together).
 *
 * The request that opens a window schedules its flush `ms(env)` later and keeps itself alive for it
 * with `waitUntil`; later requests of the window only add to it. They never wait on the opener's
 * promise: workerd cancels continuations resolved across request contexts. A flush that fails is
 * logged, never thrown: neither metering nor the log may fail a request.
 */
export function isolateWindows<W>(spec: {
  /** A new, empty window. */
  open: () => W;
  /** Hands the window's contents on; a new window is already open for later requests. */
  flush: (env: Env, window: W) => Promise<void> | void;
  ms: (env: Env) => number;
  /** The error line of a flush that failed (what was lost). */
  failure: string;
}): (env: Env, ctx: ExecutionContext) => W {
  const current = new WeakMap<Env, W>();
  return (env, ctx) => {
    let window = current.get(env);
    if (window === undefined) {
      const opened = spec.open();
      window = opened;
      current.set(env, opened);
      ctx.waitUntil(
        new Promise((resolve) => setTimeout(resolve, spec.ms(env)))
          .then(() => {
            current.delete(env); // later requests open the next window
            return spec.flush(env, opened);
          })
          .catch((err: unknown) => console.error(spec.failure, err instanceof Error ? err.message : err)),
      );
    }
    return window;
  };
}
