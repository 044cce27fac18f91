import { ApiError } from "../errors";
import { bucketRules, type RefererRule } from "../store/rules";

/**
 * The referer (anti-leech) rule at work (issue 22, docs/protocol.md §3.6.2), for every front: an
 * anonymous or presigned read of a bucket with a rule passes only if its `Referer` header does. A
 * signed request (Authorization header) is not subject to it, as in US3: the key holder is the owner.
 *
 * Each expression is matched anywhere in the header value (a JavaScript regular expression, not
 * anchored; write `^https://example\.com/` to anchor it). Blacklist (1): a matching Referer is
 * refused. Whitelist (2): only a matching Referer passes. A missing or empty Referer passes exactly
 * when `allowEmpty` holds, for both types.
 */

/** Compiled expressions per rule object (rules are parsed once per cached bucket row). */
const compiled = new WeakMap<RefererRule, RegExp[]>();

/** Referers longer than this are judged on their first this-many characters. */
const MAX_TESTED = 2048;

export function refererAllows(rule: RefererRule, referer: string | null): boolean {
  const value = (referer ?? "").trim().slice(0, MAX_TESTED);
  if (value === "") return rule.allowEmpty;
  let patterns = compiled.get(rule);
  if (!patterns) {
    patterns = rule.referers.flatMap((p) => {
      try {
        return [new RegExp(p)];
      } catch {
        return []; // refused when written (core/rules.ts); a stored one that does not compile matches nothing
      }
    });
    compiled.set(rule, patterns);
  }
  const matches = patterns.some((re) => re.test(value));
  return rule.type === 1 ? !matches : matches;
}

/** Throws RefererDenied (403 in the front's format) when the bucket's rule refuses this request's Referer. */
export function assertRefererAllowed(bucket: Parameters<typeof bucketRules>[0], request: Request): void {
  const rule = bucketRules(bucket).referer;
  if (rule && !refererAllows(rule, request.headers.get("Referer"))) {
    throw new ApiError("RefererDenied", "the bucket's referer rule refuses this Referer");
  }
}
