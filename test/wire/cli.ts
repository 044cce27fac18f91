/**
 * Runs the `edgefile` CLI (cli/edgefile.mjs) as a user would, as a child process on this Node, against
 * the Worker the wire harness serves. Each run gets its own config and state folders, so nothing of
 * the developer's ~/.config or ~/.local/state is read or written.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PRIVATE_KEY, PUBLIC_KEY, server } from "./client";

export const CLI = fileURLToPath(new URL("../../cli/edgefile.mjs", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  /** stdout as bytes (cat, cp … -). */
  bytes: Buffer;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  input?: Buffer | string;
  cwd?: string;
  /** Called with each stderr chunk as it arrives (e.g. to kill the process mid-way). */
  onStderr?: (text: string, child: ChildProcess) => void;
}

const made: string[] = [];

/** A temp folder, removed by removeTempDirs() (each test file's afterAll). */
export function tempDir(name = "cli"): string {
  const dir = mkdtempSync(join(tmpdir(), `edgefile-${name}-`));
  made.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Settings shared by the runs of one test file: the served Worker, the root keys, private folders. */
export function cliEnv(stateDir = tempDir("state")): Record<string, string> {
  return {
    EDGEFILE_URL: server().url,
    EDGEFILE_PUBLIC_KEY: PUBLIC_KEY,
    EDGEFILE_PRIVATE_KEY: PRIVATE_KEY,
    EDGEFILE_CONFIG: join(tempDir("config"), "config.json"),
    EDGEFILE_STATE_DIR: stateDir,
  };
}

/** Runs `edgefile <args>` to completion; stdin gets `input` (or nothing: not a terminal). */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, ...cliEnv(), ...opts.env };
    delete env.EDGEFILE_PROFILE;
    const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? tempDir("cwd"), env, stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
      opts.onStderr?.(stderr, child);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const bytes = Buffer.concat(out);
      resolve({ code, stdout: bytes.toString("utf8"), bytes, stderr });
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** `--json` output parsed; fails with the CLI's stderr when it exited non-zero. */
export async function cliJson<T = any>(args: string[], opts: CliOptions = {}): Promise<T> {
  const r = await runCli(["--json", ...args], opts);
  if (r.code !== 0) throw new Error(`edgefile ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** The data-plane requests of a `--debug` run: "METHOD path?query -> status" per line. */
export function requestLog(stderr: string): { method: string; url: string; outcome: string }[] {
  return [...stderr.matchAll(/^edgefile: (\w+) (\S+) -> (\S+)/gm)].map((m) => ({ method: m[1]!, url: m[2]!, outcome: m[3]! }));
}
