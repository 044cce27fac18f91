// The edgefile CLI's other commands over real HTTP: presign (objects and listings), mb/rb, token,
// usage, call (and the npm run call / presign aliases), hosts, profiles.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { control, newBucket, putFile, request, server, triggerScheduled, uniqueName } from "./client";
import { cliJson, removeTempDirs, runCli, tempDir } from "./cli";
import { PRIVATE_KEY, PUBLIC_KEY } from "./context";

afterAll(removeTempDirs);

/** GETs a URL the CLI printed (its host is <bucket>.localhost: connect to 127.0.0.1 with that Host). */
function fetchUrl(url: string, method = "GET", body?: string) {
  const u = new URL(url);
  return request({ method, host: u.host, path: u.pathname + u.search, body });
}

describe("edgefile presign", () => {
  it("objects with any method and lifetime, and listings", async () => {
    const bucket = await newBucket();
    await putFile(bucket, "docs/a.txt", "alpha");
    await putFile(bucket, "docs/b.txt", "beta");
    await putFile(bucket, "other.txt", "x");

    const get = (await runCli(["presign", `ufile://${bucket}/docs/a.txt`, "--expires", "2h"])).stdout.trim();
    expect(Number(new URL(get).searchParams.get("Expires")) - Date.now() / 1000).toBeGreaterThan(7000);
    expect((await fetchUrl(get)).text()).toBe("alpha");

    const put = (await runCli(["presign", `ufile://${bucket}/docs/c.txt`, "-m", "PUT", "-e", "60"])).stdout.trim();
    expect((await fetchUrl(put, "PUT", "gamma")).status).toBe(200);
    const del = (await runCli(["presign", `ufile://${bucket}/docs/b.txt`, "-m", "DELETE"])).stdout.trim();
    expect((await fetchUrl(del, "DELETE")).status).toBe(204);

    const list = (await runCli(["presign", `ufile://${bucket}/docs/`, "--list"])).stdout.trim();
    const listed = (await fetchUrl(list)).json();
    expect(listed.DataSet.map((o: { FileName: string }) => o.FileName)).toEqual(["docs/a.txt", "docs/c.txt"]);
    const whole = (await runCli(["presign", `ufile://${bucket}`])).stdout.trim(); // no key: the bucket's listing
    expect((await fetchUrl(whole)).json().DataSet).toHaveLength(3);

    const expired = (await runCli(["presign", `ufile://${bucket}/docs/a.txt`, "-e", "0"])).stdout.trim();
    await new Promise((r) => setTimeout(r, 1100));
    expect((await fetchUrl(expired)).status).toBe(403);
  });
});

describe("edgefile mb, rb, call", () => {
  it("makes and removes buckets; rb --force empties first; call prints the raw answer", async () => {
    const name = uniqueName("mb");
    const made = await cliJson(["mb", `ufile://${name}`, "--type", "public"]);
    expect(made).toMatchObject({ RetCode: 0, BucketName: name });
    const described = await runCli(["call", "Action=DescribeBucket", `BucketName=${name}`]);
    expect(described.code).toBe(0);
    expect(JSON.parse(described.stdout).DataSet[0]).toMatchObject({ BucketName: name, Type: "public" });
    expect((await runCli(["ls"])).stdout).toContain(`ufile://${name}`);

    await putFile(name, "keep.txt", "x");
    const notEmpty = await runCli(["rb", `ufile://${name}`]);
    expect(notEmpty.code).toBe(1);
    expect(notEmpty.stderr).toMatch(/RetCode 15023/);
    expect((await runCli(["rb", "--force", `ufile://${name}`])).code).toBe(6); // not confirmed
    // --json: DeleteBucket's answer is the one document, even after deleting the objects.
    const removed = await runCli(["--json", "rb", "--force", "--yes", `ufile://${name}`]);
    expect(removed.code).toBe(0);
    expect(JSON.parse(removed.stdout)).toMatchObject({ RetCode: 0 });
    expect((await control({ Action: "DescribeBucket", BucketName: name })).body.RetCode).toBe(15010);

    const failed = await runCli(["call", "Action=DescribeBucket", "BucketName=no-such-bucket-here"]);
    expect(failed.code).toBe(5);
    expect(JSON.parse(failed.stdout).RetCode).toBe(15010);
  });

  it("npm run call and npm run presign are aliases of the CLI", () => {
    // The keys are given explicitly: a test never depends on the developer's .dev.vars.
    const keys = { EDGEFILE_PUBLIC_KEY: PUBLIC_KEY, EDGEFILE_PRIVATE_KEY: PRIVATE_KEY };
    const env = { ...process.env, ...keys, EDGEFILE_URL: server().url, EDGEFILE_CONFIG: join(tempDir("cfg"), "none.json") };
    const cwd = join(__dirname, "../..");
    const out = execFileSync("npm", ["run", "-s", "call", "--", "Action=GetUFileQuotaPrice", "StorageVolume=200", "DownloadTraffic=5", "RequestCount=2"], { env, cwd, encoding: "utf8" });
    expect(JSON.parse(out)).toMatchObject({ RetCode: 0, Price: 346 });
    const url = execFileSync("npm", ["run", "-s", "presign", "--", "ufile://demo/a.txt"], { env, cwd, encoding: "utf8" }).trim();
    expect(url).toMatch(/^http:\/\/demo\.localhost:\d+\/a\.txt\?UCloudPublicKey=.+&Expires=\d+&Signature=.+$/);
  });
});

describe("edgefile token", () => {
  it("creates a scoped token that works (and only) where it is scoped, updates, lists and deletes it", async () => {
    const bucket = await newBucket();
    const created = await cliJson(["token", "create", "--name", "cli-test", "--ops", "write,list", "--bucket", bucket, "--prefix", "up/", "--expires", "1h"]);
    const set = created.UFileTokenSet;
    expect(set).toMatchObject({ TokenName: "cli-test", AllowedOps: ["TOKEN_ALLOW_WRITE", "TOKEN_ALLOW_LIST"], AllowedBuckets: [bucket], AllowedPrefixes: ["up/"] });
    const asToken = { EDGEFILE_PUBLIC_KEY: set.PublicKey, EDGEFILE_PRIVATE_KEY: set.PrivateKey };
    expect((await runCli(["cp", "-", `ufile://${bucket}/up/a.txt`], { env: asToken, input: "ok" })).code).toBe(0);
    const outside = await runCli(["cp", "-", `ufile://${bucket}/elsewhere.txt`], { env: asToken, input: "no" });
    expect(outside.code).toBe(4);
    expect(outside.stderr).toMatch(/RetCode -90008/);

    const listed = await cliJson(["token", "ls", "--name", "cli-test"]);
    expect(listed.map((t: { TokenId: string }) => t.TokenId)).toContain(created.TokenId);
    expect(listed[0].PrivateKey).toBe("");
    expect((await runCli(["token", "update", created.TokenId, "--prefix", "other/"])).code).toBe(0);
    expect((await cliJson(["token", "ls", "--name", "cli-test"]))[0].AllowedPrefixes).toEqual(["other/"]);
    expect((await runCli(["token", "rm", created.TokenId])).code).toBe(0);
    expect((await runCli(["token", "rm", created.TokenId])).code).toBe(5);
  });
});

describe("edgefile usage", () => {
  it("charts the report in human units and shows quota and prices", async () => {
    // Some storage today: a few bytes kept for a second (the cron integrates it; its first run starts the clock).
    await putFile(await newBucket(), "kept.txt", "kept for the storage figure");
    expect((await triggerScheduled()).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await triggerScheduled()).status).toBe(200);
    const r = await runCli(["usage", "--days", "3"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Storage: ([\d.]+ (B|KiB|MiB|GiB)|< 1 B)·day in 3 days$/m);
    expect(r.stdout).toMatch(/^Requests: [\d,]+ requests in 3 days$/m);
    // A day with a bar never reads as zero (a tiny amount is "< 1 B·day"), and a day without one does.
    const storage = r.stdout.split("\n\n")[0]!.split("\n").slice(1);
    expect(storage).toHaveLength(3);
    expect(storage.some((l) => l.includes("█"))).toBe(true);
    for (const line of storage) expect(/█|▏|▎|▍|▌|▋|▊|▉/.test(line), line).toBe(!/ 0 B·day$/.test(line));
    expect(r.stdout).toMatch(/^Quota left \(cn-bj\):$/m);
    expect(r.stdout).toMatch(/^ {2}storage +[\d.]+ (B|KiB|MiB|GiB|TiB)·day$/m);
    expect(r.stdout).toMatch(/^ {2}traffic +[\d.]+ (B|KiB|MiB|GiB|TiB)$/m);
    expect(r.stdout).toMatch(/^ {2}requests +[\d,]+ requests$/m);
    expect(r.stdout).toContain("Prices: 0.6 分/GB·day, 40 分/GB, 13 分/万次");
    const json = await cliJson(["usage", "--days", "3"]);
    expect(json.days).toHaveLength(3);
    expect(json.pricesFen).toEqual({ StorageVolume: 0.6, DownloadTraffic: 40, RequestCount: 13 });
  });
});

describe("edgefile hosts", () => {
  it("prints and applies hosts lines for every bucket, keeping the rest of the file", async () => {
    const bucket = await newBucket();
    const printed = await runCli(["hosts"]);
    expect(printed.stdout).toContain(`127.0.0.1 ${bucket}.localhost\n`);
    const file = join(tempDir("hosts"), "hosts");
    writeFileSync(file, "127.0.0.1 localhost\n::1 localhost\n");
    expect((await runCli(["hosts", "--apply", "--file", file])).code).toBe(0);
    expect((await runCli(["hosts", "--apply", "--file", file])).code).toBe(0); // replaced, not appended
    const text = readFileSync(file, "utf8");
    expect(text.startsWith("127.0.0.1 localhost\n::1 localhost\n# edgefile: bucket hosts")).toBe(true);
    expect(text.match(/# edgefile: bucket hosts/g)).toHaveLength(1);
    expect(text).toContain(`127.0.0.1 ${bucket}.localhost\n`);
  });
});

describe("edgefile data-plane URL", () => {
  it("EDGEFILE_FILE_URL as a template, a suffix or a domain", async () => {
    const bucket = await newBucket();
    const port = server().port;
    for (const fileUrl of [`http://{bucket}.localhost:${port}`, `.localhost:${port}`, `localhost:${port}`, `http://localhost:${port}`]) {
      const env = { EDGEFILE_FILE_URL: fileUrl };
      expect((await runCli(["cp", "-", `ufile://${bucket}/f.txt`], { env, input: fileUrl })).code, fileUrl).toBe(0);
      expect((await runCli(["cat", `ufile://${bucket}/f.txt`], { env })).stdout).toBe(fileUrl);
    }
    const wrong = await runCli(["ls", `ufile://${bucket}/`], { env: { EDGEFILE_FILE_URL: "ftp://{bucket}.example" } });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/unsupported URL scheme/);
  });
});

describe("edgefile config", () => {
  it("profiles: set, chosen with --profile, overriding the environment", async () => {
    const config = join(tempDir("config"), "config.json");
    const env = { EDGEFILE_CONFIG: config };
    for (const [field, value] of [["url", server().url], ["publicKey", "nobody"], ["privateKey", "wrong"]]) {
      expect((await runCli(["config", "set", "--profile", "bad", field!, value!], { env })).code).toBe(0);
    }
    expect(JSON.parse(readFileSync(config, "utf8")).profiles.bad).toMatchObject({ publicKey: "nobody" });
    expect((await runCli(["ls"], { env })).code).toBe(0); // environment keys
    expect((await runCli(["--profile", "bad", "ls"], { env })).code).toBe(4); // the profile's keys
    const shown = await cliJson(["--profile", "bad", "config", "show"], { env });
    expect(shown).toMatchObject({ publicKey: "nobody", privateKey: "(set)", sources: { publicKey: "profile bad" } });
    expect((await runCli(["--profile", "nope", "ls"], { env })).code).toBe(2);
  });
});
