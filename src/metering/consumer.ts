import { sql } from "drizzle-orm";
import { nowSeconds, settings, type Env } from "../config";
import { batch as d1Batch, database } from "../store/db";
import { parseUsageEvent } from "./events";
import { refreshOwe } from "./quotas";
import { DAY_SECONDS } from "./units";

/**
 * The usage queue's consumer (docs/metering.md). A batch becomes ONE D1 batch — one
 * transaction, statements in order:
 *
 *  1. add the batch's requests and bytes (downloaded, of them read from IA, restored) to `usage_daily`, summed per (project, region, bucket,
 *     day), counting only messages whose id is not yet in `usage_messages`;
 *  2. record the batch's message ids in `usage_messages`;
 *  3. refresh `quotas.owe` for the (project, region) pairs the batch touched.
 *
 * Either all of it commits or none of it does, so a redelivered message (a retried batch, or
 * Queues' rare duplicate) is counted exactly once while its id is kept (USAGE_DEDUP_DAYS; the
 * scheduled handler prunes older ids). The batch travels as one JSON parameter, so a batch of
 * any size stays within D1's 100-bound-parameters-per-statement limit.
 *
 * If the write fails the handler throws, and Queues retries the whole batch (wrangler.toml).
 * A message whose body is not a usage event is logged and acknowledged: retrying cannot fix it.
 */
export async function consumeUsage(batch: MessageBatch<unknown>, env: Env, now = nowSeconds()): Promise<void> {
  const rows: (string | number)[][] = [];
  const pairs = new Map<string, readonly [string, string]>();
  for (const message of batch.messages) {
    const e = parseUsageEvent(message.body);
    if (!e) {
      console.error("usage message dropped: not a usage event", message.id);
      continue;
    }
    rows.push([message.id, e.projectId, e.region, e.bucketId, e.day, e.requests, e.downloadBytes, e.iaGetBytes ?? 0, e.restoreBytes ?? 0]);
    pairs.set(`${e.projectId}\n${e.region}`, [e.projectId, e.region]);
  }
  if (rows.length > 0) {
    const db = database(env.DB);
    const json = JSON.stringify(rows);
    await d1Batch(db, [
      sql`INSERT INTO usage_daily (project_id, region, bucket_id, day, requests, download_bytes, ia_get_bytes, restore_bytes)
        SELECT e.p, e.r, e.b, e.d, sum(e.n), sum(e.x), sum(e.i), sum(e.a)
        FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS p,
                     json_extract(value, '$[2]') AS r, json_extract(value, '$[3]') AS b,
                     json_extract(value, '$[4]') AS d, json_extract(value, '$[5]') AS n,
                     json_extract(value, '$[6]') AS x, json_extract(value, '$[7]') AS i,
                     json_extract(value, '$[8]') AS a
              FROM json_each(${json})) AS e
        WHERE NOT EXISTS (SELECT 1 FROM usage_messages m WHERE m.id = e.id)
        GROUP BY e.p, e.r, e.b, e.d
        ON CONFLICT (project_id, region, bucket_id, day) DO UPDATE SET
          requests = requests + excluded.requests,
          download_bytes = download_bytes + excluded.download_bytes,
          ia_get_bytes = ia_get_bytes + excluded.ia_get_bytes,
          restore_bytes = restore_bytes + excluded.restore_bytes`,
      sql`INSERT INTO usage_messages (id, processed_at)
        SELECT json_extract(value, '$[0]'), ${now} FROM json_each(${json}) WHERE true
        ON CONFLICT (id) DO NOTHING`,
      ...refreshOwe(settings(env).defaultQuota, pairs.values(), now),
    ]);
  }
  batch.ackAll();
}

const PRUNE_CHUNK = 5_000;

/** Forgets processed message ids older than the dedup window (a housekeeping task). */
export async function pruneUsageMessages(env: Env, now: number): Promise<void> {
  const db = database(env.DB);
  const cutoff = now - settings(env).usageDedupDays * DAY_SECONDS;
  // Bounded deletes: a run normally removes what accumulated since the previous one, 10 minutes ago.
  for (let round = 0; round < 20; round++) {
    const result = await db.run(sql`DELETE FROM usage_messages WHERE id IN
      (SELECT id FROM usage_messages WHERE processed_at < ${cutoff} LIMIT ${PRUNE_CHUNK})`);
    if (result.meta.changes < PRUNE_CHUNK) return;
  }
}
