import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { unstable_getVarsForDev, unstable_readConfig } from "wrangler";
import { defineConfig } from "vitest/config";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const wranglerConfig = here("../wrangler.toml");

/** Keys of PROTOCOL.md's test vectors: fixtures and SDK-style signing use them as the root pair. */
export const TEST_PUBLIC_KEY = "ucloudsomeone@example.com1296235120854146120";
export const TEST_PRIVATE_KEY = "46f09bb9fab4f12dfc160dae12273d5332b5debe";

/** The settings the tests choose on purpose; everything else is wrangler.toml's `[vars]`. */
const TEST_SETTINGS: Record<string, string> = {
  ROOT_PUBLIC_KEY: TEST_PUBLIC_KEY,
  ROOT_PRIVATE_KEY: TEST_PRIVATE_KEY,
  BUCKET_MIN_AGE_SECONDS: "0",
  // Small, so that test/tokens.test.ts can reach it (15038); per project.
  TOKEN_LIMIT_PER_PROJECT: "5",
  // Usage flushes on the next tick, so each sequential test request sends its own batch.
  USAGE_FLUSH_MS: "0",
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

export default defineConfig(async () => ({
  root: here(".."),
  plugins: [
    cloudflareTest({
      wrangler: { configPath: wranglerConfig },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations(here("../schema/migrations")),
          ...isolatedFromDevVars(),
        },
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: [here("./setup.ts")],
    testTimeout: 60_000,
    // One screen for a passing run: failed tests only, with their logs. Logs of passing tests
    // (expected warnings, injected failures) stay hidden.
    reporters: ["minimal"],
    silent: "passed-only",
  },
}));
