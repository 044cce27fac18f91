import { checkLifecycleRules } from "../core/rules";
import { ApiError } from "../errors";
import { bucketRules, replaceLifecycleRules, type LifecycleRule } from "../store/rules";
import { servedBucket, type S3Context } from "./context";
import { childrenNamed, childText, readXmlDocument, xmlResponse, type XmlElement, type XmlNode } from "./xml";

/**
 * S3 Put/Get/DeleteBucketLifecycleConfiguration (docs/s3.md "Lifecycle") over the one rule store
 * (src/store/rules.ts) that UFile's lifecycle actions use: Expiration Days, Transitions to
 * STANDARD_IA (→ IA) and GLACIER (→ ARCHIVE), AbortIncompleteMultipartUpload, a Prefix filter and
 * Status. What the store cannot keep (dates, tag or size filters, noncurrent versions, delete
 * markers) is refused with NotImplemented, never dropped silently.
 */

const MAX_BODY = 256 * 1024;

/** S3 transition classes and the edgefile class each becomes. */
const TRANSITION_CLASS: Record<string, "iaDays" | "archiveDays"> = { STANDARD_IA: "iaDays", GLACIER: "archiveDays" };

function days(el: XmlElement, name: string, where: string): number {
  const text = childText(el, name);
  if (text === undefined) throw new ApiError("MalformedXML", `${where} needs <${name}>`);
  if (!/^\d{1,9}$/.test(text)) throw new ApiError("InvalidArgument", `${where} <${name}> must be a positive integer`);
  return Number(text);
}

function unsupported(el: XmlElement, names: string[], what: string): void {
  const found = names.find((n) => childrenNamed(el, n).length > 0);
  if (found) throw new ApiError("NotImplemented", `${what} <${found}> is not supported: edgefile keeps Days-based rules with a prefix filter`);
}

/** The rule's prefix: `<Filter><Prefix>`, an empty `<Filter/>`, or the legacy `<Prefix>`. */
function prefixOf(rule: XmlElement): string {
  const filter = rule.children.find((c) => c.name === "Filter");
  if (filter) {
    unsupported(filter, ["Tag", "And", "ObjectSizeGreaterThan", "ObjectSizeLessThan"], "the Filter");
    return filter.children.find((c) => c.name === "Prefix")?.text ?? "";
  }
  const legacy = rule.children.find((c) => c.name === "Prefix");
  if (!legacy) throw new ApiError("MalformedXML", "a Rule needs a <Filter> or a <Prefix>");
  return legacy.text;
}

function parseRule(el: XmlElement, existing: Map<string, LifecycleRule>): LifecycleRule {
  unsupported(el, ["NoncurrentVersionExpiration", "NoncurrentVersionTransition"], "versioning:");
  const id = childText(el, "ID") || crypto.randomUUID();
  const status = childText(el, "Status");
  if (status !== "Enabled" && status !== "Disabled") throw new ApiError("MalformedXML", "<Status> must be Enabled or Disabled");
  const rule: LifecycleRule = {
    id,
    name: existing.get(id)?.name ?? id,
    prefix: prefixOf(el),
    enabled: status === "Enabled",
    expireDays: 0,
    iaDays: 0,
    archiveDays: 0,
    abortUploadDays: 0,
  };
  const expirations = childrenNamed(el, "Expiration");
  if (expirations.length > 1) throw new ApiError("MalformedXML", "at most one <Expiration> per rule");
  for (const exp of expirations) {
    unsupported(exp, ["Date", "ExpiredObjectDeleteMarker"], "the Expiration");
    rule.expireDays = days(exp, "Days", "Expiration");
  }
  for (const t of childrenNamed(el, "Transition")) {
    unsupported(t, ["Date"], "the Transition");
    const cls = childText(t, "StorageClass") ?? "";
    const field = TRANSITION_CLASS[cls];
    if (!field) throw new ApiError("InvalidArgument", `Transition StorageClass ${cls || "(none)"} is not supported: use STANDARD_IA or GLACIER`);
    if (rule[field] !== 0) throw new ApiError("InvalidArgument", `two transitions to ${cls} in one rule`);
    rule[field] = days(t, "Days", "Transition");
  }
  const abort = el.children.find((c) => c.name === "AbortIncompleteMultipartUpload");
  if (abort) rule.abortUploadDays = days(abort, "DaysAfterInitiation", "AbortIncompleteMultipartUpload");
  return rule;
}

export async function putBucketLifecycle(c: S3Context): Promise<Response> {
  const bucket = servedBucket(c);
  const root = await readXmlDocument(c.request.body, MAX_BODY, "LifecycleConfiguration");
  const existing = new Map(bucketRules(bucket).lifecycle.map((r) => [r.id, r]));
  const rules = childrenNamed(root, "Rule").map((el) => parseRule(el, existing));
  if (rules.length === 0) throw new ApiError("MalformedXML", "a LifecycleConfiguration needs at least one <Rule>");
  checkLifecycleRules(rules, 1);
  // A PUT replaces the whole configuration, whatever it was.
  await replaceLifecycleRules(c.db, bucket, null, rules, c.now);
  return new Response(null, { status: 200 });
}

function ruleNode(r: LifecycleRule): XmlNode {
  const transitions: XmlNode[] = [];
  if (r.iaDays > 0) transitions.push(["Transition", ["Days", r.iaDays], ["StorageClass", "STANDARD_IA"]]);
  if (r.archiveDays > 0) transitions.push(["Transition", ["Days", r.archiveDays], ["StorageClass", "GLACIER"]]);
  return [
    "Rule",
    ["ID", r.id],
    ["Filter", ["Prefix", r.prefix]],
    ["Status", r.enabled ? "Enabled" : "Disabled"],
    transitions,
    r.expireDays > 0 ? ["Expiration", ["Days", r.expireDays]] : null,
    r.abortUploadDays > 0 ? ["AbortIncompleteMultipartUpload", ["DaysAfterInitiation", r.abortUploadDays]] : null,
  ];
}

export async function getBucketLifecycle(c: S3Context): Promise<Response> {
  const rules = bucketRules(servedBucket(c)).lifecycle;
  if (rules.length === 0) throw new ApiError("NoSuchLifecycleConfiguration");
  return xmlResponse(["LifecycleConfiguration", rules.map(ruleNode)]);
}

export async function deleteBucketLifecycle(c: S3Context): Promise<Response> {
  await replaceLifecycleRules(c.db, servedBucket(c), null, [], c.now);
  return new Response(null, { status: 204 });
}
