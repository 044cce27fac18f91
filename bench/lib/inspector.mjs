// A DevTools session on one Worker's isolate in the bench's workerd (target `core:user:<name>`,
// Miniflare started with `inspector: true`): used for the isolate heap (memory.mjs) and CPU
// profiles (bench/profile.mjs).

/** Every isolate workerd offers to DevTools: the Workers (`core:user:<name>`) and the local simulators (`d1:db`, `r2:bucket`, …). */
export async function inspectorTargets(mf) {
  const http = (await mf.getInspectorURL()).href.replace(/^ws:/, "http:");
  return (await fetch(new URL("/json", http))).json();
}

/**
 * Opens a session on a Worker's isolate (or, with `{ target: id }`, any target of `inspectorTargets`);
 * `call(method, params)` resolves with the result, or undefined after 15 s (never stalls the bench);
 * `onEvent`, when set, receives the protocol's events (e.g. heap snapshot chunks).
 */
export async function inspectorSession(mf, workerName, { target: targetId = `core:user:${workerName}` } = {}) {
  const target = (await inspectorTargets(mf)).find((t) => t.id === targetId);
  if (!target) throw new Error(`no inspector target ${targetId}`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", reject, { once: true });
  });
  let id = 0;
  const pending = new Map();
  const session = { call: null, close: () => ws.close(), onEvent: null };
  ws.addEventListener("message", (e) => {
    const m = JSON.parse(e.data);
    if (m.id === undefined) return session.onEvent?.(m);
    pending.get(m.id)?.(m.result);
    pending.delete(m.id);
  });
  const call = (method, params = {}) =>
    new Promise((resolve) => {
      const n = ++id;
      const timer = setTimeout(() => {
        pending.delete(n);
        resolve(undefined);
      }, 15_000);
      pending.set(n, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  session.call = call;
  return session;
}
