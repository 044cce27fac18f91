// `npm install` on the documented Node 20 stays quiet (README "Getting started", docs/deploy.md "Prepare"):
// the checkout's .npmrc hides npm's EBADENGINE warnings, and the preinstall script says in one line why.
// Checked with the real npm, offline, on a scratch package that carries the checkout's .npmrc, its
// preinstall script and its allowScripts, and depends (file:) on a package asking for Node 22 as
// wrangler, miniflare and vitest do. The same install without the .npmrc shows that the warnings exist.
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const project = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string>; allowScripts: unknown };
const scratch = mkdtempSync(join(tmpdir(), "edgefile-npm-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const major = (node: string) => Number(/^v(\d+)/.exec(execFileSync(node, ["--version"], { encoding: "utf8" }))?.[1]);

/**
 * The system's Node: the first `node` on PATH outside a node_modules folder (`npm test` puts the Node 22
 * of node_modules/.bin first), and the npm beside it, run by that Node.
 */
function systemNode(): { node: string; npmCli: string } | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir || dir.includes("node_modules")) continue;
    const node = join(dir, "node");
    const npm = join(dir, "npm");
    if (!existsSync(node) || !existsSync(npm)) continue;
    const npmCli = join(dirname(realpathSync(npm)), "npm-cli.js");
    if (existsSync(npmCli)) return { node, npmCli };
  }
  return null;
}

/** A scratch package like the checkout (its preinstall, allowScripts and, with `npmrc`, its .npmrc). */
function scratchPackage(name: string, npmrc: boolean): string {
  const app = join(scratch, name);
  const dep = join(scratch, `${name}-wants-node-22`);
  mkdirSync(app);
  mkdirSync(dep);
  writeFileSync(join(dep, "package.json"), JSON.stringify({ name: "wants-node-22", version: "1.0.0", engines: { node: ">=22" } }));
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({
      name,
      version: "1.0.0",
      private: true,
      scripts: { preinstall: project.scripts.preinstall },
      dependencies: { "wants-node-22": `file:../${name}-wants-node-22` },
      allowScripts: project.allowScripts,
    }),
  );
  if (npmrc) copyFileSync(join(ROOT, ".npmrc"), join(app, ".npmrc"));
  return app;
}

/** `npm install`, offline, with the given Node; everything it printed, both streams. */
function npmInstall(sys: { node: string; npmCli: string }, cwd: string): string {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${dirname(sys.node)}${delimiter}${process.env.PATH ?? ""}`, npm_config_update_notifier: "false" };
  for (const k of Object.keys(env)) if (k.startsWith("npm_") && k !== "npm_config_update_notifier") delete env[k];
  const run = spawnSync(sys.node, [sys.npmCli, "install", "--offline", "--no-audit", "--no-fund"], { cwd, env, encoding: "utf8", timeout: 60_000 });
  expect(run.status, run.stderr).toBe(0);
  return `${run.stdout}${run.stderr}`;
}

const sys = systemNode();
const node20 = sys !== null && major(sys.node) < 22;

describe("npm install on Node 20", () => {
  it.skipIf(!node20)("prints one line saying why, and no engine warnings (skipped when the system Node is 22 or newer)", () => {
    const without = npmInstall(sys!, scratchPackage("without-npmrc", false));
    expect(without).toContain("EBADENGINE"); // what the .npmrc is there to hide

    const out = npmInstall(sys!, scratchPackage("with-npmrc", true));
    expect(out).not.toMatch(/EBADENGINE|npm warn|allowScripts/i);
    const said = out.split("\n").filter((l) => l.startsWith("edgefile:"));
    expect(said).toEqual([
      `edgefile: npm runs on Node ${major(sys!.node)} here; the tools run on the Node 22 this install adds to node_modules, so npm's engine warnings are hidden (.npmrc)`,
    ]);
    // Besides that line, npm's own banner for the script and its one-line summary.
    const rest = out.split("\n").filter((l) => l.trim() && !l.startsWith("edgefile:") && !l.startsWith(">"));
    expect(rest).toEqual([expect.stringMatching(/^added 1 package in /)]);
  });

  it("says nothing on Node 22, the Node the tools run on", () => {
    const node22 = join(ROOT, "node_modules", ".bin", "node");
    expect(major(node22)).toBeGreaterThanOrEqual(22);
    const env = { ...process.env, npm_config_user_agent: "npm/10.9.2 node/v22.23.3 linux x64 workspaces/false" };
    expect(execFileSync(node22, ["-e", scriptBody(project.scripts.preinstall)], { env, encoding: "utf8" })).toBe("");
    env.npm_config_user_agent = "npm/10.8.2 node/v20.20.2 linux x64 workspaces/false";
    expect(execFileSync(node22, ["-e", scriptBody(project.scripts.preinstall)], { env, encoding: "utf8" })).toMatch(/^edgefile: npm runs on Node 20 here;.*\n$/);
  });
});

/** The JavaScript of a `node -e "…"` script line, unquoted as the shell would. */
function scriptBody(script: string): string {
  const m = /^node -e "(.*)"$/s.exec(script);
  if (!m) throw new Error(`preinstall is not a node -e script: ${script}`);
  return m[1].replace(/\\(["\\$`])/g, "$1");
}
