import { readPrefix } from "../body";
import { ApiError } from "../errors";
import { byteOrder } from "../signing.mjs";

/**
 * Control-plane parameters (docs/protocol.md §1.1, §3.1): the query string (form-decoded) merged
 * with a form or JSON body of a POST; the body wins. Values keep their JSON type so that the
 * signature can encode them the way the SDKs do (§3.2).
 */
export type ParamValue = string | number | boolean | null | ParamValue[] | { [k: string]: ParamValue };

export class Params {
  /**
   * @param problem why the request body's parameters could not be taken (too large, nested too deeply):
   *   a control-plane call answers it with 15017 before anything else.
   */
  constructor(
    readonly raw: Map<string, ParamValue>,
    readonly problem?: string,
  ) {}

  has(name: string): boolean {
    return this.raw.has(name);
  }

  /** The value as a string, or undefined when absent. */
  str(name: string): string | undefined {
    const v = this.raw.get(name);
    return v === undefined || v === null ? undefined : encodeValue(v);
  }

  /** A non-empty string, or undefined (SDKs send empty strings for unset optional fields). */
  nonEmpty(name: string): string | undefined {
    const v = this.str(name);
    return v === undefined || v === "" ? undefined : v;
  }

  /** The first non-empty of `names` (a name and its aliases), else MissingParameter (15002). */
  required(...names: string[]): string {
    for (const name of names) {
      const v = this.nonEmpty(name);
      if (v !== undefined) return v;
    }
    throw new ApiError("MissingParameter", `${names[0]} is required`);
  }

  /**
   * A whole number, undefined when absent or empty; not an integer → 15017; beyond ±2^53 (which no
   * parameter needs and SQL must never see) → 15018.
   */
  int(name: string): number | undefined {
    const v = this.nonEmpty(name);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v.trim())) throw new ApiError("InvalidParameter", `${name} must be an integer`);
    const n = Number(v.trim());
    if (!Number.isSafeInteger(n)) throw new ApiError("ParameterOutOfRange", `${name} is out of range`);
    return n;
  }

  /**
   * A list: `Name.0`, `Name.1`, … in numeric order, or a JSON array under `Name`.
   * Returns undefined when the list is absent altogether (so "not given" differs from "empty").
   */
  list(name: string): string[] | undefined {
    const direct = this.raw.get(name);
    if (Array.isArray(direct)) return direct.map(encodeValue);
    const indexed: [number, string][] = [];
    const prefix = name + ".";
    for (const [k, v] of this.raw) {
      if (k.startsWith(prefix) && /^\d+$/.test(k.slice(prefix.length))) {
        indexed.push([Number(k.slice(prefix.length)), encodeValue(v)]);
      }
    }
    if (indexed.length === 0) return typeof direct === "string" ? [direct] : undefined;
    return indexed.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  }
}

/** Encodes a value as the SDKs do when signing (docs/protocol.md §3.2). */
export function encodeValue(v: ParamValue): string {
  if (v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return formatNumber(v);
  if (Array.isArray(v)) return v.map(encodeValue).join("");
  return Object.keys(v)
    .sort(byteOrder)
    .map((k) => k + encodeValue(v[k]))
    .join("");
}

/** Integers print as integers (42.0 → "42"), never in scientific notation. */
function formatNumber(n: number): string {
  if (Number.isInteger(n)) return BigInt(n).toString();
  const s = String(n);
  return /e/i.test(s) ? n.toFixed(20).replace(/0+$/, "") : s;
}

/**
 * Form decoding: `+` is a space, then percent-decoding; malformed escapes are kept as they are. A
 * piece with neither (most names and values) is taken as it is.
 */
function formDecode(s: string): string {
  if (!s.includes("%") && !s.includes("+")) return s;
  const spaced = s.replace(/\+/g, " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/**
 * The `&`-separated `name=value` pairs of `text` from `from` on (empty pairs skipped, a pair without
 * `=` has an empty value), decoded into `into`: one pass over the text, nothing split off but the
 * names and values themselves.
 */
function parseForm(text: string, into: Map<string, ParamValue>, from = 0): void {
  let eq = -1; // the first `=` at or after `start`, once looked for (Infinity: none left)
  for (let start = from; start < text.length; ) {
    let end = text.indexOf("&", start);
    if (end < 0) end = text.length;
    if (end > start) {
      if (eq < start) eq = text.indexOf("=", start);
      if (eq < 0) eq = Infinity;
      if (eq < end) into.set(formDecode(text.slice(start, eq)), formDecode(text.slice(eq + 1, end)));
      else into.set(formDecode(text.slice(start, end)), "");
    }
    start = end + 1;
  }
}

function mediaType(request: Request): string {
  return (request.headers.get("Content-Type") ?? "").split(";")[0].trim().toLowerCase();
}

/** Parameter bodies are small; a larger form or JSON body is not read for parameters. */
export const MAX_PARAM_BODY_BYTES = 1024 * 1024;
/** No API parameter nests deeper than an array of objects; deeper JSON is refused, never walked. */
export const MAX_PARAM_DEPTH = 8;

/** Whether a parsed JSON value nests deeper than `max` (iterative: any depth is safe to check). */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth >= max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Whether a POST body may carry control-plane parameters. */
export function bodyMayHaveParams(request: Request): boolean {
  if (request.method !== "POST") return false;
  const type = mediaType(request);
  return type === "application/x-www-form-urlencoded" || type === "application/json";
}

/**
 * Reads the parameters; never throws. The query's are read at once: a request that cannot carry a
 * parameter body (nearly every one) gets its Params without a promise. The body is read from a
 * clone, so the original request stays readable for the data plane when there turns out to be no `Action`. At most MAX_PARAM_BODY_BYTES
 * are read, counted as they arrive whatever Content-Length says; a larger body adds nothing and
 * sets `problem`, as does JSON nested deeper than MAX_PARAM_DEPTH.
 */
export function readParams(request: Request, url: URL): Params | Promise<Params> {
  const map = new Map<string, ParamValue>();
  parseForm(url.search, map, 1); // after the `?`
  return bodyMayHaveParams(request) ? withBodyParams(request, map) : new Params(map);
}

// Decoded by hand: workerd warns when .text() is called on a form-encoded body.
const decoder = new TextDecoder();

/** `readParams` of a POST whose form or JSON body may carry parameters: the query's in `map`, the body's added. */
async function withBodyParams(request: Request, map: Map<string, ParamValue>): Promise<Params> {
  let body: { bytes: Uint8Array; complete: boolean };
  try {
    body = await readPrefix(request.clone().body, MAX_PARAM_BODY_BYTES);
  } catch {
    return new Params(map, "the request body could not be read");
  }
  const text = decoder.decode(body.bytes);
  const isJson = mediaType(request) === "application/json";
  if (!body.complete) {
    // Too large to take. A form body's leading names still tell whether this was meant for the control
    // plane (so that it is answered in the control envelope); no value is kept.
    const names = new Map<string, ParamValue>();
    if (!isJson) parseForm(text, names);
    if (names.has("Action")) map.set("Action", "");
    return new Params(map, `a parameter body is at most ${MAX_PARAM_BODY_BYTES} bytes`);
  }
  if (!isJson) {
    parseForm(text, map);
    return new Params(map);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return new Params(map); // a body that does not parse adds nothing (docs/protocol.md §1.1)
  }
  if (!json || typeof json !== "object" || Array.isArray(json)) return new Params(map);
  const deep = nestsDeeperThan(json, MAX_PARAM_DEPTH);
  for (const [k, v] of Object.entries(json as Record<string, ParamValue>)) {
    // Too deep: only the names are kept (so that `Action` still routes to the control plane), no value is walked.
    map.set(k, deep ? "" : v);
  }
  return deep ? new Params(map, `JSON parameters nest at most ${MAX_PARAM_DEPTH} levels deep`) : new Params(map);
}
