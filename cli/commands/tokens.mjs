// @ts-check
// token create|ls|update|rm: scoped key pairs (CreateUFileToken, DescribeUFileToken, UpdateUFileToken,
// DeleteUFileToken).
import { CliError, EXIT } from "../lib/errors.mjs";
import { emitJson, say, shortTime, table, tell } from "../lib/output.mjs";
import { parseDuration } from "../lib/context.mjs";
import { collect } from "./transfer.mjs";

/** --ops names → the API's values. One table: the help text lists its keys. */
const OPS = {
  none: "TOKEN_ALLOW_NONE",
  read: "TOKEN_ALLOW_READ",
  write: "TOKEN_ALLOW_WRITE",
  delete: "TOKEN_ALLOW_DELETE",
  list: "TOKEN_ALLOW_LIST",
  iop: "TOKEN_ALLOW_IOP",
  dp: "TOKEN_ALLOW_DP",
  "deny-update": "TOKEN_DENY_UPDATE",
};

/** @param {import("commander").Command} program @param {() => import("../lib/context.mjs").Context} context */
export function register(program, context) {
  const token = program.command("token").description("scoped key pairs for apps and browsers (create, ls, update, rm)");

  /** @param {import("commander").Command} cmd */
  const scopeOptions = (cmd) =>
    cmd
      .option("--ops <list>", `comma-separated rights: ${Object.keys(OPS).join(", ")}`)
      .option("--bucket <name>", "a bucket it may use (repeatable; * = all)", collect, [])
      .option("--prefix <prefix>", "a key prefix it may use (repeatable; * = all)", collect, [])
      .option("--expires <when>", "lifetime (600, 10m, 2h, 7d) or an absolute Unix time (10 digits)")
      .option("--white-ip <cidr>", "only from these addresses (repeatable)", collect, [])
      .option("--black-ip <cidr>", "never from these addresses (repeatable)", collect, []);

  scopeOptions(token.command("create").description("create a token; prints its key pair").requiredOption("--name <name>", "token name")).action(async (opts) => {
    const res = await context().control.call({ Action: "CreateUFileToken", TokenName: opts.name, ...scopeParams(opts) });
    const set = res.UFileTokenSet ?? {};
    emitJson(res);
    say(table([["TokenId", res.TokenId], ["PublicKey", set.PublicKey], ["PrivateKey", set.PrivateKey], ["Expires", shortTime(set.ExpireTime)]]));
    say(`\nUse it: EDGEFILE_PUBLIC_KEY=${set.PublicKey} EDGEFILE_PRIVATE_KEY=${set.PrivateKey} edgefile ls ufile://<bucket>/`);
  });

  token
    .command("ls")
    .description("list tokens")
    .option("--name <name>", "only tokens with this name")
    .option("--show-private", "include the private keys")
    .action(async (opts) => {
      /** @type {Record<string, string>} */
      const params = { Action: "DescribeUFileToken", Display: opts.showPrivate ? "1" : "0" };
      if (opts.name) params.TokenName = opts.name;
      const sets = (await context().control.call(params)).DataSet ?? [];
      emitJson(sets);
      const ops = (/** @type {string[]} */ list) => (list ?? []).map((o) => o.replace(/^TOKEN_(ALLOW_)?/, "").toLowerCase().replace("_", "-")).join(",");
      const rows = sets.map((/** @type {any} */ t) => [t.TokenId, t.TokenName, ops(t.AllowedOps), (t.AllowedBuckets ?? []).join(","), (t.AllowedPrefixes ?? []).join(","), shortTime(t.ExpireTime), ...(opts.showPrivate ? [t.PrivateKey] : [])]);
      if (rows.length) say(table([["TOKEN ID", "NAME", "OPS", "BUCKETS", "PREFIXES", "EXPIRES", ...(opts.showPrivate ? ["PRIVATE KEY"] : [])], ...rows]));
    });

  scopeOptions(token.command("update").description("change a token; a list that is given replaces the stored one").argument("<token-id>").option("--name <name>", "new name")).action(
    async (id, opts) => {
      /** @type {Record<string, string>} */
      const params = { Action: "UpdateUFileToken", TokenId: id, ...scopeParams(opts) };
      if (opts.name) params.TokenName = opts.name;
      emitJson(await context().control.call(params));
      tell(`updated token ${id}`);
    },
  );

  token
    .command("rm")
    .description("delete tokens (effective immediately)")
    .argument("<token-id...>")
    .action(async (ids) => {
      for (const id of ids) {
        await context().control.call({ Action: "DeleteUFileToken", TokenId: id });
        tell(`deleted token ${id}`);
      }
      emitJson({ deleted: ids });
    });
}

/**
 * The scope options as API parameters (lists as Name.0, Name.1, …); only what was given.
 * @param {{ ops?: string, bucket: string[], prefix: string[], expires?: string, whiteIp: string[], blackIp: string[] }} opts
 */
function scopeParams(opts) {
  /** @type {Record<string, string>} */
  const params = {};
  /** @param {string} name @param {string[]} values */
  const list = (name, values) => values.forEach((v, i) => (params[`${name}.${i}`] = v));
  if (opts.ops !== undefined) {
    list("AllowedOps", opts.ops.split(",").map((o) => {
      const op = /** @type {Record<string, string>} */ (OPS)[o.trim().toLowerCase()];
      if (!op) throw new CliError(`unknown op ${o} (use ${Object.keys(OPS).join(", ")})`, EXIT.usage);
      return op;
    }));
  }
  list("AllowedBuckets", opts.bucket);
  list("AllowedPrefixes", opts.prefix);
  list("WhiteIPList", opts.whiteIp);
  list("BlackIPList", opts.blackIp);
  if (opts.expires !== undefined) {
    params.ExpireTime = /^\d{10}$/.test(opts.expires) ? opts.expires : String(Math.floor(Date.now() / 1000) + parseDuration(opts.expires));
  }
  return params;
}
