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
    checkBucketName(bucket);
    return { kind: "remote", bucket, key };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(arg)) throw new CliError(`unsupported location ${arg} (use ufile://<bucket>/<key> or a local path)`, EXIT.usage);
  return { kind: "local", path: arg };
}

const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/**
 * The service's bucket naming rules (docs/protocol.md §3.5), checked before any request so that a
 * name no bucket can have is reported as such, never as "no such bucket". @param {string} name
 */
export function checkBucketName(name) {
  const valid = name.length >= 3 && name.length <= 63 && !/^\d{1,3}(\.\d{1,3}){3}$/.test(name) && name.split(".").every((l) => LABEL.test(l));
  if (valid) return;
  const hint = name.toLowerCase().replace(/[^a-z0-9.-]+/g, "-").replace(/^[-.]+|[-.]+$/g, "");
  throw new CliError(
    `"${name}" is not a valid bucket name: 3-63 characters of lowercase letters, digits, "-" and ".", starting and ending with a letter or digit` +
      (hint.length >= 3 && hint !== name ? ` (for example ufile://${hint})` : ""),
    EXIT.usage,
  );
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
