// Types of the test runtime: the bindings (plus the test-only migrations) and the main module.
declare namespace Cloudflare {
  type AppEnv = import("../src/config").Env;
  interface Env extends AppEnv {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    /** A second D1 database: the read replica test/sessions.test.ts builds. */
    REPLICA: D1Database;
    /** A database migrated in steps by test/upgrade.test.ts (the single-database deployment upgraded in place). */
    UPGRADE: D1Database;
  }
  interface GlobalProps {
    mainModule: typeof import("../src/index");
  }
}
