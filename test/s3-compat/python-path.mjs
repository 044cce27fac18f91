// The suite's own Python dependencies for an interpreter other than Debian's (S3_COMPAT_PYTHON).
//
// Debian's python3 has every dependency of `test_s3.py`, but its client (botocore 1.29, awscrt) is
// older than the tests: it refuses some parameters before sending and asserts in awscrt on others
// (docs/s3.md §9). Another Python of the same minor version with a newer boto3/botocore and without
// awscrt (a pyenv build, a venv) usually lacks the test-only packages, and an offline machine cannot
// install them. This links just those packages from Debian's dist-packages into a folder put on
// PYTHONPATH, so the run uses the other interpreter's client and Debian's test libraries.
// The client itself (boto3, botocore, s3transfer, awscrt) is never linked.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";

const DEBIAN_PYTHON = "/usr/bin/python3";
const DEBIAN_PACKAGES = "/usr/lib/python3/dist-packages";
/** What `s3tests/functional` imports beyond the client and the standard library, and its pytest plugin. */
const TEST_MODULES = ["pytest", "pytest_timeout", "munch", "isodate", "pytz", "dateutil", "requests", "yaml", "six"];

const minorVersion = (python) => spawnSync(python, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"], { encoding: "utf8" }).stdout?.trim();

/** The modules of TEST_MODULES that `python` cannot import. */
function missingModules(python) {
  const probe = `import importlib.util as u\nfor m in ${JSON.stringify(TEST_MODULES)}:\n    print(m) if u.find_spec(m) is None else None`;
  const r = spawnSync(python, ["-c", probe], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${python} cannot run: ${r.stderr || r.error}`);
  return r.stdout.split("\n").filter(Boolean);
}

/**
 * The environment to run `python` with: unchanged when it has every test module (Debian's own), else
 * PYTHONPATH led by `folder`, which gets links to Debian's copies of the missing ones (each module and
 * its egg-info/dist-info, where pytest finds a plugin's entry point). Throws when a module is missing
 * and Debian's Python cannot supply it (not installed, or another minor version).
 */
export function pythonEnv(python, folder, env = process.env) {
  const missing = missingModules(python);
  if (missing.length === 0) return { env, linked: [] };
  const mine = minorVersion(python);
  const debian = existsSync(DEBIAN_PYTHON) ? minorVersion(DEBIAN_PYTHON) : undefined;
  if (!existsSync(DEBIAN_PACKAGES) || debian !== mine) {
    throw new Error(`${python} lacks ${missing.join(", ")} and Debian's Python ${debian ?? "(absent)"} is not ${mine}: install them for it`);
  }
  mkdirSync(folder, { recursive: true });
  const entries = readdirSync(DEBIAN_PACKAGES);
  const dist = (name) => name.toLowerCase().replace(/[-_.]+/g, "_");
  const linked = [];
  for (const m of missing) {
    const own = entries.filter((e) => e === m || e === `${m}.py` || (/\.(egg|dist)-info$/.test(e) && dist(e.split("-")[0]) === dist(m)));
    if (!own.some((e) => e === m || e === `${m}.py`)) {
      throw new Error(`${python} lacks ${m} and ${DEBIAN_PACKAGES} has none: apt-get install the python3 package of ${m}`);
    }
    for (const e of own) symlinkSync(join(DEBIAN_PACKAGES, e), join(folder, e));
    linked.push(m);
  }
  const path = [folder, env.PYTHONPATH].filter(Boolean).join(":");
  return { env: { ...env, PYTHONPATH: path }, linked };
}
