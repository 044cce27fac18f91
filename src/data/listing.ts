import { ApiError } from "../errors";
import { listObjects as listRows, prefixUpperBound, type ObjectRow } from "../store/objects";
import { wholeNumberParam, type DataContext } from "./context";
import { parseUserMeta, restoreStatus } from "./object-headers";
import { json } from "../responses";

/** PrefixFileList (`?list`) and ListObjects (`?listobjects`): spec 000 §5, PROTOCOL.md §5.10. */

export async function prefixFileList(c: DataContext): Promise<Response> {
  const prefix = c.query.get("prefix") ?? "";
  const marker = c.query.get("marker") ?? "";
  // Default 20 (spec); capped at 1000 rather than refused, as a paging client expects.
  const limit = wholeNumberParam(c, "limit", { fallback: 20, max: 1000, aboveMax: "cap" });
  const rows = await listRows(c.db, c.bucket.id, { prefix, after: marker, limit: limit + 1 });
  const page = rows.slice(0, limit);
  return json({
    BucketName: c.bucket.name,
    BucketId: c.bucket.id,
    NextMarker: rows.length > limit && page.length > 0 ? page[page.length - 1].key : "",
    DataSet: page.map((r) => ({
      BucketName: c.bucket.name,
      FileName: r.key,
      Hash: r.etag,
      MimeType: r.mime,
      Size: r.size,
      CreateTime: r.createdAt,
      ModifyTime: r.modifiedAt,
      StorageClass: r.storageClass,
      RestoreStatus: restoreStatus(r, c.now),
    })),
  });
}

type Entry = { row: ObjectRow } | { commonPrefix: string };

/** At most this many index queries per ListObjects page (each common prefix skips ahead with one). */
const MAX_QUERIES = 50;

/**
 * One page of a directory-style listing. With delimiter `/`, keys below a common prefix are
 * skipped with one range query each (key ≥ the prefix's upper bound), so a page never reads
 * more than it returns plus one row per common prefix.
 */
async function listPage(c: DataContext, prefix: string, marker: string, delimiter: string, maxKeys: number) {
  const entries: Entry[] = [];
  let after = marker;
  let from: string | undefined;
  // A marker inside a common prefix already returned resumes after that whole prefix.
  const markerRest = marker.startsWith(prefix) ? marker.slice(prefix.length) : "";
  if (delimiter && markerRest.includes(delimiter)) from = prefixUpperBound(prefix + markerRest.slice(0, markerRest.indexOf(delimiter) + 1)) ?? undefined;
  for (let queries = 0; queries < MAX_QUERIES; queries++) {
    const want = maxKeys + 1 - entries.length;
    const rows = await listRows(c.db, c.bucket.id, { prefix, after, from, limit: want });
    let skipped = false;
    for (const row of rows) {
      if (entries.length === maxKeys) return { entries, truncated: true };
      after = row.key;
      const rest = row.key.slice(prefix.length);
      if (delimiter) {
        if (rest === "" && prefix.endsWith(delimiter)) continue; // the "directory" key itself is not listed
        const cut = rest.indexOf(delimiter);
        if (cut >= 0) {
          const commonPrefix = prefix + rest.slice(0, cut + delimiter.length);
          entries.push({ commonPrefix });
          const next = prefixUpperBound(commonPrefix);
          if (next === null) return { entries, truncated: false };
          from = next;
          skipped = true;
          break;
        }
      }
      entries.push({ row });
    }
    if (!skipped && rows.length < want) return { entries, truncated: false };
  }
  return { entries, truncated: true };
}

export async function listObjects(c: DataContext): Promise<Response> {
  const prefix = c.query.get("prefix") ?? "";
  const marker = c.query.get("marker") ?? "";
  const delimiter = c.query.get("delimiter") ?? "";
  if (delimiter !== "" && delimiter !== "/") throw new ApiError("InvalidRequest", 'delimiter is "" or "/"');
  const maxKeys = wholeNumberParam(c, "max-keys", { fallback: 100, max: 1000, aboveMax: "refuse" });
  const { entries, truncated } = await listPage(c, prefix, marker, delimiter, maxKeys);
  const last = entries[entries.length - 1];
  return json({
    Name: c.bucket.name,
    Prefix: prefix,
    MaxKeys: String(maxKeys),
    Delimiter: delimiter,
    IsTruncated: truncated,
    NextMarker: truncated && last ? ("row" in last ? last.row.key : last.commonPrefix) : "",
    Contents: entries.flatMap((e) =>
      "row" in e
        ? [
            {
              Key: e.row.key,
              MimeType: e.row.mime,
              ETag: e.row.etag,
              Size: String(e.row.size),
              StorageClass: e.row.storageClass,
              LastModified: e.row.modifiedAt,
              CreateTime: e.row.createdAt,
              UserMeta: parseUserMeta(e.row.userMeta),
            },
          ]
        : [],
    ),
    CommonPrefixes: entries.flatMap((e) => ("commonPrefix" in e ? [{ Prefix: e.commonPrefix }] : [])),
  });
}
