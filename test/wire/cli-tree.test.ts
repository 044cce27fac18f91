// The edgefile CLI on a tree of 200 files: recursive cp up and down, ls (folder view, recursive,
// --json), and rm -r, which refuses without confirmation and deletes everything with --yes.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { file, newBucket, putFile } from "./client";
import { cliJson, removeTempDirs, runCli, tempDir } from "./cli";

afterAll(removeTempDirs);

const FILES = 200;
const rel = (i: number) => `dir${i % 4}/sub${i % 3}/file-${String(i).padStart(3, "0")}.txt`;
const content = (i: number) => `content of file ${i}\n`.repeat((i % 7) + 1);

describe("edgefile cp -r, ls, rm -r on 200 files", () => {
  it("round-trips the tree and lists and deletes it", async () => {
    const bucket = await newBucket();
    const src = tempDir("tree");
    for (let i = 0; i < FILES; i++) {
      mkdirSync(join(src, rel(i), ".."), { recursive: true });
      writeFileSync(join(src, rel(i)), content(i));
    }

    const up = await runCli(["cp", "-r", "-c", "8", src, `ufile://${bucket}/tree`]);
    expect(up.code, up.stderr).toBe(0);
    const lines = up.stdout.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("upload: "))).toHaveLength(FILES); // one "upload: … -> …" line each
    expect(lines).toHaveLength(FILES + 1); // and the summary
    expect(lines.at(-1)).toMatch(new RegExp(`^${FILES} uploaded: `));

    // ls -r --json: every object with its size and ETag.
    const listing = await cliJson(["ls", "-r", `ufile://${bucket}/tree/`]);
    expect(listing.objects).toHaveLength(FILES);
    expect(listing.objects.map((o: { key: string }) => o.key).sort()).toEqual(Array.from({ length: FILES }, (_, i) => `tree/${rel(i)}`).sort());
    const sizes = new Map(listing.objects.map((o: { key: string; size: number }) => [o.key, o.size]));
    expect(sizes.get(`tree/${rel(13)}`)).toBe(Buffer.byteLength(content(13)));

    // ls: one folder level, folders first as DIR rows.
    const top = await runCli(["ls", `ufile://${bucket}/tree/`]);
    expect(top.code).toBe(0);
    expect(top.stdout.trim().split("\n").map((l) => l.trim())).toEqual(["DIR  tree/dir0/", "DIR  tree/dir1/", "DIR  tree/dir2/", "DIR  tree/dir3/"]);
    const long = await runCli(["ls", "-l", "--summarize", `ufile://${bucket}/tree/dir0/sub0/`]);
    const rows = long.stdout.trim().split("\n");
    expect(rows.at(-1)).toMatch(/^\d+ objects, [\d.]+ (B|KiB)$/);
    expect(rows[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d\s+[\d.]+ (B|KiB)\s+\S{32}\s+STANDARD\s+text\/plain\s+tree\/dir0\/sub0\/file-\d{3}\.txt$/);

    // cp -r back down: the same 200 files with the same bytes.
    const down = tempDir("tree-down");
    const back = await runCli(["cp", "-r", `ufile://${bucket}/tree/`, down]);
    expect(back.code, back.stderr).toBe(0);
    for (let i = 0; i < FILES; i++) expect(readFileSync(join(down, rel(i)), "utf8")).toBe(content(i));

    // rm -r without a terminal and without --yes: refused, nothing deleted.
    const refused = await runCli(["rm", "-r", `ufile://${bucket}/tree/`]);
    expect(refused.code).toBe(6);
    expect(refused.stderr).toMatch(/^edgefile: delete 200 objects .* under ufile:\/\/.*\/tree\/: not confirmed \(no terminal to ask; pass --yes\)\n$/);
    expect((await cliJson(["ls", "-r", `ufile://${bucket}/tree/`])).objects).toHaveLength(FILES);

    // rm -r of "tree" means the folder tree/: a sibling key that merely starts with "tree" stays.
    await putFile(bucket, "treehouse.txt", "not in the folder");
    // A line per object, then one summary line for the batch.
    const removed = await runCli(["rm", "-r", "--yes", `ufile://${bucket}/tree`]);
    expect(removed.code, removed.stderr).toBe(0);
    const removedLines = removed.stdout.trim().split("\n");
    expect(removedLines.filter((l) => l.startsWith("delete: "))).toHaveLength(FILES);
    expect(removedLines).toHaveLength(FILES + 1);
    expect(removedLines.at(-1)).toMatch(new RegExp(`^${FILES} deleted \\([\\d.]+ KiB found\\)$`));
    expect((await cliJson(["ls", "-r", `ufile://${bucket}/`])).objects.map((o: { key: string }) => o.key)).toEqual(["treehouse.txt"]);
    expect((await file(bucket, `tree/${rel(0)}`, { method: "HEAD" })).status).toBe(404);
  }, 180_000);
});
