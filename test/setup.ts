import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

// Setup files may run more than once; applyD1Migrations skips migrations already applied.
// Every index shard (DB and each INDEX_* of wrangler.toml) gets every migration, as in production.
const shards = Object.entries(env).filter(([name]) => name === "DB" || /^INDEX_[A-Z0-9_]+$/.test(name));
for (const [, d1] of shards) await applyD1Migrations(d1 as D1Database, env.TEST_MIGRATIONS);
