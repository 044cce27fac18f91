// The edgefile CLI as a new user meets it (issue 24): --version, help when bare, invalid bucket
// names, half a key pair, the presign limit, one summary line after a batch, server messages
// without ".: ", and --debug lines that never share stderr with a progress bar.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { newBucket, PUBLIC_KEY } from "./client";
import { CLI, cliEnv, removeTempDirs, runCli, tempDir } from "./cli";

afterAll(removeTempDirs);

const oneLine = (r: { stdout: string; stderr: string }) => {
  expect(r.stdout).toBe("");
  expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
  return r.stderr.trim();
};

describe("edgefile, first contact", () => {
  it("--version and -v print the package version; a bare edgefile prints the help and succeeds", async () => {
    const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));
    for (const flag of ["--version", "-v"]) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`edgefile ${version}\n`);
    }
    const bare = await runCli([], { env: { EDGEFILE_URL: "http://127.0.0.1:1" } });
    expect(bare.code).toBe(0);
    expect(bare.stdout).toMatch(/^Usage: edgefile \[options\] \[command\]/);
    for (const command of ["cp", "mirror", "du", "find", "presign"]) expect(bare.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    expect(bare.stderr).toBe("");
  });

  it("an invalid bucket name is reported as such, before any request", async () => {
    const r = await runCli(["ls", "ufile://Bad_Name"], { env: { EDGEFILE_URL: "http://127.0.0.1:1" } });
    expect(r.code).toBe(2);
    expect(oneLine(r)).toBe(
      'edgefile: "Bad_Name" is not a valid bucket name: 3-63 characters of lowercase letters, digits, "-" and ".", starting and ending with a letter or digit (for example ufile://bad-name)',
    );
    for (const name of ["ab", "-dash", "a..b", "192.168.0.1", "x".repeat(64)]) {
      expect((await runCli(["cp", "-", `ufile://${name}/k`], { env: { EDGEFILE_URL: "http://127.0.0.1:1" } })).stderr, name).toMatch(/is not a valid bucket name/);
    }
  });

  it("half a key pair is a configuration error naming the missing half, never a signature sent with another key", async () => {
    const noPrivate = await runCli(["ls"], { env: { EDGEFILE_PUBLIC_KEY: PUBLIC_KEY, EDGEFILE_PRIVATE_KEY: "" } });
    expect(noPrivate.code).toBe(2);
    expect(oneLine(noPrivate)).toBe("edgefile: EDGEFILE_PUBLIC_KEY is set but EDGEFILE_PRIVATE_KEY is not: set both (a public key signs nothing without its private key)");
    const noPublic = await runCli(["ls"], { env: { EDGEFILE_PUBLIC_KEY: "", EDGEFILE_PRIVATE_KEY: "x" } });
    expect(oneLine(noPublic)).toBe("edgefile: EDGEFILE_PRIVATE_KEY is set but EDGEFILE_PUBLIC_KEY is not: set both");

    const config = join(tempDir("config"), "config.json");
    expect((await runCli(["config", "set", "--profile", "half", "publicKey", "someone"], { env: { EDGEFILE_CONFIG: config } })).code).toBe(0);
    const half = await runCli(["--profile", "half", "ls"], { env: { EDGEFILE_CONFIG: config } });
    expect(half.code).toBe(2);
    expect(oneLine(half)).toBe(`edgefile: publicKey of profile half of ${config} is set but its privateKey (edgefile config set privateKey …) is not: set both (a public key signs nothing without its private key)`);
  });

  it("presign stops at 7 days, the console's limit, and says why", async () => {
    const bucket = await newBucket();
    expect((await runCli(["presign", `ufile://${bucket}/a.txt`, "-e", "7d"])).code).toBe(0);
    const long = await runCli(["presign", `ufile://${bucket}/a.txt`, "-e", "30d"]);
    expect(long.code).toBe(2);
    expect(oneLine(long)).toBe(
      "edgefile: --expires 30d is longer than 7 days, the longest a presigned URL lives (as in the console, and in S3); for lasting access give the client a token instead: edgefile token create --help",
    );
  });

  it("server messages with a detail have no '.: ' (stat of a bucket the service does not have)", async () => {
    const r = await runCli(["mb", "ufile://" + (await newBucket())]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toMatch(/\.: /);
    expect(r.stderr).toMatch(/^edgefile: CreateBucket: Bucket name is already taken \(must be globally unique\); choose another name: /);
  });

  it("a batch ends with one summary line: counts by verb, bytes, time and rate", async () => {
    const bucket = await newBucket();
    const dir = tempDir("batch");
    mkdirSync(join(dir, "sub"));
    for (let i = 0; i < 12; i++) writeFileSync(join(dir, i % 2 ? "sub" : "", `f${i}.txt`), `file ${i}\n`.repeat(100));
    const up = await runCli(["cp", "-r", dir, `ufile://${bucket}/b/`]);
    expect(up.code).toBe(0);
    const lines = up.stdout.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("upload: "))).toHaveLength(12);
    expect(lines.at(-1)).toMatch(/^12 uploaded: \d+(\.\d)? KiB in \d+\.\d s \(\d+(\.\d)? (B|KiB|MiB)\/s\)$/);
    // -q: no per-file lines, the summary stays.
    const quiet = await runCli(["-q", "cp", "-r", `ufile://${bucket}/b/`, tempDir("down")]);
    expect(quiet.stdout).toMatch(/^12 downloaded: \d+(\.\d)? KiB in \d+\.\d s \([^)]*\)\n$/);
    // sync: the same line, with what it left alone.
    writeFileSync(join(dir, "f0.txt"), "changed\n");
    const sync = await runCli(["sync", dir, `ufile://${bucket}/b/`]);
    expect(sync.stdout.trim().split("\n").at(-1)).toMatch(/^1 uploaded, 11 unchanged: 8 B in \d+\.\d s/);
    // One file: its line, no summary.
    const one = await runCli(["cp", join(dir, "f0.txt"), `ufile://${bucket}/one.txt`]);
    expect(one.stdout).toBe(`upload: ${join(dir, "f0.txt")} -> ufile://${bucket}/one.txt\n`);
  });

  it("--debug: one line per request on stderr and no progress bar among them (on a terminal)", async () => {
    const bucket = await newBucket();
    const dir = tempDir("debug");
    writeFileSync(join(dir, "big.bin"), Buffer.alloc(3 * 1024 * 1024, 7));
    // A terminal is what turns the bar on: `script` (util-linux) gives the CLI one.
    const onTerminal = (args: string[]) => {
      const command = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(" ");
      const r = spawnSync("script", ["-qec", command, "/dev/null"], { env: { ...process.env, ...cliEnv() }, encoding: "utf8", timeout: 60_000 });
      expect(r.status, r.stdout).toBe(0);
      return r.stdout;
    };
    const BAR = /[\u2588\u2591]/; // the bar's full and empty cells
    expect(onTerminal(["cp", "--no-hit", join(dir, "big.bin"), `ufile://${bucket}/with-bar.bin`])).toMatch(BAR);
    const debug = onTerminal(["--debug", "cp", "--no-hit", join(dir, "big.bin"), `ufile://${bucket}/big.bin`]);
    expect(debug).not.toMatch(BAR);
    const lines = debug.split(/\r?\n/).filter(Boolean);
    expect(lines.filter((l) => /^edgefile: (GET|PUT|POST|HEAD|DELETE) http\S+ -> \d{3} \(\d+ ms\)$/.test(l)).length).toBeGreaterThan(0);
    expect(lines.at(-1)).toBe(`upload: ${join(dir, "big.bin")} -> ufile://${bucket}/big.bin`);
  });
});
