// @ts-check
// The CLI's failures: one class, one exit-code table, and the mapping from what the service
// answered (control-plane RetCode, data-plane HTTP status + RetCode) to an exit code.

/** Exit codes, documented in docs/cli.md. One table: the help text prints it too. */
export const EXIT = {
  ok: 0,
  failed: 1, // anything else: a server error, a transfer that failed after retries, a bad local file
  usage: 2, // bad arguments or configuration
  unreachable: 3, // the endpoint did not answer (server down, DNS, TLS)
  denied: 4, // credentials refused: unknown key, wrong signature, expired or out-of-scope token
  notFound: 5, // no such bucket, object or upload
  notConfirmed: 6, // a destructive command was not confirmed (answer "n", or no terminal and no --yes)
  interrupted: 130, // Ctrl-C; an interrupted upload resumes when the same command runs again
};

export const EXIT_HELP = `Exit codes:
  0  success
  1  failure (server error, transfer failed after retries, local file problem)
  2  usage or configuration error
  3  endpoint unreachable (server down, DNS, TLS)
  4  credentials refused (unknown key, wrong signature, token expired or out of scope)
  5  not found (bucket, object or upload)
  6  not confirmed (destructive command without confirmation)
130  interrupted (an interrupted upload resumes on the next run)`;

export class CliError extends Error {
  /**
   * @param {string} message one line, shown as "edgefile: <message>"
   * @param {number} [exitCode]
   * @param {{ retCode?: number, status?: number, reported?: boolean }} [detail] what the service answered,
   *   if it did; `reported`: the command has already printed the failure, so only the exit code is left
   */
  constructor(message, exitCode = EXIT.failed, detail = {}) {
    super(message);
    this.exitCode = exitCode;
    this.retCode = detail.retCode;
    this.status = detail.status;
    this.reported = detail.reported ?? false;
  }
}

/** Control-plane RetCodes with their own exit code; everything else non-zero is EXIT.failed. */
const CONTROL_EXIT = new Map([
  [171, EXIT.denied], // wrong signature
  [172, EXIT.denied], // unknown public key
  [174, EXIT.denied], // unknown security token
  [15037, EXIT.denied], // no permission (token keys on the control plane)
  [15010, EXIT.notFound], // no such bucket
  [15039, EXIT.notFound],
  [15040, EXIT.notFound], // no such token
  [15002, EXIT.usage], // missing parameter
  [15001, EXIT.usage], // bad bucket name
  [15003, EXIT.usage],
  [15017, EXIT.usage],
  [15018, EXIT.usage],
]);

/** Data-plane HTTP statuses with their own exit code. */
const DATA_EXIT = new Map([
  [401, EXIT.denied],
  [403, EXIT.denied],
  [404, EXIT.notFound],
  [400, EXIT.usage],
]);

const KEYS = "check the key pair: EDGEFILE_PUBLIC_KEY / EDGEFILE_PRIVATE_KEY or the profile";
const NO_BUCKET = (/** @type {string} */ b) => `edgefile ls lists your buckets; edgefile mb ufile://${b} makes one`;

/**
 * What to do next after a refusal, by RetCode (control-plane codes are positive, data-plane ones
 * negative, so one table serves both); shown after the cause, in parentheses.
 * @type {Map<number, (bucket: string) => string>}
 */
const NEXT_STEP = new Map([
  [171, () => KEYS],
  [172, () => KEYS],
  [-148658, () => KEYS],
  [15010, NO_BUCKET],
  [15039, NO_BUCKET],
  [-30010, NO_BUCKET],
  [-148654, (b) => `edgefile ls ufile://${b}/<folder>/ shows what is there`],
  [15023, (b) => `edgefile rb --force ufile://${b} deletes its objects first, after asking`],
  [15037, () => "token keys cannot manage buckets or tokens: use the root key pair"],
  [15040, () => "edgefile token ls lists the tokens"],
  [-90008, () => "the token's operations, buckets or prefixes do not cover this: edgefile token ls (root keys) shows its scope"],
  [-90015, () => "set ROOT_PUBLIC_KEY and ROOT_PRIVATE_KEY on the server: .dev.vars locally, wrangler secret put deployed"],
  [-90022, () => "an operator is moving this key range between index shards: run the command again in a minute"],
]);

/** " (<next step>)" for a RetCode that has one, else "". @param {number} retCode @param {string} bucket */
function nextStep(retCode, bucket) {
  const step = NEXT_STEP.get(retCode);
  return step ? ` (${step(bucket)})` : "";
}

/**
 * @param {{ RetCode: number, Message?: string }} body
 * @param {string} action
 * @param {unknown} [bucket] the call's BucketName, if any
 */
export function controlError(body, action, bucket) {
  const code = Number(body.RetCode);
  const message = `${action}: ${body.Message || "failed"} (RetCode ${code})${nextStep(code, typeof bucket === "string" && bucket ? bucket : "<bucket>")}`;
  return new CliError(message, CONTROL_EXIT.get(code) ?? EXIT.failed, { retCode: code });
}

/**
 * @param {number} status
 * @param {{ RetCode?: number, ErrMsg?: string } | null} body parsed JSON error body, if any
 * @param {string} what e.g. "ufile://demo/a.txt"
 */
export function dataError(status, body, what) {
  const retCode = body?.RetCode;
  let text = body?.ErrMsg || httpText(status);
  if (retCode === -30010) text = "no such bucket";
  else if (retCode === -148654 || (status === 404 && !body)) text = "no such object";
  const code = retCode !== undefined ? ` (HTTP ${status}, RetCode ${retCode})` : ` (HTTP ${status})`;
  const bucket = /^ufile:\/\/([^/]+)/.exec(what)?.[1] ?? "<bucket>";
  const exit = DATA_EXIT.get(status) ?? EXIT.failed;
  // A HEAD's 404 has no body: it is still a missing object.
  const step = nextStep(retCode ?? (status === 404 && !body ? -148654 : 0), bucket);
  return new CliError(`${what}: ${text}${code}${step}`, exit, { retCode, status });
}

/** A key that a HEAD found missing. @param {string} what e.g. "ufile://demo/a.txt" */
export const noSuchObject = (what) => dataError(404, null, what);

/** @param {number} status */
function httpText(status) {
  return { 400: "bad request", 403: "forbidden", 404: "not found", 409: "conflict", 411: "length required", 416: "range not satisfiable" }[status] ?? "request failed";
}
