// The operator's split/move over real HTTP (src/control/admin.ts, cli/commands/admin.mjs): the
// admin path routes, root-signed per route with Expires, each signed call served once;
// `edgefile admin split`, `admin ranges` and `admin cancel`; one move per bucket at a time; S3 and
// UFile listings before and after a move; writes to a moving range refused in each protocol's own
// retryable form.
import { ListObjectsCommand, ListObjectsV2Command, PutObjectCommand, type ListObjectsV2CommandOutput } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import { controlSignature, newBucket, putFile, request, type ControlValue } from "./client";
import { cliJson, removeTempDirs, runCli } from "./cli";
import { PRIVATE_KEY, PUBLIC_KEY } from "./context";
import { s3Client, s3Failure } from "./s3-helpers";

afterAll(removeTempDirs);

/** An admin call signed as cli/lib/admin.mjs signs it (over the parameters plus the route, with a fresh Nonce); `send` sends it. */
function signedAdmin(method: "GET" | "POST", path: string, params: Record<string, ControlValue> = {}, opts: { route?: string; expires?: number; sign?: boolean } = {}) {
  const p: Record<string, ControlValue> = { ...params, Expires: opts.expires ?? Math.floor(Date.now() / 1000) + 60, Nonce: crypto.randomUUID(), PublicKey: PUBLIC_KEY };
  if (opts.sign !== false) p.Signature = controlSignature({ ...p, Route: opts.route ?? `${method} ${path}` }, PRIVATE_KEY);
  const query = new URLSearchParams(Object.entries(p).map(([k, v]): [string, string] => [k, String(v)]));
  return { send: () => request({ method, path: `${path}?${query}`, body: method === "POST" ? "" : undefined }) };
}

const admin = (...args: Parameters<typeof signedAdmin>) => signedAdmin(...args).send();

const s3 = s3Client();

/** Every page of an S3 V2 listing (its keys, common prefixes and tokens' positions), following the continuation token. */
async function v2Pages(bucket: string, input: { Prefix?: string; Delimiter?: string; MaxKeys?: number; StartAfter?: string }) {
  const pages: unknown[] = [];
  let token: string | undefined;
  for (let n = 0; n < 100; n++) {
    const out: ListObjectsV2CommandOutput = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ...input, ContinuationToken: token }));
    pages.push({ keys: (out.Contents ?? []).map((c) => c.Key), prefixes: (out.CommonPrefixes ?? []).map((c) => c.Prefix), truncated: out.IsTruncated });
    if (!out.IsTruncated) return pages;
    token = out.NextContinuationToken;
  }
  throw new Error("V2 listing did not end");
}

async function v1Pages(bucket: string, input: { Prefix?: string; Delimiter?: string; MaxKeys?: number }) {
  const pages: unknown[] = [];
  let marker: string | undefined;
  for (let n = 0; n < 100; n++) {
    const out = await s3.send(new ListObjectsCommand({ Bucket: bucket, ...input, Marker: marker }));
    const keys = (out.Contents ?? []).map((c) => c.Key!);
    const prefixes = (out.CommonPrefixes ?? []).map((c) => c.Prefix!);
    pages.push({ keys, prefixes, truncated: out.IsTruncated, next: out.NextMarker });
    if (!out.IsTruncated) return pages;
    marker = out.NextMarker ?? [...keys, ...prefixes].sort().pop();
  }
  throw new Error("V1 listing did not end");
}

const KEYS = ["a/1", "a/b/1", "a/b/2", "a/b/3", "a/b/x/1", "a/b/x/2", "a/c", "b/1", "b/2", "c"];

async function allListings(bucket: string) {
  const out: unknown[] = [];
  for (const Prefix of [undefined, "a/", "a/b/"]) {
    for (const Delimiter of [undefined, "/", "x"]) {
      for (const MaxKeys of [1, 2, 1000]) {
        out.push(await v2Pages(bucket, { Prefix, Delimiter, MaxKeys }));
        out.push(await v1Pages(bucket, { Prefix, Delimiter, MaxKeys }));
      }
    }
  }
  out.push(await v2Pages(bucket, { StartAfter: "a/b/2", MaxKeys: 2 }));
  return out;
}

describe("admin split over HTTP and the CLI", () => {
  it("moves a range online; S3 listings are the same before and after; a moving range refuses writes with 503 SlowDown / -90022", async () => {
    const bucket = await newBucket();
    for (const key of KEYS) await putFile(bucket, key, `body ${key}`);

    const ranges = await cliJson(["admin", "ranges", `ufile://${bucket}`]);
    expect(ranges.Ranges).toHaveLength(1);
    const home = ranges.Ranges[0].Shard as string;
    const other = home === "DB" ? "INDEX_1" : "DB";

    // Start a move without copying anything (Batches=0): the range is fenced.
    const started = await admin("POST", `/_admin/buckets/${bucket}/split`, { At: "a/b/2", To: other, Batches: 0 });
    expect(started.status, started.text()).toBe(200);
    expect(started.json().Range).toMatchObject({ Start: "a/b/2", Shard: home, MoveTo: other, State: "copying" });
    const refusedS3 = await s3Failure(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "a/b/9", Body: "no" })));
    expect([refusedS3.status, refusedS3.name]).toEqual([503, "SlowDown"]);
    const refusedUfile = await putFile(bucket, "b/9", "no").then(
      () => null,
      (err: Error) => err.message,
    );
    expect(refusedUfile).toMatch(/503|-90022/);
    // Keys outside the moving range are written as usual, and reads never stop.
    await putFile(bucket, "a/0", "body a/0");
    const read = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "a/b/" }));
    expect(read.KeyCount).toBe(5);

    // The CLI resumes the same move and finishes it (one batch per call).
    const done = await runCli(["admin", "split", `ufile://${bucket}`, "--at", "a/b/2", "--to", other, "--batches", "1", "--no-wait"]);
    expect(done.code, done.stderr).toBe(0);
    const after = await cliJson(["admin", "ranges", `ufile://${bucket}`]);
    expect(after.Ranges.map((r: { Start: string; Shard: string }) => [r.Start, r.Shard])).toEqual([
      ["", home],
      ["a/b/2", other],
    ]);
    expect(after.Ranges[1].State).toMatch(/waiting|draining/);

    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "a/b/9", Body: "yes" })); // writes to the moved range work
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "a/0", Body: "x" }));
    const withWrites = await allListings(bucket);
    const current = await v2Pages(bucket, { MaxKeys: 1000 });
    expect(current).toEqual([{ keys: [...KEYS, "a/0", "a/b/9"].sort(), prefixes: [], truncated: false }]);
    // Every listing, page by page, equals the same listing of an unsplit bucket holding the same keys.
    const unsplit = await newBucket();
    for (const key of [...KEYS, "a/0", "a/b/9"]) await putFile(unsplit, key, "x");
    expect(withWrites).toEqual(await allListings(unsplit));
  });

  it("one move per bucket at a time; `admin cancel` before the switch removes the partial copy, and is refused after it", async () => {
    const bucket = await newBucket();
    for (const key of KEYS) await putFile(bucket, key, `body ${key}`);
    const home = (await cliJson(["admin", "ranges", `ufile://${bucket}`])).Ranges[0].Shard as string;
    const other = home === "DB" ? "INDEX_1" : "DB";

    const started = await admin("POST", `/_admin/buckets/${bucket}/split`, { At: "a/b/", To: other, Batches: 1 });
    expect(started.json().Range).toMatchObject({ Start: "a/b/", MoveTo: other, State: "copying", CopiedUpTo: "c" });
    const second = await admin("POST", `/_admin/buckets/${bucket}/split`, { At: "b/", To: other });
    expect([second.json().RetCode, second.json().Message]).toEqual([15017, expect.stringMatching(/another move of this bucket is unfinished: the move of \["a\/b\/", end\)/)]);
    const refusedCli = await runCli(["admin", "split", `ufile://${bucket}`, "--at", "b/", "--to", other]);
    expect(refusedCli.code).not.toBe(0);
    expect(refusedCli.stderr).toMatch(/another move of this bucket is unfinished/);

    const cancelled = await runCli(["admin", "cancel", `ufile://${bucket}`]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toMatch(/is cancelled; the range stays on/);
    const ranges = await cliJson(["admin", "ranges", `ufile://${bucket}`]);
    expect(ranges.Ranges.map((r: { Start: string; Shard: string; State: string }) => [r.Start, r.Shard, r.State])).toEqual([
      ["", home, "idle"],
      ["a/b/", home, "idle"],
    ]);
    // The range takes writes again, on its own shard, and lists every key once.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "a/b/9", Body: "yes" }));
    expect((await v2Pages(bucket, { MaxKeys: 1000 }))[0]).toMatchObject({ keys: [...KEYS, "a/b/9"].sort() });
    const again = await admin("POST", `/_admin/buckets/${bucket}/moves/cancel`);
    expect(again.json()).toMatchObject({ RetCode: 0, Range: null });

    // Moved to the end (switched): a cancel is refused, the drain alone is left.
    const moved = await admin("POST", `/_admin/buckets/${bucket}/split`, { At: "a/b/", To: other });
    expect(moved.json().Range).toMatchObject({ Shard: other, DrainShard: home, State: "waiting" });
    const late = await admin("POST", `/_admin/buckets/${bucket}/moves/cancel`);
    expect([late.json().RetCode, late.json().Message]).toEqual([15017, expect.stringMatching(/can no longer be cancelled/)]);
  });

  it("refuses unsigned calls, a signature made for another route, an expired or far Expires, and token keys", async () => {
    const bucket = await newBucket();
    const path = `/_admin/buckets/${bucket}/ranges`;
    expect((await admin("GET", path)).status).toBe(200);
    expect((await admin("GET", path, {}, { sign: false })).json().RetCode).toBe(170);
    expect((await admin("GET", path, {}, { route: `POST /_admin/buckets/${bucket}/split` })).json().RetCode).toBe(171);
    expect((await admin("GET", path, {}, { expires: Math.floor(Date.now() / 1000) - 5 })).status).toBe(403);
    expect((await admin("GET", path, {}, { expires: Math.floor(Date.now() / 1000) + 3600 })).status).toBe(403);
    expect((await admin("POST", `/_admin/buckets/${bucket}/split`, { At: "m", To: "NOPE" })).json().RetCode).toBe(15017);
    expect((await admin("GET", `/_admin/buckets/no-such-${bucket}/ranges`)).status).toBe(404);
    expect((await admin("GET", `/_admin/nothing`)).status).toBe(400);
    // A signed call is served once: the same request sent again (a replay) is refused, and changes nothing.
    const split = signedAdmin("POST", `/_admin/buckets/${bucket}/split`, { At: "m", To: "DB", Batches: 0 });
    expect((await split.send()).json().RetCode).toBe(0);
    const replayed = await split.send();
    expect([replayed.status, replayed.json().RetCode]).toEqual([403, -148660]);
    expect(replayed.json().Message).toMatch(/already served/);
    const listing = signedAdmin("GET", path);
    expect((await listing.send()).json().Ranges).toHaveLength(2);
    expect((await listing.send()).status).toBe(403);
    // On a bucket host, /_admin/ is an object key like any other, never the admin surface.
    const onBucketHost = await request({ path: "/_admin/buckets/x/ranges", host: `${bucket}.localhost` });
    expect(onBucketHost.json().RetCode).not.toBe(0);
    expect(onBucketHost.json().Ranges).toBeUndefined();
  });
});
