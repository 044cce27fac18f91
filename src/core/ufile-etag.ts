import type { Env } from "../config";
import { etagFromBlocks, hashingStream, UFileHasher } from "./etag";
import { getBlob } from "../store/blobs";
import { database, type Database } from "../store/db";
import { blobsAwaitingUfileEtag, setUfileEtag } from "../store/objects";

/**
 * The UFile ETag of a blob whose parts did not line up with the 4 MiB ETag windows (an S3
 * multipart upload with another part size): computed by reading the blob once. Run right after
 * completion (in `waitUntil`), and by the cron for anything that did not finish then. Until it
 * is recorded, UFile clients see the S3 ETag (`<md5>-<parts>`) as the object's ETag.
 */
export async function computeUfileEtag(env: Env, db: Database, blobId: string): Promise<void> {
  const blob = await getBlob(env, blobId);
  if (!blob) return; // released meanwhile
  const hasher = new UFileHasher();
  await blob.body.pipeThrough(hashingStream(hasher)).pipeTo(new WritableStream());
  await setUfileEtag(db, blobId, await etagFromBlocks((await hasher.finish()).blockSha1s));
}

/** After the response: the ETag of one freshly completed blob. Failures are left to the cron. */
export function scheduleUfileEtag(w: { env: Env; ctx: ExecutionContext; db: Database }, blobId: string): void {
  w.ctx.waitUntil(computeUfileEtag(w.env, w.db, blobId).catch((err) => console.warn("UFile ETag not computed yet; the cron retries", String(err))));
}

/** Blobs handled per cron run (each is one full read of the blob). */
const PER_RUN = 20;

/** Housekeeping: the UFile ETags still missing. */
export async function computeMissingUfileEtags(env: Env): Promise<void> {
  const db = database(env.DB);
  for (const id of await blobsAwaitingUfileEtag(db, PER_RUN)) await computeUfileEtag(env, db, id);
}
