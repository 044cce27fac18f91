// A DevTools session on one Worker's isolate in the bench's workerd (target `core:user:<name>`,
// Miniflare started with `inspector: true`): used for the isolate heap (memory.mjs), CPU profiles
// (bench/profile.mjs) and heap snapshots (bench/security-memory.mjs).

/**
 * Opens a session on the isolate of Worker `workerName`. `call(method, params)` resolves with the
 * result, or undefined after 15 s (never stalls the bench); `onEvent`, when set, receives the
 * protocol's events (e.g. heap snapshot chunks).
 */
export async function inspectorSession(mf, workerName) {
  const http = (await mf.getInspectorURL()).href.replace(/^ws:/, "http:");
  const targets = await (await fetch(new URL("/json", http))).json();
  const target = targets.find((t) => t.id === `core:user:${workerName}`);
  if (!target) throw new Error(`no inspector target for ${workerName}`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.addEventListener("open", resolve, { once: true });
    ws.addEventListener("error", reject, { once: true });
  });
  let id = 0;
  const pending = new Map();
  const session = {
    onEvent: null,
    call: (method, params = {}) =>
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
      }),
    close: () => ws.close(),
  };
  ws.addEventListener("message", (e) => {
    const m = JSON.parse(e.data);
    if (m.id === undefined) return session.onEvent?.(m);
    pending.get(m.id)?.(m.result);
    pending.delete(m.id);
  });
  return session;
}
