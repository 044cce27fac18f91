// edgefile du, find and mirror (issue 24) over real HTTP: sizes and counts per folder; find's name,
// size and age filters and its confirmed --delete; mirror once and with --watch following changes.
import { spawn } from "node:child_process";
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { eventually, file, newBucket, putFile } from "./client";
import { CLI, cliEnv, cliJson, removeTempDirs, runCli, tempDir } from "./cli";

afterAll(removeTempDirs);

/** The keys under a prefix, sorted (through the CLI's own listing). */
async function keys(bucket: string, prefix = ""): Promise<string[]> {
  const listing = await cliJson(["ls", "-r", `ufile://${bucket}/${prefix}`]);
  return listing.objects.map((o: { key: string }) => o.key).sort();
}

describe("edgefile du", () => {
  it("size and count per folder, at the depth asked, and the total", async () => {
    const bucket = await newBucket();
    await putFile(bucket, "top.txt", "x".repeat(10));
    await putFile(bucket, "a/1.bin", "x".repeat(100));
    await putFile(bucket, "a/deep/2.bin", "x".repeat(1000));
    await putFile(bucket, "b/3.bin", "x".repeat(5));
    const json = await cliJson(["du", `ufile://${bucket}`]);
    expect(json).toEqual({
      bucket, prefix: "",
      folders: [{ prefix: "", bytes: 10, objects: 1 }, { prefix: "a/", bytes: 1100, objects: 2 }, { prefix: "b/", bytes: 5, objects: 1 }],
      total: { bytes: 1115, objects: 4 },
    });
    const text = await runCli(["du", "--bytes", "-d", "2", `ufile://${bucket}/a`]);
    expect(text.stdout.split("\n").map((l) => l.trim().split(/\s+/))).toEqual([
      ["SIZE", "OBJECTS", "PREFIX"],
      ["100", "1", `ufile://${bucket}/a/`, "(objects", "at", "this", "level)"],
      ["1000", "1", `ufile://${bucket}/a/deep/`],
      ["1100", "2", `ufile://${bucket}/a/`, "(total)"],
      [""],
    ]);
    expect((await cliJson(["du", "-s", `ufile://${bucket}/b/`])).total).toEqual({ bytes: 5, objects: 1 });
  });
});

describe("edgefile find", () => {
  it("filters by name glob, size and age; --delete asks, and deletes only the matches", async () => {
    const bucket = await newBucket();
    await putFile(bucket, "logs/app-1.gz", "x".repeat(2048));
    await putFile(bucket, "logs/app-2.gz", "x".repeat(10));
    await putFile(bucket, "logs/app.txt", "x".repeat(4096));
    await putFile(bucket, "logs/old/app-0.gz", "x".repeat(3000));
    const found = async (...args: string[]) => (await runCli(["find", `ufile://${bucket}/logs`, ...args])).stdout.trim().split("\n").filter(Boolean).sort();
    expect(await found("--name", "*.gz")).toEqual([`ufile://${bucket}/logs/app-1.gz`, `ufile://${bucket}/logs/app-2.gz`, `ufile://${bucket}/logs/old/app-0.gz`]);
    expect(await found("--name", "*.gz", "--larger", "1k")).toEqual([`ufile://${bucket}/logs/app-1.gz`, `ufile://${bucket}/logs/old/app-0.gz`]);
    expect(await found("--smaller", "2k")).toEqual([`ufile://${bucket}/logs/app-2.gz`]);
    expect(await found("--name", "old/*")).toEqual([`ufile://${bucket}/logs/old/app-0.gz`]);
    expect(await found("--newer", "1h")).toHaveLength(4);
    expect(await found("--older", "1h")).toEqual([]);
    const bad = await runCli(["find", `ufile://${bucket}`, "--larger", "lots"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe("edgefile: --larger lots is not a size (write 1500, 10k, 5M or 1G)\n");

    // No terminal, no --yes: nothing is deleted.
    const unconfirmed = await runCli(["find", `ufile://${bucket}/logs`, "--name", "*.gz", "--larger", "1k", "--delete"]);
    expect(unconfirmed.code).toBe(6);
    expect(unconfirmed.stderr).toMatch(/^edgefile: delete 2 objects \(4\.9 KiB\) found under ufile:\/\/.*\/logs\/: not confirmed/);
    expect(await keys(bucket)).toHaveLength(4);
    const deleted = await runCli(["find", `ufile://${bucket}/logs`, "--name", "*.gz", "--larger", "1k", "--delete", "--yes"]);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout.trim().split("\n").at(-1)).toBe("2 deleted (4.9 KiB found)");
    expect(await keys(bucket)).toEqual(["logs/app-2.gz", "logs/app.txt"]);
  });
});

describe("edgefile mirror", () => {
  it("makes the prefix hold exactly the folder, then follows changes with --watch", async () => {
    const bucket = await newBucket();
    const dir = tempDir("mirror");
    mkdirSync(join(dir, "css"));
    writeFileSync(join(dir, "index.html"), "<h1>hi</h1>");
    writeFileSync(join(dir, "css", "site.css"), "h1{}");
    await putFile(bucket, "www/stale.html", "old"); // not in the folder: mirror removes it
    await putFile(bucket, "other/keep.txt", "outside the prefix");

    const once = await runCli(["mirror", dir, `ufile://${bucket}/www/`]);
    expect(once.code).toBe(0);
    // The batch's one summary line: whole bytes, also in a rate below 1 KiB/s.
    expect(once.stdout.trim().split("\n").at(-1)).toMatch(/^2 uploaded, 1 deleted, 0 unchanged: 15 B in \d+\.\d s \((\d+ B|[\d.]+ KiB)\/s\)$/);
    expect(await keys(bucket)).toEqual(["other/keep.txt", "www/css/site.css", "www/index.html"]);

    const child = spawn(process.execPath, [CLI, "mirror", "--watch", "--settle", "200", dir, `ufile://${bucket}/www`], { env: { ...process.env, ...cliEnv() } });
    let stderr = "";
    let stdout = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise((resolve) => child.on("exit", resolve));
    try {
      await eventually(() => expect(stderr).toMatch(/watching .* for changes; ufile:\/\/.*\/www\/ follows them \(Ctrl-C to stop\)/), 30_000);
      expect(stdout).toMatch(/^2 unchanged in \d+\.\d s$/m); // the first pass found nothing to send

      writeFileSync(join(dir, "new.txt"), "fresh");
      await eventually(async () => expect((await file(bucket, "www/new.txt")).text()).toBe("fresh"), 30_000);
      writeFileSync(join(dir, "index.html"), "<h1>changed</h1>");
      await eventually(async () => expect((await file(bucket, "www/index.html")).text()).toBe("<h1>changed</h1>"), 30_000);
      renameSync(join(dir, "new.txt"), join(dir, "renamed.txt"));
      await eventually(async () => expect(await keys(bucket, "www/")).toEqual(["www/css/site.css", "www/index.html", "www/renamed.txt"]), 30_000);
      rmSync(join(dir, "css"), { recursive: true });
      await eventually(async () => expect(await keys(bucket, "www/")).toEqual(["www/index.html", "www/renamed.txt"]), 30_000);
      expect(await keys(bucket, "other/")).toEqual(["other/keep.txt"]);
    } finally {
      child.kill("SIGINT");
    }
    await exited;
  });
});
