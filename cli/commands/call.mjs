// @ts-check
// call: one raw, signed control-plane call; prints the answer's JSON as it came.
import { CliError, EXIT, controlError } from "../lib/errors.mjs";

/** @param {import("commander").Command} program @param {() => import("../lib/context.mjs").Context} context */
export function register(program, context) {
  program
    .command("call")
    .description("sign and send one control-plane call; prints the JSON answer")
    .argument("<params...>", "Action=<Action> and Name=Value pairs; lists as Name.0=… Name.1=…")
    .addHelpText(
      "after",
      `\nExamples:
  edgefile call Action=DescribeBucket
  edgefile call Action=GetUFileQuotaPrice StorageVolume=200 DownloadTraffic=5 RequestCount=2
  npm run call -- Action=CreateUFileToken TokenName=t AllowedOps.0=TOKEN_ALLOW_READ
The exit code follows the answer's RetCode (see edgefile --help).`,
    )
    .action(async (args) => {
      /** @type {Record<string, string>} */
      const params = {};
      for (const arg of args) {
        const eq = arg.indexOf("=");
        if (eq < 1) throw new CliError(`expected Name=Value, got ${arg}`, EXIT.usage);
        params[arg.slice(0, eq)] = arg.slice(eq + 1);
      }
      if (!params.Action) throw new CliError("missing Action=<Action>", EXIT.usage);
      const body = await context().control.call(params, { raw: true });
      process.stdout.write(JSON.stringify(body, null, 2) + "\n");
      if (body.RetCode !== 0) throw controlError(body, params.Action, params.BucketName);
    });
}
