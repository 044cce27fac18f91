import { defineConfig } from "vite";

/**
 * The web console's build (README "Web console"): console/ → console/dist/ui, served by the Worker
 * at /ui/ through Workers Static Assets. Preact through the automatic JSX runtime; no plugin needed.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: "/ui/",
  logLevel: "warn",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist/ui",
    emptyOutDir: true,
    target: "es2022",
    // Small enough to read: one entry chunk, one worker, one stylesheet.
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
  worker: { format: "es" },
});
