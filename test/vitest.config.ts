import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { unstable_getVarsForDev, unstable_readConfig } from "wrangler";
import { defineConfig } from "vitest/config";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const wranglerConfig = here("../wrangler.toml");

/** Keys of docs/protocol.md's test vectors: fixtures and SDK-style signing use them as the root pair. */
export const TEST_PUBLIC_KEY = "ucloudsomeone@example.com1296235120854146120";
export const TEST_PRIVATE_KEY = "46f09bb9fab4f12dfc160dae12273d5332b5debe";

/** The settings the workerd tests choose on purpose; everything else is wrangler.toml's `[vars]`. */
const TEST_SETTINGS: Record<string, string> = {
  ROOT_PUBLIC_KEY: TEST_PUBLIC_KEY,
  ROOT_PRIVATE_KEY: TEST_PRIVATE_KEY,
  // Tests address buckets as <bucket>.localhost, whatever a deployment sets in wrangler.toml.
  FILE_DOMAIN: "localhost",
  BUCKET_MIN_AGE_SECONDS: "0",
  // Small, so that test/tokens.test.ts can reach it (15038); per project.
  TOKEN_LIMIT_PER_PROJECT: "5",
  // Usage flushes on the next tick, so each sequential test request sends its own batch.
  USAGE_FLUSH_MS: "0",
  // Each access-log line is written as its request is answered: a test that waits for a request's
  // waitUntil work (callWithEnv) does not wait for a window. test/access-log.test.ts sets windows.
  ACCESS_LOG_FLUSH_MS: "0",
};

/**
 * Tests never depend on the developer's `.dev.vars` (or `.env`). The plugin loads it beside
 * wrangler.toml, as `wrangler dev` does, and it would override `[vars]`: a local FILE_DOMAIN or
 * MULTIPART_BLOCK_SIZE would then change test outcomes. So every name it sets is bound here
 * explicitly, to the test's value, else wrangler.toml's, else "" (which every setting reads as
 * "unset"). `.env` files are not loaded at all.
 */
function isolatedFromDevVars(): Record<string, string> {
  process.env.CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV = "false";
  process.env.WRANGLER_LOG ??= "warn"; // not "Using secrets defined in .dev.vars": they are overridden here
  const config = unstable_readConfig({ config: wranglerConfig });
  const fromToml = config.vars as Record<string, unknown>;
  const local = unstable_getVarsForDev(config.configPath, undefined, {}, undefined, true);
  const bindings: Record<string, string> = {};
  for (const name of Object.keys(local)) bindings[name] = typeof fromToml[name] === "string" ? (fromToml[name] as string) : "";
  return { ...bindings, ...TEST_SETTINGS };
}

/**
 * Three projects, one `npm test` (docs/testing.md):
 * - `workerd`: test/*.test.ts inside workerd (@cloudflare/vitest-plugin), calling the Worker's handlers
 *   with miniflare's D1/R2/Queues bindings;
 * - `wire`: test/wire/*.test.ts in Node, speaking real HTTP to the Worker served by wrangler dev the way
 *   `npm start` serves it (test/wire/global-setup.ts starts and stops it);
 * - `wire-clock`: test/wire/*.clock.test.ts, the same over a server of their own: they fire the cron at
 *   times days ahead, whose housekeeping (stale uploads, orphan blobs, lifecycle) would act on the
 *   requests of the other wire tests running at the same time (and one file at a time, for the same reason);
 * - `static`: test/static/*.test.ts in Node, checks that read the source tree (the import layering).
 * Neither reads the developer's .dev.vars: the workerd project through isolatedFromDevVars(), the wire
 * project through the settings given in test/wire/global-setup.ts.
 */
export default defineConfig(async () => ({
  test: {
    // One screen for a passing run: failed tests only, with their logs. Logs of passing tests
    // (expected warnings, injected failures) stay hidden. `.ci/run` adds its JSON reporter.
    reporters: ["minimal"],
    silent: "passed-only" as const,
    projects: [
      {
        root: here(".."),
        plugins: [
          cloudflareTest({
            wrangler: { configPath: wranglerConfig },
            miniflare: {
              // test/sessions.test.ts: a second database that plays a lagging D1 read replica;
              // test/upgrade.test.ts: a database that starts at the schema from before index shards.
              d1Databases: { REPLICA: "replica-db", UPGRADE: "upgrade-db" },
              bindings: {
                TEST_MIGRATIONS: await readD1Migrations(here("../schema/migrations")),
                ...isolatedFromDevVars(),
              },
            },
          }),
        ],
        test: {
          name: "workerd",
          include: ["test/*.test.ts"],
          setupFiles: [here("./setup.ts")],
          testTimeout: 60_000,
        },
      },
      {
        root: here(".."),
        test: {
          name: "wire",
          environment: "node",
          include: ["test/wire/**/*.test.ts"],
          exclude: ["test/wire/**/*.clock.test.ts"],
          globalSetup: [here("./wire/global-setup.ts")],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        root: here(".."),
        test: {
          name: "wire-clock",
          environment: "node",
          include: ["test/wire/**/*.clock.test.ts"],
          // One file at a time: their cron runs jump days ahead on the one server they share, and a
          // run at one file's later time would act on the other file's objects before it looks.
          fileParallelism: false,
          globalSetup: [here("./wire/global-setup.ts")],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        root: here(".."),
        test: {
          name: "static",
          environment: "node",
          include: ["test/static/**/*.test.ts"],
        },
      },
    ],
  },
}));
