import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** Keys of PROTOCOL.md's test vectors: fixtures and SDK-style signing use them as the root pair. */
export const TEST_PUBLIC_KEY = "ucloudsomeone@example.com1296235120854146120";
export const TEST_PRIVATE_KEY = "46f09bb9fab4f12dfc160dae12273d5332b5debe";

export default defineConfig(async () => ({
  root: here(".."),
  plugins: [
    cloudflareTest({
      wrangler: { configPath: here("../wrangler.toml") },
      miniflare: {
        // test/sessions.test.ts: a second database that plays a lagging D1 read replica.
        d1Databases: { REPLICA: "replica-db" },
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations(here("../schema/migrations")),
          ROOT_PUBLIC_KEY: TEST_PUBLIC_KEY,
          ROOT_PRIVATE_KEY: TEST_PRIVATE_KEY,
          BUCKET_MIN_AGE_SECONDS: "0",
          // Small, so that test/tokens.test.ts can reach it (15038); per project.
          TOKEN_LIMIT_PER_PROJECT: "5",
          // Usage flushes on the next tick, so each sequential test request sends its own batch.
          USAGE_FLUSH_MS: "0",
        },
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: [here("./setup.ts")],
    testTimeout: 60_000,
  },
}));
