import type { LifecycleRule } from "../store/rules";
import type { Tag } from "./tags";

/**
 * Which objects a lifecycle rule applies to, and when its actions fall due (docs/rules.md), once
 * for the cron's pass (core/lifecycle.ts) and for the expiration S3 announces on writes and reads
 * (`x-amz-expiration`), so that both always agree, whichever front wrote the object.
 *
 * Days count as S3 counts them: an action of N days falls due at the first midnight UTC at or after
 * the object's last update plus N days. A dated action falls due at its date for every matching
 * object, whatever its age. `day` is the length of a day in seconds: 86 400, or the development
 * setting LIFECYCLE_DEBUG_DAY_SECONDS, whose "midnights" are then the multiples of that length.
 */

/** What a rule looks at in an object: its key, size and tags (the stored JSON array). */
export interface LifecycleSubject {
  key: string;
  size: number;
  tags: string;
}

/** The stored tags of an object; an unreadable value counts as no tags. */
function tagsOf(stored: string): Tag[] {
  try {
    const tags = JSON.parse(stored) as unknown;
    return Array.isArray(tags) ? (tags as Tag[]) : [];
  } catch {
    return [];
  }
}

/** Does `rule`'s filter take this object: its prefix, every one of its tags, and its size bounds (strict)? */
export function ruleApplies(rule: LifecycleRule, object: LifecycleSubject, tags?: Tag[]): boolean {
  if (!object.key.startsWith(rule.prefix)) return false;
  if (rule.sizeGreaterThan !== undefined && !(object.size > rule.sizeGreaterThan)) return false;
  if (rule.sizeLessThan !== undefined && !(object.size < rule.sizeLessThan)) return false;
  if (!rule.tags?.length) return true;
  // The object's tags are parsed only for a rule that filters by them (`tags`: already parsed).
  const have = tags ?? tagsOf(object.tags);
  return rule.tags.every((want) => have.some((t) => t.Key === want.Key && t.Value === want.Value));
}

/** Does any rule of the set filter by tags (then a tag change must be re-checked before acting)? */
export const filtersByTags = (rules: readonly LifecycleRule[]): boolean => rules.some((r) => (r.tags ?? []).length > 0);

/** When an action of `days` days falls due for an object last updated at `modifiedAt` (0 days: never). */
export function dueAfterDays(modifiedAt: number, days: number, day: number): number {
  return days > 0 ? Math.ceil((modifiedAt + days * day) / day) * day : Infinity;
}

/**
 * The latest last-update time at which an action of `days` days is due at `now`: the inverse of
 * `dueAfterDays`, which the store re-checks against the row inside the statement that acts.
 */
export function updatedNotAfter(now: number, days: number, day: number): number {
  return Math.floor(now / day) * day - days * day;
}

/** The expiration the rules give an object: its time and the rule's ID (the earliest of several), or null. */
export function expirationOf(rules: readonly LifecycleRule[], object: LifecycleSubject & { modifiedAt: number }, day: number): { at: number; ruleId: string } | null {
  // Every S3 GET and HEAD asks: a bucket without rules costs no parse of the object's tags.
  if (rules.length === 0) return null;
  const tags = tagsOf(object.tags);
  let best: { at: number; ruleId: string } | null = null;
  for (const rule of rules) {
    if (!rule.enabled || !ruleApplies(rule, object, tags)) continue;
    const at = rule.expireDate ? rule.expireDate : dueAfterDays(object.modifiedAt, rule.expireDays, day);
    if (Number.isFinite(at) && (!best || at < best.at)) best = { at, ruleId: rule.id };
  }
  return best;
}
