import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { importCircles, importGraph, type ImportGraph } from "./import-graph";

/**
 * The layering of src/ (docs/design.md "Map"): entry → fronts → core → auth / metering → store,
 * with a few shared leaf files any layer may use. A front never imports another front, core never
 * imports a front, and no import circle exists anywhere under src/.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

type Layer = "entry" | "ufile" | "s3" | "control" | "console" | "core" | "auth" | "metering" | "store" | "shared" | "cli" | "schema" | "outside";

/** Which layer a file of src/ belongs to; the first matching row wins. */
const LAYER_OF: readonly (readonly [RegExp, Layer])[] = [
  [/^src\/(index|front|housekeeping|malformed)\.ts$/, "entry"],
  [/^src\/data\//, "ufile"],
  [/^src\/s3\//, "s3"],
  [/^src\/control\//, "control"],
  [/^src\/console\.ts$/, "console"],
  [/^src\/core\//, "core"],
  [/^src\/auth\//, "auth"],
  [/^src\/metering\//, "metering"],
  [/^src\/store\//, "store"],
  [/^src\/cli\//, "cli"],
  [/^src\/(config|errors|crypto|dates|body|responses|file-domain|usage-event|isolate-window)\.ts$|^src\/signing\.mjs$/, "shared"],
  [/^schema\//, "schema"],
  [/^(?!src\/)/, "outside"],
];

const FRONTS = ["ufile", "s3", "control", "console"] as const satisfies readonly Layer[];
const BELOW_FRONTS = ["core", "auth", "metering", "store", "shared"] as const satisfies readonly Layer[];

/** What each layer may import (besides itself). */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  entry: [...FRONTS, ...BELOW_FRONTS],
  ufile: BELOW_FRONTS,
  s3: BELOW_FRONTS,
  control: BELOW_FRONTS,
  console: BELOW_FRONTS,
  core: ["auth", "metering", "store", "shared"],
  auth: ["store", "shared"],
  /** Metering's aggregate queries (usage, storage, prices, quotas) still read the D1 schema themselves. */
  metering: ["store", "shared", "schema"],
  store: ["shared", "schema"],
  shared: [],
  /** `npm start` and the key generator: plain Node scripts that share the CLI's config reader. */
  cli: ["shared", "outside"],
  schema: [],
  outside: [],
};

/**
 * Imports that break the table and are being removed on another branch, each with the reason. The
 * check below fails on every other forbidden import; delete an entry when its branch lands.
 */
const PENDING: readonly string[] = [];

const layerOf = (file: string): Layer | undefined => LAYER_OF.find(([pattern]) => pattern.test(file))?.[1];

/** Every import that crosses layers in a way MAY_IMPORT does not allow, as "from → to (layer → layer)". */
function forbiddenImports(graph: ImportGraph): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    const a = layerOf(from);
    for (const to of targets) {
      const b = layerOf(to);
      if (a === undefined || b === undefined || a === b) continue;
      if (!MAY_IMPORT[a].includes(b)) out.push(`${from} → ${to} (${a} → ${b})`);
    }
  }
  return out;
}

describe("the import graph of src/", () => {
  const graph = importGraph(ROOT, "src");

  it("reads the real tree", () => {
    expect(graph.get("src/index.ts")).toContain("src/front.ts");
    expect(graph.size).toBeGreaterThan(50);
  });

  it("places every file of src/ in a layer", () => {
    expect([...graph.keys()].filter((f) => layerOf(f) === undefined || !f.startsWith("src/"))).toEqual([]);
  });

  it("has no front importing another front, and no lower layer importing a higher one", () => {
    expect(forbiddenImports(graph).filter((edge) => !PENDING.includes(edge))).toEqual([]);
  });

  it("has no import circle (type-only imports included)", () => {
    expect(importCircles(graph)).toEqual([]);
  });
});

describe("the checks themselves", () => {
  it("find a circle, including a file that imports itself", () => {
    const graph: ImportGraph = new Map([
      ["src/data/a.ts", ["src/data/b.ts"]],
      ["src/data/b.ts", ["src/data/c.ts"]],
      ["src/data/c.ts", ["src/data/a.ts"]],
      ["src/data/d.ts", ["src/data/d.ts"]],
      ["src/data/e.ts", ["src/data/a.ts"]],
    ]);
    expect(importCircles(graph)).toEqual([["src/data/a.ts", "src/data/b.ts", "src/data/c.ts"], ["src/data/d.ts"]]);
  });

  it("find a front importing another front and core importing a front", () => {
    const graph: ImportGraph = new Map([
      ["src/s3/objects.ts", ["src/data/context.ts", "src/core/etag.ts"]],
      ["src/core/read.ts", ["src/s3/xml.ts", "src/store/blobs.ts"]],
      ["src/front.ts", ["src/s3/index.ts"]],
    ]);
    expect(forbiddenImports(graph)).toEqual([
      "src/s3/objects.ts → src/data/context.ts (s3 → ufile)",
      "src/core/read.ts → src/s3/xml.ts (core → s3)",
    ]);
  });
});
