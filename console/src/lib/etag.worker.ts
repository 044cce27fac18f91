/// <reference lib="webworker" />
import { ufileEtag } from "./etag";

/** Hashes files off the main thread: `{id, file}` in; `{id, hashed}` progress and `{id, etag}` or `{id, error}` out. */
declare const self: DedicatedWorkerGlobalScope;

self.onmessage = async (e: MessageEvent<{ id: number; file: Blob }>) => {
  const { id, file } = e.data;
  try {
    const etag = await ufileEtag(file, (hashed) => self.postMessage({ id, hashed }));
    self.postMessage({ id, etag });
  } catch (err) {
    self.postMessage({ id, error: String(err) });
  }
};
