import { ApiError } from "../errors";
import { getObject, type ObjectRow } from "../store/objects";
import type { DataContext, Query } from "./operation-spec";

export type { DataContext, Query } from "./operation-spec";


/** Form-decodes the query (docs/protocol.md §1.3); malformed percent-encoding → 400. First value wins. */
export function parseQuery(url: URL): Query {
  const query: Query = new Map();
  for (const pair of url.search.slice(1).split("&")) {
    if (!pair) continue;
    const eq = pair.indexOf("=");
    const name = formDecode(eq < 0 ? pair : pair.slice(0, eq));
    if (!query.has(name)) query.set(name, eq < 0 ? "" : formDecode(pair.slice(eq + 1)));
  }
  return query;
}

function formDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    throw new ApiError("InvalidRequest", "malformed percent-encoding in the query");
  }
}

/** The key: the path without its leading `/`, percent-decoded once (a literal `+` stays `+`). */
export function parseKey(url: URL): string {
  try {
    return decodeURIComponent(url.pathname.slice(1));
  } catch {
    throw new ApiError("InvalidRequest", "malformed percent-encoding in the key");
  }
}

/**
 * A whole-number query parameter: `fallback` when absent or empty; below `min` or not digits
 * → 400; above `max` → capped (a paging client asking for too much gets a full page) or 400.
 */
export function wholeNumberParam(
  c: Pick<DataContext, "query">,
  name: string,
  opts: { fallback: number; max: number; min?: number; aboveMax: "cap" | "refuse" },
): number {
  const raw = c.query.get(name);
  if (raw === undefined || raw === "") return opts.fallback;
  const min = opts.min ?? 0;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new ApiError("InvalidRequest", `${name} must be a whole number of at least ${min}`);
  const n = Number(raw);
  if (n <= opts.max) return n;
  if (opts.aboveMax === "cap") return opts.max;
  throw new ApiError("InvalidRequest", `${name} is at most ${opts.max}`);
}

/** A per-request lookup shared by an operation's access check and its handler (computed once per request). */
export function memo<T>(compute: (c: DataContext) => Promise<T>): (c: DataContext) => Promise<T> {
  const cache = new WeakMap<DataContext, Promise<T>>();
  return (c) => {
    let hit = cache.get(c);
    if (!hit) cache.set(c, (hit = compute(c)));
    return hit;
  };
}

/** The object row of the request's key as the request found it (one D1 read, shared by access check and handler). */
export const requestedObject = memo((c: DataContext): Promise<ObjectRow | null> => getObject(c.db, c.bucket.id, c.key));
