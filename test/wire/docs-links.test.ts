/**
 * The documentation travels with the code: every relative link in README.md and docs/*.md points at a
 * file of this repository (and a `#anchor` at one of its headings), every repository path quoted in
 * backticks exists, and every "protocol.md §N" / "design.md §N" citation in the code and the README
 * names a section that docs/ has. Plain file reads, no server: it sits in the Node project beside the wire tests.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const DOCS = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

/** Markdown without fenced code blocks (their contents are examples, not links). */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, "");
}

/** GitHub's heading anchors: lowercase, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, title] of prose(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t]*#*$/gm)) {
    const slug = title!
      .replace(/`/g, "")
      .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** Inline links and images `[text](target "title")` outside code, with their line numbers. */
function links(markdown: string): { target: string; line: number }[] {
  const text = prose(markdown).replace(/`[^`\n]*`/g, (code) => " ".repeat(code.length));
  const out: { target: string; line: number }[] = [];
  for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
    out.push({ target: m[1]!, line: text.slice(0, m.index).split("\n").length });
  }
  return out;
}

function brokenLinks(file: string): string[] {
  const broken: string[] = [];
  for (const { target, line } of links(read(file))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
    const [pathPart, anchor] = target.split("#", 2) as [string, string | undefined];
    const path = pathPart === "" ? file : relative(ROOT, resolve(ROOT, dirname(file), decodeURIComponent(pathPart)));
    const where = `${file}:${line} → ${target}`;
    if (path.startsWith("..")) broken.push(`${where} (outside the repository)`);
    else if (!existsSync(join(ROOT, path))) broken.push(`${where} (no such file)`);
    else if (anchor !== undefined) {
      if (!path.endsWith(".md") || statSync(join(ROOT, path)).isDirectory()) broken.push(`${where} (anchor into a non-Markdown file)`);
      else if (!anchors(read(path)).has(anchor)) broken.push(`${where} (no heading #${anchor} in ${path})`);
    }
  }
  return broken;
}

/** Paths that only exist once a tool has run (git-ignored: `bench/.tmp/`, `.wrangler/`, …). */
const IGNORED = read(".gitignore")
  .split("\n")
  .map((line) => line.trim().replace(/^\/|\/$/g, ""))
  .filter((line) => line !== "" && !line.startsWith("#") && !line.includes("*"));

/** Repository paths quoted in backticks (`src/errors.ts`), placeholders (`NNNN`, `...`) and ignored paths skipped. */
function missingPaths(file: string): string[] {
  const missing: string[] = [];
  for (const m of read(file).matchAll(/`((?:src|test|docs|schema|bench|\.ci)\/[\w.\/-]*)`/g)) {
    const path = m[1]!.replace(/\/$/, "");
    if (/NNNN|\.\.\./.test(path) || IGNORED.some((p) => path === p || path.startsWith(`${p}/`))) continue;
    if (!existsSync(join(ROOT, path))) missing.push(`${file}: \`${m[1]}\``);
  }
  return missing;
}

/** Section numbers of a numbered document: "## 4. ETag" → 4, "### 4.3 BlkSize" → 4.3, "### 3a. …" → 3a; §9's list items → 9.N. */
function sections(markdown: string): Set<string> {
  const out = new Set<string>();
  let current = "";
  for (const line of prose(markdown).split("\n")) {
    const heading = line.match(/^#{2,4}[ \t]+(\d+[a-z]?(?:\.\d+)*)\.?[ \t]/);
    if (heading) out.add((current = heading[1]!));
    const item = line.match(/^(\d+)\.[ \t]/);
    if (item && /^\d+$/.test(current)) out.add(`${current}.${item[1]}`);
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return ["node_modules", "dist"].includes(e.name) || e.name.startsWith(".") ? [] : sourceFiles(path);
    return /\.(ts|mjs|js|sql|toml)$/.test(e.name) ? [path] : [];
  });
}

describe("documentation links resolve inside a clone", () => {
  it.each(DOCS)("%s: relative links point at existing files and headings", (file) => {
    expect(brokenLinks(file)).toEqual([]);
  });

  it.each(DOCS)("%s: quoted repository paths exist", (file) => {
    expect(missingPaths(file)).toEqual([]);
  });

  it("nothing points outside the repository at the design notes it was built from", () => {
    const outside = DOCS.filter((file) => read(file).includes("../shared"));
    expect(outside).toEqual([]);
  });

  it("the checker itself sees links, anchors and sections", () => {
    expect(links("see [a](docs/a.md#x) and `[b](c.md)`\n```\n[d](e.md)\n```")).toEqual([{ target: "docs/a.md#x", line: 1 }]);
    expect([...anchors("## 4.3 BlkSize = 8 MiB (Decision)\n### When `*.localhost` does not resolve\n## A\n## A")]).toEqual([
      "43-blksize--8-mib-decision",
      "when-localhost-does-not-resolve",
      "a",
      "a-1",
    ]);
    expect([...sections("## 9. Ambiguities\n1. one\n2. two\n### 3a. Wave")]).toEqual(["9", "9.1", "9.2", "3a"]);
  });
});

describe("section references in the code name existing sections", () => {
  const numbered = { protocol: sections(read("docs/protocol.md")), design: sections(read("docs/design.md")) };
  const citations = [...["src", "test", "bench", "schema", "cli", "console"].flatMap(sourceFiles), "README.md", "wrangler.toml"].flatMap((file) =>
    [...read(file).matchAll(/\b(PROTOCOL|DESIGN|protocol|design)\.md,?\s+§+\s*(\d+[a-z]?(?:\.\d+)*)/g)].map((m) => ({
      file,
      doc: m[1]!.toLowerCase() as "protocol" | "design",
      section: m[2]!,
    })),
  );

  it("finds the citations", () => {
    expect(citations.length).toBeGreaterThan(20);
  });

  it("every cited section exists in docs/protocol.md or docs/design.md", () => {
    const unknown = citations.filter((c) => !numbered[c.doc].has(c.section)).map((c) => `${c.file}: ${c.doc}.md §${c.section}`);
    expect(unknown).toEqual([]);
  });
});
