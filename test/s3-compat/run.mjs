#!/usr/bin/env node
// `npm run test:s3-compat [-- pytest args]`: runs ceph/s3-tests' `s3tests/functional/test_s3.py`
// against edgefile and checks it against the committed list of tests that must pass.
//
// - S3_TESTS_DIR: a checkout of github:ceph/s3-tests (nothing is fetched at run time). Its Python
//   dependencies come from Debian: python3-pytest python3-boto3 python3-munch python3-gevent
//   python3-isodate python3-requests python3-httplib2 python3-lxml python3-tz python3-pytest-timeout.
// - The Worker is served as `npm start` serves it (local D1 migrations of every database, then wrangler's dev server),
//   on a free port of 127.0.0.1 with a fresh temporary state directory, removed at the end; no file
//   watching, so editing the source during a run changes nothing under it.
// - The s3-tests config names the root key pair for every user (main, alt, tenant, iam): edgefile has
//   one root account, so tests that need two distinct accounts fail for that reason (docs/s3.md).
//   Their user id and display name are the project the root key creates buckets in
//   (DEFAULT_PROJECT_ID, set here), which the S3 front renders as every `<Owner>`.
// - The lifecycle expiration tests wait a number of RGW's debug "days" (`lc_debug_interval`): the Worker
//   runs with a lifecycle day of LIFECYCLE_DAY seconds (LIFECYCLE_DEBUG_DAY_SECONDS, a development
//   setting), the config tells s3-tests the same, and the cron (`/cdn-cgi/local/scheduled`) fires every
//   CRON_EVERY_MS while pytest runs, as RGW's lifecycle thread does.
// - S3_COMPAT_PYTHON: the Python to run (default /usr/bin/python3). Another interpreter of the same
//   minor version (a newer boto3/botocore, no awscrt) gets Debian's copies of the test-only packages
//   it lacks on PYTHONPATH (./python.mjs); docs/s3.md §9 says which tests differ between the two.
// - pytest runs with a per-test time limit (S3_COMPAT_TIMEOUT seconds, default 90).
// - Prints a table by feature, then fails when a test of ./expected-pass.txt did not pass.
//   S3_COMPAT_UPDATE=1 rewrites that list from a full run's passes instead. The tests of
//   ./client-dependent.txt are held against a run only when its client can send them (./python.mjs).
// - S3_COMPAT_KEEP=1 keeps the temporary directory (worker log, pytest log, junit XML, config).
import { spawn, spawnSync } from "node:child_process";
import { unstable_readConfig, unstable_startWorker } from "wrangler";
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FEATURES, featureOf } from "./features.mjs";
import { clientOf, pythonEnv } from "./python.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const HERE = fileURLToPath(new URL(".", import.meta.url));
const EXPECTED = join(HERE, "expected-pass.txt");
// Tests only a client newer than Debian bookworm's can send (./python.mjs `clientOf`).
const CLIENT_DEPENDENT = join(HERE, "client-dependent.txt");
const SUITE = "s3tests/functional/test_s3.py";
// The docs/protocol.md test key pair, as in the wire harness (test/wire/context.ts).
const ACCESS_KEY = "ucloudsomeone@example.com1296235120854146120";
const SECRET_KEY = "46f09bb9fab4f12dfc160dae12273d5332b5debe";
const PROJECT_ID = "org-edgefile";
// The region buckets are created in (DEFAULT_REGION); the main user's `api_name`, the LocationConstraint
// s3-tests creates a bucket with and expects GetBucketLocation to answer.
const REGION = "cn-bj";
// Short enough that the longest lifecycle test (7 debug days of sleep) stays within the per-test limit,
// long enough that the few requests between a test's writes and its rule fit within one such day.
const LIFECYCLE_DAY = 3;
const CRON_EVERY_MS = 1000;
const OFFLINE = { CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false" };
const wranglerBin = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
const say = (line) => console.log(`s3-compat: ${line}`);

const checkout = process.env.S3_TESTS_DIR;
if (!checkout || !existsSync(join(checkout, SUITE))) {
  console.error(
    "s3-compat: set S3_TESTS_DIR to a checkout of https://github.com/ceph/s3-tests " +
      `(it must contain ${SUITE}); see docs/s3.md, section "Conformance".`,
  );
  process.exit(2);
}
const pytestArgs = process.argv.slice(2);
const filtered = pytestArgs.length > 0;
const timeout = Number(process.env.S3_COMPAT_TIMEOUT ?? 90);
// Debian's Python by default: the dependencies above are installed for it.
const python = process.env.S3_COMPAT_PYTHON ?? (existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
const dir = mkdtempSync(join(tmpdir(), "edgefile-s3-compat-"));
let pythonEnvironment;
try {
  pythonEnvironment = pythonEnv(python, join(dir, "pythonpath"));
} catch (err) {
  rmSync(dir, { recursive: true, force: true });
  console.error(`s3-compat: ${err.message}`);
  process.exit(2);
}
const client = clientOf(python, pythonEnvironment.env);
if (spawnSync(python, ["-c", "import pytest_timeout"], { env: pythonEnvironment.env }).status !== 0) {
  rmSync(dir, { recursive: true, force: true });
  console.error("s3-compat: pytest-timeout is missing (apt-get install python3-pytest-timeout): it bounds each test's time.");
  process.exit(2);
}
const persist = join(dir, "state");
const junit = join(dir, "junit.xml");
const conf = join(dir, "s3tests.conf");
const workerLog = join(dir, "worker.log");
writeFileSync(join(dir, "none.env"), "");

let server;
let exitCode = 1;
try {
  // Every D1 database of wrangler.toml, as npm start does: the control database and each index shard.
  for (const { binding } of unstable_readConfig({ config: join(ROOT, "wrangler.toml") }).d1_databases) {
    const migrate = spawnSync(process.execPath, [wranglerBin, "d1", "migrations", "apply", binding, "--local", "--persist-to", persist], {
      cwd: ROOT,
      env: { ...process.env, ...OFFLINE, CI: "true" },
      encoding: "utf8",
    });
    if (migrate.status !== 0) throw new Error(`local D1 migrations of ${binding} failed:\n${migrate.stdout}\n${migrate.stderr}`);
  }

  // wrangler's own dev server (the engine of `wrangler dev`, as the wire harness uses it), without
  // file watching: editing the source during a run does not reload the Worker under the suite.
  const port = await freePort();
  const vars = {
    ROOT_PUBLIC_KEY: ACCESS_KEY,
    ROOT_PRIVATE_KEY: SECRET_KEY,
    FILE_DOMAIN: "localhost",
    BUCKET_MIN_AGE_SECONDS: "0",
    DEFAULT_PROJECT_ID: PROJECT_ID,
    DEFAULT_REGION: REGION,
    LIFECYCLE_DEBUG_DAY_SECONDS: String(LIFECYCLE_DAY),
    // Every cron run starts a new pass over each bucket with rules: a debug day is shorter than the default interval.
    LIFECYCLE_PASS_INTERVAL_SECONDS: "0",
  };
  Object.assign(process.env, OFFLINE);
  server = await unstable_startWorker({
    config: join(ROOT, "wrangler.toml"),
    envFiles: [join(dir, "none.env")],
    bindings: Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, { type: "plain_text", value: v }])),
    dev: {
      server: { hostname: "127.0.0.1", port },
      inspector: false,
      persist,
      testScheduled: true,
      watch: false,
      liveReload: false,
      logLevel: "warn",
      structuredLogsHandler: (log) => appendFileSync(workerLog, `${new Date(log.timestamp).toISOString()} ${log.level} ${log.message}\n`),
    },
  });
  await server.ready;
  const endpoint = `http://127.0.0.1:${port}`;
  await waitReady(endpoint);
  say(`edgefile serves ${endpoint}`);

  writeFileSync(conf, config(port));
  const args = ["-m", "pytest", SUITE, "-p", "no:cacheprovider", "-q", "--tb=line", `--junitxml=${junit}`, `--timeout=${timeout}`, ...pytestArgs];
  say(`${python} ${args.join(" ")} (in ${checkout})`);
  say(`client: ${client.summary}${pythonEnvironment.linked.length ? `; Debian's ${pythonEnvironment.linked.join(", ")} linked on PYTHONPATH` : ""}`);
  const started = Date.now();
  const pytest = spawn(python, args, { cwd: checkout, env: { ...pythonEnvironment.env, S3TEST_CONF: conf }, stdio: ["ignore", "pipe", "inherit"] });
  const pytestLog = join(dir, "pytest.log");
  const pytestOut = [];
  pytest.stdout.on("data", (d) => {
    pytestOut.push(d);
    appendFileSync(pytestLog, d);
  });
  const progress = setInterval(() => say(`… ${Math.round((Date.now() - started) / 1000)} s`), 60_000);
  const exited = new Promise((resolve) => pytest.on("exit", resolve));
  const cron = fireCron(endpoint, exited);
  await exited;
  await cron;
  clearInterval(progress);
  if (!existsSync(junit)) throw new Error(`pytest wrote no report:\n${Buffer.concat(pytestOut).toString().slice(-4000)}`);

  const results = parseJunit(readFileSync(junit, "utf8"));
  printTable(results);
  say(`${Math.round((Date.now() - started) / 1000)} s`);
  exitCode = compare(results);
} catch (err) {
  console.error(`s3-compat: ${err instanceof Error ? err.message : err}`);
} finally {
  await server?.dispose().catch(() => {});
  if (process.env.S3_COMPAT_KEEP === "1") say(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}
process.exit(exitCode);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Runs the Worker's scheduled handler every CRON_EVERY_MS, one run at a time, until `done` settles. */
async function fireCron(endpoint, done) {
  let over = false;
  done.then(() => (over = true));
  let failures = 0;
  while (!over) {
    try {
      const res = await fetch(`${endpoint}/cdn-cgi/local/scheduled`, { signal: AbortSignal.timeout(30_000) });
      await res.arrayBuffer();
      if (res.status !== 200) failures++;
    } catch {
      failures++;
    }
    await Promise.race([done, new Promise((resolve) => setTimeout(resolve, CRON_EVERY_MS))]);
  }
  if (failures > 0) say(`${failures} scheduled run(s) failed (the worker log has why)`);
}

async function waitReady(endpoint) {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      if (res.headers.has("x-sessionid")) return;
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error("the Worker did not answer within 120 s");
}

/** Every user section names the root key pair, and as its id and display name the project that owns its buckets. */
function config(port) {
  const user = (extra = "") => `display_name = ${PROJECT_ID}\nuser_id = ${PROJECT_ID}\nemail = root@edgefile.invalid\naccess_key = ${ACCESS_KEY}\nsecret_key = ${SECRET_KEY}\n${extra}`;
  return [
    `[DEFAULT]\nhost = 127.0.0.1\nport = ${port}\nis_secure = False\nssl_verify = False\n`,
    `[fixtures]\nbucket prefix = s3compat-{random}-\niam name prefix = s3-tests-\niam path prefix = /s3-tests/\n`,
    `[s3 main]\n${user(`api_name = ${REGION}\nlc_debug_interval = ${LIFECYCLE_DAY}\n`)}`,
    `[s3 alt]\n${user()}`,
    `[s3 tenant]\n${user("tenant = testx\n")}`,
    `[iam]\n${user()}`,
    `[iam root]\n${user()}`,
    `[iam alt root]\n${user()}`,
  ].join("\n");
}

function unescapeXml(s) {
  return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n))).replace(/&amp;/g, "&");
}

/** pytest's junit XML: one <testcase> per test, with a <failure>, <error> or <skipped> child unless it passed. */
function parseJunit(xml) {
  const results = new Map();
  const re = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const m of xml.matchAll(re)) {
    const name = /\bname="([^"]*)"/.exec(m[1])?.[1];
    if (!name) continue;
    const body = m[3] ?? "";
    const child = /<(failure|error|skipped)\b([^>]*)>/.exec(body);
    const status = child ? { failure: "failed", error: "error", skipped: "skipped" }[child[1]] : "passed";
    const message = child ? /\bmessage="([^"]*)"/.exec(child[2])?.[1] ?? "" : "";
    const prev = results.get(name);
    // A test that passed but failed its teardown counts as failed (its report may come twice).
    if (prev && prev.status !== "passed") continue;
    results.set(name, { status, message: unescapeXml(message).split("\n")[0].slice(0, 240) });
  }
  return results;
}

function printTable(results) {
  const rows = new Map(FEATURES.map((f) => [f.name, { passed: 0, failed: 0, skipped: 0 }]));
  for (const [name, r] of results) {
    const row = rows.get(featureOf(name));
    row[r.status === "error" ? "failed" : r.status] += 1;
  }
  const total = { passed: 0, failed: 0, skipped: 0 };
  console.log("\n| feature | passed | failed | skipped |\n|---|---:|---:|---:|");
  for (const [feature, row] of rows) {
    if (row.passed + row.failed + row.skipped === 0) continue;
    console.log(`| ${feature} | ${row.passed} | ${row.failed} | ${row.skipped} |`);
    for (const k of Object.keys(total)) total[k] += row[k];
  }
  console.log(`| **total** (${results.size}) | ${total.passed} | ${total.failed} | ${total.skipped} |\n`);
  if (process.env.S3_COMPAT_FAILURES === "1") {
    for (const [name, r] of results) if (r.status === "failed" || r.status === "error") console.log(`${featureOf(name)}\t${name}\t${r.message}`);
  }
}

/** A list file's test names: one a line, `#` comments and blank lines skipped. */
function testList(file) {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").map((l) => l.replace(/#.*/, "").trim()).filter(Boolean) : [];
}

/**
 * Fails when an expected test did not pass. With a client that cannot send what the tests of
 * ./client-dependent.txt send (`clientOf`), those are not held against the run, and an update
 * keeps them on the list.
 */
function compare(results) {
  const expected = testList(EXPECTED);
  const excused = new Set(client.sendsAll ? [] : testList(CLIENT_DEPENDENT));
  if (process.env.S3_COMPAT_UPDATE === "1") {
    if (filtered) {
      console.error("s3-compat: S3_COMPAT_UPDATE=1 needs a full run (no pytest arguments)");
      return 1;
    }
    const kept = expected.filter((name) => excused.has(name));
    const passed = [...new Set([...[...results].filter(([, r]) => r.status === "passed").map(([n]) => n), ...kept])].sort();
    writeFileSync(EXPECTED, `# ceph/s3-tests ${SUITE}: the tests edgefile must pass (test/s3-compat/run.mjs).\n${passed.join("\n")}\n`);
    say(`wrote ${passed.length} tests to ${EXPECTED}`);
    return 0;
  }
  const missing = expected.filter((name) => {
    const r = results.get(name);
    return !excused.has(name) && (r ? r.status !== "passed" : !filtered);
  });
  const unchecked = expected.filter((name) => excused.has(name) && (results.has(name) || !filtered) && results.get(name)?.status !== "passed");
  if (unchecked.length > 0) say(`${unchecked.length} expected test(s) need a newer client than this one (client-dependent.txt); not checked: ${unchecked.join(" ")}`);
  const passed = [...results.values()].filter((r) => r.status === "passed").length;
  if (missing.length > 0) {
    console.error(`s3-compat: ${missing.length} expected test(s) did not pass:`);
    for (const name of missing) console.error(`  ${name}: ${results.get(name)?.message || "not run"}`);
    return 1;
  }
  say(`${passed} passed; every one of the ${expected.length} expected tests${filtered ? " that ran" : ""} passed`);
  return 0;
}
