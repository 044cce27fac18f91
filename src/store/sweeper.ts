import type { Env } from "../config";
import { BLOB_PREFIX, deleteBlobs } from "./blobs";
import { database } from "./db";
import { forgetReleasedBlobs, knownBlobIds, unreferencedBlobs } from "./objects";
import { blobIdsOfOpenUploads } from "./uploads";

/**
 * Invariant 3 (docs/design.md §4): a blob leaves R2 only when no row references it, and whatever
 * a crash left behind is found here, never by a request path. Two kinds of leftovers:
 *
 * - released blobs: rows whose refcount reached 0 but whose release (after the response)
 *   never ran or failed;
 * - orphans: R2 objects with no blob row at all, from a write whose D1 batch failed after the
 *   bytes were stored. A blob younger than the grace period may be a write still in flight
 *   (bytes stored, batch not yet committed), so it is left alone; so is the blob of an open
 *   multipart upload (completed in R2, its Finish may still be retried and publish it).
 *
 * The R2 listing resumes from a cursor kept in R2, so each run does a bounded amount of work
 * and successive runs cover the whole bucket.
 */
export const ORPHAN_GRACE_SECONDS = 3600;
const RELEASED_PER_RUN = 1000;
const LISTED_PER_RUN = 1000;
const CURSOR_KEY = "housekeeping/orphan-sweep-cursor";

export async function sweepBlobs(env: Env, now: number, graceSeconds = ORPHAN_GRACE_SECONDS): Promise<{ released: number; orphans: number }> {
  const db = database(env.DB);

  const released = await unreferencedBlobs(db, RELEASED_PER_RUN);
  await deleteBlobs(env, released);
  await forgetReleasedBlobs(db, released);

  const cursorObject = await env.BLOBS.get(CURSOR_KEY);
  const cursor = cursorObject ? (await cursorObject.text()) || undefined : undefined;
  const listing = await env.BLOBS.list({ prefix: BLOB_PREFIX, cursor, limit: LISTED_PER_RUN });
  const old = listing.objects.filter((o) => o.uploaded.getTime() / 1000 < now - graceSeconds);
  const ids = old.map((o) => o.key.slice(BLOB_PREFIX.length));
  const known = await knownBlobIds(db, ids);
  const pending = await blobIdsOfOpenUploads(db, ids.filter((id) => !known.has(id)));
  const orphans = ids.filter((id) => !known.has(id) && !pending.has(id));
  await deleteBlobs(env, orphans);
  await env.BLOBS.put(CURSOR_KEY, listing.truncated ? listing.cursor : "");
  return { released: released.length, orphans: orphans.length };
}
