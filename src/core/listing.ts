import type { Database } from "../store/db";
import { listObjects as listRows, prefixUpperBound, type ObjectRow } from "../store/objects";

/**
 * Directory-style listing shared by the fronts (UFile ListObjects, S3 ListObjects V1/V2): keys
 * after a marker, `prefix`-ed, rolled up into common prefixes at `delimiter`.
 */
export type ListEntry = { row: ObjectRow } | { commonPrefix: string };

/** At most this many index queries per ListObjects page (each common prefix skips ahead with one). */
const MAX_QUERIES = 50;

/**
 * One page of a directory-style listing. With delimiter `/`, keys below a common prefix are
 * skipped with one range query each (key ≥ the prefix's upper bound), so a page never reads
 * more than it returns plus one row per common prefix.
 */
export async function listPage(
  db: Database,
  bucketId: string,
  { prefix, marker, delimiter, maxKeys, listPrefixKey = false }: { prefix: string; marker: string; delimiter: string; maxKeys: number; listPrefixKey?: boolean },
): Promise<{ entries: ListEntry[]; truncated: boolean }> {
  const entries: ListEntry[] = [];
  let after = marker;
  let from: string | undefined;
  // A marker inside a common prefix already returned resumes after that whole prefix.
  const markerRest = marker.startsWith(prefix) ? marker.slice(prefix.length) : "";
  if (delimiter && markerRest.includes(delimiter)) from = prefixUpperBound(prefix + markerRest.slice(0, markerRest.indexOf(delimiter) + 1)) ?? undefined;
  for (let queries = 0; queries < MAX_QUERIES; queries++) {
    const want = maxKeys + 1 - entries.length;
    const rows = await listRows(db, bucketId, { prefix, after, from, limit: want });
    let skipped = false;
    for (const row of rows) {
      if (entries.length === maxKeys) return { entries, truncated: true };
      after = row.key;
      const rest = row.key.slice(prefix.length);
      if (delimiter) {
        // UFile leaves the "directory" key itself out; S3 lists it (`listPrefixKey`).
        if (rest === "" && prefix.endsWith(delimiter) && !listPrefixKey) continue;
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

