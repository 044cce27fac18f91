import { ApiError } from "../errors";

/**
 * Control-plane parameters (PROTOCOL.md §1.1, §3.1): the query string (form-decoded) merged
 * with a form or JSON body of a POST; the body wins. Values keep their JSON type so that the
 * signature can encode them the way the SDKs do (§3.2).
 */
export type ParamValue = string | number | boolean | null | ParamValue[] | { [k: string]: ParamValue };

export class Params {
  constructor(readonly raw: Map<string, ParamValue>) {}

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

  /** A whole number, undefined when absent or empty, or an InvalidParameter (15017) error. */
  int(name: string): number | undefined {
    const v = this.nonEmpty(name);
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v.trim())) throw new ApiError("InvalidParameter", `${name} must be an integer`);
    return Number(v.trim());
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

/** Encodes a value as the SDKs do when signing (PROTOCOL.md §3.2). */
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

/** Plain byte-order comparison (UTF-16 code-unit order equals byte order for the BMP). */
export const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Form decoding: `+` is a space, then percent-decoding; malformed escapes are kept as they are. */
function formDecode(s: string): string {
  const spaced = s.replace(/\+/g, " ");
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

function parseForm(text: string, into: Map<string, ParamValue>): void {
  for (const pair of text.split("&")) {
    if (!pair) continue;
    const eq = pair.indexOf("=");
    const k = formDecode(eq < 0 ? pair : pair.slice(0, eq));
    const v = eq < 0 ? "" : formDecode(pair.slice(eq + 1));
    into.set(k, v);
  }
}

function mediaType(request: Request): string {
  return (request.headers.get("Content-Type") ?? "").split(";")[0].trim().toLowerCase();
}

/** Parameter bodies are small; a larger form or JSON body is not read for parameters. */
const MAX_PARAM_BODY_BYTES = 1024 * 1024;

/** Whether a POST body may carry control-plane parameters. */
export function bodyMayHaveParams(request: Request): boolean {
  if (request.method !== "POST") return false;
  const type = mediaType(request);
  return type === "application/x-www-form-urlencoded" || type === "application/json";
}

/**
 * Reads the parameters. The body is read from a clone, so the original request stays
 * readable for the data plane when there turns out to be no `Action`.
 */
export async function readParams(request: Request, url: URL): Promise<Params> {
  const map = new Map<string, ParamValue>();
  parseForm(url.search.slice(1), map);
  if (bodyMayHaveParams(request) && Number(request.headers.get("Content-Length") ?? 0) <= MAX_PARAM_BODY_BYTES) {
    // Decoded by hand: workerd warns when .text() is called on a form-encoded body.
    const text = new TextDecoder().decode(await request.clone().arrayBuffer());
    if (mediaType(request) === "application/json") {
      try {
        const body: unknown = JSON.parse(text);
        if (body && typeof body === "object" && !Array.isArray(body)) {
          for (const [k, v] of Object.entries(body as Record<string, ParamValue>)) map.set(k, v);
        }
      } catch {
        // A body that does not parse adds nothing (PROTOCOL.md §1.1).
      }
    } else {
      parseForm(text, map);
    }
  }
  return new Params(map);
}
