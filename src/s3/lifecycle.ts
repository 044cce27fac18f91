import { checkLifecycleRules } from "../core/rules";
import { ApiError } from "../errors";
import { bucketRules, replaceLifecycleRules, type LifecycleRule } from "../store/rules";
import { servedBucket, type S3Context } from "./context";
import { childrenNamed, childText, readXmlDocument, xmlResponse, type XmlElement, type XmlNode } from "./xml";

/**
 * S3 Put/Get/DeleteBucketLifecycleConfiguration (docs/s3.md §3a) over the one rule store
 * (src/store/rules.ts) that UFile's lifecycle actions use: Expiration by Days or Date (or
 * ExpiredObjectDeleteMarker), Transitions to STANDARD_IA (→ IA) and GLACIER (→ ARCHIVE) by Days or
 * Date, AbortIncompleteMultipartUpload, Status, and a filter by prefix, tags and object size
 * (`<Filter>` with one condition or `<And>`, or the legacy `<Prefix>`), read back as written. The
 * cron applies them to every object (core/lifecycle.ts). Noncurrent-version actions need
 * versioning, which edgefile does not have: NotImplemented, never dropped silently.
 */

const MAX_BODY = 256 * 1024;

/** S3 transition classes and the edgefile class each becomes. */
const TRANSITION_CLASS: Record<string, "ia" | "archive"> = { STANDARD_IA: "ia", GLACIER: "archive" };

/** A whole number of at least 1 (`<Days>`, `<DaysAfterInitiation>`). */
function days(el: XmlElement, name: string, where: string): number {
  const text = childText(el, name);
  if (text === undefined) throw new ApiError("MalformedXML", `${where} needs <${name}>`);
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) throw new ApiError("InvalidArgument", `${where} <${name}> must be a positive integer`);
  return Number(text);
}

/** ISO 8601, a date or a date and time with an optional zone: `2030-01-01`, `2030-01-01T00:00:00Z`, `…00.000+00:00`. */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/** `<Date>`: a midnight UTC in ISO 8601, as unix seconds (S3: anything else is InvalidArgument). */
function midnight(text: string, where: string): number {
  const ms = ISO_DATE.test(text) ? Date.parse(/T/.test(text) && !/(Z|[+-]\d{2}:?\d{2})$/.test(text) ? `${text}Z` : text) : NaN;
  // Date.parse rolls 2030-02-30 over to March; such a day is refused, as a time that is not midnight UTC.
  const day = Date.parse(text.slice(0, 10));
  const real = Number.isFinite(ms) && ms >= 0 && Number.isFinite(day) && new Date(day).toISOString().slice(0, 10) === text.slice(0, 10);
  if (!real || ms % 86_400_000 !== 0) throw new ApiError("InvalidArgument", `${where} 'Date' must be at midnight GMT in ISO 8601 format, not ${text}`);
  return ms / 1000;
}

/** One action's time: exactly one of `<Days>` and `<Date>`. */
function when(el: XmlElement, where: string): { days: number; date: number } {
  const date = childText(el, "Date");
  const hasDays = childText(el, "Days") !== undefined;
  if ((date !== undefined) === hasDays) throw new ApiError("MalformedXML", `${where} needs exactly one of <Days> and <Date>`);
  return date !== undefined ? { days: 0, date: midnight(date, where) } : { days: days(el, "Days", where), date: 0 };
}

function unsupported(el: XmlElement, names: string[], what: string): void {
  const found = names.find((n) => childrenNamed(el, n).length > 0);
  if (found) throw new ApiError("NotImplemented", `${what} <${found}> is not supported: edgefile has no object versions`);
}

type Filter = Pick<LifecycleRule, "prefix" | "tags" | "sizeGreaterThan" | "sizeLessThan" | "s3Filter">;

function sizeBound(el: XmlElement, name: string): number | undefined {
  const text = childText(el, name);
  if (text === undefined) return undefined;
  if (!/^\d{1,16}$/.test(text)) throw new ApiError("InvalidArgument", `<${name}> must be a whole number of bytes`);
  return Number(text);
}

/**
 * The rule's filter: `<Filter>` with `<Prefix>`, `<Tag>`, `<ObjectSizeGreaterThan>`,
 * `<ObjectSizeLessThan>` and `<And>` holding any of them (all must hold), an empty `<Filter/>`,
 * or the legacy `<Prefix>`. Two prefixes must agree (one extends the other: the longer holds).
 */
function filterOf(rule: XmlElement): Filter {
  const filters = childrenNamed(rule, "Filter");
  const legacy = childrenNamed(rule, "Prefix");
  if (filters.length + legacy.length !== 1) throw new ApiError("MalformedXML", "a Rule needs one <Filter> or one <Prefix>");
  if (legacy.length === 1) return { prefix: legacy[0].text, s3Filter: "legacy" };
  const ands = childrenNamed(filters[0], "And");
  if (ands.length > 1) throw new ApiError("MalformedXML", "at most one <And> per <Filter>");
  const parts = [filters[0], ...ands];
  const prefixes = parts.flatMap((p) => childrenNamed(p, "Prefix").map((x) => x.text));
  const prefix = prefixes.reduce((a, b) => (b.startsWith(a) ? b : a), "");
  if (prefixes.some((p) => !prefix.startsWith(p))) throw new ApiError("InvalidArgument", `the filter's prefixes ${prefixes.join(", ")} select no key together`);
  const tags = parts.flatMap((p) =>
    childrenNamed(p, "Tag").map((t) => {
      const Key = childText(t, "Key");
      if (Key === undefined) throw new ApiError("MalformedXML", "a filter <Tag> needs <Key>");
      return { Key, Value: childText(t, "Value") ?? "" };
    }),
  );
  const bounds = (name: string) => parts.map((p) => sizeBound(p, name)).filter((n) => n !== undefined);
  const [gt, lt] = [bounds("ObjectSizeGreaterThan"), bounds("ObjectSizeLessThan")];
  if (gt.length > 1 || lt.length > 1) throw new ApiError("MalformedXML", "one object size bound of each kind per filter");
  return {
    prefix,
    ...(tags.length > 0 ? { tags } : {}),
    ...(gt.length > 0 ? { sizeGreaterThan: gt[0] } : {}),
    ...(lt.length > 0 ? { sizeLessThan: lt[0] } : {}),
    ...(ands.length > 0 ? { s3Filter: "and" as const } : {}),
  };
}

function parseRule(el: XmlElement, existing: Map<string, LifecycleRule>): LifecycleRule {
  unsupported(el, ["NoncurrentVersionExpiration", "NoncurrentVersionTransition"], "versioning:");
  const id = childText(el, "ID") || crypto.randomUUID();
  const status = childText(el, "Status");
  if (status !== "Enabled" && status !== "Disabled") throw new ApiError("MalformedXML", "<Status> must be Enabled or Disabled");
  const rule: LifecycleRule = {
    id,
    name: existing.get(id)?.name ?? id,
    ...filterOf(el),
    enabled: status === "Enabled",
    expireDays: 0,
    iaDays: 0,
    archiveDays: 0,
    abortUploadDays: 0,
  };
  const expirations = childrenNamed(el, "Expiration");
  if (expirations.length > 1) throw new ApiError("MalformedXML", "at most one <Expiration> per rule");
  for (const exp of expirations) {
    const marker = childText(exp, "ExpiredObjectDeleteMarker");
    if (marker !== undefined) {
      if (exp.children.length > 1) throw new ApiError("MalformedXML", "<ExpiredObjectDeleteMarker> goes without <Days> or <Date>");
      if (marker !== "true" && marker !== "false") throw new ApiError("MalformedXML", "<ExpiredObjectDeleteMarker> is true or false");
      rule.expiredObjectDeleteMarker = marker === "true";
      continue;
    }
    const { days: n, date } = when(exp, "Expiration");
    rule.expireDays = n;
    if (date) rule.expireDate = date;
  }
  for (const t of childrenNamed(el, "Transition")) {
    const cls = childText(t, "StorageClass") ?? "";
    const target = TRANSITION_CLASS[cls];
    if (!target) throw new ApiError("InvalidArgument", `Transition StorageClass ${cls || "(none)"} is not supported: use STANDARD_IA or GLACIER`);
    if (rule[`${target}Days`] !== 0 || rule[`${target}Date`]) throw new ApiError("InvalidArgument", `two transitions to ${cls} in one rule`);
    const { days: n, date } = when(t, "Transition");
    rule[`${target}Days`] = n;
    if (date) rule[`${target}Date`] = date;
  }
  const abort = el.children.find((c) => c.name === "AbortIncompleteMultipartUpload");
  if (abort) rule.abortUploadDays = days(abort, "DaysAfterInitiation", "AbortIncompleteMultipartUpload");
  return rule;
}

export async function putBucketLifecycle(c: S3Context): Promise<Response> {
  const bucket = servedBucket(c);
  const root = await readXmlDocument(c.request, MAX_BODY, "LifecycleConfiguration");
  const existing = new Map(bucketRules(bucket).lifecycle.map((r) => [r.id, r]));
  const rules = childrenNamed(root, "Rule").map((el) => parseRule(el, existing));
  if (rules.length === 0) throw new ApiError("MalformedXML", "a LifecycleConfiguration needs at least one <Rule>");
  checkLifecycleRules(rules, 1);
  // A PUT replaces the whole configuration, whatever it was.
  await replaceLifecycleRules(c.db, bucket, null, rules, c.now);
  return new Response(null, { status: 200 });
}

/** ISO 8601 of a stored date. */
const isoDate = (seconds: number): string => new Date(seconds * 1000).toISOString();

/** The filter as it was written: the legacy `<Prefix>`, one condition, or `<And>` (also for several conditions). */
function filterNode(r: LifecycleRule): XmlNode {
  if (r.s3Filter === "legacy") return ["Prefix", r.prefix];
  const conditions: XmlNode[] = [
    ...(r.prefix !== "" ? [["Prefix", r.prefix] as XmlNode] : []),
    ...(r.tags ?? []).map((t): XmlNode => ["Tag", ["Key", t.Key], ["Value", t.Value]]),
    ...(r.sizeGreaterThan !== undefined ? [["ObjectSizeGreaterThan", r.sizeGreaterThan] as XmlNode] : []),
    ...(r.sizeLessThan !== undefined ? [["ObjectSizeLessThan", r.sizeLessThan] as XmlNode] : []),
  ];
  if (r.s3Filter === "and" || conditions.length > 1) return ["Filter", ["And", conditions]];
  return ["Filter", conditions[0] ?? ["Prefix", ""]];
}

/** `<Days>` or `<Date>` of one action. */
const timeNode = (days: number, date: number | undefined): XmlNode => (date ? ["Date", isoDate(date)] : ["Days", days]);

function ruleNode(r: LifecycleRule): XmlNode {
  const transitions: XmlNode[] = [];
  if (r.iaDays > 0 || r.iaDate) transitions.push(["Transition", timeNode(r.iaDays, r.iaDate), ["StorageClass", "STANDARD_IA"]]);
  if (r.archiveDays > 0 || r.archiveDate) transitions.push(["Transition", timeNode(r.archiveDays, r.archiveDate), ["StorageClass", "GLACIER"]]);
  let expiration: XmlNode | null = null;
  if (r.expireDays > 0 || r.expireDate) expiration = ["Expiration", timeNode(r.expireDays, r.expireDate)];
  else if (r.expiredObjectDeleteMarker !== undefined) expiration = ["Expiration", ["ExpiredObjectDeleteMarker", r.expiredObjectDeleteMarker]];
  return [
    "Rule",
    ["ID", r.id],
    filterNode(r),
    ["Status", r.enabled ? "Enabled" : "Disabled"],
    transitions,
    expiration,
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
