import { ApiError } from "../errors";
import { bucketRules, type CorsRule } from "../store/rules";

/**
 * CORS for browsers (docs/protocol.md §10, docs/s3.md "CORS"), once for both fronts.
 *
 * - A bucket with CORS rules (S3 PutBucketCors; src/store/rules.ts) is answered by its rules, as S3
 *   evaluates them: the first rule whose AllowedOrigin matches the Origin and whose AllowedMethod
 *   holds the (requested) method, and for a preflight whose AllowedHeader patterns cover every
 *   requested header, decides; a preflight no rule allows is 403, an actual response without a
 *   matching rule carries no CORS headers.
 * - Otherwise (no rules, or no bucket): the built-in permissive answer. Every response exposes the
 *   headers the front's browser clients read; credentials are signatures, never cookies, so `*` is
 *   safe. Each front names its policy: the methods it allows and the headers it exposes.
 */
export interface CorsPolicy {
  readonly methods: string;
  readonly exposed: string;
}

/** The UFile data plane: the browser SDK reads the session, range, storage-class and bookmark headers. */
export const UFILE_CORS: CorsPolicy = {
  methods: "GET, HEAD, PUT, POST, DELETE, OPTIONS",
  exposed:
    "ETag, X-SessionId, Content-Range, Content-Length, X-Ufile-Storage-Class, X-Ufile-Restore, X-Ufile-Create-Time, X-Edgefile-Bookmark",
};

/** The S3 front: the AWS browser SDK reads the request id, checksums, storage class and user metadata; edgefile clients the bookmark. */
export const S3_CORS: CorsPolicy = {
  methods: "GET, HEAD, PUT, POST, DELETE",
  exposed:
    "ETag, x-amz-request-id, x-amz-version-id, Content-Range, Content-Length, x-amz-checksum-crc32, x-amz-checksum-crc32c, x-amz-checksum-sha1, x-amz-checksum-sha256, x-amz-storage-class, x-amz-meta-*, X-Edgefile-Bookmark",
};

/**
 * A preflight names its origin and method: one without `Origin` or `Access-Control-Request-Method`
 * is not a CORS preflight and is refused (400, as S3).
 */
function preflightRequest(request: Request): { origin: string; method: string } {
  const origin = request.headers.get("Origin");
  if (!origin) throw new ApiError("InvalidRequest", "Insufficient information. Origin request header needed.");
  const method = request.headers.get("Access-Control-Request-Method");
  if (!method) throw new ApiError("InvalidRequest", "Insufficient information. Access-Control-Request-Method request header needed.");
  return { origin, method: method.toUpperCase() };
}

/** A preflight (`OPTIONS`) answer with the built-in permissive headers. */
export function preflight(request: Request, policy: CorsPolicy = UFILE_CORS): Response {
  preflightRequest(request);
  return new Response(null, {
    status: 200,
    headers: {
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Allow-Methods": policy.methods,
      "Access-Control-Allow-Headers": request.headers.get("Access-Control-Request-Headers") ?? "*",
      "Access-Control-Max-Age": "86400",
      "Access-Control-Expose-Headers": policy.exposed,
    },
  });
}

/** Adds the CORS headers; a response with immutable headers (a fetched one) is copied first. */
export function withCors(response: Response, policy: CorsPolicy = UFILE_CORS): Response {
  let out = response;
  try {
    out.headers.set("Access-Control-Allow-Origin", "*");
  } catch {
    out = new Response(response.body, response);
    out.headers.set("Access-Control-Allow-Origin", "*");
  }
  out.headers.set("Access-Control-Expose-Headers", policy.exposed);
  return out;
}

// ───────────────────────── a bucket's own rules ─────────────────────────

type RuleColumns = Parameters<typeof bucketRules>[0];

const hasCorsRules = (bucket: RuleColumns): boolean => bucketRules(bucket).cors.length > 0;

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
function rulePreflight(bucket: RuleColumns, request: Request): Response {
  const { origin, method } = preflightRequest(request);
  const requested = listHeader(request.headers.get("Access-Control-Request-Headers"));
  const rule = matchingRule(bucketRules(bucket).cors, origin, method, requested);
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
function applyCorsRules(bucket: RuleColumns, request: Request, headers: Headers): void {
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

/**
 * A preflight about `bucket` (null: no bucket addressed): its rules when it has some, else the
 * built-in answer. A refused preflight is the front's error answer (`refusal`) without any CORS
 * header, as S3: it allows nothing.
 */
export function bucketPreflight(request: Request, policy: CorsPolicy, bucket: RuleColumns | null, refusal: (err: ApiError) => Response): Response {
  try {
    return bucket && hasCorsRules(bucket) ? rulePreflight(bucket, request) : preflight(request, policy);
  } catch (err) {
    if (err instanceof ApiError) return refusal(err);
    throw err;
  }
}

/** `withCors` for a response about `bucket`: its rules decide when it has some. */
export function withBucketCors(response: Response, policy: CorsPolicy, request: Request, bucket: RuleColumns | undefined): Response {
  const out = withCors(response, policy);
  if (bucket && hasCorsRules(bucket)) applyCorsRules(bucket, request, out.headers);
  return out;
}
