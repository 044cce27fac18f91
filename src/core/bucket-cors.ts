import { ApiError } from "../errors";
import { bucketRules, type CorsRule } from "../store/rules";

/**
 * A bucket's CORS rules at work (issue 22, docs/s3.md "CORS"), once for both fronts (UFile bucket
 * host, S3): S3's evaluation. The first rule whose AllowedOrigin matches the request's Origin and
 * whose AllowedMethod holds the (requested) method, and for a preflight whose AllowedHeader
 * patterns cover every requested header, decides. A bucket without rules keeps each front's
 * built-in permissive CORS (the callers check `hasCorsRules` first).
 */

type RuleColumns = Parameters<typeof bucketRules>[0];

export const hasCorsRules = (bucket: RuleColumns): boolean => bucketRules(bucket).cors.length > 0;

/** S3 patterns: at most one `*`, which matches any run of characters. */
function wildcard(pattern: string, value: string): boolean {
  const star = pattern.indexOf("*");
  if (star < 0) return pattern === value;
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return value.length >= head.length + tail.length && value.startsWith(head) && value.endsWith(tail);
}

const listHeader = (value: string | null): string[] =>
  (value ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

function matchingRule(rules: CorsRule[], origin: string, method: string, requestHeaders: string[]): CorsRule | undefined {
  return rules.find(
    (r) =>
      r.allowedOrigins.some((o) => wildcard(o, origin)) &&
      r.allowedMethods.includes(method) &&
      requestHeaders.every((h) => r.allowedHeaders.some((p) => wildcard(p.toLowerCase(), h))),
  );
}

const allowOrigin = (rule: CorsRule, origin: string): string => (rule.allowedOrigins.includes("*") ? "*" : origin);

/** The answer to a preflight (OPTIONS) on a bucket with rules; a request no rule allows is 403 CorsForbidden. */
export function rulePreflight(bucket: RuleColumns, request: Request): Response {
  const origin = request.headers.get("Origin");
  const method = request.headers.get("Access-Control-Request-Method");
  if (!origin || !method) throw new ApiError("CorsForbidden", "a preflight needs Origin and Access-Control-Request-Method");
  const requested = listHeader(request.headers.get("Access-Control-Request-Headers"));
  const rule = matchingRule(bucketRules(bucket).cors, origin, method.toUpperCase(), requested);
  if (!rule) throw new ApiError("CorsForbidden");
  const headers = new Headers({
    "Access-Control-Allow-Origin": allowOrigin(rule, origin),
    "Access-Control-Allow-Methods": rule.allowedMethods.join(", "),
    Vary: "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
  });
  if (requested.length > 0) headers.set("Access-Control-Allow-Headers", requested.join(", "));
  if (rule.exposeHeaders.length > 0) headers.set("Access-Control-Expose-Headers", rule.exposeHeaders.join(", "));
  if (rule.maxAgeSeconds !== null) headers.set("Access-Control-Max-Age", String(rule.maxAgeSeconds));
  return new Response(null, { status: 200, headers });
}

/**
 * The CORS headers of an actual response on a bucket with rules: the built-in ones are removed,
 * and those of the rule matching Origin and method (if any) set. `headers` must be mutable.
 */
export function applyCorsRules(bucket: RuleColumns, request: Request, headers: Headers): void {
  for (const h of ["Access-Control-Allow-Origin", "Access-Control-Expose-Headers", "Access-Control-Allow-Methods", "Access-Control-Max-Age"]) headers.delete(h);
  headers.append("Vary", "Origin");
  const origin = request.headers.get("Origin");
  if (!origin) return;
  const rule = matchingRule(bucketRules(bucket).cors, origin, request.method, []);
  if (!rule) return;
  headers.set("Access-Control-Allow-Origin", allowOrigin(rule, origin));
  headers.set("Access-Control-Allow-Methods", rule.allowedMethods.join(", "));
  if (rule.exposeHeaders.length > 0) headers.set("Access-Control-Expose-Headers", rule.exposeHeaders.join(", "));
}
