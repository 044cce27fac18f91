/** The page's side of etag.worker.ts: one worker, requests matched by id. */
type Pending = { resolve: (etag: string) => void; reject: (e: Error) => void; progress?: (n: number) => void };

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, Pending>();

function hashWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL("./etag.worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (e: MessageEvent<{ id: number; hashed?: number; etag?: string; error?: string }>) => {
      const p = pending.get(e.data.id);
      if (!p) return;
      if (e.data.hashed !== undefined) return p.progress?.(e.data.hashed);
      pending.delete(e.data.id);
      if (e.data.etag) p.resolve(e.data.etag);
      else p.reject(new Error(e.data.error ?? "hashing failed"));
    };
  }
  return worker;
}

export function hashFile(file: Blob, progress?: (hashed: number) => void): Promise<string> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, progress });
    hashWorker().postMessage({ id, file });
  });
}
