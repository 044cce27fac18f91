import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * `npm run test:e2e` (docs/console.md): the console driven in Debian's Chromium through
 * playwright-core, against the Worker served the way `npm start` serves it: the wire harness
 * (test/wire/global-setup.ts) starts it on a free port with fresh local D1/R2/Queues state.
 * Not part of `npm test`: it needs a browser and takes a minute.
 */
export default defineConfig({
  root: here("../.."),
  test: {
    name: "e2e",
    environment: "node",
    include: ["test/e2e/**/*.e2e.ts"],
    globalSetup: [here("../wire/global-setup.ts")],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
