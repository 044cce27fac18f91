import { nowSeconds } from "../config";
import { checkLifecycleRules } from "../core/rules";
import { ApiError } from "../errors";
import { bucketInProject, type BucketRow } from "../store/buckets";
import { bucketRules, replaceLifecycleRules, type LifecycleRule } from "../store/rules";
import type { ControlAction, ControlContext } from "./context";

/**
 * Lifecycle actions (ucloud-sdk-python3 CreateUFileLifeCycle, DescribeUFileLifeCycle,
 * UpdateUFileLifeCycle, DeleteUFileLifeCycle; docs/protocol.md §3.6.1) over the one rule store
 * (src/store/rules.ts), which S3's lifecycle configuration reads and writes too.
 */

/** US3's range for Days, IADays and ArchivalDays: 0 (off) or [7, 36500]. */
const UFILE_MIN_DAYS = 7;

async function ownBucket(c: ControlContext): Promise<BucketRow> {
  const name = c.params.required("BucketName");
  const bucket = await bucketInProject(c.db, c.projectId, name);
  if (!bucket) throw new ApiError("BucketNotFound", name);
  return bucket;
}

function status(c: ControlContext): boolean {
  const raw = c.params.required("Status");
  if (raw !== "Enabled" && raw !== "Disabled") throw new ApiError("InvalidParameter", "Status must be Enabled or Disabled");
  return raw === "Enabled";
}

/** `*` is the whole bucket (US3); internally the empty prefix. */
const prefixIn = (raw: string): string => (raw === "*" ? "" : raw);
const prefixOut = (prefix: string): string => (prefix === "" ? "*" : prefix);

/** What UFile's Create and Update set; every other field of the rule shape (store/rules.ts) is S3's alone. */
type UFileFields = Pick<LifecycleRule, "id" | "name" | "prefix" | "enabled" | "expireDays" | "iaDays" | "archiveDays">;

/**
 * A rule from the request's fields (Create and Update take the same ones); absent days are 0.
 * Updating a rule written through S3 keeps every field UFile cannot express (its tag and size
 * filter, upload abort, delete-marker setting, how its filter was written, and any field the shape
 * gains), and its dates when the request sets no days: a rule acts on days or on dates, never both.
 */
function ruleFrom(c: ControlContext, id: string, previous?: LifecycleRule): LifecycleRule {
  const set: UFileFields = {
    id,
    name: c.params.required("LifeCycleName"),
    prefix: prefixIn(c.params.required("Prefix")),
    enabled: status(c),
    expireDays: c.params.int("Days") ?? 0,
    iaDays: c.params.int("IADays") ?? 0,
    archiveDays: c.params.int("ArchivalDays") ?? 0,
  };
  if (!previous) return { ...set, abortUploadDays: 0 };
  const { expireDate, iaDate, archiveDate, ...kept } = previous;
  const dates = set.expireDays + set.iaDays + set.archiveDays === 0 ? { expireDate, iaDate, archiveDate } : {};
  // Fields left undefined are not stored (the rules are JSON).
  return { ...kept, ...dates, ...set };
}

/** LifeCycleItem of the SDK. */
function item(bucket: BucketRow, r: LifecycleRule) {
  return {
    LifeCycleId: r.id,
    LifeCycleName: r.name,
    Prefix: prefixOut(r.prefix),
    Status: r.enabled ? "Enabled" : "Disabled",
    Days: r.expireDays,
    IADays: r.iaDays,
    ArchivalDays: r.archiveDays,
    BucketName: bucket.name,
  };
}

/**
 * Read-modify-write of a bucket's rules that loses no concurrent edit: the store replaces the rules
 * only if they are still the ones read, else this re-reads and applies `change` again.
 */
async function editRules(c: ControlContext, change: (rules: LifecycleRule[]) => LifecycleRule[]): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const bucket = await ownBucket(c);
    const next = change(bucketRules(bucket).lifecycle);
    checkLifecycleRules(next, 1);
    if (await replaceLifecycleRules(c.db, bucket, bucket.lifecycleRules, next, nowSeconds())) return;
  }
  throw new ApiError("OperationFailed5", "the bucket's rules kept changing; retry");
}

/** One prefix, one rule (US3: 一条规则只支持一个文件前缀): a second rule on a prefix is 15034. */
function assertPrefixFree(rules: LifecycleRule[], rule: LifecycleRule): void {
  if (rules.some((r) => r.id !== rule.id && r.prefix === rule.prefix)) throw new ApiError("DuplicatePrefix", `a lifecycle rule for prefix ${prefixOut(rule.prefix)} exists`);
}

/** The UFile range check, before the store's own (which also admits S3's shorter periods). */
function checkUFileDays(rule: LifecycleRule): void {
  checkLifecycleRules([rule], UFILE_MIN_DAYS);
}

export const createUFileLifeCycle: ControlAction = async (c) => {
  const rule = ruleFrom(c, crypto.randomUUID());
  checkUFileDays(rule);
  await editRules(c, (rules) => {
    assertPrefixFree(rules, rule);
    return [...rules, rule];
  });
  return { LifeCycleId: rule.id };
};

export const describeUFileLifeCycle: ControlAction = async (c) => {
  const bucket = await ownBucket(c);
  const id = c.params.nonEmpty("LifeCycleId");
  const rules = bucketRules(bucket).lifecycle.filter((r) => id === undefined || r.id === id);
  if (id !== undefined && rules.length === 0) throw new ApiError("LifeCycleNotFound", id);
  // `DateSet` (sic): the real API's spelling, which the SDKs read.
  return { DateSet: rules.map((r) => item(bucket, r)) };
};

export const updateUFileLifeCycle: ControlAction = async (c) => {
  const id = c.params.required("LifeCycleId");
  await editRules(c, (rules) => {
    const at = rules.findIndex((r) => r.id === id);
    if (at < 0) throw new ApiError("LifeCycleNotFound", id);
    const rule = ruleFrom(c, id, rules[at]);
    checkUFileDays(rule);
    assertPrefixFree(rules, rule);
    return rules.map((r, i) => (i === at ? rule : r));
  });
  return {};
};

export const deleteUFileLifeCycle: ControlAction = async (c) => {
  const id = c.params.required("LifeCycleId");
  await editRules(c, (rules) => {
    if (!rules.some((r) => r.id === id)) throw new ApiError("LifeCycleNotFound", id);
    return rules.filter((r) => r.id !== id);
  });
  return {};
};
