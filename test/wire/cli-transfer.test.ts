// The edgefile CLI moving files over real HTTP: a killed 64 MiB upload resumed with only the missing
// parts, 秒传, sync that sends nothing the second time, stdin/stdout, mv.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { file, newBucket, putFile, ufileEtag } from "./client";
import { cliEnv, cliJson, removeTempDirs, requestLog, runCli, tempDir } from "./cli";

afterAll(removeTempDirs);

const MiB = 1024 * 1024;

describe("edgefile cp: large files", () => {
  it("a 64 MiB upload killed mid-way resumes and sends only the parts the service does not hold", async () => {
    const bucket = await newBucket();
    const dir = tempDir("big");
    const path = join(dir, "big.bin");
    const bytes = randomBytes(64 * MiB);
    writeFileSync(path, bytes);
    const env = cliEnv(tempDir("state"));

    // One part at a time, killed (SIGKILL: no cleanup) as soon as two parts have been stored.
    const first = await runCli(["--debug", "cp", "--no-hit", "-c", "1", path, `ufile://${bucket}/big.bin`], {
      env,
      onStderr: (text, child) => {
        const stored = requestLog(text).filter((r) => r.method === "PUT" && r.url.includes("partNumber=") && r.outcome === "200");
        if (stored.length >= 2) child.kill("SIGKILL");
      },
    });
    expect(first.code).toBeNull(); // killed, not finished

    // What the service holds: one open upload with some parts.
    const uploads = (await file(bucket, "", { query: "muploadid", signedKey: "" })).json();
    expect(uploads.DataSet).toHaveLength(1);
    const uploadId: string = uploads.DataSet[0].UploadId;
    const listed = (await file(bucket, "", { query: `muploadpart&uploadId=${uploadId}`, signedKey: "" })).json();
    const held = new Set<number>(listed.Parts.map((p: { PartNum: number }) => p.PartNum));
    expect(held.size).toBeGreaterThanOrEqual(2);
    expect(held.size).toBeLessThan(8);
    expect(readdirSync(env.EDGEFILE_STATE_DIR!)).toEqual([`${encodeURIComponent(uploadId)}.json`]);

    // The same command again: no new upload, only the missing part numbers go over the wire.
    const second = await runCli(["--debug", "--json", "cp", path, `ufile://${bucket}/big.bin`], { env });
    expect(second.code, second.stderr).toBe(0);
    const log = requestLog(second.stderr);
    expect(log.some((r) => r.method === "POST" && r.url.includes("?uploads"))).toBe(false);
    const sent = log.filter((r) => r.method === "PUT" && r.url.includes(`uploadId=${uploadId}`)).map((r) => Number(/partNumber=(\d+)/.exec(r.url)![1]));
    expect(sent.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].filter((n) => !held.has(n)));
    const [result] = JSON.parse(second.stdout).transferred;
    expect(result).toMatchObject({ how: "multipart", uploadId, partsSkipped: held.size, partsSent: 8 - held.size });

    // The object is whole, the state file is gone.
    const head = await file(bucket, "big.bin", { method: "HEAD" });
    expect(head.headers["content-length"]).toBe(String(64 * MiB));
    expect(head.headers.etag).toBe(ufileEtag(bytes));
    expect(readdirSync(env.EDGEFILE_STATE_DIR!)).toEqual([]);
    const back = join(dir, "back.bin");
    expect((await runCli(["cp", `ufile://${bucket}/big.bin`, back])).code).toBe(0);
    expect(readFileSync(back).equals(bytes)).toBe(true);
  }, 300_000);

  it("a file changed after an interrupted upload starts over; the old upload is aborted", async () => {
    const bucket = await newBucket();
    const path = join(tempDir("changed"), "f.bin");
    writeFileSync(path, randomBytes(24 * MiB));
    const env = cliEnv(tempDir("state"));
    const first = await runCli(["--debug", "cp", "--no-hit", "-c", "1", path, `ufile://${bucket}/f.bin`], {
      env,
      onStderr: (text, child) => {
        if (requestLog(text).some((r) => r.url.includes("partNumber=") && r.outcome === "200")) child.kill("SIGKILL");
      },
    });
    expect(first.code).toBeNull();
    const [old] = (await file(bucket, "", { query: "muploadid", signedKey: "" })).json().DataSet;

    const changed = randomBytes(20 * MiB);
    writeFileSync(path, changed);
    const second = await runCli(["cp", path, `ufile://${bucket}/f.bin`], { env });
    expect(second.code, second.stderr).toBe(0);
    expect((await file(bucket, "", { query: "muploadid", signedKey: "" })).json().DataSet).toEqual([]);
    expect((await file(bucket, "", { query: `muploadpart&uploadId=${old.UploadId}`, signedKey: "" })).status).toBe(404);
    expect((await file(bucket, "f.bin", { method: "HEAD" })).headers.etag).toBe(ufileEtag(changed));
    expect(readdirSync(env.EDGEFILE_STATE_DIR!)).toEqual([]);
  }, 120_000);

  it("秒传: a file the service already holds is created by UploadHit, without sending its bytes", async () => {
    const bucket = await newBucket();
    const bytes = randomBytes(3 * MiB + 17);
    await putFile(bucket, "original.bin", bytes);
    const path = join(tempDir("hit"), "copy.bin");
    writeFileSync(path, bytes);

    const r = await runCli(["--debug", "--json", "cp", path, `ufile://${bucket}/copy.bin`]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).transferred[0]).toMatchObject({ how: "hit", etag: ufileEtag(bytes) });
    const log = requestLog(r.stderr);
    expect(log.map((l) => l.method)).toEqual(["POST"]); // the UploadHit, nothing else
    expect(log[0]!.url).toContain("/uploadhit?");
    const got = await file(bucket, "copy.bin");
    expect(got.body.equals(bytes)).toBe(true);

    // A miss falls back to an upload.
    const other = join(tempDir("hit"), "other.bin");
    writeFileSync(other, randomBytes(2 * MiB));
    const miss = await cliJson(["cp", other, `ufile://${bucket}/other.bin`]);
    expect(miss.transferred[0].how).toBe("put");
  });

  it("stdin to an object and an object to stdout, small and multipart-sized", async () => {
    const bucket = await newBucket();
    for (const size of [1000, 9 * MiB + 5]) {
      const bytes = randomBytes(size);
      const up = await runCli(["cp", "-", `ufile://${bucket}/in-${size}`], { input: bytes });
      expect(up.code, up.stderr).toBe(0);
      const head = await file(bucket, `in-${size}`, { method: "HEAD" });
      expect(head.headers.etag).toBe(ufileEtag(bytes));
      const cat = await runCli(["cat", `ufile://${bucket}/in-${size}`]);
      expect(cat.code).toBe(0);
      expect(cat.bytes.equals(bytes)).toBe(true);
      const cp = await runCli(["cp", `ufile://${bucket}/in-${size}`, "-"]);
      expect(cp.bytes.equals(bytes)).toBe(true);
    }
  }, 120_000);
});

describe("edgefile sync", () => {
  it("uploads a tree, then sends nothing the second time; --delete, --exclude and --dry-run", async () => {
    const bucket = await newBucket();
    const src = tempDir("sync");
    for (let i = 0; i < 30; i++) {
      mkdirSync(join(src, `d${i % 3}`), { recursive: true });
      writeFileSync(join(src, `d${i % 3}`, `f${i}.txt`), `file ${i}\n`.repeat(i + 1));
    }
    writeFileSync(join(src, "scratch.tmp"), "never uploaded");
    const target = `ufile://${bucket}/mirror/`;

    const first = await cliJson(["sync", "--exclude", "*.tmp", src, target]);
    expect(first.transferred).toHaveLength(30);
    expect(first.unchanged).toBe(0);

    const second = await runCli(["--debug", "--json", "sync", "--exclude", "*.tmp", src, target]);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ transferred: [], deleted: [], unchanged: 30 });
    // Nothing but listings went over the wire.
    expect(requestLog(second.stderr).every((r) => r.method === "GET" && r.url.includes("listobjects"))).toBe(true);

    // One file changed (same size, other bytes), one removed locally.
    writeFileSync(join(src, "d0", "f0.txt"), "FILE 0\n");
    rmSync(join(src, "d1", "f1.txt"));
    const dry = await cliJson(["sync", "--delete", "--dry-run", "--exclude", "*.tmp", src, target]);
    expect(dry.transfers.map((t: { to: string }) => t.to)).toEqual([`${target}d0/f0.txt`]);
    expect(dry.deletes).toEqual([`${target}d1/f1.txt`]);
    expect((await file(bucket, "mirror/d1/f1.txt", { method: "HEAD" })).status).toBe(200); // dry run changed nothing

    const third = await cliJson(["sync", "--delete", "--exclude", "*.tmp", src, target]);
    expect(third.transferred.map((t: { to: string }) => t.to)).toEqual([`${target}d0/f0.txt`]);
    expect(third.deleted).toEqual([`${target}d1/f1.txt`]);
    expect(third.unchanged).toBe(28);
    expect((await file(bucket, "mirror/d0/f0.txt")).text()).toBe("FILE 0\n");
    expect((await file(bucket, "mirror/scratch.tmp", { method: "HEAD" })).status).toBe(404);

    // And back down: a fresh folder gets the 29 files, a second run changes nothing.
    const down = tempDir("down");
    expect((await cliJson(["sync", target, down])).transferred).toHaveLength(29);
    expect(readFileSync(join(down, "d2", "f29.txt"), "utf8")).toBe("file 29\n".repeat(30));
    expect(await cliJson(["sync", target, down])).toMatchObject({ transferred: [], unchanged: 29 });
  }, 120_000);
});

describe("edgefile mv", () => {
  it("renames within a bucket, moves across buckets and uploads-then-deletes a local file", async () => {
    const a = await newBucket();
    const b = await newBucket();
    const local = join(tempDir("mv"), "m.txt");
    writeFileSync(local, "move me");
    expect((await runCli(["mv", local, `ufile://${a}/one.txt`])).code).toBe(0);
    expect(existsSync(local)).toBe(false);
    expect((await runCli(["mv", `ufile://${a}/one.txt`, `ufile://${a}/two.txt`])).code).toBe(0);
    expect((await runCli(["mv", `ufile://${a}/two.txt`, `ufile://${b}/three.txt`])).code).toBe(0);
    expect((await file(a, "one.txt", { method: "HEAD" })).status).toBe(404);
    expect((await file(a, "two.txt", { method: "HEAD" })).status).toBe(404);
    expect((await file(b, "three.txt")).text()).toBe("move me");
  });
});
