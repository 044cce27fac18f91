import { ApiError } from "../errors";
import type { CorsRule, LifecycleRule, RefererRule } from "../store/rules";
import { TAG_CHARS, TAG_LIMITS } from "./tags";

/**
 * What makes a bucket rule acceptable, once for every front (docs/protocol.md §3.6): the UFile
 * control plane and the S3 front parse their own wire format into src/store/rules.ts's shapes and
 * call these checks, which throw the one error table's entries (each front renders them its way).
 */

/** Most lifecycle rules and CORS rules one bucket holds (S3's limits). */
export const MAX_LIFECYCLE_RULES = 1000;
export const MAX_CORS_RULES = 100;
/** The referer list: at most this many expressions of at most this many characters each. */
export const MAX_REFERERS = 100;
export const MAX_REFERER_LENGTH = 256;
/** Longest rule id, name or prefix (S3's rule ID limit; a key is at most 1024 bytes). */
const MAX_ID_LENGTH = 255;
const MAX_PREFIX_LENGTH = 1024;
/** Days beyond 100 years are refused (US3's upper bound). */
export const MAX_DAYS = 36_500;
/** Lifecycle dates are midnights UTC: multiples of a day in unix seconds. */
const DAY = 86_400;

/** Checks one lifecycle rule; `minDays` is the front's smallest non-zero day count (US3: 7, S3: 1). */
export function checkLifecycleRule(rule: LifecycleRule, minDays: number): void {
  if (rule.id === "" || rule.id.length > MAX_ID_LENGTH) throw new ApiError("InvalidParameter", `a rule id has 1 to ${MAX_ID_LENGTH} characters`);
  if (rule.name.length > MAX_ID_LENGTH) throw new ApiError("InvalidParameter", `a rule name has at most ${MAX_ID_LENGTH} characters`);
  if (rule.prefix.length > MAX_PREFIX_LENGTH) throw new ApiError("InvalidParameter", `a prefix has at most ${MAX_PREFIX_LENGTH} characters`);
  checkLifecycleFilter(rule);
  // The upload abort is S3's alone, with S3's range whatever the front that checks the rule.
  const days: [string, number, number][] = [
    ["expiration", rule.expireDays, minDays],
    ["IA", rule.iaDays, minDays],
    ["archive", rule.archiveDays, minDays],
    ["abort-upload", rule.abortUploadDays, 1],
  ];
  for (const [what, n, min] of days) {
    if (!Number.isSafeInteger(n) || (n !== 0 && (n < min || n > MAX_DAYS))) {
      throw new ApiError("ParameterOutOfRange", `${what} days must be 0 (off) or in [${min}, ${MAX_DAYS}], not ${n}`);
    }
  }
  const dates = [rule.iaDate ?? 0, rule.archiveDate ?? 0, rule.expireDate ?? 0];
  for (const d of dates) {
    if (!Number.isSafeInteger(d) || d < 0 || d % DAY !== 0) throw new ApiError("InvalidParameter", "a lifecycle date must be a midnight UTC");
  }
  const byDays = [rule.iaDays, rule.archiveDays, rule.expireDays];
  if (byDays.some((n) => n > 0) && dates.some((d) => d > 0)) {
    throw new ApiError("InvalidParameter", "a rule's expiration and transitions are all by days or all by date, not both");
  }
  if (!byDays.some((n) => n > 0) && !dates.some((d) => d > 0) && rule.abortUploadDays === 0 && !rule.expiredObjectDeleteMarker) {
    throw new ApiError("InvalidParameter", "a lifecycle rule needs at least one action: expiration, IA or archive days");
  }
  // A later step of the same object must come later: IA, then archive, then deletion.
  for (const [steps, unit] of [[byDays, "days"], [dates, "dates"]] as const) {
    const set = steps.filter((n) => n > 0);
    if (set.some((n, i) => i > 0 && n <= set[i - 1])) {
      throw new ApiError("InvalidParameter", `IA ${unit} < archive ${unit} < expiration ${unit} is required among those that are set`);
    }
  }
}

/** A rule's filter: tags with S3's limits and characters (no object could carry another tag) and distinct keys, size bounds that leave some size, and no upload abort or delete-marker cleanup by tags or size (as S3). */
function checkLifecycleFilter(rule: LifecycleRule): void {
  const tags = rule.tags ?? [];
  const keys = new Set<string>();
  for (const { Key, Value } of tags) {
    if (Key === "" || [...Key].length > TAG_LIMITS.keyChars || [...Value].length > TAG_LIMITS.valueChars) {
      throw new ApiError("InvalidParameter", `a filter tag has a key of 1 to ${TAG_LIMITS.keyChars} characters and a value of at most ${TAG_LIMITS.valueChars}`);
    }
    if (!TAG_CHARS.test(Key) || !TAG_CHARS.test(Value)) throw new ApiError("InvalidParameter", "a filter tag may hold letters, digits, spaces and + - = . _ : / @");
    if (keys.has(Key)) throw new ApiError("InvalidParameter", `Duplicate Tag Keys are not allowed: ${Key}`);
    keys.add(Key);
  }
  const { sizeGreaterThan: gt, sizeLessThan: lt } = rule;
  for (const n of [gt, lt]) {
    if (n !== undefined && (!Number.isSafeInteger(n) || n < 0)) throw new ApiError("InvalidParameter", "object size bounds are whole numbers of bytes, 0 or more");
  }
  if (gt !== undefined && lt !== undefined && gt >= lt) throw new ApiError("InvalidParameter", "ObjectSizeGreaterThan must be less than ObjectSizeLessThan");
  const filtered = tags.length > 0 || gt !== undefined || lt !== undefined;
  if (filtered && rule.abortUploadDays > 0) throw new ApiError("InvalidParameter", "AbortIncompleteMultipartUpload cannot be specified with Tags or object size filters");
  if (filtered && rule.expiredObjectDeleteMarker) throw new ApiError("InvalidParameter", "ExpiredObjectDeleteMarker cannot be specified with Tags or object size filters");
}

/** Checks a whole rule set: its size, every rule, distinct ids. */
export function checkLifecycleRules(rules: LifecycleRule[], minDays: number): void {
  if (rules.length > MAX_LIFECYCLE_RULES) throw new ApiError("ParameterOutOfRange", `a bucket holds at most ${MAX_LIFECYCLE_RULES} lifecycle rules`);
  const ids = new Set<string>();
  for (const rule of rules) {
    checkLifecycleRule(rule, minDays);
    if (ids.has(rule.id)) throw new ApiError("InvalidParameter", `rule id ${rule.id} is used twice`);
    ids.add(rule.id);
  }
}

/**
 * A nested quantifier (`(a+)+`, `(a*)*`, `(a|aa){2,}`…) can make a regular expression take
 * exponential time on a crafted Referer; such expressions are refused rather than run.
 */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{?]/;

/** Checks the referer rule's expressions: each compiles, has no `;` (US3) and no nested quantifier. */
export function checkRefererRule(rule: RefererRule): void {
  if (rule.referers.length > MAX_REFERERS) throw new ApiError("ParameterOutOfRange", `at most ${MAX_REFERERS} referers`);
  for (const pattern of rule.referers) {
    if (pattern === "" || pattern.length > MAX_REFERER_LENGTH) {
      throw new ApiError("InvalidParameter", `a referer expression has 1 to ${MAX_REFERER_LENGTH} characters`);
    }
    if (pattern.includes(";")) throw new ApiError("InvalidParameter", `a referer expression may not contain ';': ${pattern}`);
    if (NESTED_QUANTIFIER.test(pattern)) throw new ApiError("InvalidParameter", `nested quantifiers are not accepted in a referer expression: ${pattern}`);
    try {
      new RegExp(pattern);
    } catch {
      throw new ApiError("InvalidParameter", `not a valid regular expression: ${pattern}`);
    }
  }
  if (rule.type === 2 && rule.referers.length === 0 && !rule.allowEmpty) {
    throw new ApiError("InvalidParameter", "a whitelist without referers that refuses empty referers would refuse every read; set Referers");
  }
}

const CORS_METHODS = new Set(["GET", "PUT", "POST", "DELETE", "HEAD"]);
/** Header names and origins: printable ASCII without spaces, at most one `*`. */
const TOKEN = /^[\x21-\x7e]+$/;

/** Checks CORS rules as S3 does: methods among GET PUT POST DELETE HEAD, origins and headers with at most one `*`. */
export function checkCorsRules(rules: CorsRule[]): void {
  if (rules.length > MAX_CORS_RULES) throw new ApiError("ParameterOutOfRange", `a bucket holds at most ${MAX_CORS_RULES} CORS rules`);
  for (const rule of rules) {
    if (rule.id.length > MAX_ID_LENGTH) throw new ApiError("InvalidParameter", `a CORS rule ID has at most ${MAX_ID_LENGTH} characters`);
    if (rule.allowedOrigins.length === 0 || rule.allowedMethods.length === 0) {
      throw new ApiError("InvalidParameter", "a CORS rule needs at least one AllowedOrigin and one AllowedMethod");
    }
    for (const m of rule.allowedMethods) {
      if (!CORS_METHODS.has(m)) throw new ApiError("InvalidParameter", `Found unsupported HTTP method in CORS config. Unsupported method is ${m}`);
    }
    for (const v of [...rule.allowedOrigins, ...rule.allowedHeaders]) {
      if (!TOKEN.test(v) || v.split("*").length > 2) throw new ApiError("InvalidParameter", `"${v}" may contain at most one wildcard and no spaces`);
    }
    for (const h of rule.exposeHeaders) {
      if (!TOKEN.test(h) || h.includes("*")) throw new ApiError("InvalidParameter", `ExposeHeader "${h}" contains wildcard or spaces. We currently do not support wildcard for ExposeHeader.`);
    }
    if (rule.maxAgeSeconds !== null && (!Number.isSafeInteger(rule.maxAgeSeconds) || rule.maxAgeSeconds < 0)) {
      throw new ApiError("InvalidParameter", "MaxAgeSeconds must be a non-negative integer");
    }
  }
}
