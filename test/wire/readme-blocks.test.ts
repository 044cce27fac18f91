// Every ```sh block of README.md and of docs/s3.md (its S3 clients: aws, rclone, s3cmd), run by bash
// against the Worker the wire harness serves (issue 20): each in a scratch folder of its own, never the checkout, with `npx edgefile` / `npm run call` bound
// to this checkout's CLI and `localhost:8787` pointed at the harness's port. A block must create what
// it uses and clean up after itself, so the blocks pass in any order. A block that needs a tool that
// is not installed is skipped, naming the tool; a block preceded by `<!-- readme-blocks: not run: … -->`
// (it starts a server, needs an account, or runs the test suite itself) is skipped with that reason.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { PRIVATE_KEY, PUBLIC_KEY, server } from "./client";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(ROOT, "cli", "edgefile.mjs");
const scratch = mkdtempSync(join(tmpdir(), "edgefile-readme-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Block {
  line: number;
  code: string;
  notRun?: string;
}

/** The documents whose blocks run. */
const DOCUMENTS = ["README.md", "docs/s3.md"];

/** The ```sh blocks of a document, with the line each starts on and its not-run marker, if any. */
function shellBlocks(document: string): Block[] {
  const lines = readFileSync(join(ROOT, document), "utf8").split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```sh") continue;
    const end = lines.indexOf("```", i + 1);
    const marker = lines.slice(Math.max(0, i - 2), i).join("\n").match(/<!-- readme-blocks: not run: (.*?) -->/);
    blocks.push({ line: i + 1, code: lines.slice(i + 1, end).join("\n"), notRun: marker?.[1] });
    i = end;
  }
  return blocks;
}

/** Tools a block may call that are not part of a Debian base system or of this project. */
const TOOLS = ["curl", "openssl", "jq", "aws", "rclone", "s3cmd", "python3", "sha1sum", "split", "cmp"];

function missingTools(code: string): string[] {
  return TOOLS.filter((tool) => new RegExp(`(^|[\\s|&;($])${tool}\\s`, "m").test(code)).filter(
    (tool) => spawnSync("bash", ["-c", `${tool} --version || ${tool} version`], { stdio: "ignore" }).status !== 0,
  );
}

/** `npx edgefile …` and `npm run call -- …` run this checkout's CLI, with no registry lookup. */
const PRELUDE = `
npx() { if [ "$1" = edgefile ]; then shift; "$EDGEFILE_NODE" "$EDGEFILE_CLI" "$@"; else command npx "$@"; fi; }
npm() { if [ "$1" = run ] && [ "$2" = call ]; then shift 2; [ "$1" = -- ] && shift; "$EDGEFILE_NODE" "$EDGEFILE_CLI" call "$@"; else command npm "$@"; fi; }
`;

describe.each(DOCUMENTS)("%s shell blocks", (document) => {
  const blocks = shellBlocks(document);
  it("has blocks to run", () => expect(blocks.filter((b) => !b.notRun).length).toBeGreaterThanOrEqual(2));

  for (const block of blocks) {
    const title = `line ${block.line}: ${block.code.split("\n").find((l) => l.trim() && !l.startsWith("#"))?.trim().slice(0, 60)}`;
    it(title, { timeout: 180_000 }, (ctx) => {
      if (block.notRun) return ctx.skip(`not run: ${block.notRun}`);
      const missing = missingTools(block.code);
      if (missing.length) return ctx.skip(`needs ${missing.join(", ")}, not installed`);
      const cwd = mkdtempSync(join(scratch, `line-${block.line}-`));
      const port = String(server().port);
      const code = block.code.replaceAll("localhost:8787", `localhost:${port}`);
      const r = spawnSync("bash", ["-euo", "pipefail", "-c", PRELUDE + code], {
        cwd,
        encoding: "utf8",
        timeout: 170_000,
        env: {
          ...process.env,
          // rclone 1.60 cannot load a custom CA bundle into its own HTTP transport and stops
          // (LoadCustomCABundleError); the blocks speak plain HTTP to localhost and need none.
          AWS_CA_BUNDLE: undefined,
          EDGEFILE_NODE: process.execPath,
          EDGEFILE_CLI: CLI,
          EDGEFILE_URL: `http://localhost:${port}`,
          EDGEFILE_PUBLIC_KEY: PUBLIC_KEY,
          EDGEFILE_PRIVATE_KEY: PRIVATE_KEY,
          EDGEFILE_CONFIG: join(cwd, ".config.json"),
          EDGEFILE_STATE_DIR: join(cwd, ".state"),
          TMPDIR: cwd,
        },
      });
      expect(r.status, `${document} line ${block.line} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`).toBe(0);
    });
  }
});
