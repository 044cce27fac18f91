import { nowSeconds } from "../config";
import { isReservedBucketName, isValidBucketName, removeBucket } from "../core/buckets";
import { ApiError } from "../errors";
import { fromBase64, toBase64, utf8 } from "../crypto";
import { bucketByName, insertBucket, listBuckets, type BucketRow } from "../store/buckets";
import { requestedBucketType } from "./acl";
import { requestedOwnership } from "./ownership";
import { servedBucket, type S3Context } from "./context";
import { isoTime } from "./object-headers";
import { readOptionalXmlDocument, xmlResponse, type XmlNode } from "./xml";

/**
 * Bucket operations: ListBuckets (paged by `max-buckets` and `continuation-token`, filtered by
 * `prefix` and `bucket-region`), CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation.
 * Buckets are the UFile buckets (same names, rules, projects); the root key acts in
 * DEFAULT_PROJECT_ID when it creates one, and lists every project's buckets.
 */

/** Most buckets one ListBuckets answers (S3 accounts hold at most 1 000 by default). */
const LIST_LIMIT = 10_000;

/** `<Owner>`: projects are the owners S3 clients see. */
export const ownerNode = (id: string): XmlNode => ["Owner", ["ID", id], ["DisplayName", id]];

/** `max-buckets`: 1 to 10 000 (S3's range), default all. */
function maxBuckets(q: URLSearchParams): number {
  const raw = q.get("max-buckets");
  if (raw === null) return LIST_LIMIT;
  const n = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= 1 && n <= LIST_LIMIT)) throw new ApiError("InvalidArgument", `max-buckets must be an integer from 1 to ${LIST_LIMIT}`);
  return n;
}

/**
 * ListBuckets pages in its own order (creation time, then name): the continuation token is the
 * last bucket answered, `<created>/<name>` in base64 (opaque to clients), so a page boundary holds
 * when buckets are created or deleted in between.
 */
const bucketToken = (b: BucketRow) => toBase64(utf8(`${b.createdAt}/${b.name}`));
function afterToken(token: string): (b: BucketRow) => boolean {
  const text = new TextDecoder().decode(fromBase64(token) ?? new Uint8Array(0));
  const m = /^(\d{1,15})\/(.+)$/.exec(text);
  if (!m) throw new ApiError("InvalidArgument", "The continuation token provided is incorrect");
  const [created, name] = [Number(m[1]), m[2]!];
  return (b) => b.createdAt > created || (b.createdAt === created && b.name > name);
}

export async function listAllBuckets(c: S3Context): Promise<Response> {
  const p = c.principal;
  const rows =
    p.kind === "root"
      ? await listBuckets(c.db, null, 0, LIST_LIMIT)
      : p.kind === "token"
        ? (await listBuckets(c.db, p.scope.projectId, 0, LIST_LIMIT)).filter(
            (b) => p.scope.allowedBuckets.includes("*") || p.scope.allowedBuckets.includes(b.name),
          )
        : [];
  const ownerId = p.kind === "token" ? p.scope.projectId : c.settings.defaultProjectId;
  const prefix = c.query.get("prefix") ?? "";
  const region = c.query.get("bucket-region");
  const token = c.query.get("continuation-token");
  const after = token ? afterToken(token) : () => true;
  const max = maxBuckets(c.query);
  const matching = rows.filter((b) => b.name.startsWith(prefix) && (region === null || b.region === region) && after(b));
  const page = matching.slice(0, max);
  return xmlResponse([
    "ListAllMyBucketsResult",
    ownerNode(ownerId),
    ["Buckets", page.map((b) => ["Bucket", ["Name", b.name], ["CreationDate", isoTime(b.createdAt)], ["BucketRegion", b.region]])],
    matching.length > max ? ["ContinuationToken", bucketToken(page.at(-1)!)] : null,
    c.query.has("prefix") ? ["Prefix", prefix] : null,
  ]);
}

/** The optional CreateBucketConfiguration body: any LocationConstraint is accepted (buckets live in DEFAULT_REGION). */
async function readLocationConstraint(c: S3Context): Promise<void> {
  await readOptionalXmlDocument(c.request, 64 * 1024, "CreateBucketConfiguration");
}

export async function createBucket(c: S3Context): Promise<Response> {
  const name = c.bucketName;
  if (!isValidBucketName(name)) throw new ApiError("BucketNameInvalid", `The specified bucket is not valid: ${name}`);
  if (isReservedBucketName(name, c.settings)) throw new ApiError("BucketNameInvalid", `The specified bucket is reserved (its host is the console's): ${name}`);
  const projectId = c.settings.defaultProjectId;
  const objectOwnership = requestedOwnership(c.request.headers);
  const type = await requestedBucketType(c.db, c.request.headers, projectId, objectOwnership);
  await readLocationConstraint(c);
  const created = await insertBucket(c.db, { name, projectId, region: c.settings.defaultRegion, type, objectOwnership, now: nowSeconds() });
  if (!created) {
    const existing = await bucketByName(c.db, name);
    // As AWS: us-east-1 (and SigV2, which names no region) answers 200 to re-creating your own
    // bucket, changing nothing; every other region answers BucketAlreadyOwnedByYou.
    if (existing?.projectId === projectId) {
      if ((c.auth?.region ?? "us-east-1") === "us-east-1") return new Response(null, { status: 200, headers: { Location: `/${name}` } });
      throw new ApiError("BucketAlreadyOwnedByYou");
    }
    throw new ApiError("BucketNameTaken", "The requested bucket name is not available. The bucket namespace is shared by all users of the system.");
  }
  return new Response(null, { status: 200, headers: { Location: `/${name}` } });
}

export async function headBucket(c: S3Context): Promise<Response> {
  const b = servedBucket(c);
  return new Response(null, { status: 200, headers: { "x-amz-bucket-region": b.region } });
}

export async function getBucketLocation(c: S3Context): Promise<Response> {
  return xmlResponse(["LocationConstraint", servedBucket(c).region]);
}

export async function deleteBucket(c: S3Context): Promise<Response> {
  const bucket = servedBucket(c);
  await removeBucket(c.env, c.db, bucket, c.settings.bucketMinAgeSeconds, c.now);
  return new Response(null, { status: 204 });
}
