import type { BucketClient, ObjectEntry } from "./api";

/** "Select all matching" stops at this many files, and says so. */
export const SELECT_ALL_LIMIT = 10_000;
/** "Download selected" starts at most this many downloads at once (a browser asks before many). */
export const DOWNLOAD_LIMIT = 20;

/**
 * Every file of a folder listing whose key starts with `prefix` (delimiter `/`, so the files the
 * list shows, page after page), 1000 a request, up to `limit`. `more` says files were left out.
 */
export async function listAllMatching(
  client: BucketClient,
  prefix: string,
  limit: number,
  onProgress: (n: number) => void,
): Promise<{ files: ObjectEntry[]; more: boolean }> {
  const files: ObjectEntry[] = [];
  let marker = "";
  for (;;) {
    const page = await client.list(prefix, marker, 1000);
    for (const f of page.Contents ?? []) {
      if (files.length === limit) return { files, more: true };
      files.push(f);
    }
    onProgress(files.length);
    if (!page.IsTruncated || !page.NextMarker) return { files, more: false };
    marker = page.NextMarker;
  }
}

/** Runs `work` on each item, `parallel` at a time; the items that failed, with the first error. */
export async function eachLimited<T>(
  items: T[],
  parallel: number,
  work: (item: T) => Promise<unknown>,
  onDone: (done: number) => void,
): Promise<{ failed: T[]; firstError: unknown }> {
  const queue = [...items];
  const failed: T[] = [];
  let firstError: unknown = null;
  let done = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        try {
          await work(item);
        } catch (e) {
          failed.push(item);
          firstError ??= e;
        }
        onDone(++done);
      }
    }),
  );
  return { failed, firstError };
}
