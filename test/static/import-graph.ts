import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

/**
 * The import graph of a source tree, read the way TypeScript reads it: every `import`, `import type`,
 * `export … from` and dynamic `import()` of a relative path, resolved to a file (of the tree or
 * outside it).
 * Keys and targets are paths relative to the repository root, with `/` separators.
 */
export type ImportGraph = Map<string, string[]>;

const SOURCE = /\.(ts|mts|js|mjs)$/;
const EXTENSIONS = ["", ".ts", ".mts", ".js", ".mjs", "/index.ts", "/index.js"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return SOURCE.test(name) && !name.endsWith(".d.ts") ? [path] : [];
  });
}

export function importGraph(root: string, tree: string): ImportGraph {
  const files = sourceFiles(join(root, tree));
  const known = new Set(files);
  const graph: ImportGraph = new Map();
  const rel = (p: string) => relative(root, p).split("\\").join("/");
  for (const file of files) {
    const imports = ts.preProcessFile(readFileSync(file, "utf8"), true, true).importedFiles.map((f) => f.fileName);
    const targets = imports
      .filter((spec) => spec.startsWith("."))
      .map((spec) => {
        const base = resolve(dirname(file), spec);
        const found = EXTENSIONS.map((ext) => base + ext).find((c) => known.has(c) || (existsSync(c) && statSync(c).isFile()));
        if (!found) throw new Error(`${rel(file)} imports ${spec}, which does not exist`);
        return rel(found);
      });
    graph.set(rel(file), [...new Set(targets)]);
  }
  return graph;
}

/** Every import circle: the strongly connected components of more than one file, or a file importing itself (Tarjan). */
export function importCircles(graph: ImportGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) circles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return circles;
}
