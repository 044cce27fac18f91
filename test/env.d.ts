// Types of the test runtime: the bindings (plus the test-only migrations) and the main module.
declare namespace Cloudflare {
  type AppEnv = import("../src/config").Env;
  interface Env extends AppEnv {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
  }
  interface GlobalProps {
    mainModule: typeof import("../src/index");
  }
}
