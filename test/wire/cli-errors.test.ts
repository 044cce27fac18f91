// The edgefile CLI's failures: one line on stderr and the documented exit code, for a stopped server,
// wrong keys, a missing bucket or object, and bad arguments; --help on every command.
import { writeFileSync } from "node:fs";
import http from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { newBucket, PUBLIC_KEY, server } from "./client";
import { removeTempDirs, runCli, tempDir } from "./cli";

afterAll(removeTempDirs);

/** A loopback port nobody listens on: taken from the system, then released. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

/** Exactly one line on stderr, and nothing on stdout. */
function oneLine(r: { stdout: string; stderr: string }) {
  expect(r.stdout).toBe("");
  expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
  return r.stderr.trim();
}

/**
 * A proxy in front of the Worker that fails on purpose: the first `failures` requests get a 503 (odd
 * ones) or a dropped connection (even ones), later ones are passed through. Counts what it saw.
 */
async function flakyProxy(failures: number) {
  let seen = 0;
  const proxy = http.createServer((req, res) => {
    seen++;
    if (seen <= failures) {
      if (seen % 2 === 1) return res.writeHead(503, { "Content-Type": "application/json" }).end('{"RetCode":-90012,"ErrMsg":"try again"}');
      return req.socket.destroy();
    }
    const upstream = http.request({ host: "127.0.0.1", port: server().port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
  const { port } = proxy.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, seen: () => seen, close: () => new Promise((r) => proxy.close(r)) };
}

describe("edgefile retries", () => {
  it("503s and dropped connections are retried with backoff; with --retries 0 the first one fails", async () => {
    const bucket = await newBucket();
    const proxy = await flakyProxy(2);
    try {
      const ok = await runCli(["cp", "-", `ufile://${bucket}/r.txt`], { env: { EDGEFILE_URL: proxy.url }, input: "retried" });
      expect(ok.code, ok.stderr).toBe(0);
      expect(proxy.seen()).toBe(3); // 503, dropped, then the PutFile that went through
      const cat = await runCli(["cat", `ufile://${bucket}/r.txt`]);
      expect(cat.stdout).toBe("retried");
    } finally {
      await proxy.close();
    }
    const strict = await flakyProxy(1);
    try {
      const failed = await runCli(["--retries", "0", "ls", `ufile://${bucket}/`], { env: { EDGEFILE_URL: strict.url } });
      expect(failed.code).toBe(1);
      expect(oneLine(failed)).toMatch(/^edgefile: ufile:\/\/.+\/: try again \(HTTP 503, RetCode -90012\)$/);
    } finally {
      await strict.close();
    }
  });
});

describe("edgefile errors", () => {
  it("a stopped server: exit 3, 'cannot reach … is the server running'", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    for (const args of [["ls"], ["cp", "-", "ufile://demo/x"], ["ls", "ufile://demo/"]]) {
      const r = await runCli(["--retries", "1", ...args], { env: { EDGEFILE_URL: url }, input: "x" });
      expect(r.code).toBe(3);
      expect(oneLine(r)).toMatch(/^edgefile: cannot reach http:\/\/(127\.0\.0\.1|demo\.localhost):\d+: connection refused; is the server running \(npm start\)\?$/);
    }
  });

  it("wrong keys: exit 4 on both planes, naming the key settings", async () => {
    const bucket = await newBucket();
    const wrongPrivate = { EDGEFILE_PRIVATE_KEY: "not-the-key" };
    const control = await runCli(["ls"], { env: wrongPrivate });
    expect(control.code).toBe(4);
    expect(oneLine(control)).toBe("edgefile: DescribeBucket: Signature error (RetCode 171) (check the key pair: EDGEFILE_PUBLIC_KEY / EDGEFILE_PRIVATE_KEY or the profile)");
    const data = await runCli(["cp", "-", `ufile://${bucket}/x.txt`], { env: wrongPrivate, input: "hello" });
    expect(data.code).toBe(4);
    expect(oneLine(data)).toMatch(/^edgefile: ufile:\/\/.+\/x\.txt: invalid signature \(HTTP 403, RetCode -148658\) \(check the key pair/);
    const unknown = await runCli(["ls"], { env: { EDGEFILE_PUBLIC_KEY: "nobody", EDGEFILE_PRIVATE_KEY: "x" } });
    expect(unknown.code).toBe(4);
    expect(oneLine(unknown)).toMatch(/RetCode 172/);
  });

  it("a missing bucket or object: exit 5, and the next step", async () => {
    const bucket = await newBucket();
    const cases: [string[], RegExp][] = [
      [["ls", "ufile://no-such-bucket-here/"], /^edgefile: ufile:\/\/no-such-bucket-here\/: no such bucket \(HTTP 404, RetCode -30010\) \(edgefile ls lists your buckets; edgefile mb ufile:\/\/no-such-bucket-here makes one\)$/],
      [["cp", "-", "ufile://no-such-bucket-here/a"], /^edgefile: ufile:\/\/no-such-bucket-here\/a: no such bucket/],
      [["stat", "ufile://no-such-bucket-here/a"], /^edgefile: ufile:\/\/no-such-bucket-here: no such bucket/],
      [["rb", "ufile://no-such-bucket-here"], /^edgefile: DeleteBucket: .* \(RetCode 15010\) \(edgefile ls lists your buckets; edgefile mb ufile:\/\/no-such-bucket-here makes one\)$/],
      [["stat", `ufile://${bucket}/missing.txt`], new RegExp(`: no such object \\(HTTP 404\\) \\(edgefile ls ufile://${bucket}/<folder>/ shows what is there\\)$`)],
      [["cat", `ufile://${bucket}/missing.txt`], /: no such object \(HTTP 404, RetCode -148654\) \(edgefile ls ufile:\/\/.+\/<folder>\/ shows what is there\)$/],
      [["rm", `ufile://${bucket}/missing.txt`], /: no such object \(HTTP 404, RetCode -148654\) \(edgefile ls /],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, { input: "x" });
      expect(r.code, args.join(" ")).toBe(5);
      expect(oneLine(r)).toMatch(message);
    }
  });

  it("a batch whose every upload fails: the summary counts them, each has one stderr line, and no line follows", async () => {
    const dir = tempDir("batch");
    for (const name of ["a.txt", "b.txt", "c.txt"]) writeFileSync(join(dir, name), name);
    const r = await runCli(["cp", "-r", dir, "ufile://no-such-bucket-here/up/"]);
    expect(r.code).toBe(5);
    expect(r.stdout.trim()).toMatch(/^3 failed in \d+\.\d s$/);
    const lines = r.stderr.split("\n").filter(Boolean);
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).toMatch(/^edgefile: ufile:\/\/no-such-bucket-here\/up\/[abc]\.txt: no such bucket/);
  });

  it("bad arguments: exit 2; no key pair for a remote URL: exit 2", async () => {
    expect((await runCli(["cp"])).code).toBe(2);
    expect((await runCli(["frobnicate"])).code).toBe(2);
    expect((await runCli(["cp", "a", "b"])).stderr).toBe("edgefile: one side must be ufile://<bucket>/<key>\n");
    expect((await runCli(["presign", "ufile://b/k", "--expires", "soon"])).code).toBe(2);
    const noKeys = await runCli(["ls"], { env: { EDGEFILE_URL: "https://api.example.invalid", EDGEFILE_PUBLIC_KEY: "", EDGEFILE_PRIVATE_KEY: "" } });
    expect(noKeys.code).toBe(2);
    expect(oneLine(noKeys)).toMatch(/^edgefile: no key pair for https:\/\/api\.example\.invalid: set EDGEFILE_PUBLIC_KEY and EDGEFILE_PRIVATE_KEY/);
    expect(PUBLIC_KEY).not.toBe("");
  });

  it("--help works on every command and exits 0 without touching the network", async () => {
    const main = await runCli(["--help"], { env: { EDGEFILE_URL: "http://127.0.0.1:1" } });
    expect(main.code).toBe(0);
    expect(main.stdout).toContain("Exit codes:");
    const commands = [...main.stdout.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]!).filter((c) => c !== "help");
    expect(commands).toEqual(expect.arrayContaining(["cp", "sync", "ls", "rm", "mv", "cat", "stat", "presign", "mb", "rb", "token", "usage", "call", "hosts", "config"]));
    const all = [...commands, "token create", "token ls", "token update", "token rm", "config set"];
    const runs = await Promise.all(all.map((command) => runCli([...command.split(" "), "--help"], { env: { EDGEFILE_URL: "http://127.0.0.1:1" } })));
    runs.forEach((r, i) => {
      expect(r.code, all[i]).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: edgefile ${all[i]}`));
    });
    expect(server().url).toMatch(/^http:/);
  });
});
