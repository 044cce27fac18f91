import { env as workerEnv } from "cloudflare:workers";
import type { Env } from "../config";
import { database, inChunks, type Database } from "./db";

/**
 * Index shards (docs/design.md "Scale-out"). The index of a bucket — its objects, blobs with their
 * reference counts, multipart uploads and parts, and its byte/object counters — lives in one D1
 * database, its shard; the control database `DB` keeps buckets (with their placement), tokens,
 * usage and quotas, and is itself the first shard (a deployment from before sharding keeps every
 * bucket there).
 *
 * Shards are the D1 bindings `DB` and `INDEX_*` (wrangler.toml): adding one is configuration
 * only. `SHARD_REGIONS` says where each was created (`INDEX_1=cn-bj,INDEX_2=us-ca`); a shard it
 * does not name takes buckets of any region.
 *
 * Every schema migration is applied to every shard, so a shard holds the same tables. In a shard
 * other than `DB`, a bucket has an anchor row in `buckets`: the bucket's id, with the id in the
 * `name` column too (names are unique in the control database only), and its authoritative
 * `stored_bytes` / `object_count`, maintained in the same batch as every object write there. The
 * object statements guard on that row exactly as they guard on the bucket row in a single database.
 *
 * Only src/store calls this module: fronts and core pass the request's control handle, and each
 * store function finds the bucket's shard itself.
 */
export const CONTROL_SHARD = "DB";

const SHARD_NAME = /^INDEX_[A-Z0-9_]+$/;

export interface ShardSet {
  names: string[];
  regions: Map<string, string>;
}

const sets = new WeakMap<object, ShardSet>();

/** The Worker's bindings (the module-level `env` of workerd), for handles opened without a request. */
const bindings = (): Env => workerEnv as unknown as Env;

/** Shard names in a stable order, `DB` first, and the region of each shard that has one. */
export function shardSet(env: Env = bindings()): ShardSet {
  let set = sets.get(env);
  if (!set) {
    const names = [CONTROL_SHARD, ...Object.keys(env).filter((k) => SHARD_NAME.test(k) && isD1(env[k as keyof Env])).sort()];
    const regions = new Map<string, string>();
    for (const entry of (env.SHARD_REGIONS ?? "").split(",")) {
      const [name, region] = entry.split("=").map((s) => s.trim());
      if (name && region && names.includes(name)) regions.set(name, region);
    }
    sets.set(env, (set = { names, regions }));
  }
  return set;
}

const isD1 = (v: unknown): v is D1Database => typeof v === "object" && v !== null && typeof (v as D1Database).prepare === "function";

/** The D1 binding of an index shard other than `DB`. */
export function shardBinding(name: string, env: Env = bindings()): D1Database {
  const d1 = env[name as keyof Env];
  if (!isD1(d1)) throw new Error(`index shard ${name} is not bound (wrangler.toml [[d1_databases]])`);
  return d1;
}

/**
 * The handle of shard `name` for the request holding control handle `db`: the control handle
 * itself for `DB`; a session on the shard opened like the request's own (store/sessions.ts) when
 * the request has one; the binding otherwise (housekeeping, queue consumer).
 */
export function shardDb(db: Database, name: string): Database {
  if (name === CONTROL_SHARD) return db;
  return db.$shard ? db.$shard(name) : database(shardBinding(name));
}

// ── Placement caches ────────────────────────────────────────────────────────────────────────
// A bucket's shard changes only when an operator moves it (docs/deploy.md), and an upload never
// changes shard, so the isolate keeps both for as long as it lives (bounded), filled by every
// bucket row and upload the store reads, and asks the databases on a miss.

const KEPT = 10_000;
const bucketShards = new Map<string, string>();
const uploadShards = new Map<string, string>();

function keep(map: Map<string, string>, id: string, shard: string): void {
  if (map.get(id) === shard) return;
  map.set(id, shard);
  if (map.size > KEPT) map.delete(map.keys().next().value!);
}

/** Records where a bucket's index lives (from any bucket row read or written). */
export function notePlacement(row: { id: string; shard: string }): void {
  keep(bucketShards, row.id, row.shard);
}

/** Forgets a bucket's placement (after a move, or in tests). */
export function forgetPlacement(bucketId: string): void {
  bucketShards.delete(bucketId);
}

/** The name of the shard holding bucket `bucketId` (`DB` when the bucket is unknown: its guards then find no bucket). */
/** The bucket's shard when the isolate holds its placement, else undefined (no query). */
export const knownShard = (bucketId: string): string | undefined => bucketShards.get(bucketId);

export async function shardOf(db: Database, bucketId: string): Promise<string> {
  const known = knownShard(bucketId);
  if (known) return known;
  const row = await db.$client.prepare("SELECT shard FROM buckets WHERE id = ?").bind(bucketId).first<{ shard: string }>();
  if (!row) return CONTROL_SHARD;
  keep(bucketShards, bucketId, row.shard);
  return row.shard;
}

/** The handle on the shard holding bucket `bucketId`, for the request holding `db`. */
export async function indexDb(db: Database, bucketId: string): Promise<Database> {
  return shardDb(db, knownShard(bucketId) ?? (await shardOf(db, bucketId)));
}

export function noteUpload(id: string, shard: string): void {
  keep(uploadShards, id, shard);
}

/** The handle on the shard holding upload `id` (asked of every shard on a miss; `DB` when none has it). */
export async function uploadDb(db: Database, id: string): Promise<Database> {
  let shard = uploadShards.get(id);
  if (!shard) {
    const names = shardsOf(db).names;
    const found = await Promise.all(
      names.map((n) => shardDb(db, n).$client.prepare("SELECT 1 AS x FROM uploads WHERE id = ?").bind(id).first()),
    );
    shard = names[found.findIndex((row) => row !== null)] ?? CONTROL_SHARD;
    if (found.some((row) => row !== null)) keep(uploadShards, id, shard);
  }
  return shardDb(db, shard);
}

/** The shards the request holding `db` sees (its Worker's bindings). */
export const shardsOf = (db: Database): ShardSet => db.$shards ?? shardSet();

/** Every shard's handle with its name, for work that spans the whole index (sweeper, housekeeping). */
export function everyShard(db: Database): { name: string; db: Database }[] {
  return shardsOf(db).names.map((name) => ({ name, db: shardDb(db, name) }));
}

/** Which of `ids` `query` finds on any shard; each shard is asked only about those not found yet. */
export async function foundOnAnyShard(
  db: Database,
  ids: string[],
  query: (shard: Database, chunk: string[]) => Promise<{ id: string }[]>,
): Promise<Set<string>> {
  const found = new Set<string>();
  for (const shard of everyShard(db)) {
    const rest = ids.filter((id) => !found.has(id));
    if (rest.length === 0) break;
    for (const id of await inChunks(rest, (chunk) => query(shard.db, chunk))) found.add(id);
  }
  return found;
}
