// @ts-check
// Command-line locations: ufile://<bucket>/<key>, "-" (stdin/stdout), or a local path.
import { CliError, EXIT } from "./errors.mjs";

/**
 * @typedef {{ kind: "remote", bucket: string, key: string } | { kind: "local", path: string } | { kind: "stdio" }} Location
 */

/** @param {string} arg @returns {Location} */
export function parseLocation(arg) {
  if (arg === "-") return { kind: "stdio" };
  if (/^ufile:\/\//i.test(arg)) {
    const rest = arg.slice("ufile://".length);
    const slash = rest.indexOf("/");
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? "" : rest.slice(slash + 1);
    if (!bucket) throw new CliError(`no bucket in ${arg} (write ufile://<bucket>/<key>)`, EXIT.usage);
    return { kind: "remote", bucket, key };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) throw new CliError(`unsupported location ${arg} (use ufile://<bucket>/<key> or a local path)`, EXIT.usage);
  return { kind: "local", path: arg };
}

/** Parses an argument that must be remote. @param {string} arg @param {{ keyRequired?: boolean }} [opts] */
export function parseRemote(arg, opts = {}) {
  const loc = parseLocation(arg);
  if (loc.kind !== "remote") throw new CliError(`expected ufile://<bucket>/<key>, got ${arg}`, EXIT.usage);
  if (opts.keyRequired && !loc.key) throw new CliError(`no key in ${arg} (write ufile://<bucket>/<key>)`, EXIT.usage);
  return loc;
}

/**
 * The prefix a recursive command works under: "" or ending in "/", so that ufile://b/photos means the
 * folder photos/ and never also photos-old.txt. @param {string} key
 */
export const folderPrefix = (key) => (key === "" || key.endsWith("/") ? key : key + "/");

/** @param {string} bucket @param {string} key */
export const remoteUrl = (bucket, key) => `ufile://${bucket}/${key}`;

/**
 * A small glob for --exclude: `*` matches within one path segment, `**` across segments, `?` one character.
 * A pattern without "/" matches the file name anywhere in the tree (as rsync does).
 * @param {string} pattern
 * @returns {(relativePath: string) => boolean}
 */
export function globMatcher(pattern) {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*" && pattern[i + 1] === "*") {
      re += ".*";
      i++;
      if (pattern[i + 1] === "/") i++;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  const anchored = new RegExp(`^${re}$`);
  const anywhere = !pattern.includes("/");
  return (path) => anchored.test(path) || (anywhere && anchored.test(path.slice(path.lastIndexOf("/") + 1)));
}
