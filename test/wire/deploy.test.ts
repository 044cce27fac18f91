// `npm run deploy:check` (src/cli/deploy-check.mjs): refuses the placeholders of the repository's
// wrangler.toml, and passes a filled configuration (--offline: the account is never asked here).
// `npm run deploy:verify` (src/cli/deploy-verify.mjs) against the Worker the wire harness serves.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { file, PRIVATE_KEY, PUBLIC_KEY, server } from "./client";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "edgefile-deploy-check-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function check(toml: string) {
  const file = join(dir, `wrangler-${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(file, toml);
  const r = spawnSync("npm", ["run", "-s", "deploy:check", "--", "--offline", "--config", file], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr, problems: r.stderr.split("\n").filter((l) => l.startsWith("deploy:check: ") && !/problem\(s\) in/.test(l)) };
}

const FILLED = `
name = "edgefile"
main = "${join(ROOT, "src/index.ts")}"
compatibility_date = "2026-10-01"
routes = [
  { pattern = "*.files.example.com/*", zone_name = "example.com" },
  { pattern = "files.example.com", custom_domain = true },
  { pattern = "ufile-api.example.com", custom_domain = true },
]
[vars]
FILE_DOMAIN = "files.example.com"
[[d1_databases]]
binding = "DB"
database_name = "edgefile"
database_id = "3f1b8a52-1c0e-4d2a-9b7e-6a5d4c3b2a10"
`;

// Each check is a child npm process (bounded at 60 s): on a loaded machine one takes over 10 s.
describe("npm run deploy:check", { timeout: 240_000 }, () => {
  it("refuses the repository's placeholders, one line each with what to do", () => {
    const r = check(readFileSync(join(ROOT, "wrangler.toml"), "utf8").replace('main = "src/index.ts"', `main = "${join(ROOT, "src/index.ts")}"`).replace('directory = "console/dist"', `directory = "${join(ROOT, "console/dist")}"`));
    expect(r.code).toBe(1);
    expect(r.problems).toEqual([
      expect.stringMatching(/^deploy:check: FILE_DOMAIN is "localhost", which only works locally: set your domain under \[vars\]/),
      expect.stringMatching(/^deploy:check: database_id of DB is the all-zero placeholder: run `npx wrangler d1 create edgefile`/),
      expect.stringMatching(/^deploy:check: database_id of INDEX_1 is the all-zero placeholder: run `npx wrangler d1 create edgefile-index-1`/),
    ]);
    expect(r.err).toMatch(/3 problem\(s\) in .*: fix them before `npx wrangler deploy`/);
  });

  it("passes a filled configuration", () => {
    const r = check(FILLED);
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/deploy:check: note: --offline: the Worker's secrets were not checked\.\ndeploy:check: .* is ready to deploy \(npx wrangler deploy\)\.\n$/);
  });

  it("refuses a scheme in FILE_DOMAIN, a missing route for each host, and secrets in [vars]", () => {
    const scheme = check(FILLED.replace('FILE_DOMAIN = "files.example.com"', 'FILE_DOMAIN = "https://files.example.com"'));
    expect(scheme.code).toBe(1);
    expect(scheme.problems).toEqual([expect.stringMatching(/^deploy:check: FILE_DOMAIN: .*files\.example\.com/)]);

    const noRoutes = check(FILLED.replace(/routes = \[[^\]]*\]/, 'routes = [ { pattern = "files.example.com/*", zone_name = "example.com" } ]'));
    expect(noRoutes.problems).toEqual([
      expect.stringMatching(/^deploy:check: no route serves the file hosts \*\.files\.example\.com: add \{ pattern = "\*\.files\.example\.com\/\*"/),
      expect.stringMatching(/^deploy:check: no route serves the console host console\.files\.example\.com/),
    ]);

    const s3 = check(FILLED.replace("[vars]", '[vars]\nS3_HOST = "s3.example.com"'));
    expect(s3.problems).toEqual([expect.stringMatching(/^deploy:check: no route serves the S3 host s3\.example\.com: add \{ pattern = "s3\.example\.com", custom_domain = true \}/)]);

    const secret = check(FILLED.replace("[vars]", '[vars]\nROOT_PRIVATE_KEY = "abc"'));
    expect(secret.problems).toEqual([expect.stringMatching(/^deploy:check: ROOT_PRIVATE_KEY is a plain \[vars\] value .*npx wrangler secret put ROOT_PRIVATE_KEY/)]);
  });

  it("refuses a development setting in [vars]", () => {
    const debugDay = check(FILLED.replace("[vars]", '[vars]\nLIFECYCLE_DEBUG_DAY_SECONDS = "10"'));
    expect(debugDay.problems).toEqual([expect.stringMatching(/^deploy:check: LIFECYCLE_DEBUG_DAY_SECONDS is a development setting .*remove it from \[vars\]/)]);
    // Written as a TOML number it is refused just the same.
    const debugDayNumber = check(FILLED.replace("[vars]", "[vars]\nLIFECYCLE_DEBUG_DAY_SECONDS = 10"));
    expect(debugDayNumber.problems).toEqual([expect.stringMatching(/^deploy:check: LIFECYCLE_DEBUG_DAY_SECONDS is a development setting/)]);
  });
});

describe("npm run deploy:verify", () => {
  it("exercises the control plane, the UFile plane with a presigned URL, S3 and the console, and leaves no object", () => {
    const env = { ...process.env, EDGEFILE_PUBLIC_KEY: PUBLIC_KEY, EDGEFILE_PRIVATE_KEY: PRIVATE_KEY };
    const run = () => spawnSync("npm", ["run", "-s", "deploy:verify", "--", server().url], { cwd: ROOT, env, encoding: "utf8", timeout: 90_000 });
    for (const r of [run(), run()]) { // the second run finds the bucket the first one made
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const lines = r.stdout.trim().split("\n");
      expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(["ok", "ok", "ok", "ok", "ok", "deploy:verify:"]);
      expect(lines[0]).toMatch(/^ok {4}control plane .*: bucket host edgefile-deploy-verify\.localhost/);
      expect(lines.at(-1)).toBe("deploy:verify: every front answered");
    }
    const wrongKeys = spawnSync("npm", ["run", "-s", "deploy:verify", "--", server().url], { cwd: ROOT, env: { ...env, EDGEFILE_PRIVATE_KEY: "wrong" }, encoding: "utf8", timeout: 90_000 });
    expect(wrongKeys.status).toBe(1);
    expect(wrongKeys.stdout).toMatch(/^FAIL  control plane .*Signature/m);
  });

  it("leaves the verify bucket empty", async () => {
    const listing = await file("edgefile-deploy-verify", "", { query: "list", signedKey: "" });
    expect(listing.status).toBe(200);
    expect(listing.json().DataSet).toEqual([]);
  });
});
