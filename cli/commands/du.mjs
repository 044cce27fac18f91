// @ts-check
// du: size and object count per folder under a prefix, like `du -d1`.
import { emitJson, humanSize, say, table } from "../lib/output.mjs";
import { folderPrefix, parseRemote, remoteUrl } from "../lib/paths.mjs";
import { positiveInt } from "../lib/context.mjs";

/** @param {import("commander").Command} program @param {() => import("../lib/context.mjs").Context} context */
export function register(program, context) {
  program
    .command("du")
    .description("size and object count of each folder under a prefix (and the total)")
    .argument("<location>", "ufile://<bucket>[/<prefix>]")
    .option("-d, --depth <n>", "folder levels to break the total down into", positiveInt("--depth"), 1)
    .option("-s, --summarize", "only the total")
    .option("--bytes", "exact sizes in bytes instead of KiB/MiB/GiB")
    .addHelpText("after", "\nExamples:\n  edgefile du ufile://photos            # one line per top-level folder, then the total\n  edgefile du -d 2 ufile://photos/2026/")
    .action(async (location, opts) => {
      const at = parseRemote(location);
      const prefix = folderPrefix(at.key);
      /** @type {Map<string, { bytes: number, objects: number }>} */
      const groups = new Map();
      const total = { bytes: 0, objects: 0 };
      for await (const page of context().data.list(at.bucket, { prefix })) {
        for (const o of page.objects) {
          total.bytes += o.size;
          total.objects++;
          if (opts.summarize) continue;
          const group = groupOf(o.key.slice(prefix.length), opts.depth);
          const g = groups.get(group) ?? { bytes: 0, objects: 0 };
          g.bytes += o.size;
          g.objects++;
          groups.set(group, g);
        }
      }
      const size = (/** @type {number} */ n) => (opts.bytes ? String(n) : humanSize(n));
      const rows = [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      emitJson({
        bucket: at.bucket,
        prefix,
        folders: rows.map(([folder, g]) => ({ prefix: prefix + folder, ...g })),
        total,
      });
      const lines = rows.map(([folder, g]) => [size(g.bytes), `${g.objects}`, remoteUrl(at.bucket, prefix + folder) + (folder === "" ? " (objects at this level)" : "")]);
      lines.push([size(total.bytes), `${total.objects}`, `${remoteUrl(at.bucket, prefix)} (total)`]);
      say(table([["SIZE", "OBJECTS", "PREFIX"], ...lines], [0, 1]));
    });
}

/**
 * The folder a key belongs to, `depth` levels down ("" for a key at this level).
 * @param {string} rel the key below the prefix @param {number} depth
 */
function groupOf(rel, depth) {
  const parts = rel.split("/");
  const folders = parts.slice(0, -1).slice(0, depth);
  return folders.length ? folders.join("/") + "/" : "";
}
