import { and, asc, eq, gt, ne } from "drizzle-orm";
import { buckets } from "../../schema/schema";
import { forgetBucket, type BucketRow } from "./buckets";
import type { Database } from "./db";

/**
 * Bucket rules (issue 22, docs/protocol.md §3.6): lifecycle rules, the referer (anti-leech) rule,
 * CORS rules and the S3-only settings (default encryption, object ownership) are bucket
 * configuration, kept as columns of the bucket row, so every request reads them with the bucket it
 * already looks up. This module is the only code that parses or writes them; each front (UFile
 * control plane, S3) translates its own wire format to and from these shapes, so a rule written
 * through one protocol reads back through the other.
 */

/** One lifecycle rule. Days count from the object's last update; 0 = that action is off. */
export interface LifecycleRule {
  /** UFile `LifeCycleId`, S3 `ID`. */
  id: string;
  /** UFile `LifeCycleName` (S3 has no name: the ID is shown as the name). */
  name: string;
  /** Key prefix; "" = every key (UFile `*`). */
  prefix: string;
  enabled: boolean;
  /** Delete the object N days after its last update (UFile `Days`, S3 `Expiration/Days`). */
  expireDays: number;
  /** Move it to IA (UFile `IADays`, S3 `Transition` to STANDARD_IA). */
  iaDays: number;
  /** Move it to ARCHIVE (UFile `ArchivalDays`, S3 `Transition` to GLACIER). */
  archiveDays: number;
  /** Abort multipart uploads started N days ago (S3 `AbortIncompleteMultipartUpload`; UFile has no field). */
  abortUploadDays: number;
  // What follows is S3's alone (UFile's actions neither show nor change it); absent in rules written before it.
  /** Tags an object must all carry (S3 `Filter/Tag`, `Filter/And/Tag`); absent or [] = any tags. */
  tags?: { Key: string; Value: string }[];
  /** Only objects of more than this many bytes (S3 `ObjectSizeGreaterThan`). */
  sizeGreaterThan?: number;
  /** Only objects of fewer than this many bytes (S3 `ObjectSizeLessThan`). */
  sizeLessThan?: number;
  /**
   * From this UTC midnight (unix seconds) on, delete / move every matching object whatever its age
   * (S3 `Expiration/Date`, `Transition/Date`); absent or 0 = off. A rule's actions are all days or all dates.
   */
  expireDate?: number;
  iaDate?: number;
  archiveDate?: number;
  /** S3 `ExpiredObjectDeleteMarker`: kept and read back; with no versioning there are no delete markers to remove. */
  expiredObjectDeleteMarker?: boolean;
  /** How S3 wrote the filter, to read it back so: the legacy top-level `<Prefix>`, or `<Filter><And>`; absent: `<Filter>`. */
  s3Filter?: "legacy" | "and";
}

/** The referer rule (UFile SetUFileReferer): which `Referer`s may read anonymously or by presigned URL. */
export interface RefererRule {
  /** 1 = blacklist (matching referers are refused), 2 = whitelist (only matching referers pass). */
  type: 1 | 2;
  /** Regular expressions, matched anywhere in the Referer header (src/core/referer.ts). */
  referers: string[];
  /** Whether a request without a Referer (or an empty one) passes. */
  allowEmpty: boolean;
}

/** One CORS rule, as S3 defines it (PutBucketCors); wildcards `*` as S3 allows them. */
export interface CorsRule {
  id: string;
  allowedOrigins: string[];
  /** Upper-case HTTP methods: GET, PUT, POST, DELETE, HEAD. */
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  /** Seconds a browser may cache the preflight; null = not sent. */
  maxAgeSeconds: number | null;
}

/**
 * A bucket's default encryption (S3 PutBucketEncryption). Only SSE-S3 (`AES256`) is kept: R2 encrypts
 * every object at rest, which is what it promises; the S3 front refuses SSE-KMS before it gets here.
 */
export interface DefaultEncryption {
  algorithm: "AES256";
  /** S3's `BucketKeyEnabled`, kept to read back as written (it changes nothing for SSE-S3). */
  bucketKeyEnabled: boolean;
}

/** S3 object ownership (PutBucketOwnershipControls); who owns an object written to the bucket. */
export const OBJECT_OWNERSHIPS = ["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"] as const;
export type ObjectOwnership = (typeof OBJECT_OWNERSHIPS)[number];

export interface BucketRules {
  readonly lifecycle: LifecycleRule[];
  /** null = off. */
  readonly referer: RefererRule | null;
  /** [] = no rules: the built-in permissive CORS of each front applies. */
  readonly cors: CorsRule[];
  /** null = none set. */
  readonly encryption: DefaultEncryption | null;
  /** null = none set. */
  readonly ownership: ObjectOwnership | null;
}

type RuleColumns = Pick<BucketRow, "lifecycleRules" | "refererRule" | "corsRules" | "defaultEncryption" | "objectOwnership">;
type JsonColumn = Exclude<keyof RuleColumns, "objectOwnership">;

/**
 * The parsed JSON rule columns per bucket row object: the data plane's rows are cached per isolate
 * (store/buckets.ts), so a column is parsed once per row, and a parsed rule keeps its identity across
 * the requests that read it (core/referer.ts compiles a referer rule's patterns once per rule object).
 */
const parsed = new WeakMap<RuleColumns, Partial<Record<JsonColumn, unknown>>>();

/**
 * The JSON value of one rule column of `row`. A column as a bucket without that rule holds it (`[]`,
 * `{}`: nearly every column of nearly every bucket) is neither parsed nor kept: a control-plane row is
 * read afresh for each request, and an entry per such row would only be work for the collector.
 * Callers read the value and never change it (a cached row's is shared).
 */
function columnJson<T>(row: RuleColumns, column: JsonColumn, fallback: T): T {
  const text = row[column];
  if (text === "[]") return [] as T;
  if (text === "{}") return {} as T;
  let columns = parsed.get(row);
  if (columns === undefined) parsed.set(row, (columns = {}));
  if (!(column in columns)) columns[column] = parseJson(text, fallback);
  return columns[column] as T;
}

function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** A row's rules, each column parsed when first read (DescribeBucket reads two, a data-plane request one or two). */
class RulesOfRow implements BucketRules {
  constructor(private readonly row: RuleColumns) {}

  get lifecycle(): LifecycleRule[] {
    return columnJson<LifecycleRule[]>(this.row, "lifecycleRules", []);
  }

  get referer(): RefererRule | null {
    const referer = columnJson<Partial<RefererRule>>(this.row, "refererRule", {});
    return referer.type === 1 || referer.type === 2 ? (referer as RefererRule) : null;
  }

  get cors(): CorsRule[] {
    return columnJson<CorsRule[]>(this.row, "corsRules", []);
  }

  get encryption(): DefaultEncryption | null {
    const encryption = columnJson<Partial<DefaultEncryption>>(this.row, "defaultEncryption", {});
    return encryption.algorithm === "AES256" ? { algorithm: "AES256", bucketKeyEnabled: encryption.bucketKeyEnabled === true } : null;
  }

  get ownership(): ObjectOwnership | null {
    const ownership = this.row.objectOwnership;
    return (OBJECT_OWNERSHIPS as readonly string[]).includes(ownership) ? (ownership as ObjectOwnership) : null;
  }
}

/** The rules of a bucket row (any row read with the bucket's columns); read the ones needed (`const { cors } = …`). */
export const bucketRules = (row: RuleColumns): BucketRules => new RulesOfRow(row);

/**
 * Replaces a bucket's lifecycle rules if they still are `expected` (the JSON read before the change),
 * so that two concurrent edits never lose one another: false means the caller re-reads and retries.
 * `expected` null replaces whatever is there (S3's PUT and DELETE replace the whole set).
 * A change restarts the lifecycle scan, so the new rules see every object.
 */
export async function replaceLifecycleRules(db: Database, bucket: BucketRow, expected: string | null, rules: LifecycleRule[], now: number): Promise<boolean> {
  const changed = await db
    .update(buckets)
    .set({ lifecycleRules: JSON.stringify(rules), lifecycleAfter: "", lifecyclePassAt: 0, modifiedAt: now })
    .where(and(eq(buckets.id, bucket.id), expected === null ? undefined : eq(buckets.lifecycleRules, expected)))
    .returning({ id: buckets.id });
  forgetBucket(bucket.name);
  return changed.length > 0;
}

/** Writes one rule column of a bucket row and drops the cached row (every setter below). */
async function setRuleColumn(db: Database, bucket: BucketRow, column: Partial<typeof buckets.$inferInsert>, now: number): Promise<void> {
  await db
    .update(buckets)
    .set({ ...column, modifiedAt: now })
    .where(eq(buckets.id, bucket.id));
  forgetBucket(bucket.name);
}

/** Sets (or, with null, removes) the referer rule. */
export const setRefererRule = (db: Database, bucket: BucketRow, rule: RefererRule | null, now: number): Promise<void> =>
  setRuleColumn(db, bucket, { refererRule: rule ? JSON.stringify(rule) : "{}" }, now);

/** Replaces the CORS rules ([] removes them). */
export const setCorsRules = (db: Database, bucket: BucketRow, rules: CorsRule[], now: number): Promise<void> =>
  setRuleColumn(db, bucket, { corsRules: JSON.stringify(rules) }, now);

/** Sets (or, with null, removes) the default encryption. */
export const setDefaultEncryption = (db: Database, bucket: BucketRow, encryption: DefaultEncryption | null, now: number): Promise<void> =>
  setRuleColumn(db, bucket, { defaultEncryption: encryption ? JSON.stringify(encryption) : "{}" }, now);

/** Sets (or, with null, removes) the object ownership setting. */
export const setObjectOwnership = (db: Database, bucket: BucketRow, ownership: ObjectOwnership | null, now: number): Promise<void> =>
  setRuleColumn(db, bucket, { objectOwnership: ownership ?? "" }, now);

/** What the lifecycle scan needs of a bucket. */
export interface LifecycleBucket {
  id: string;
  projectId: string;
  region: string;
  lifecycleRules: string;
  lifecycleAfter: string;
  lifecyclePassAt: number;
}

/** Buckets that have lifecycle rules, by id after `afterId`, at most `limit`. */
export function bucketsWithLifecycle(db: Database, afterId: string, limit: number): Promise<LifecycleBucket[]> {
  return db
    .select({
      id: buckets.id,
      projectId: buckets.projectId,
      region: buckets.region,
      lifecycleRules: buckets.lifecycleRules,
      lifecycleAfter: buckets.lifecycleAfter,
      lifecyclePassAt: buckets.lifecyclePassAt,
    })
    .from(buckets)
    .where(and(gt(buckets.id, afterId), ne(buckets.lifecycleRules, "[]")))
    .orderBy(asc(buckets.id))
    .limit(limit)
    .all();
}

/**
 * Records where a bucket's lifecycle scan stands: `after` the last key handled ("" = a pass is
 * complete), `passAt` when the last pass completed. Only while the rules are still the ones the scan
 * applied (`rules`, their JSON): a change of rules restarted the scan, and that restart wins.
 */
export async function saveLifecycleProgress(db: Database, bucketId: string, rules: string, after: string, passAt: number): Promise<void> {
  await db
    .update(buckets)
    .set({ lifecycleAfter: after, lifecyclePassAt: passAt })
    .where(and(eq(buckets.id, bucketId), eq(buckets.lifecycleRules, rules)))
    .run();
}

