// Memory during the large transfers: the workerd process's RSS (/proc/<pid>/status) and, through
// workerd's DevTools inspector, the V8 heap of the Worker's own isolate (what the 128 MB isolate
// limit applies to), so the Worker's share can be told apart from the local R2 simulator's,
// which runs in the same process.
import { readFileSync, writeFileSync } from "node:fs";
import { inspectorSession } from "./inspector.mjs";

const status = (pid) => readFileSync(`/proc/${pid}/status`, "utf8");
const kib = (text, field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text)?.[1] ?? NaN);
const MiB = 1024 * 1024;

/** The V8 heap of one Worker's isolate, through a DevTools session (inspector.mjs). */
export async function isolateHeap(mf, workerName) {
  const { call, close } = await inspectorSession(mf, workerName);
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
    close,
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
