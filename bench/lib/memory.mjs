// Memory during the large transfers: the workerd process's RSS (/proc/<pid>/status) and, through
// workerd's DevTools inspector, the V8 heap of the Worker's own isolate (what the 128 MB isolate
// limit applies to), so the Worker's share can be told apart from the local R2 simulator's,
// which runs in the same process.
import { readFileSync, writeFileSync } from "node:fs";

const status = (pid) => readFileSync(`/proc/${pid}/status`, "utf8");
const kib = (text, field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
const MiB = 1024 * 1024;

/** A DevTools session on one Worker's isolate (`core:user:<name>`), for Runtime.getHeapUsage. */
export async function isolateHeap(mf, workerName) {
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
  ws.addEventListener("message", (e) => {
    const m = JSON.parse(e.data);
    pending.get(m.id)?.(m.result);
    pending.delete(m.id);
  });
  // Every call gives up after 15 s (resolving undefined), so a silent inspector never stalls the bench.
  const call = (method) =>
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
      ws.send(JSON.stringify({ id: n, method }));
    });
  return {
    /** V8 heap in use plus ArrayBuffer backing stores, in MiB. */
    async usage() {
      const r = await call("Runtime.getHeapUsage");
      return r ? (r.usedSize + (r.backingStorageSize ?? 0)) / MiB : NaN;
    },
    /** Forces a full garbage collection in the isolate (what is left after it is what is held). */
    async collectGarbage() {
      await call("HeapProfiler.collectGarbage");
    },
    close: () => ws.close(),
  };
}

/**
 * Runs `fn` while sampling every 100 ms: the process RSS (peak = max(samples, VmHWM, which is
 * reset first through clear_refs)) and, when given, the isolate's heap. Growth = peak − before.
 */
export async function sampleMemory(pid, heap, fn) {
  await new Promise((r) => setTimeout(r, 300));
  let hwmReset = true;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5"); // "5": reset VmHWM to the current RSS (proc(5))
  } catch {
    hwmReset = false;
  }
  const rssBefore = kib(status(pid), "VmRSS") / 1024;
  const heapBefore = heap ? await heap.usage() : NaN;
  let rssPeak = rssBefore;
  let heapPeak = heapBefore;
  let busy = false;
  const timer = setInterval(async () => {
    rssPeak = Math.max(rssPeak, kib(status(pid), "VmRSS") / 1024);
    if (!heap || busy) return;
    busy = true;
    const now = await heap.usage();
    if (Number.isFinite(now)) heapPeak = Math.max(heapPeak, now);
    busy = false;
  }, 100);
  try {
    const result = await fn();
    const after = status(pid);
    rssPeak = Math.max(rssPeak, kib(after, "VmRSS") / 1024, hwmReset ? kib(after, "VmHWM") / 1024 : 0);
    return { result, rssBefore, rssPeak, rssGrowth: rssPeak - rssBefore, heapBefore, heapPeak, hwmReset };
  } finally {
    clearInterval(timer);
  }
}
