// @ts-check
// presign: a query-signed URL for an object (any method) or for a listing, valid for up to 7 days:
// the console's limit, and S3's for a SigV4 presigned URL. Longer-lived access is a token's job.
import { CliError, EXIT } from "../lib/errors.mjs";
import { emitJson, say } from "../lib/output.mjs";
import { parseRemote } from "../lib/paths.mjs";
import { parseDuration, positiveInt } from "../lib/context.mjs";

const METHODS = ["GET", "HEAD", "PUT", "DELETE"];
/** The longest lifetime of a presigned URL, in seconds. */
export const MAX_PRESIGN_SECONDS = 7 * 86400;

/** @param {import("commander").Command} program @param {() => import("../lib/context.mjs").Context} context */
export function register(program, context) {
  program
    .command("presign")
    .description("print a presigned URL: anyone holding it may do this one request until it expires")
    .argument("<location>", "ufile://<bucket>/<key>, or ufile://<bucket>/<prefix> with --list")
    .option("-m, --method <method>", `HTTP method to allow: ${METHODS.join(", ")}`, "GET")
    .option("-e, --expires <duration>", "lifetime: seconds, or 10m, 2h, 7d, 1w (at most 7 days)", "1h")
    .option("--content-type <type>", "the Content-Type the request must send (PUT)")
    .option("--list", "a listing (PrefixFileList) of the objects under the prefix, instead of an object")
    .option("--limit <n>", "with --list: at most this many objects per page", positiveInt("--limit"), 1000)
    .addHelpText(
      "after",
      `\nExamples:
  curl "$(edgefile presign ufile://demo/docs/hello.txt)"
  curl -T hello.txt "$(edgefile presign ufile://demo/docs/hello.txt -m PUT -e 10m)"
  curl "$(edgefile presign ufile://demo/docs/ --list)"            # JSON listing of docs/`,
    )
    .action(async (location, opts) => {
      const at = parseRemote(location);
      const method = String(opts.method).toUpperCase();
      if (!METHODS.includes(method)) throw new CliError(`--method must be one of ${METHODS.join(", ")}`, EXIT.usage);
      const list = Boolean(opts.list) || at.key === "";
      if (list && method !== "GET") throw new CliError("a listing is presigned for GET only", EXIT.usage);
      const lifetime = parseDuration(opts.expires);
      if (lifetime > MAX_PRESIGN_SECONDS) {
        throw new CliError(
          `--expires ${opts.expires} is longer than 7 days, the longest a presigned URL lives (as in the console, and in S3); ` +
            "for lasting access give the client a token instead: edgefile token create --help",
          EXIT.usage,
        );
      }
      const expires = Math.floor(Date.now() / 1000) + lifetime;
      const url = await context().data.presign({ bucket: at.bucket, key: at.key, method, expires, contentType: opts.contentType, list, limit: opts.limit });
      emitJson({ url, method, expires });
      say(url);
    });
}
